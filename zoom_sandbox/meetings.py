"""Scheduled meetings and webinars, each owned by one Zoom user, with their registrants;
deleted ones are kept, flagged, for tests."""
from __future__ import annotations

import base64
import hashlib
import secrets
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ZoomApiError, meeting_not_found, webinar_not_found
from .models import ZoomUser

LIST_AGENDA_LIMIT = 250  # Zoom truncates the agenda to this in "List meetings"
UPDATABLE_FIELDS = ("topic", "type", "start_time", "duration", "timezone", "agenda", "password")
# What a meeting's settings hold when the request names nothing (the create schema's defaults).
DEFAULT_SETTINGS = {"waiting_room": False, "join_before_host": False, "jbh_time": 0,
                    "mute_upon_entry": False, "auto_recording": "none", "alternative_hosts": "",
                    "meeting_authentication": False}
PASSCODE_ALPHABET = string.ascii_letters + string.digits
# settings.approval_type: 0 automatic, 1 manual approval (registration on), 2 no registration,
# the default of both create schemas.
REGISTRATION_ON = (0, 1)
# Update registrant's status ``action`` → the registrant's new ``status``.
STATUS_AFTER = {"approve": "approved", "cancel": "cancelled", "deny": "denied"}
MEETING, WEBINAR = "meeting", "webinar"


def zoom_time(timestamp: float) -> str:
    """A Unix time in Zoom's UTC format, ``yyyy-MM-ddTHH:mm:ssZ``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Registrant:
    """One person registered for a meeting or webinar, with their own join link."""

    id: str
    email: str
    first_name: str
    last_name: str
    join_token: str
    join_url: str
    create_time: str
    status: str = "approved"

    def as_zoom_json(self) -> dict:
        """One entry of "List registrants"."""
        return {"id": self.id, "email": self.email, "first_name": self.first_name,
                "last_name": self.last_name, "status": self.status,
                "create_time": self.create_time, "join_url": self.join_url}


@dataclass
class Meeting:
    id: int
    uuid: str
    host_id: str
    host_email: str
    topic: str
    type: int
    start_time: str | None
    duration: int
    timezone: str
    agenda: str
    password: str
    settings: dict
    created_at: str
    join_url: str
    start_url: str
    deleted: bool = False
    delete_query: dict = field(default_factory=dict)
    host_is_basic: bool = False  # a Basic user's meetings are cut at 40 minutes
    dial_in_numbers: tuple[dict, ...] = ()  # the host account's telephone dial-in
    kind: str = MEETING  # or WEBINAR: the same fields, its own id space and join path
    registrants: dict[str, Registrant] = field(default_factory=dict)

    @property
    def registration_on(self) -> bool:
        return self.settings.get("approval_type", 2) in REGISTRATION_ON

    def admits(self, join_token: str | None) -> bool:
        """Whether a join link opens this meeting: with registration on, only a link of a
        registrant who is still approved does (Zoom's registrant-only ``tk`` links)."""
        if not self.registration_on:
            return True
        return any(r.join_token == join_token and r.status == "approved"
                   for r in self.registrants.values())

    @property
    def phone_passcode(self) -> str:
        """The numeric passcode for phones and room systems (Get a meeting ``h323_password``),
        derived from the passcode as Zoom derives one of its own."""
        if not self.password:
            return ""
        digest = hashlib.sha256(self.password.encode()).hexdigest()
        return str(int(digest[:12], 16))[-6:].zfill(6)

    def effective_settings(self) -> dict:
        """The settings as Zoom answers them: what was asked and applied, plus the account's
        ``global_dial_in_numbers`` (and ``global_dial_in_countries``) when it has dial-in."""
        settings = dict(self.settings)
        if self.dial_in_numbers:
            settings["global_dial_in_numbers"] = [dict(n) for n in self.dial_in_numbers]
            settings["global_dial_in_countries"] = list(dict.fromkeys(
                n.get("country", "") for n in self.dial_in_numbers if n.get("country")))
        return settings

    def invitation(self) -> str:
        """Zoom's invitation text (GET /meetings/{meetingId}/invitation ``invitation``)."""
        lines = [f"{self.host_email} is inviting you to a scheduled Zoom meeting.", "",
                 f"Topic: {self.topic}", f"Time: {self.start_time}", "",
                 "Join Zoom Meeting", self.join_url, "", f"Meeting ID: {self.id}"]
        if self.password:
            lines.append(f"Passcode: {self.password}")
        if self.dial_in_numbers:
            first = "+" + "".join(c for c in self.dial_in_numbers[0]["number"] if c.isdigit())
            tap = f"{first},,{self.id}#" + (f",,,,*{self.phone_passcode}#"
                                            if self.password else "")
            lines += ["", "---", "", "One tap mobile", tap, "", "---", "",
                      "Dial by your location"]
            lines += [f"• {n['number']} {n.get('country', '')} {n.get('city', '')}".rstrip()
                      for n in self.dial_in_numbers]
            lines.append(f"Meeting ID: {self.id}")
            if self.password:
                lines.append(f"Passcode: {self.phone_passcode}")
        return "\n".join(lines)

    def as_zoom_json(self) -> dict:
        """The body of ``POST /users/me/meetings`` (201) and ``GET /meetings/{id}``."""
        return {
            "id": self.id,
            "uuid": self.uuid,
            "host_id": self.host_id,
            "host_email": self.host_email,
            "topic": self.topic,
            "type": self.type,
            "status": "waiting",
            "start_time": self.start_time,
            "duration": self.duration,
            "timezone": self.timezone,
            "agenda": self.agenda,
            "created_at": self.created_at,
            "start_url": self.start_url,
            "join_url": self.join_url,
            "password": self.password,
            **({"h323_password": self.phone_passcode} if self.password else {}),
            "settings": self.effective_settings(),
        }

    def as_list_item(self) -> dict:
        """One entry of List meetings (or List webinars): fewer fields, agenda cut short."""
        return {
            "id": self.id,
            "uuid": self.uuid,
            "host_id": self.host_id,
            "topic": self.topic,
            "type": self.type,
            "start_time": self.start_time,
            "duration": self.duration,
            "timezone": self.timezone,
            "agenda": self.agenda[:LIST_AGENDA_LIMIT],
            "created_at": self.created_at,
            "join_url": self.join_url,
        }

    def as_record(self) -> dict:
        """Everything, for the control API (tests want to see deleted meetings too)."""
        return {**self.as_zoom_json(), "deleted": self.deleted,
                "delete_query": self.delete_query, "kind": self.kind,
                "registrants": [r.as_zoom_json() for r in self.registrants.values()]}


class MeetingStore:
    """Every meeting (or, with ``kind=WEBINAR``, every webinar) made in the sandbox, by id,
    behind one lock."""

    def __init__(self, clock: Callable[[], float], kind: str = MEETING) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._meetings: dict[int, Meeting] = {}
        self.kind = kind
        self._not_found = meeting_not_found if kind == MEETING else webinar_not_found
        self.join_path = "j" if kind == MEETING else "w"

    def create(self, host: ZoomUser, body: Mapping[str, Any], base_url: str) -> Meeting:
        """Schedule a meeting from a validated request body."""
        with self._lock:
            meeting_id = self._new_id()
            meeting = Meeting(
                id=meeting_id,
                uuid=base64.b64encode(secrets.token_bytes(16)).decode("ascii"),
                host_id=host.id,
                host_email=host.email,
                topic=body.get("topic", "Zoom Meeting" if self.kind == MEETING else "Webinar"),
                type=body.get("type", 2 if self.kind == MEETING else 5),
                start_time=body.get("start_time"),
                duration=body.get("duration", 60),
                timezone=body.get("timezone", host.timezone),
                agenda=body.get("agenda", ""),
                password=_passcode_for(body),
                settings={**DEFAULT_SETTINGS, **body.get("settings", {})},
                created_at=zoom_time(self._clock()),
                join_url=f"{base_url}/{self.join_path}/{meeting_id}"
                         f"?pwd={secrets.token_urlsafe(24)}",
                start_url=f"{base_url}/s/{meeting_id}?zak={secrets.token_urlsafe(32)}",
                host_is_basic=host.is_basic,
                dial_in_numbers=host.dial_in_numbers,
                kind=self.kind,
            )
            _apply_security_rule(meeting)
            self._meetings[meeting_id] = meeting
            return meeting

    def _new_id(self) -> int:
        # Real meeting ids are 10-11 digit int64s: big enough to break a 32-bit column.
        while True:
            meeting_id = 80_000_000_000 + secrets.randbelow(19_999_999_999)
            if meeting_id not in self._meetings:
                return meeting_id

    def get(self, host_id: str, meeting_id: str) -> Meeting:
        """A live meeting of ``host_id``; someone else's or a deleted one is "not found"."""
        with self._lock:
            return self._owned(host_id, meeting_id)

    def update(self, host_id: str, meeting_id: str, body: Mapping[str, Any]) -> Meeting:
        with self._lock:
            meeting = self._owned(host_id, meeting_id)
            for name in UPDATABLE_FIELDS:
                if name in body:
                    setattr(meeting, name, body[name])
            meeting.settings.update(body.get("settings", {}))
            _apply_security_rule(meeting)
            return meeting

    def delete(self, host_id: str, meeting_id: str, query: Mapping[str, str]) -> Meeting:
        with self._lock:
            meeting = self._owned(host_id, meeting_id)
            meeting.deleted = True
            meeting.delete_query = dict(query)
            return meeting

    def add_registrant(self, host: ZoomUser, meeting_id: str, body: Mapping[str, Any],
                       base_url: str) -> tuple[Meeting, Registrant]:
        """Register someone (Add a meeting/webinar registrant); the same email registered
        again gets the registration it already has, as at Zoom."""
        with self._lock:
            meeting = self._owned(host.id, meeting_id)
            _check_can_register(host, meeting)
            email = body["email"]
            for registrant in meeting.registrants.values():
                if registrant.email.lower() == email.lower() and registrant.status == "approved":
                    return meeting, registrant
            _check_capacity(host, meeting)
            token = secrets.token_urlsafe(24)
            registrant = Registrant(
                id=secrets.token_urlsafe(16), email=email,
                first_name=body.get("first_name", ""), last_name=body.get("last_name", ""),
                join_token=token,
                join_url=f"{base_url}/{self.join_path}/{meeting.id}?tk={token}",
                create_time=zoom_time(self._clock()))
            meeting.registrants[registrant.id] = registrant
            return meeting, registrant

    def registrants(self, host_id: str, meeting_id: str, status: str) -> list[Registrant]:
        """The registrants with ``status`` (List registrants' ``status`` query)."""
        with self._lock:
            meeting = self._owned(host_id, meeting_id)
            _check_registration_on(meeting)
            return [r for r in meeting.registrants.values() if r.status == status]

    def set_registrant_status(self, host_id: str, meeting_id: str, action: str,
                              wanted: list[Mapping[str, str]]) -> None:
        """Approve, cancel or deny registrants named by ``id`` (or ``email``)."""
        with self._lock:
            meeting = self._owned(host_id, meeting_id)
            _check_registration_on(meeting)
            found = [_registrant_named(meeting, w) for w in wanted]
            for registrant in found:
                registrant.status = STATUS_AFTER[action]

    def delete_registrant(self, host_id: str, meeting_id: str, registrant_id: str) -> None:
        with self._lock:
            meeting = self._owned(host_id, meeting_id)
            _check_registration_on(meeting)
            if meeting.registrants.pop(registrant_id, None) is None:
                raise registrant_not_found(registrant_id)

    def delete_in_portal(self, meeting_id: str) -> Meeting:
        """The host deletes a live meeting in Zoom's web portal."""
        with self._lock:
            meeting = self._live(meeting_id)
            meeting.deleted = True
            return meeting

    def update_in_portal(self, meeting_id: str,
                         changes: Mapping[str, Any]) -> tuple[Meeting, dict, dict]:
        """The host edits a live meeting in Zoom's web portal: the meeting, the fields that
        changed (new values) and their old values."""
        with self._lock:
            meeting = self._live(meeting_id)
            old = {name: getattr(meeting, name) for name in changes
                   if getattr(meeting, name) != changes[name]}
            for name in old:
                setattr(meeting, name, changes[name])
            return meeting, {name: changes[name] for name in old}, old

    def live(self, meeting_id: str) -> Meeting:
        """A live meeting by id, whoever hosts it; Zoom's "not found" otherwise."""
        with self._lock:
            return self._live(meeting_id)

    def _live(self, meeting_id: str) -> Meeting:
        meeting = self._meetings.get(_as_id(meeting_id))
        if meeting is None or meeting.deleted:
            raise self._not_found(meeting_id)
        return meeting

    def scheduled_for(self, host_id: str) -> list[Meeting]:
        """The host's live meetings in start-time order, as "List meetings" shows them."""
        with self._lock:
            mine = [m for m in self._meetings.values() if m.host_id == host_id and not m.deleted]
        return sorted(mine, key=lambda m: (m.start_time or "", m.id))

    def find(self, meeting_id: str) -> Meeting | None:
        """Any live meeting by id, whoever hosts it (the join page)."""
        with self._lock:
            meeting = self._meetings.get(_as_id(meeting_id))
        return None if meeting is None or meeting.deleted else meeting

    def records(self) -> list[dict]:
        with self._lock:
            return [m.as_record() for m in self._meetings.values()]

    def _owned(self, host_id: str, meeting_id: str) -> Meeting:
        meeting = self._meetings.get(_as_id(meeting_id))
        if meeting is None or meeting.deleted or meeting.host_id != host_id:
            raise self._not_found(meeting_id)
        return meeting


def registrant_not_found(registrant_id: str) -> ZoomApiError:
    # Update registrant's status / Delete a registrant: 404 "Meeting or registrant not found".
    return ZoomApiError(404, 3000, f"Registrant {registrant_id} was not found.")


def _registrant_named(meeting: Meeting, wanted: Mapping[str, str]) -> Registrant:
    for registrant in meeting.registrants.values():
        if registrant.id == wanted.get("id") or (
                "id" not in wanted and registrant.email.lower() == wanted.get("email", "").lower()):
            return registrant
    raise registrant_not_found(wanted.get("id") or wanted.get("email", ""))


def _check_registration_on(meeting: Meeting) -> None:
    """Registrant calls on a meeting without registration fail (Add a meeting registrant 404
    "Registration has not been enabled for this meeting"; Add a webinar registrant 400 code
    3000 "This webinar does not have registration as required")."""
    if meeting.registration_on:
        return
    if meeting.kind == MEETING:
        raise ZoomApiError(404, 3000,
                           f"Registration has not been enabled for this meeting: {meeting.id}.")
    raise ZoomApiError(400, 3000,
                       f"This webinar does not have registration as required: {meeting.id}.")


def _check_can_register(host: ZoomUser, meeting: Meeting) -> None:
    """Registration needs a Licensed host (Add a meeting registrant, Prerequisites; a Basic
    host gets code 200 "Only available for paid users")."""
    _check_registration_on(meeting)
    if host.is_basic:
        raise ZoomApiError(400, 200, f"Only available for paid users: {host.id}.")


def _check_capacity(host: ZoomUser, meeting: Meeting) -> None:
    """A webinar takes no more registrants than the host's ``feature.webinar_capacity``
    (Add a webinar registrant, code 3000)."""
    capacity = host.feature().get("webinar_capacity") if meeting.kind == WEBINAR else None
    approved = sum(1 for r in meeting.registrants.values() if r.status == "approved")
    if capacity and approved >= capacity:
        raise ZoomApiError(400, 3000, "You have reached the limit for the number of "
                                      "attendees you can add.")


def _as_id(meeting_id: str) -> int:
    return int(meeting_id) if meeting_id.isascii() and meeting_id.isdigit() else -1


def _passcode_for(body: Mapping[str, Any]) -> str:
    """The passcode a create gets: the one asked for; one Zoom makes for ``default_password``;
    none when the body says ``default_password: false``; and, when it says nothing, one, as the
    user's own "Require a passcode" setting (on by default) would give (Zoom changelog
    2025-03-24: no passcode or waiting room named means the user's settings apply)."""
    if body.get("password"):
        return body["password"]
    if body.get("default_password", True):
        return _new_passcode()
    return ""


def _apply_security_rule(meeting: Meeting) -> None:
    """Zoom's own overrides (Meeting API Security Enhancements, developers.zoom.us): a meeting
    needs a passcode, a waiting room or authentication, else Zoom turns the waiting room on;
    and a waiting room disables join before host (create schema, ``settings.waiting_room``).
    Webinars have neither waiting room nor join before host."""
    if meeting.kind == WEBINAR:
        return
    settings = meeting.settings
    if not (meeting.password or settings.get("waiting_room")
            or settings.get("meeting_authentication")):
        settings["waiting_room"] = True
    if settings.get("waiting_room"):
        settings["join_before_host"] = False


def _new_passcode() -> str:
    return "".join(secrets.choice(PASSCODE_ALPHABET) for _ in range(6))
