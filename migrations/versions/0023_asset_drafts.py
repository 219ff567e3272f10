"""Assets: drafts the artist describes before sending them to the curators, and views counted per work

Revision ID: 0023_asset_drafts
Revises: 0022_rendition_progress
"""

revision = "0023_asset_drafts"
down_revision = "0022_rendition_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain; the change it names lands with its feature."""


def downgrade() -> None:
    """Nothing to undo until the change lands."""
