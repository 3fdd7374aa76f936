"""Staff members: invitations, profiles and working hours."""
from __future__ import annotations

import logging
from datetime import date

from flask_babel import gettext as _

from ..auth.services import AccountError, create_user, find_user_by_email, issue_password_link
from ..extensions import db
from ..i18n import in_language, language_of
from ..mail import UndeliverableAddress, refuse_undeliverable, send_email
from ..models import AvailabilityRule, DateOverride, Role, TokenPurpose, User
from ..validation import normalize_email
from .availability import parse_intervals

logger = logging.getLogger(__name__)


def invite_staff_member(*, name: str, email: str, timezone: str,
                        language: str | None = None) -> tuple[User, bool]:
    """Add a staff member and email them a set-password link in their ``language``; (user,
    whether the email went)."""
    user = create_user(email=email, name=name, role=Role.STAFF, timezone=timezone,
                       language=language)
    link = issue_password_link(user, TokenPurpose.INVITATION)
    db.session.commit()
    return user, send_invitation_email(user, link)


def resend_invitation(user: User) -> bool:
    link = issue_password_link(user, TokenPurpose.INVITATION)
    db.session.commit()
    return send_invitation_email(user, link)


def send_invitation_email(user: User, link: str) -> bool:
    language = language_of(user)
    return send_email(user.email, in_language(language, "You are invited to Timetics"),
                      "email/invitation", user=user, link=link, language=language)


def update_profile(user: User, *, name: str, email: str, timezone: str,
                   language: str | None = None) -> None:
    email = normalize_email(email)
    try:
        refuse_undeliverable(email)
    except UndeliverableAddress as e:
        raise AccountError(str(e)) from None
    other = find_user_by_email(email)
    if other is not None and other.id != user.id:
        raise AccountError(_("Another user already has this email address."))
    user.name, user.email, user.timezone = name.strip(), email, timezone
    if language is not None:
        user.language = language
    db.session.commit()
    logger.info("Profile of user %s updated", user.id)


def weekly_hours_text(user: User) -> dict[int, str]:
    """Each weekday's rules as the form shows them."""
    from .availability import format_intervals

    by_day: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    for rule in user.availability_rules:
        by_day[rule.weekday].append((rule.start_minute, rule.end_minute))
    return {day: format_intervals(intervals) for day, intervals in by_day.items()}


def replace_weekly_hours(user: User, texts: dict[int, str]) -> None:
    """Replace all weekly rules of ``user`` with the parsed texts (weekday -> '09:00-17:00')."""
    user.availability_rules.clear()
    for weekday, text in texts.items():
        for start, end in parse_intervals(text):
            user.availability_rules.append(
                AvailabilityRule(weekday=weekday, start_minute=start, end_minute=end)
            )
    db.session.commit()
    logger.info("Weekly hours of user %s replaced", user.id)


def set_date_override(user: User, day: date, hours: str) -> None:
    """Replace the override of ``day``: other hours, or (empty ``hours``) the day off."""
    intervals = parse_intervals(hours)
    for override in [o for o in user.date_overrides if o.day == day]:
        user.date_overrides.remove(override)
    if not intervals:
        user.date_overrides.append(DateOverride(day=day))
    for start, end in intervals:
        user.date_overrides.append(DateOverride(day=day, start_minute=start, end_minute=end))
    db.session.commit()
    logger.info("Override for %s set for user %s", day, user.id)


def remove_date_override(user: User, day: date) -> None:
    for override in [o for o in user.date_overrides if o.day == day]:
        user.date_overrides.remove(override)
    db.session.commit()
