"""Zoom's REST API as one user (``me``): one method per operation, and the meeting and webinar
bodies."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from ..exceptions import ZoomError, ZoomNotFound, ZoomUnavailable
from .app import ZoomApp
from .transport import TokenSource, Transport, _is_scope_error, _json_body

logger = logging.getLogger(__name__)

TOPIC_MAX = 200
AGENDA_MAX = 2000
LIST_PAGE_SIZE = 300
LIST_MAX_PAGES = 20  # 6,000 scheduled meetings: far past any host's; guards a looping cursor
MEETING_GONE = 3001  # also a webinar's: "Webinar {webinarId} not found or has expired"
MEETING_ENDED = 3007
# Where registrants live (Add a meeting registrant / Add a webinar registrant paths).
MEETINGS, WEBINARS = "meetings", "webinars"
WEBINAR_SCHEDULED = 5  # Create a webinar ``type``: 5 webinar, 6/9 recurring
# The settings of a webinar's create/update schema that a meeting's body also carries.
WEBINAR_SETTINGS = ("alternative_hosts", "auto_recording", "approval_type",
                    "registration_type", "registrants_email_notification")


class ZoomAPI:
    """Zoom's REST API acting as one user (``me``): one method per operation."""

    def __init__(self, app: ZoomApp, tokens: TokenSource):
        self._transport = Transport(app, tokens)

    def get_me(self) -> dict:
        """The user the tokens belong to: ``id``, ``email``, ``display_name``, ``account_id``…"""
        return self._json("GET", "/users/me", "user lookup", expect=200)

    def get_settings(self) -> dict:
        """The user's settings (GET /users/me/settings); ``feature`` holds the plan's flags
        (``webinar``, ``webinar_capacity``, ``meeting_capacity``…). Needs ``user:read:settings``:
        without it Zoom answers code 4711."""
        return self._json("GET", "/users/me/settings", "settings lookup", expect=200)

    def create_meeting(self, payload: dict) -> dict:
        """Create a meeting (see ``meeting_payload``); Zoom's answer, with ``id``, ``join_url``
        and ``password``. ``start_url`` in it lets anyone start the meeting: never store it."""
        meeting = self._json("POST", "/users/me/meetings", "meeting creation", json=payload,
                             expect=201)
        if meeting.get("id") in (None, ""):
            raise ZoomUnavailable("Zoom's answer to the meeting creation held no meeting id.",
                                  status=201)
        return meeting

    def get_meeting(self, meeting_id: str) -> dict:
        """The meeting as Zoom has it now; ZoomNotFound if it is gone."""
        return self._json("GET", f"/meetings/{_meeting_path(meeting_id)}", "meeting lookup",
                          expect=200)

    def update_meeting(self, meeting_id: str, payload: dict) -> None:
        """Change the meeting (the join link stays). Zoom answers 204 with no body."""
        self._expect(self._transport.request(
            "PATCH", f"/meetings/{_meeting_path(meeting_id)}", "meeting update", json=payload),
            204, "meeting update")

    def delete_meeting(self, meeting_id: str) -> bool:
        """Delete the meeting: True if Zoom deleted it, False if it was already gone (not
        found, expired or ended), which counts as deleted too."""
        return self._delete(f"/meetings/{_meeting_path(meeting_id)}", "meeting deletion",
                            params={"schedule_for_reminder": "false"})  # default unconfirmed

    def create_webinar(self, payload: dict) -> dict:
        """Create a webinar (POST /users/me/webinars; see ``webinar_payload``): the host needs
        the Webinar add-on, else Zoom answers 400 code 200. Like a meeting's, the answer's
        ``start_url`` must never be stored."""
        webinar = self._json("POST", "/users/me/webinars", "webinar creation", json=payload,
                             expect=201)
        if webinar.get("id") in (None, ""):
            raise ZoomUnavailable("Zoom's answer to the webinar creation held no webinar id.",
                                  status=201)
        return webinar

    def get_webinar(self, webinar_id: str) -> dict:
        """The webinar as Zoom has it now (GET /webinars/{webinarId}); ZoomNotFound if gone."""
        return self._json("GET", f"/webinars/{_meeting_path(webinar_id)}", "webinar lookup",
                          expect=200)

    def update_webinar(self, webinar_id: str, payload: dict) -> None:
        """Change the webinar (PATCH /webinars/{webinarId}, 204); registrants keep their links."""
        self._expect(self._transport.request(
            "PATCH", f"/webinars/{_meeting_path(webinar_id)}", "webinar update", json=payload),
            204, "webinar update")

    def delete_webinar(self, webinar_id: str) -> bool:
        """Delete the webinar (DELETE /webinars/{webinarId}): True if Zoom deleted it, False
        if it was already gone."""
        return self._delete(f"/webinars/{_meeting_path(webinar_id)}", "webinar deletion")

    def add_registrant(self, kind: str, item_id: str, *, email: str, first_name: str,
                       last_name: str = "") -> dict:
        """Register a guest (POST /meetings|webinars/{id}/registrants, 201): ``registrant_id``
        and ``join_url``, that guest's own link. Zoom answers the same registration again for
        an email already registered, so a retried job makes no second one."""
        what = "registrant creation"
        registrant = self._json(
            "POST", f"/{_collection(kind)}/{_meeting_path(item_id)}/registrants", what,
            json={"email": email, "first_name": (first_name or email)[:64],
                  **({"last_name": last_name[:64]} if last_name else {})}, expect=201)
        if not registrant.get("registrant_id") or not registrant.get("join_url"):
            raise ZoomUnavailable("Zoom's answer to the registrant creation held no "
                                  "registrant id or join link.", status=201)
        return registrant

    def cancel_registrant(self, kind: str, item_id: str, *, registrant_id: str,
                          email: str) -> bool:
        """Cancel a registration (PUT /meetings|webinars/{id}/registrants/status, action
        ``cancel``, 204): that guest's link stops working, the others' do not. False if the
        meeting or the registrant was already gone."""
        what = "registrant cancellation"
        try:
            response = self._transport.request(
                "PUT", f"/{_collection(kind)}/{_meeting_path(item_id)}/registrants/status",
                what, json={"action": "cancel",
                            "registrants": [{"id": registrant_id, "email": email}]})
        except ZoomNotFound:
            logger.info("Zoom registrant %s of %s %s was already gone", registrant_id, kind,
                        item_id)
            return False
        self._expect(response, 204, what)
        return True

    def _delete(self, path: str, what: str, params: dict | None = None) -> bool:
        try:
            response = self._transport.request("DELETE", path, what, params=params)
        except ZoomError as e:
            if (e.status, e.code) in ((404, MEETING_GONE), (400, MEETING_ENDED)):
                logger.info("Zoom %s: %s was already gone", what, path)
                return False
            raise
        self._expect(response, 204, what)
        return True

    def find_meeting_by_agenda(self, needle: str) -> dict | None:
        """The user's first scheduled meeting whose agenda contains ``needle``, as
        ``get_meeting`` returns it, or None. Finds the meeting of a create that timed out.

        Listing meetings needs the ``meeting:read:list_meetings`` scope with granular scopes;
        without it Zoom refuses, and this says None (and logs why) rather than failing forever.
        """
        return self._find_by_agenda(MEETINGS, needle, self.get_meeting)

    def find_webinar_by_agenda(self, needle: str) -> dict | None:
        """The same for webinars: Zoom lists them apart (List webinars, GET
        /users/{userId}/webinars, ``webinars`` with each ``agenda`` cut to 250 characters;
        classic scope ``webinar:read``, granular ``webinar:read:list_webinars``), as
        ``get_webinar`` returns it, or None."""
        return self._find_by_agenda(WEBINARS, needle, self.get_webinar)

    def _find_by_agenda(self, kind: str, needle: str,
                        get: Callable[[str], dict]) -> dict | None:
        if not needle:
            raise ValueError("Finding by agenda needs a non-empty needle.")
        what = f"{kind[:-1]} search"
        params: dict[str, Any] = {"type": "scheduled", "page_size": LIST_PAGE_SIZE}
        seen: set[str] = set()
        for _ in range(LIST_MAX_PAGES):
            try:
                page = self._json("GET", f"/users/me/{_collection(kind)}", what, params=params,
                                  expect=200)
            except ZoomError as e:
                if e.status in (400, 401, 403) and _is_scope_error(e.code, e.message):
                    logger.warning("Zoom refused the %s for lack of a scope; assuming none "
                                   "was made", what)
                    return None
                raise
            for item in page.get(kind) or []:
                if isinstance(item, dict) and needle in str(item.get("agenda") or ""):
                    try:
                        return get(str(item["id"]))
                    except ZoomNotFound:
                        continue  # deleted since the listing
            cursor = page.get("next_page_token")
            if not cursor or cursor in seen:
                return None
            seen.add(cursor)
            params = {**params, "next_page_token": cursor}
        logger.warning("Zoom %s stopped after %s pages", what, LIST_MAX_PAGES)
        return None

    def _json(self, method: str, path: str, what: str, *, expect: int,
              params: dict | None = None, json: dict | None = None) -> dict:
        response = self._transport.request(method, path, what, params=params, json=json)
        self._expect(response, expect, what)
        body = _json_body(response)
        if not isinstance(body, dict):
            raise ZoomUnavailable(f"Zoom's answer to the {what} was not JSON.",
                                  status=response.status_code)
        return body

    @staticmethod
    def _expect(response: requests.Response, status: int, what: str) -> None:
        if response.status_code != status:
            logger.warning("Zoom %s: HTTP %s where %s was expected", what,
                           response.status_code, status)
            raise ZoomError(f"Zoom answered the {what} with HTTP {response.status_code} "
                            f"instead of {status}.", status=response.status_code)


def _collection(kind: str) -> str:
    if kind not in (MEETINGS, WEBINARS):
        raise ValueError(f"Registrants belong to {MEETINGS} or {WEBINARS}, not {kind!r}.")
    return kind


def _meeting_path(meeting_id: str | int) -> str:
    """The meeting id as one path segment, whatever characters it holds."""
    return quote(str(meeting_id).strip(), safe="")


JOIN_BEFORE_MINUTES = (None, 0, 5, 10, 15)
AUTO_RECORDING = ("none", "local", "cloud")


@dataclass(frozen=True)
class MeetingOptions:
    """The Zoom options of a meeting type, sent with every create and update of its meetings."""

    waiting_room: bool = False
    passcode: bool = True  # on create, a passcode Zoom generates
    join_before_minutes: int | None = None  # None: guests wait for the host; 0: any time
    mute_on_entry: bool = False
    auto_recording: str = "none"  # "none", "local" or "cloud", Zoom's own values
    alternative_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.join_before_minutes not in JOIN_BEFORE_MINUTES:
            raise ValueError(f"Join before host takes {JOIN_BEFORE_MINUTES}.")
        if self.auto_recording not in AUTO_RECORDING:
            raise ValueError(f"Automatic recording takes {AUTO_RECORDING}.")


def meeting_payload(*, topic: str, start: datetime, duration_minutes: int, timezone: str,
                    agenda: str, options: MeetingOptions | None = None,
                    update_passcode: str | None = None) -> dict:
    """The body to create or update a scheduled meeting.

    ``start`` must be aware: it is sent in UTC with a ``Z``, so Zoom cannot read a local
    wall-clock time as UTC; ``timezone`` (IANA) only sets how Zoom displays it. Topic and agenda
    are cut to Zoom's 200 and 2,000 characters.

    Every option goes out explicitly: meetings made through the API do not follow the host's
    web-portal scheduler settings, and since Zoom's changelog of 2025-03-24 a body that names no
    passcode or waiting room gets the user's own settings instead (developers.zoom.us
    docs/api/references/meeting-api-security-enhancements; changelog/meetings/march-24-2025).
    For an update (PATCH, whose schema has no ``default_password``) pass ``update_passcode``:
    the meeting's passcode to keep, when the options want one.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("The meeting start must be a timezone-aware datetime.")
    if isinstance(duration_minutes, bool) or int(duration_minutes) < 1:
        raise ValueError("The meeting duration must be at least one minute.")
    options = options or MeetingOptions()
    body = {
        "topic": topic[:TOPIC_MAX],
        "type": 2,  # scheduled
        "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": int(duration_minutes),
        "timezone": timezone,
        "agenda": agenda[:AGENDA_MAX],
        "settings": meeting_settings(options),
    }
    if update_passcode is None:
        # Create: Zoom makes the passcode ("default_password": generate one from the user's
        # settings; false with no "password" asks for none; Meeting API create schema).
        body["default_password"] = options.passcode
    elif options.passcode and update_passcode:
        body["password"] = update_passcode
    return body


def meeting_settings(options: MeetingOptions) -> dict:
    """``settings`` in Zoom's names and shapes (Meeting API create/update request body)."""
    join_before = options.join_before_minutes is not None
    settings: dict[str, Any] = {
        "waiting_room": options.waiting_room,
        "join_before_host": join_before,
        "mute_upon_entry": options.mute_on_entry,
        "auto_recording": options.auto_recording,  # "local", "cloud" or "none"
        # Zoom's shape: one string, emails separated by semicolons.
        "alternative_hosts": ";".join(options.alternative_hosts),
    }
    if join_before:
        settings["jbh_time"] = options.join_before_minutes  # 0 = any time, else minutes before
    return settings


def applied_settings(meeting: dict) -> dict:
    """What guests notice of the meeting as Zoom's answer (create or get) says it is: Zoom
    overrides a meeting left with neither passcode nor waiting room, so never assume."""
    settings = meeting.get("settings") if isinstance(meeting.get("settings"), dict) else {}
    join_before = settings.get("join_before_host")
    jbh_time = settings.get("jbh_time")
    numbers = dial_in_numbers(settings)
    return {
        "dial_in": {"numbers": numbers, "phone_passcode": _phone_passcode(meeting)}
        if numbers else None,
        "passcode": str(meeting.get("password") or "") or None,
        "waiting_room": bool(settings["waiting_room"]) if "waiting_room" in settings else None,
        "join_before_host": bool(join_before) if join_before is not None else None,
        "jbh_time": jbh_time if isinstance(jbh_time, int) and not isinstance(jbh_time, bool)
        else None,
    }


DIAL_IN_FIELDS = ("country", "country_name", "city", "number", "type")


def dial_in_numbers(settings: dict) -> list[dict]:
    """The meeting's ``settings.global_dial_in_numbers`` (Meeting API, Get a meeting: each
    ``country``, ``country_name``, ``city``, ``number``, ``type`` toll or tollfree), as plain
    strings; [] when the host's account has no telephone dial-in."""
    numbers = settings.get("global_dial_in_numbers")
    if not isinstance(numbers, list):
        return []
    return [{name: str(item.get(name) or "") for name in DIAL_IN_FIELDS}
            for item in numbers if isinstance(item, dict) and item.get("number")]


def _phone_passcode(meeting: dict) -> str:
    """The digits a phone caller keys in: Zoom's ``pstn_password`` (newer answers) or
    ``h323_password`` (Get a meeting: the numeric passcode for room systems and phones); a
    passcode of digits only is its own phone passcode."""
    for name in ("pstn_password", "h323_password", "password"):
        value = str(meeting.get(name) or "")
        if value.isdigit():
            return value
    return ""


def with_registration(body: dict, kind: str = MEETINGS) -> dict:
    """``body`` with registration on: ``approval_type`` 0 (automatic approval: each guest's
    own ``join_url`` comes back at once; with 1, manual, Add a registrant returns none),
    ``registration_type`` 1 (once for the whole meeting), and Zoom's own registration emails
    off, as Timetics sends the guests' emails: ``registrants_confirmation_email`` (meetings
    only in the published schema) and ``registrants_email_notification``."""
    settings = {**body.get("settings", {}), "approval_type": 0, "registration_type": 1,
                "registrants_email_notification": False}
    if kind == MEETINGS:
        settings["registrants_confirmation_email"] = False
    return {**body, "settings": settings}


def webinar_payload(meeting_body: dict) -> dict:
    """A meeting's body (``meeting_payload``) as a scheduled webinar's with registration on:
    type 5, and only the settings the webinar schema has (no waiting room or join before host
    for webinars)."""
    body = with_registration(meeting_body, WEBINARS)
    settings = {k: v for k, v in body["settings"].items() if k in WEBINAR_SETTINGS}
    body = {**body, "settings": settings}
    body.pop("default_password", None)  # not in the webinar schema: Zoom makes the passcode
    if "type" in body:
        body["type"] = WEBINAR_SCHEDULED
    return body
