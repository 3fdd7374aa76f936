"""Zoom options per meeting type, and what Zoom applied to each booking's meeting

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03

Meetings made through the API do not follow the host's web-portal scheduler settings, and Zoom
overrides a meeting left with neither passcode nor waiting room: so each meeting type says what
it wants, and each booking keeps what Zoom's answer says it got. Existing types keep what their
meetings had so far: a passcode, no waiting room, guests wait for the host.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'  # the merger re-points this after 0005 (reminders)
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_waiting_room', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('zoom_passcode', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('zoom_join_before_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('zoom_mute_on_entry', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('zoom_auto_recording', sa.String(length=5), nullable=False,
                                      server_default='none'))
        batch_op.add_column(sa.Column('zoom_alternative_hosts', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.create_check_constraint(
            'zoom_join_before_choice', 'zoom_join_before_minutes IN (0, 5, 10, 15)')
        batch_op.create_check_constraint(
            'zoom_auto_recording_choice', "zoom_auto_recording IN ('none', 'local', 'cloud')")
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_waiting_room', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('zoom_join_before_host', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('zoom_jbh_time', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('zoom_jbh_time')
        batch_op.drop_column('zoom_join_before_host')
        batch_op.drop_column('zoom_waiting_room')
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.drop_constraint('zoom_auto_recording_choice', type_='check')
        batch_op.drop_constraint('zoom_join_before_choice', type_='check')
        batch_op.drop_column('zoom_alternative_hosts')
        batch_op.drop_column('zoom_auto_recording')
        batch_op.drop_column('zoom_mute_on_entry')
        batch_op.drop_column('zoom_join_before_minutes')
        batch_op.drop_column('zoom_passcode')
        batch_op.drop_column('zoom_waiting_room')
