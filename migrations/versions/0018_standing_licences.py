"""One standing licence per buyer, asset, licence and size (placeholder, filled by its issue)

Revision ID: 0018_standing_licences
Revises: 0017_search_facets
"""

revision = "0018_standing_licences"
down_revision = "0017_search_facets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    return None


def downgrade() -> None:
    return None
