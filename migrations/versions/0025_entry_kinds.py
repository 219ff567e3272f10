"""Ledger: the entry kinds the books know, one registry held by a CHECK constraint

Revision ID: 0025_entry_kinds
Revises: 0024_demo_credits
"""

revision = "0025_entry_kinds"
down_revision = "0024_demo_credits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain; the change it names lands with its feature."""


def downgrade() -> None:
    """Nothing to undo until the change lands."""
