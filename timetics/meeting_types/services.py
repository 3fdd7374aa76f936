"""Meeting types: what guests can book, with whom, and how long."""
from __future__ import annotations

import logging

from flask_babel import gettext as _

from ..exceptions import SlugTaken, TooManyQuestions
from ..extensions import db
from ..models import BookingQuestion, MeetingType, User

logger = logging.getLogger(__name__)

FIELDS = (
    "name", "slug", "host_id", "duration_minutes", "kind", "capacity", "location",
    "buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes", "window_days",
    "step_minutes", "description", "active",
    "reminder_offsets", "remind_host", "bookings_per_day", "bookings_per_week",
    "extra_guests_allowed", "requires_approval",
)
ZOOM_OPTION_FIELDS = (
    "zoom_waiting_room", "zoom_passcode", "zoom_join_before_minutes", "zoom_mute_on_entry",
    "zoom_auto_recording", "zoom_alternative_hosts", "zoom_guest_join",
)
FIELDS = (*FIELDS, *ZOOM_OPTION_FIELDS)


def possible_hosts() -> list[User]:
    return list(db.session.scalars(
        db.select(User).where(User.active.is_(True)).order_by(User.name)
    ))


def save_meeting_type(meeting_type: MeetingType, values: dict) -> MeetingType:
    """Create or update from form values; raises SlugTaken if another type has the slug."""
    clash = db.session.scalar(
        db.select(MeetingType.id).where(MeetingType.slug == values["slug"])
    )
    if clash is not None and clash != meeting_type.id:
        raise SlugTaken(_("Another meeting type already uses this slug."))
    for name in FIELDS:
        setattr(meeting_type, name, values[name])
    db.session.add(meeting_type)
    db.session.commit()
    logger.info("Meeting type %s saved", meeting_type.slug)
    return meeting_type


def set_active(meeting_type: MeetingType, active: bool) -> None:
    meeting_type.active = active
    db.session.commit()


# --- booking questions ---------------------------------------------------------------------

QUESTION_FIELDS = ("label", "kind", "options", "required")
QUESTIONS_MAX = 20


def add_question(meeting_type: MeetingType, values: dict) -> BookingQuestion:
    """A new question at the end of the type's list; TooManyQuestions past QUESTIONS_MAX."""
    if len(meeting_type.questions) >= QUESTIONS_MAX:
        raise TooManyQuestions(_("A meeting type asks at most %(num)s questions.",
                                 num=QUESTIONS_MAX))
    position = max((q.position for q in meeting_type.questions), default=-1) + 1
    question = BookingQuestion(position=position, **{k: values[k] for k in QUESTION_FIELDS})
    meeting_type.questions.append(question)
    db.session.commit()
    logger.info("Meeting type %s: question %s added", meeting_type.slug, question.id)
    return question


def update_question(question: BookingQuestion, values: dict) -> None:
    """New wording or options apply to new bookings; answers given keep their own label."""
    for name in QUESTION_FIELDS:
        setattr(question, name, values[name])
    db.session.commit()


def remove_question(question: BookingQuestion) -> None:
    """The question leaves the form; its answers stay with their attendees (SET NULL)."""
    meeting_type = question.meeting_type
    meeting_type.questions.remove(question)
    db.session.commit()
    logger.info("Meeting type %s: question %s removed", meeting_type.slug, question.id)


def move_question(question: BookingQuestion, up: bool) -> None:
    """Swap the question with the one before (``up``) or after it; at an end, nothing."""
    questions = question.meeting_type.questions
    index = questions.index(question)
    other = index - 1 if up else index + 1
    if 0 <= other < len(questions):
        neighbour = questions[other]
        question.position, neighbour.position = neighbour.position, question.position
        db.session.commit()
