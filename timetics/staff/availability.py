"""Working hours as people write them ("09:00-12:00, 13:00-17:00") and as we store them."""
from __future__ import annotations

import re

from flask_babel import gettext as _

from ..i18n import N_

WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
                 N_("Saturday"), N_("Sunday"))

_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*$")


def parse_intervals(text: str) -> list[tuple[int, int]]:
    """'09:00-12:00, 13:00-17:00' -> [(540, 720), (780, 1020)], sorted.

    Minutes after local midnight; 24:00 is allowed as an end. Raises ValueError with a message
    fit for the form on a malformed, inverted or overlapping interval.
    """
    intervals = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        match = _INTERVAL.match(part)
        if not match:
            raise ValueError(_("“%(range)s” is not a time range like 09:00-17:00.", range=part))
        sh, sm, eh, em = (int(g) for g in match.groups())
        if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em):
            raise ValueError(_("“%(range)s” is not a valid time of day.", range=part))
        start, end = sh * 60 + sm, eh * 60 + em
        if end <= start:
            raise ValueError(_("“%(range)s” ends before it starts.", range=part))
        intervals.append((start, end))
    intervals.sort()
    for (_start, end), (next_start, _end) in zip(intervals, intervals[1:], strict=False):
        if next_start < end:
            raise ValueError(_("These time ranges overlap: merge them into one."))
    return intervals


def format_minutes(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_intervals(intervals) -> str:
    return ", ".join(f"{format_minutes(s)}-{format_minutes(e)}" for s, e in intervals)
