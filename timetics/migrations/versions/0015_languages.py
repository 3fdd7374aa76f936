"""Languages: the guest's language on each attendee, each staff member's on their user

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Both nullable: rows from before read English (timetics/i18n.py, language_of).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendees') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('attendees') as batch_op:
        batch_op.drop_column('language')
