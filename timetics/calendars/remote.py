"""The one module that talks to calendar servers: CalDAV through the ``caldav`` library, iCal
feeds with a plain GET. Every request goes through ``safe_urls.safe_session`` (http(s) only,
public addresses unless allowed, each redirect hop checked, answers size-capped and
time-limited); the caldav client's own HTTP session is replaced by one of those.

Errors come out as ``CalendarError`` kinds with a message for the Calendars tab.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote, urljoin, urlsplit

import caldav
import icalendar
import requests
from caldav.lib import error as dav_error
from flask import current_app

from ..exceptions import (
    CalendarAuthRefused,
    CalendarError,
    CalendarUnavailable,
    FreeBusyRefused,
    ResponseTooLarge,
    UnsafeURL,
)
from ..safe_urls import safe_session
from . import failures

logger = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # a year of a busy calendar is a few MB
WELL_KNOWN = "/.well-known/caldav"  # RFC 6764 §5: redirects to the server's context path


@dataclass(frozen=True)
class Login:
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class FoundCalendar:
    url: str
    name: str


def timeout() -> float:
    return float(current_app.config["CALENDAR_TIMEOUT"])


@contextmanager
def _plain_errors(what: str) -> Iterator[None]:
    """Turn what the HTTP and CalDAV layers raise into CalendarError kinds; ``what`` is
    failures.SERVER or failures.FEED."""
    try:
        yield
    except (UnsafeURL, ResponseTooLarge) as e:
        raise CalendarError(str(e)) from e
    except dav_error.AuthorizationError as e:
        raise CalendarAuthRefused(failures.AUTH_REFUSED) from e
    except requests.Timeout as e:
        raise CalendarUnavailable(failures.TIMED_OUT[what]) from e
    except requests.RequestException as e:
        raise CalendarUnavailable(failures.UNREACHABLE[what]) from e
    except dav_error.NotFoundError as e:
        raise CalendarError(failures.NOT_THERE[what]) from e
    except (dav_error.DAVError, ValueError, KeyError) as e:
        # A 5xx, or an answer that is not CalDAV's (a web page, a proxy's error).
        raise CalendarUnavailable(failures.NOT_A_CALENDAR[what]) from e


def _client(url: str, login: Login, wait: float | None = None) -> caldav.DAVClient:
    # RFC 6764's DNS look-ups are off: they would reach servers outside the safe session.
    client = caldav.DAVClient(url=url, username=login.username, password=login.password,
                              timeout=wait or timeout(), enable_rfc6764=False)
    client.session.close()
    client.session = safe_session(timeout=wait or timeout(), max_bytes=MAX_BYTES)
    return client


def discover(login: Login) -> list[FoundCalendar]:
    """The account's calendars, found from the server URL as a user types it: the principal
    (RFC 5397 current-user-principal) at that address, or else at the server's
    ``/.well-known/caldav``; then its calendar home (RFC 4791 §6.2.1) and the calendars in it."""
    errors: list[CalendarError] = []
    for candidate in (login.url, urljoin(login.url, WELL_KNOWN)):
        try:
            with _plain_errors(failures.SERVER):
                principal = _client(candidate, login).principal()
                calendars = principal.calendars()
                return [FoundCalendar(str(c.url), _name_of(c)) for c in calendars]
        except CalendarError as e:  # a 403 at a path that is not the server's may be one
            errors.append(e)
    refused = [e for e in errors if isinstance(e, CalendarAuthRefused)]
    raise (refused or errors)[-1]


def _name_of(calendar: caldav.Calendar) -> str:
    try:
        name = calendar.get_display_name()
    except (dav_error.DAVError, requests.RequestException):
        name = None
    return (name or unquote(urlsplit(str(calendar.url)).path.rstrip("/").rsplit("/", 1)[-1])
            or "Calendar")[:200]


def caldav_events(login: Login, calendar_url: str, start: datetime, end: datetime, *,
                  wait: float | None = None) -> list[icalendar.Calendar]:
    """The calendar objects with an event in [start, end), unexpanded (a recurring event comes
    with its overrides): an RFC 4791 §7.8.1 calendar-query with a time-range.

    This, not the free-busy report (RFC 4791 §7.10 CALDAV:free-busy-query), is what sync
    and the precise look at a slot read, for every calendar and not only the one bookings are
    written to: the report's answer is bare FREEBUSY periods, and its rules (§7.10: TRANSP and
    STATUS only) cannot leave out what must not block: invitations the host declined
    (PARTSTAT=DECLINED; the server does not know which attendee is the host), and our own
    events (no UID in the answer). It also resolves all-day and floating events in the
    server's idea of the zone (§9.9: the calendar's CALDAV:calendar-timezone, else UTC;
    Radicale 3.9 takes UTC), not the host's, so a New York host's holiday would block 19:00 to
    19:00; and Radicale refuses the whole report past its ``max_freebusy_occurrence``. The
    query costs a larger answer (size-capped) and our own expansion (``busy.py``, measured in
    ``make bench``), and is right. Only Confirm booking asks for free-busy first
    (``caldav_freebusy``), as a quick "free or maybe busy" for one slot."""
    with _plain_errors(failures.SERVER):
        calendar = _client(calendar_url, login, wait).calendar(url=calendar_url)
        found = calendar.search(event=True, start=start, end=end, post_filter=False)
        return [item.icalendar_instance for item in found]


def caldav_freebusy(login: Login, calendar_url: str, start: datetime, end: datetime, *,
                    wait: float | None = None) -> icalendar.Calendar:
    """The server's free-busy answer for [start, end): an RFC 4791 §7.10 CALDAV:free-busy-query
    REPORT on the calendar, whose answer is a VCALENDAR with one VFREEBUSY (recurrences
    expanded by the server, a few bytes). ``FreeBusyRefused`` when the server refuses it or
    does not support it (any 4xx/5xx, or an answer that is not a VFREEBUSY); the other
    ``CalendarError`` kinds when the server cannot be reached or does not answer in time."""
    with _plain_errors(failures.SERVER):
        calendar = _client(calendar_url, login, wait).calendar(url=calendar_url)
        try:
            answer = icalendar.Calendar.from_ical(calendar.freebusy_request(start, end).data)
        except (dav_error.DAVError, ValueError) as e:
            raise FreeBusyRefused("The calendar server refused the free-busy report "
                                  f"({type(e).__name__}).") from e
        if not answer.walk("VFREEBUSY"):
            raise FreeBusyRefused("The calendar server's free-busy answer has no VFREEBUSY.")
        return answer


def feed_events(url: str, *, wait: float | None = None) -> list[icalendar.Calendar]:
    """The feed's whole calendar, as one object."""
    with _plain_errors(failures.FEED):
        response = safe_session(timeout=wait or timeout(), max_bytes=MAX_BYTES).get(url)
        if response.status_code in (401, 403, 404, 410):
            raise CalendarError(failures.FEED_RESET % {"status": response.status_code})
        if response.status_code >= 400:
            raise CalendarUnavailable(failures.FEED_FAILED % {"status": response.status_code})
        try:
            return [icalendar.Calendar.from_ical(response.content)]
        except ValueError as e:
            raise CalendarError(failures.NOT_ICAL) from e


def put_event(login: Login, calendar_url: str, uid: str, ical: bytes) -> None:
    """Create or replace the event with ``uid`` (RFC 4791 §5.3.2: PUT to the collection)."""
    with _plain_errors(failures.SERVER):
        calendar = _client(calendar_url, login).calendar(url=calendar_url)
        calendar.save_event(ical.decode(), id=uid)


def delete_event(login: Login, calendar_url: str, uid: str) -> None:
    """Delete the event with ``uid``; one that is gone already is fine."""
    with _plain_errors(failures.SERVER):
        calendar = _client(calendar_url, login).calendar(url=calendar_url)
        try:
            calendar.event_by_uid(uid).delete()
        except dav_error.NotFoundError:
            return
