"""Invoices and credit notes (issue 20): ``invoices`` and ``invoice_lines``, and their counters

* ``invoices``: each paid order's invoice and each refund's credit note, as issued: number,
  series position (``sequence``, unique per kind), the seller's and buyer's details, totals.
* ``invoice_lines``: each licence on a document, net of tax, with its taxes (JSON).
* ``named_sequences`` rows ``invoice_number`` and ``credit_note_number`` at 0: each series'
  counter exists before the first document, so concurrent first issues lock the same row
  instead of racing to insert it.

Revision ID: 0037_invoices
Revises: 0036_members_tax_forms
"""

import sqlalchemy as sa
from alembic import op

revision = "0037_invoices"
down_revision = "0036_members_tax_forms"
branch_labels = None
depends_on = None

COUNTERS = ("invoice_number", "credit_note_number")


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("reverse_charge", sa.Boolean(), nullable=False),
        sa.Column("seller_name", sa.String(length=255), nullable=False),
        sa.Column("seller_address", sa.Text(), nullable=False),
        sa.Column("seller_tax_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("buyer_name", sa.String(length=255), nullable=False),
        sa.Column("buyer_email", sa.String(length=255), nullable=False),
        sa.Column("billing_country", sa.String(length=2), nullable=True),
        sa.Column("billing_region", sa.String(length=8), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=16), nullable=True),
        sa.Column("buyer_tax_id", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "kind IN ('invoice', 'credit_note')", name=op.f("ck_invoices_kind_known")
        ),
        sa.CheckConstraint(
            "total_cents = net_cents + tax_cents", name=op.f("ck_invoices_total_adds_up")
        ),
        sa.CheckConstraint(
            "(kind = 'invoice' AND total_cents >= 0 AND corrects_id IS NULL)"
            " OR (kind = 'credit_note' AND total_cents <= 0 AND corrects_id IS NOT NULL)",
            name=op.f("ck_invoices_sign_of_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_invoices_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_invoices_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["invoices.id"], name=op.f("fk_invoices_corrects_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_invoices_buyer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        sa.UniqueConstraint("source_key", name=op.f("uq_invoices_source_key")),
        sa.UniqueConstraint("kind", "sequence", name="uq_invoices_kind_sequence"),
    )
    op.create_index(op.f("ix_invoices_order_id"), "invoices", ["order_id"])
    op.create_index(op.f("ix_invoices_buyer_id"), "invoices", ["buyer_id"])
    op.create_index(op.f("ix_invoices_issued_at"), "invoices", ["issued_at"])
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("licence", sa.String(length=16), nullable=False),
        sa.Column("size", sa.String(length=8), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("rate_pcm", sa.Integer(), nullable=False),
        sa.Column("taxes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_invoice_lines_order_item_id_order_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_position"),
    )
    op.create_index(op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"])
    counters = sa.table("named_sequences", sa.column("name", sa.String), sa.column("value"))
    op.bulk_insert(counters, [{"name": name, "value": 0} for name in COUNTERS])


def downgrade() -> None:
    op.execute(
        sa.text(
            "DELETE FROM named_sequences WHERE name IN ('invoice_number', 'credit_note_number')"
        )
    )
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index(op.f("ix_invoices_issued_at"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_buyer_id"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_order_id"), table_name="invoices")
    op.drop_table("invoices")
