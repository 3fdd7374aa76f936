"""A staff member's calendars: adding a CalDAV account or a feed, choosing what each calendar
does, syncing now, removing. Each function flushes its change and the jobs it needs; the view
commits."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from ..exceptions import CalendarError
from ..extensions import db
from ..models import Calendar, CalendarAccount, CalendarSource, User
from ..safe_urls import check_url
from ..security import encrypt_secret
from . import failures, remote
from .sync import account_login, forget_busy, plan_sync, synced_from

logger = logging.getLogger(__name__)


def accounts_of(user: User) -> list[CalendarAccount]:
    return list(db.session.scalars(select(CalendarAccount).where(
        CalendarAccount.user_id == user.id).order_by(CalendarAccount.id)))


def account_of(user: User, account_id: int) -> CalendarAccount | None:
    """The user's own account, or None (another user's is as good as missing)."""
    account = db.session.get(CalendarAccount, account_id)
    return account if account is not None and account.user_id == user.id else None


def add_caldav_account(user: User, *, url: str, username: str,
                       password: str) -> CalendarAccount:
    """Find the account's calendars (CalendarError if that fails: nothing is stored) and keep
    them, none checking for conflicts until the user ticks one."""
    url = url.strip()
    check_url(url)
    found = remote.discover(remote.Login(url, username, password))
    if not found:
        raise CalendarError(failures.NO_CALENDARS)
    account = CalendarAccount(user=user, source=CalendarSource.CALDAV, label=url[:300],
                              url_encrypted=encrypt_secret(url), username=username,
                              password_encrypted=encrypt_secret(password))
    for calendar in found:
        account.calendars.append(Calendar(user_id=user.id, url=calendar.url, name=calendar.name,
                                          check_conflicts=False))
    db.session.add(account)
    db.session.flush()
    logger.info("User %s added CalDAV account %s with %d calendars", user.id, account.id,
                len(found))
    return account


def add_feed(user: User, *, url: str) -> CalendarAccount:
    """A feed is one calendar that checks for conflicts; read at once and its busy times
    stored (CalendarError if it cannot be read: nothing is stored). Its address is a secret:
    only its host is shown."""
    url = url.strip()
    check_url(url)
    objects = remote.feed_events(url)
    host = urlsplit(url).hostname or "feed"
    account = CalendarAccount(user=user, source=CalendarSource.FEED, label=host,
                              url_encrypted=encrypt_secret(url))
    account.calendars.append(Calendar(user_id=user.id, url="", name=f"Feed from {host}",
                                      check_conflicts=True))
    db.session.add(account)
    db.session.flush()
    synced_from(account.calendars[0], objects)  # read once, not again by a job
    logger.info("User %s added calendar feed %s", user.id, account.id)
    return account


def calendars_of(user: User) -> list[Calendar]:
    return [c for account in accounts_of(user) for c in account.calendars]


def save_choices(user: User, *, checked: set[int], bookings_to: int | None) -> None:
    """Which of the user's calendars check for conflicts, and the one new bookings are
    written to (a CalDAV calendar; None for none)."""
    for calendar in calendars_of(user):
        was = calendar.check_conflicts
        calendar.check_conflicts = calendar.id in checked
        if calendar.check_conflicts and not was:
            plan_sync(calendar)
        elif was and not calendar.check_conflicts:
            forget_busy(calendar)
        calendar.add_bookings = (calendar.id == bookings_to
                                 and calendar.account.source == CalendarSource.CALDAV)
    db.session.flush()


GONE = failures.GONE


@dataclass(frozen=True)
class Rediscovered:
    new: list[Calendar]
    gone: list[Calendar]
    error: str | None = None  # why the server could not be asked


def sync_now(account: CalendarAccount) -> Rediscovered:
    """Look again for the account's calendars (``rediscover``), then sync each checked one."""
    found = rediscover(account)
    for calendar in account.calendars:
        if calendar.check_conflicts:
            plan_sync(calendar)
    return found


def rediscover(account: CalendarAccount) -> Rediscovered:
    """A CalDAV account's calendars as the server has them now: those created there since
    are added (not checked, like at first), those deleted there are marked gone (unticked,
    their busy times forgotten, not written to); one that comes back is no longer gone. A
    server that cannot be asked changes nothing (the syncs will say why). Flushes."""
    if account.source != CalendarSource.CALDAV:
        return Rediscovered([], [])
    try:
        found = {c.url: c for c in remote.discover(account_login(account))}
    except CalendarError as e:
        return Rediscovered([], [], e.message)
    known = {calendar.url: calendar for calendar in account.calendars}
    new = [Calendar(user_id=account.user_id, url=url, name=c.name, check_conflicts=False)
           for url, c in found.items() if url not in known]
    account.calendars.extend(new)
    gone = []
    for url, calendar in known.items():
        if url not in found and calendar.last_error != GONE:
            _mark_gone(calendar)
            gone.append(calendar)
        elif url in found and calendar.last_error == GONE:
            calendar.last_error = None
    db.session.flush()
    return Rediscovered(new, gone)


def _mark_gone(calendar: Calendar) -> None:
    forget_busy(calendar)
    calendar.check_conflicts = calendar.add_bookings = False
    calendar.last_error, calendar.last_success_at = GONE, None
    logger.info("Calendar %s is gone from its server", calendar.id)


def remove_account(account: CalendarAccount) -> None:
    """The account, its calendars, their busy times and its password go. Events written
    into its calendars stay there."""
    db.session.delete(account)
    db.session.flush()
    logger.info("Calendar account %s removed", account.id)


def booking_calendar(user_id: int) -> Calendar | None:
    """The calendar the user's new bookings are written to, if any."""
    return db.session.scalar(select(Calendar).where(Calendar.user_id == user_id,
                                                    Calendar.add_bookings.is_(True)))


def failing_calendars(viewer: User) -> list[Calendar]:
    """Calendars whose last sync failed: the viewer's own, or everyone's for an admin."""
    query = select(Calendar).where(Calendar.last_error.is_not(None)).order_by(Calendar.id)
    if not viewer.is_admin:
        query = query.where(Calendar.user_id == viewer.id)
    return list(db.session.scalars(query))
