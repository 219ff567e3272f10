"""One standing licence per buyer, asset, licence kind and size; orders remember their request

* ``licences.kind_id``: the kind of the licence's terms, copied into the row (filled here from
  ``licence_terms``), so that an index can name it: terms are versioned, and two licences of
  one kind may carry different versions.
* ``uq_licences_standing``: a partial unique index on (holder, asset, kind, size) over the
  licences that stand, ``valid`` or ``disputed`` (a won dispute makes a disputed licence valid
  again). Refunded ones are history and may repeat. SQLite and PostgreSQL both have partial
  indexes. Paying twice for one licence was possible before this revision: an upgrade that
  finds such duplicates stops and names them, for an admin to refund all but one first
  (``POST /api/v1/admin/orders/{id}/refund``); the migration never moves money itself.
* ``orders.request_key`` (the client's ``Idempotency-Key``, unique per buyer) and
  ``orders.from_cart``: checking out or ordering again answers with the order already made.

Revision ID: 0018_standing_licences
Revises: 0017_search_facets
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_standing_licences"
down_revision = "0017_search_facets"
branch_labels = None
depends_on = None

STANDING = "status IN ('valid', 'disputed')"


def _refuse_duplicates() -> None:
    duplicates = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT l.holder_user_id, l.asset_id, t.kind_id, l.size, count(*) "
                "FROM licences l JOIN licence_terms t ON t.id = l.terms_id "
                "WHERE l.status IN ('valid', 'disputed') "
                "GROUP BY l.holder_user_id, l.asset_id, t.kind_id, l.size HAVING count(*) > 1"
            )
        )
        .all()
    )
    if duplicates:
        listed = "; ".join(
            f"user {user}, asset {asset}, kind {kind}, size {size}: {count} licences"
            for user, asset, kind, size, count in duplicates[:20]
        )
        raise RuntimeError(
            "Some buyers hold the same licence more than once (paid twice before this "
            f"revision): {listed}. Refund all but one of each, then upgrade again."
        )


def upgrade():
    _refuse_duplicates()
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE licences SET kind_id = "
        "(SELECT kind_id FROM licence_terms WHERE licence_terms.id = licences.terms_id)"
    )
    # SQLite rebuilds the table for the NOT NULL and the foreign key; PostgreSQL alters it.
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.alter_column("kind_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_licences_kind_id_licence_kinds"), "licence_kinds", ["kind_id"], ["id"]
        )
        batch_op.create_index(
            "uq_licences_standing",
            ["holder_user_id", "asset_id", "kind_id", "size"],
            unique=True,
            sqlite_where=sa.text(STANDING),
            postgresql_where=sa.text(STANDING),
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("from_cart", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        # NULL keys (most orders) never collide, on SQLite as on PostgreSQL.
        batch_op.create_index(
            "uq_orders_buyer_request_key", ["buyer_id", "request_key"], unique=True
        )


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("uq_orders_buyer_request_key")
        batch_op.drop_column("from_cart")
        batch_op.drop_column("request_key")
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_index("uq_licences_standing")
        batch_op.drop_constraint(
            batch_op.f("fk_licences_kind_id_licence_kinds"), type_="foreignkey"
        )
        batch_op.drop_column("kind_id")
