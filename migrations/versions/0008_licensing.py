"""Licensing: licence kinds, their versioned terms, and issued licences

* ``licence_kinds``: standard and extended, as Stocksy United sells them.
* ``licence_terms``: append-only versions of each kind's terms (summary, what it permits, the
  full text, the contributor's royalty in basis points and the surcharge on the size price).
  The newest version is sold; a licence keeps the version it was sold under. Version 1 of both
  kinds is written here.
* ``licences``: one per order item paid for. ``order_id`` and ``order_item_id`` carry no
  foreign key (the orders tables come in a later migration); ``order_item_id`` is unique so
  that issuing twice for one item is harmless.

Revision ID: 0008_licensing
Revises: 0007_ledger
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "0008_licensing"
down_revision = "0007_ledger"
branch_labels = None
depends_on = None

# Kept here as data: a migration must not depend on the app's code as it changes later.
KINDS = [(1, "standard", "Standard licence", 0), (2, "extended", "Extended licence", 1)]
STANDARD_PERMITS = [
    "Royalty-free: pay once, no further fees however often you use it",
    "Perpetual: the licence never expires",
    "Worldwide",
    "Unlimited digital use: websites, apps, social media, e-books, video and advertising online",
    "Up to 500,000 printed copies in total",
    "One seat: one person, or one named user at your organisation, works with the file",
]
EXTENDED_PERMITS = [
    "Everything the standard licence allows",
    "Unlimited printed copies",
    "Multi-seat: anyone at your organisation may work with the file",
    "Products for resale: templates, merchandise, prints and other goods you sell",
    "Optional market freeze: ask us to stop selling the work in your market for an agreed time",
]
STANDARD_SUMMARY = (
    "For most uses: royalty-free, for ever, anywhere, unlimited online use and up to 500,000 "
    "printed copies, for one person."
)
EXTENDED_SUMMARY = (
    "For big print runs, teams and goods for sale: everything in standard, plus unlimited "
    "print, many seats, products for resale and an optional market freeze."
)
STANDARD_TEXT = """\
1. What you get. The co-op grants you, the licence holder, a non-exclusive, royalty-free, \
perpetual and worldwide licence to use the licensed photo or video at the size you bought.

2. Digital use. You may use the work without limit in digital media: websites, apps, social \
media, e-books, presentations, online advertising, film, television and streaming.

3. Print. You may reproduce the work in print up to 500,000 copies in total, across every \
project made under this licence.

4. One seat. One person may download and work with the file. Colleagues may see the finished \
work, but not receive the file itself.

5. Not allowed. You may not resell, share or give away the file itself; use it in goods made \
for resale where the work is the main value (prints, posters, t-shirts, templates); use it in \
a trademark or logo; or show recognisable people in a way they would find offensive (for \
example suggesting a health condition) without saying it is a model posing.

6. Credit. Credit is welcome but not required: "Photographer name / Co-op Stock".

7. The contributor keeps the copyright. Half of what you pay goes to them as a royalty.
"""
EXTENDED_TEXT = """\
1. Everything in the standard licence applies, and this licence adds the rights below.

2. Unlimited print. No limit on the number of printed copies.

3. Multi-seat. Anyone employed by your organisation may download and work with the file.

4. Products for resale. You may use the work in goods you sell, such as prints, posters, \
cards, t-shirts, templates and other merchandise, where the work is part of what the buyer \
pays for.

5. Market freeze (optional). On request, and for an agreed fee and period, the co-op stops \
licensing the work to others in the industry or region you name. Ask us before you rely on it.

6. The contributor keeps the copyright. Three quarters of what you pay goes to them as a \
royalty.
"""
# (kind id, summary, permits, full text, royalty in basis points, surcharge in cents)
TERMS = [
    (1, STANDARD_SUMMARY, STANDARD_PERMITS, STANDARD_TEXT, 5000, 0),
    (2, EXTENDED_SUMMARY, EXTENDED_PERMITS, EXTENDED_TEXT, 7500, 10000),
]


def upgrade():
    op.create_table(
        "licence_kinds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_kinds")),
        sa.UniqueConstraint("code", name=op.f("uq_licence_kinds_code")),
    )
    op.create_table(
        "licence_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("permits", sa.JSON(), nullable=False),
        sa.Column("full_text", sa.Text(), nullable=False),
        sa.Column("royalty_bps", sa.Integer(), nullable=False),
        sa.Column("surcharge_cents", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_licence_terms_version_positive")),
        sa.CheckConstraint(
            "royalty_bps BETWEEN 0 AND 10000", name=op.f("ck_licence_terms_royalty_bps_range")
        ),
        sa.CheckConstraint(
            "surcharge_cents >= 0", name=op.f("ck_licence_terms_surcharge_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_licence_terms_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["kind_id"], ["licence_kinds.id"], name=op.f("fk_licence_terms_kind_id_licence_kinds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_terms")),
        sa.UniqueConstraint("kind_id", "version", name="uq_licence_terms_kind_version"),
    )
    op.create_table(
        "licences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verification_code", sa.String(length=32), nullable=False),
        sa.Column("holder_user_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("terms_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=8), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("download_count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "status IN ('valid', 'refunded', 'disputed')", name=op.f("ck_licences_status_known")
        ),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_licences_price_not_negative")),
        sa.CheckConstraint(
            "download_count >= 0", name=op.f("ck_licences_download_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_licences_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["holder_user_id"], ["users.id"], name=op.f("fk_licences_holder_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["terms_id"], ["licence_terms.id"], name=op.f("fk_licences_terms_id_licence_terms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licences")),
        sa.UniqueConstraint("order_item_id", name=op.f("uq_licences_order_item_id")),
        sa.UniqueConstraint("verification_code", name=op.f("uq_licences_verification_code")),
    )
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licences_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(
            "ix_licences_holder_asset", ["holder_user_id", "asset_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_licences_order_id"), ["order_id"], unique=False)

    kinds = sa.table(
        "licence_kinds",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(
        kinds,
        [{"id": i, "code": code, "name": name, "position": pos} for i, code, name, pos in KINDS],
    )
    terms = sa.table(
        "licence_terms",
        sa.column("kind_id", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("summary", sa.Text),
        sa.column("permits", sa.JSON),
        sa.column("full_text", sa.Text),
        sa.column("royalty_bps", sa.Integer),
        sa.column("surcharge_cents", sa.BigInteger),
        sa.column("effective_from", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(
        terms,
        [
            {
                "kind_id": kind_id,
                "version": 1,
                "summary": summary,
                "permits": permits,
                "full_text": text,
                "royalty_bps": royalty_bps,
                "surcharge_cents": surcharge,
                "effective_from": now,
                "created_at": now,
            }
            for kind_id, summary, permits, text, royalty_bps, surcharge in TERMS
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        # The kinds were written with their ids; the sequence must start after them.
        op.execute("SELECT setval('licence_kinds_id_seq', (SELECT max(id) FROM licence_kinds))")


def downgrade():
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licences_order_id"))
        batch_op.drop_index("ix_licences_holder_asset")
        batch_op.drop_index(batch_op.f("ix_licences_asset_id"))

    op.drop_table("licences")
    op.drop_table("licence_terms")
    op.drop_table("licence_kinds")
