"""In step with Zoom: a meeting the host deleted in Zoom, and a time the host moved it to there

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Zoom's ``meeting.deleted`` and ``meeting.updated`` events tell us when the host changed a
meeting Timetics made. The booking's Zoom state gains "deleted_in_zoom"; Zoom's own start time
is kept beside the booking's (never over it: a guest's booked time changes only in Timetics),
with the time Zoom last told us about the meeting, so that an older event changes nothing.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_STATES = ('none', 'pending', 'created', 'failed', 'delete_pending', 'deleted')
NEW_STATES = (*OLD_STATES, 'deleted_in_zoom')


def _states_check(states):
    return "zoom_state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_start_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('zoom_synced_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint('zoomstate', type_='check')
        batch_op.create_check_constraint('zoomstate', _states_check(NEW_STATES))


def downgrade():
    op.execute("UPDATE bookings SET zoom_state = 'none' WHERE zoom_state = 'deleted_in_zoom'")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint('zoomstate', type_='check')
        batch_op.create_check_constraint('zoomstate', _states_check(OLD_STATES))
        batch_op.drop_column('zoom_synced_at')
        batch_op.drop_column('zoom_start_at')
