"""Booking limits, booking questions and extra guests per meeting type; answers and extra
guests per attendee, and when an attendee's personal data was erased

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Bookings per day and per week (in the host's zone) a meeting type takes; NULL is no limit, so
existing types are unchanged. Answers keep the question's label, and lose only the link to a
question that is removed (SET NULL), so removing a question keeps what guests answered.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bookings_per_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('bookings_per_week', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('extra_guests_allowed', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.create_check_constraint(
            'positive_booking_limits', 'bookings_per_day >= 1 AND bookings_per_week >= 1')
        batch_op.create_check_constraint(
            'extra_guests_range', 'extra_guests_allowed BETWEEN 0 AND 20')
    op.create_table(
        'extra_guests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendees.id'],
                                name=op.f('fk_extra_guests_attendee_id_attendees'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_extra_guests')),
    )
    op.create_index(op.f('ix_extra_guests_attendee_id'), 'extra_guests', ['attendee_id'])
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
    op.create_table(
        'booking_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_type_id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.Enum('short_text', 'long_text', 'choice', 'checkbox',
                                  name='questionkind', native_enum=False,
                                  create_constraint=True, length=20), nullable=False),
        sa.Column('options', sa.Text(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_type_id'], ['meeting_types.id'],
                                name=op.f('fk_booking_questions_meeting_type_id_meeting_types'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_questions')),
    )
    op.create_index(op.f('ix_booking_questions_meeting_type_id'), 'booking_questions',
                    ['meeting_type_id'])
    op.create_table(
        'answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendees.id'],
                                name=op.f('fk_answers_attendee_id_attendees'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['booking_questions.id'],
                                name=op.f('fk_answers_question_id_booking_questions'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    )
    op.create_index(op.f('ix_answers_attendee_id'), 'answers', ['attendee_id'])
    op.create_index(op.f('ix_answers_question_id'), 'answers', ['question_id'])


def downgrade():
    with op.batch_alter_table('attendees', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
    op.drop_table('answers')
    op.drop_table('booking_questions')
    op.drop_table('extra_guests')
    with op.batch_alter_table('meeting_types', schema=None) as batch_op:
        batch_op.drop_constraint('extra_guests_range', type_='check')
        batch_op.drop_constraint('positive_booking_limits', type_='check')
        batch_op.drop_column('extra_guests_allowed')
        batch_op.drop_column('bookings_per_week')
        batch_op.drop_column('bookings_per_day')
