"""assets, releases, duplicate flags; sample renderings

Revision ID: 0002_assets
Revises: 0001_foundation
Create Date: 2026-11-26 11:33:23.762727

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_assets'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('has_people', sa.Boolean(), nullable=False),
    sa.Column('has_property', sa.Boolean(), nullable=False),
    sa.Column('original_key', sa.String(length=255), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('original_mime', sa.String(length=64), nullable=False),
    sa.Column('original_size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('original_sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('frame_rate', sa.String(length=16), nullable=True),
    sa.Column('codec', sa.String(length=32), nullable=True),
    sa.Column('camera', sa.String(length=120), nullable=True),
    sa.Column('lens', sa.String(length=120), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('colour_profile', sa.String(length=120), nullable=True),
    sa.Column('dominant_colours', sa.JSON(), nullable=False),
    sa.Column('phash', sa.String(length=16), nullable=True),
    sa.Column('suggested', sa.JSON(), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=255), nullable=True),
    sa.Column('preview_key', sa.String(length=255), nullable=True),
    sa.Column('poster_key', sa.String(length=255), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=False, server_default=''),
    sa.Column('rejection_reason', sa.Text(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('photo', 'video')", name=op.f('ck_assets_kind_known')),
    sa.CheckConstraint("status IN ('processing', 'pending_review', 'published', 'rejected', 'failed')", name=op.f('ck_assets_status_known')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_assets_member_id_members')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_assets_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('member_id', 'original_sha256', name='uq_assets_member_original'),
    sa.UniqueConstraint('original_key', name=op.f('uq_assets_original_key'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_original_sha256'), ['original_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_phash'), ['phash'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_status'), ['status'], unique=False)

    op.create_table('asset_duplicate_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('similar_asset_id', sa.Integer(), nullable=False),
    sa.Column('distance', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_duplicate_flags_asset_id_assets')),
    sa.ForeignKeyConstraint(['similar_asset_id'], ['assets.id'], name=op.f('fk_asset_duplicate_flags_similar_asset_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_duplicate_flags'))
    )
    with op.batch_alter_table('asset_duplicate_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_duplicate_flags_asset_id'), ['asset_id'], unique=False)

    op.create_table('asset_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('model', 'property')", name=op.f('ck_asset_releases_kind_known')),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_asset_releases_asset_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_releases')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_asset_releases_storage_key'))
    )
    with op.batch_alter_table('asset_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_releases_asset_id'), ['asset_id'], unique=False)

    with op.batch_alter_table('application_samples', schema=None) as batch_op:
        batch_op.add_column(sa.Column('processing_status', sa.String(length=16), nullable=False, server_default='processing'))
        batch_op.add_column(sa.Column('failure_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('height', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('thumbnail_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('preview_key', sa.String(length=255), nullable=True))



def downgrade():
    with op.batch_alter_table('application_samples', schema=None) as batch_op:
        batch_op.drop_column('preview_key')
        batch_op.drop_column('thumbnail_key')
        batch_op.drop_column('height')
        batch_op.drop_column('width')
        batch_op.drop_column('failure_reason')
        batch_op.drop_column('processing_status')

    with op.batch_alter_table('asset_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_releases_asset_id'))

    op.drop_table('asset_releases')
    with op.batch_alter_table('asset_duplicate_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_duplicate_flags_asset_id'))

    op.drop_table('asset_duplicate_flags')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_status'))
        batch_op.drop_index(batch_op.f('ix_assets_phash'))
        batch_op.drop_index(batch_op.f('ix_assets_original_sha256'))
        batch_op.drop_index(batch_op.f('ix_assets_member_id'))

    op.drop_table('assets')
