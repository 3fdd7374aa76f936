"""Calendars: a staff member's CalDAV accounts and calendar feeds, and their busy times

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Busy times are what the last good sync of each calendar found; the slot query reads them by
(host, start), so they are stored with the host's id and in pieces of at most a day.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('caldav', 'feed', name='calendarsource', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('url_encrypted', sa.Text(), nullable=False),
    sa.Column('username', sa.String(length=254), nullable=False),
    sa.Column('password_encrypted', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_accounts'))
    )
    with op.batch_alter_table('calendar_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_accounts_user_id'), ['user_id'], unique=False)

    op.create_table('calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('check_conflicts', sa.Boolean(), nullable=False),
    sa.Column('add_bookings', sa.Boolean(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(), nullable=True),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failure_told_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['calendar_accounts.id'], name=op.f('fk_calendars_account_id_calendar_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendars_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendars'))
    )
    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendars_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendars_user_id'), ['user_id'], unique=False)

    op.create_table('busy_times',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('start_at < end_at', name=op.f('ck_busy_times_ordered_times')),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_busy_times_calendar_id_calendars'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_busy_times_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_busy_times'))
    )
    with op.batch_alter_table('busy_times', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_busy_times_calendar_id'), ['calendar_id'], unique=False)
        batch_op.create_index('ix_busy_times_user_id_start_at', ['user_id', 'start_at'], unique=False)



def downgrade():
    with op.batch_alter_table('busy_times', schema=None) as batch_op:
        batch_op.drop_index('ix_busy_times_user_id_start_at')
        batch_op.drop_index(batch_op.f('ix_busy_times_calendar_id'))

    op.drop_table('busy_times')
    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendars_user_id'))
        batch_op.drop_index(batch_op.f('ix_calendars_account_id'))

    op.drop_table('calendars')
    with op.batch_alter_table('calendar_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_accounts_user_id'))

    op.drop_table('calendar_accounts')
