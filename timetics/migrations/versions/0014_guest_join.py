"""How guests of a one-to-many Zoom meeting type join: one shared link, a Zoom meeting with
registration, or a Zoom webinar

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Existing meeting types keep one shared meeting link, what they had before. A booking keeps
the way its meeting was made; an attendee, their Zoom registrant id and own join link.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_guest_join', sa.String(length=12), nullable=False,
                                      server_default='shared'))
        batch_op.create_check_constraint(
            'zoom_guest_join_choice', "zoom_guest_join IN ('shared', 'registration', 'webinar')")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_guest_join', sa.String(length=12), nullable=True))
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_registrant_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('zoom_join_url', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_column('zoom_join_url')
        batch_op.drop_column('zoom_registrant_id')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('zoom_guest_join')
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.drop_constraint('zoom_guest_join_choice', type_='check')
        batch_op.drop_column('zoom_guest_join')
