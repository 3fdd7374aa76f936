"""Meeting types: what guests can book, with whom, and how long."""
from __future__ import annotations

import logging

from ..exceptions import SlugTaken
from ..extensions import db
from ..models import MeetingType, User

logger = logging.getLogger(__name__)

FIELDS = (
    "name", "slug", "host_id", "duration_minutes", "kind", "capacity", "location",
    "buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes", "window_days",
    "step_minutes", "description", "active",
    "reminder_offsets", "remind_host", "bookings_per_day", "bookings_per_week",
)
ZOOM_OPTION_FIELDS = (
    "zoom_waiting_room", "zoom_passcode", "zoom_join_before_minutes", "zoom_mute_on_entry",
    "zoom_auto_recording", "zoom_alternative_hosts",
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
        raise SlugTaken("Another meeting type already uses this slug.")
    for name in FIELDS:
        setattr(meeting_type, name, values[name])
    db.session.add(meeting_type)
    db.session.commit()
    logger.info("Meeting type %s saved", meeting_type.slug)
    return meeting_type


def set_active(meeting_type: MeetingType, active: bool) -> None:
    meeting_type.active = active
    db.session.commit()
