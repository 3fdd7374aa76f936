"""Site settings an admin edits in the app: the origins allowed to embed the booking pages

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

One row; a NULL column means "as configured" (EMBED_ALLOWED_ORIGINS).
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('embed_allowed_origins', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_settings')),
    )


def downgrade():
    op.drop_table('site_settings')
