"""Assets: the author and licence of a work the co-op shows by permission (demo photographs)

Revision ID: 0024_demo_credits
Revises: 0023_asset_drafts
"""

revision = "0024_demo_credits"
down_revision = "0023_asset_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain; the change it names lands with its feature."""


def downgrade() -> None:
    """Nothing to undo until the change lands."""
