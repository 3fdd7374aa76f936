"""Telephone dial-in for an email: the meeting's numbers, the guest's country first, and Zoom's
one-tap mobile line. Plain values in and out.

The guest's country comes from their IANA time zone through the tz database's ``zone.tab``
(one ISO 3166 country code per zone), which ships with the system's zoneinfo or the ``tzdata``
package; where neither is found, the numbers keep Zoom's order.
"""
from __future__ import annotations

import importlib.resources
import zoneinfo
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class DialIn:
    numbers: tuple[dict, ...]  # Zoom's global_dial_in_numbers entries, guest's country first
    one_tap: str  # "+16465588656,,85746065432#,,,,*123456#"
    country: str  # the guest's ISO country code, "" if unknown


def dial_in_for(dial_in: dict | None, meeting_id: str | None, zone: str) -> DialIn | None:
    """What an email shows of a booking's stored dial-in (``Booking.zoom_dial_in``) for a
    reader in ``zone``; None when the meeting has no dial-in."""
    numbers = list((dial_in or {}).get("numbers") or [])
    if not numbers or not meeting_id:
        return None
    country = zone_country(zone)
    numbers.sort(key=lambda n: n.get("country") != country)  # stable: Zoom's order otherwise
    return DialIn(tuple(numbers), one_tap(numbers[0]["number"], meeting_id,
                                          (dial_in or {}).get("phone_passcode") or ""), country)


def one_tap(number: str, meeting_id: str, phone_passcode: str) -> str:
    """Zoom's one-tap mobile line: the number, two pauses, the meeting id and #, four pauses,
    then * the numeric passcode and # (as Zoom's own meeting invitation writes it)."""
    digits = "+" + "".join(c for c in number if c.isdigit())
    line = f"{digits},,{meeting_id}#"
    return f"{line},,,,*{phone_passcode}#" if phone_passcode else line


def zone_country(zone: str) -> str:
    """The ISO 3166 code of the country of an IANA zone ("Europe/Berlin" → "DE"), or ""."""
    return _zone_countries().get(zone, "")


@cache
def _zone_countries() -> dict[str, str]:
    text = _zone_tab()
    countries = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            countries[fields[2]] = fields[0]
    return countries


def _zone_tab() -> str:
    for folder in zoneinfo.TZPATH:
        path = Path(folder, "zone.tab")
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab") \
            .read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""
