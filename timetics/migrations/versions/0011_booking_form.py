"""Booking limits per meeting type

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-03

Bookings per day and per week (in the host's zone) a meeting type takes; NULL is no limit, so
existing types are unchanged.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bookings_per_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('bookings_per_week', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'positive_booking_limits', 'bookings_per_day >= 1 AND bookings_per_week >= 1')


def downgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.drop_constraint('positive_booking_limits', type_='check')
        batch_op.drop_column('bookings_per_week')
        batch_op.drop_column('bookings_per_day')
