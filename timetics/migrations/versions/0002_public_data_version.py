"""Public data version (SQLite): a counter that triggers raise at every change of what the
public booking pages show

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

The answer cache (timetics/answer_cache.py) reuses a booking page while this counter stands
still. Triggers count every writer alike (the app, `flask` commands, the sqlite3 shell), and only
changes that matter to guests: storing a booking's Zoom link does not count, so a booking costs
the cached pages one recomputation rather than two. PostgreSQL needs none of this (the cache
compares snapshots there).

A later migration that rebuilds one of these tables in SQLite batch mode drops its triggers:
create them again there (tests/integration/test_answer_cache.py checks that they exist).
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# table -> the columns whose updates change public answers (None: any column)
WATCHED = {
    'users': None,
    'meeting_types': None,
    'availability_rules': None,
    'date_overrides': None,
    'bookings': ('meeting_type_id', 'host_id', 'start_at', 'end_at', 'capacity', 'status'),
    'attendees': ('booking_id', 'status'),
}
# A new user changes no public page; everything else counts on insert and delete too.
NOT_ON_INSERT = {'users'}


def _triggers():
    for table, columns in WATCHED.items():
        events = [('update', 'UPDATE' + (f" OF {', '.join(columns)}" if columns else '')),
                  ('delete', 'DELETE')]
        if table not in NOT_ON_INSERT:
            events.append(('insert', 'INSERT'))
        for name, event in events:
            yield f'public_data_version_{table}_{name}', table, event


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute('CREATE TABLE public_data_version (version INTEGER NOT NULL)')
    op.execute('INSERT INTO public_data_version (version) VALUES (0)')
    for trigger, table, event in _triggers():
        op.execute(f'CREATE TRIGGER {trigger} AFTER {event} ON {table} '
                   'BEGIN UPDATE public_data_version SET version = version + 1; END')


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    for trigger, _table, _event in _triggers():
        op.execute(f'DROP TRIGGER {trigger}')
    op.execute('DROP TABLE public_data_version')
