"""Meeting types that require the host's approval, and where each booking stands with it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Existing types need no approval and existing bookings are 'none' (confirmed at once), so
nothing changes for them. A request keeps the status 'confirmed' (it holds its slot) and is told
apart by ``approval`` = 'requested' until ``approval_due_at``.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_approval', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'approval', sa.Enum('none', 'requested', 'accepted', 'declined', name='approval',
                                native_enum=False, create_constraint=True, length=20),
            nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('approval_due_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('approval_due_at')
        batch_op.drop_column('approval')
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.drop_column('requires_approval')
