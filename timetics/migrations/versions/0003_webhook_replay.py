"""Processed webhooks: the signatures of Zoom events we acted on, so a replay does nothing

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

A signed event stays acceptable for 5 minutes after its timestamp; its row says until when
(expires_at), and the webhook deletes the rows past it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('processed_webhooks',
    sa.Column('signature', sa.String(length=80), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('signature', name=op.f('pk_processed_webhooks'))
    )
    with op.batch_alter_table('processed_webhooks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_webhooks_expires_at'), ['expires_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('processed_webhooks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_webhooks_expires_at'))
    op.drop_table('processed_webhooks')
