"""The host's Zoom plan, the tokens' age for the keep-alive, and each meeting's dial-in numbers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

A Basic host's meetings end after 40 minutes, so the plan is kept to warn about it; feature
flags (Get user settings) for features that need a plan; when Zoom last issued the tokens, so
that the job runner refreshes an idle connection before its refresh token lapses; and the
dial-in numbers of each booking's meeting, for the emails.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('zoom_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tokens_issued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('zoom_user_type', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('zoom_features', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('zoom_plan_problem', sa.Text(), nullable=True))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zoom_dial_in', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('zoom_dial_in')
    with op.batch_alter_table('zoom_connections', schema=None) as batch_op:
        batch_op.drop_column('zoom_plan_problem')
        batch_op.drop_column('zoom_features')
        batch_op.drop_column('zoom_user_type')
        batch_op.drop_column('tokens_issued_at')
