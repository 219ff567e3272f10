"""Colour as numbers for the colour filter, and the vocabulary for "did you mean"

Revision ID: 0005_colour_vocabulary
Revises: 0004_search
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0005_colour_vocabulary'
down_revision = '0004_search'
branch_labels = None
depends_on = None


def _rgb(colours):
    try:
        digits = (json.loads(colours) if isinstance(colours, str) else colours)[0].lstrip('#')
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    except (IndexError, TypeError, ValueError, AttributeError):
        return None


def upgrade():
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('colour_r', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('colour_g', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('colour_b', sa.Integer(), nullable=True))
    op.create_table(
        'search_terms',
        sa.Column('term', sa.String(length=60), nullable=False),
        sa.Column('documents', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms')),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, dominant_colours FROM assets")).all()
    for asset_id, colours in rows:
        rgb = _rgb(colours)
        if rgb:
            connection.execute(
                sa.text("UPDATE assets SET colour_r = :r, colour_g = :g, colour_b = :b WHERE id = :id"),
                {"r": rgb[0], "g": rgb[1], "b": rgb[2], "id": asset_id},
            )
    if connection.dialect.name == 'postgresql':
        # pg_trgm is a trusted extension: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_search_terms_term_trgm ON search_terms USING gin (term gin_trgm_ops)"
        )


def downgrade():
    op.drop_table('search_terms')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('colour_b')
        batch_op.drop_column('colour_g')
        batch_op.drop_column('colour_r')
