"""Catalogue: related works (similar images, more from the artist) prepared by a worker, not per view

Revision ID: 0026_related_works
Revises: 0025_entry_kinds
"""

revision = "0026_related_works"
down_revision = "0025_entry_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Reserved in the chain; the change it names lands with its feature."""


def downgrade() -> None:
    """Nothing to undo until the change lands."""
