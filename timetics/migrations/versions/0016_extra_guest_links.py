"""Extra guests as Zoom registrants: each has a join link of their own where the booking
gives each guest one

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

An extra guest's Zoom registrant id and own join link, as an attendee has (0014). Existing
extra guests have none: they keep being told of the booking as before.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('extra_guests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_registrant_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('zoom_join_url', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('extra_guests', schema=None) as batch_op:
        batch_op.drop_column('zoom_join_url')
        batch_op.drop_column('zoom_registrant_id')
