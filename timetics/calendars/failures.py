"""Why a calendar cannot be read: each reason one whole sentence, kept in English where it is
stored (``Calendar.last_error``, written by the job runner, which has no reader) and in the
log, and shown in the reader's language by ``shown()``."""
from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext as _

from ..i18n import N_

SERVER, FEED = "server", "feed"

AUTH_REFUSED = N_("The server refused this username and password. For iCloud, Fastmail or "
                  "Nextcloud use an app password.")
TIMED_OUT = {SERVER: N_("The calendar server did not answer in time."),
             FEED: N_("The calendar feed did not answer in time.")}
UNREACHABLE = {SERVER: N_("The calendar server could not be reached."),
               FEED: N_("The calendar feed could not be reached.")}
NOT_THERE = {SERVER: N_("The calendar server has no calendar at this address any more."),
             FEED: N_("The calendar feed has no calendar at this address any more.")}
NOT_A_CALENDAR = {SERVER: N_("The calendar server gave an answer that is not a calendar's."),
                  FEED: N_("The calendar feed gave an answer that is not a calendar's.")}
FEED_RESET = N_("The calendar feed answered %(status)s: the address may have been reset. Copy "
                "the secret address again.")
FEED_FAILED = N_("The calendar feed answered %(status)s.")
NOT_ICAL = N_("This address does not give an iCal calendar (.ics).")
NO_CALENDARS = N_("The server accepted the login, but this account has no calendars.")
GONE = N_("The server has no calendar at this address any more (it was deleted there), so it "
          "no longer blocks bookings.")
KEY_CHANGED = N_("Timetics can no longer decrypt this account's address or password "
                 "(ENCRYPTION_KEY changed): remove it and add it again.")
BAD_EVENT = N_("An event in this calendar cannot be read (its date, time zone or repeat rule "
               "is malformed).")

_ALL = (AUTH_REFUSED, *TIMED_OUT.values(), *UNREACHABLE.values(), *NOT_THERE.values(),
        *NOT_A_CALENDAR.values(), FEED_RESET, FEED_FAILED, NOT_ICAL, NO_CALENDARS, GONE,
        KEY_CHANGED, BAD_EVENT)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    """Each message as a pattern that reads its placeholders back from the stored English."""
    patterns = []
    for message in _ALL:
        parts = _PLACEHOLDER.split(message)  # text, name, text, name, …, text
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                        for i, part in enumerate(parts))
        patterns.append((re.compile(regex + r"\Z"), message))
    return patterns


def shown(stored: str | None) -> str | None:
    """A stored reason in the current language; one that is not ours (such as an unsafe
    address's) as it was stored."""
    for pattern, message in _patterns():
        if stored and (found := pattern.match(stored)):
            return _(message, **found.groupdict())
    return stored
