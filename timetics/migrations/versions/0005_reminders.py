"""Reminders: each meeting type says how long before the start its guests (and host) are reminded

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Existing meeting types get the default, 24 hours and 1 hour before, and no host reminder.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_offsets', sa.String(length=200), nullable=False,
                                      server_default='24h, 1h'))
        batch_op.add_column(sa.Column('remind_host', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.drop_column('remind_host')
        batch_op.drop_column('reminder_offsets')
