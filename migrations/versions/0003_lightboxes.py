"""lightboxes and their items

Revision ID: 0003_lightboxes
Revises: 0002_assets
Create Date: 2026-11-27 09:12:40.118305

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_lightboxes'
down_revision = '0002_assets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lightboxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('share_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_lightboxes_name_not_blank')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lightboxes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lightboxes')),
    sa.UniqueConstraint('share_token', name=op.f('uq_lightboxes_share_token'))
    )
    with op.batch_alter_table('lightboxes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lightboxes_user_id'), ['user_id'], unique=False)

    op.create_table('lightbox_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lightbox_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_lightbox_items_position_not_negative')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_lightbox_items_asset_id_assets')),
    sa.ForeignKeyConstraint(['lightbox_id'], ['lightboxes.id'], name=op.f('fk_lightbox_items_lightbox_id_lightboxes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lightbox_items')),
    sa.UniqueConstraint('lightbox_id', 'asset_id', name='uq_lightbox_items_lightbox_asset')
    )
    with op.batch_alter_table('lightbox_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lightbox_items_asset_id'), ['asset_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lightbox_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lightbox_items_asset_id'))

    op.drop_table('lightbox_items')
    with op.batch_alter_table('lightboxes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lightboxes_user_id'))

    op.drop_table('lightboxes')
