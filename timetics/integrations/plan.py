"""The host's Zoom plan: what Get a user says (``type``) and, where the app may read them, the
feature flags of Get user settings. Read on connect and on Check connection; a missing scope
is recorded by name and never fails either."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from .. import zoom
from ..exceptions import ZoomError
from ..models import GuestJoin, ZoomConnection
from ..zoom.transport import SCOPES_MISSING

logger = logging.getLogger(__name__)

# Get a user, ``type`` (Zoom's Users API reference and its OpenAPI spec: 1 Basic, 2 Licensed,
# 99 None; 4 is the older "no meetings licence" value some accounts still return).
PLAN_NAMES = {1: "Basic (free): Zoom ends its meetings after 40 minutes", 2: "Licensed",
              4: "No meetings licence", 99: "None"}
BASIC_WARNING = "Zoom ends meetings of a Basic account after 40 minutes"
LICENSED = 2
GUEST_JOIN_LABELS = {GuestJoin.SHARED: "One shared meeting link",
                     GuestJoin.REGISTRATION: "Zoom meeting with registration",
                     GuestJoin.WEBINAR: "Zoom webinar"}


@dataclass(frozen=True)
class Plan:
    user_type: int | None
    features: dict | None  # Get user settings' ``feature`` object, as Zoom sent it
    problem: str | None  # why the features are unknown, in words naming the scope


def read_plan(api: zoom.ZoomAPI, me: dict, granted: str | set[str]) -> Plan:
    """The plan from ``me`` (GET /users/me) and, if the app has ``user:read:settings``, one
    GET /users/me/settings."""
    user_type = me.get("type") if isinstance(me.get("type"), int) else None
    if not zoom.has_scope(granted, zoom.SETTINGS_SCOPE):
        return Plan(user_type, None, _scope_missing())
    try:
        settings = api.get_settings()
    except ZoomError as e:
        if e.code == SCOPES_MISSING:
            return Plan(user_type, None, _scope_missing())
        logger.warning("Zoom settings lookup failed (%s); plan features unknown",
                       e.__class__.__name__)
        return Plan(user_type, None, "Zoom did not answer the settings lookup: the plan's "
                                     "features are unknown until the next Check connection.")
    feature = settings.get("feature")
    return Plan(user_type, dict(feature) if isinstance(feature, dict) else {}, None)


def _scope_missing() -> str:
    return (f"The Zoom app lacks the optional scope {zoom.SETTINGS_SCOPE}: the plan's features "
            "(webinars, meeting capacity) are unknown.")


def store_plan(connection: ZoomConnection, plan: Plan) -> None:
    connection.zoom_user_type = plan.user_type
    connection.zoom_features = plan.features
    connection.zoom_plan_problem = plan.problem


def plan_name(user_type: int | None) -> str | None:
    return PLAN_NAMES.get(user_type) if user_type is not None else None


FEATURE_LABELS = {"webinar": "Webinars", "webinar_capacity": "Webinar capacity",
                  "meeting_capacity": "Meeting capacity", "large_meeting": "Large meetings",
                  "large_meeting_capacity": "Large meeting capacity",
                  "zoom_events": "Zoom Events"}


def feature_lines(features: dict | None) -> list[tuple[str, str]]:
    """The flags worth showing a person, as (label, value) in words."""
    lines = []
    for name, label in FEATURE_LABELS.items():
        if features and name in features:
            value = features[name]
            lines.append((label, ("yes" if value else "no") if isinstance(value, bool)
                          else str(value)))
    return lines


def guest_join_problems(connection: ZoomConnection | None, mode: str,
                        capacity: int | None) -> list[str]:
    """What keeps ``mode`` (a GuestJoin value) from working for a host, each naming what is
    missing; empty when it will work. Zoom's prerequisites (API reference, Add a meeting
    registrant: "The host must be a Licensed user type"; Create a webinar: "A Pro or higher
    plan with a Webinar add-on", which Get user settings reports as ``feature.webinar`` and
    ``feature.webinar_capacity``), and the scopes of the operations each mode makes."""
    if mode == GuestJoin.SHARED:
        return []
    label = GUEST_JOIN_LABELS[GuestJoin(mode)]
    if connection is None:
        return [f"{label} needs the host's Zoom account: the host has not connected Zoom."]
    scopes = _scopes_missing(GuestJoin(mode), connection.scopes)
    problems = [scopes] if scopes else []
    if mode == GuestJoin.REGISTRATION:
        if connection.zoom_user_type != LICENSED:
            plan = plan_name(connection.zoom_user_type) or "unknown (use Check connection)"
            problems.append(f"{label} needs a Licensed Zoom host; the host's Zoom plan is "
                            f"{plan}.")
        return problems
    return problems + _webinar_problems(connection, label, capacity)


def _webinar_problems(connection: ZoomConnection, label: str,
                      capacity: int | None) -> list[str]:
    if connection.zoom_features is None:
        why = connection.zoom_plan_problem or "use Check connection to read it."
        return [f"{label} needs the host's Zoom Webinar add-on, which is unknown: {why}"]
    if not connection.feature("webinar"):
        return [f"{label} needs the Zoom Webinar add-on, which the host's Zoom account "
                "does not have (feature.webinar)."]
    limit = connection.feature("webinar_capacity")
    if isinstance(limit, int) and not isinstance(limit, bool) and capacity and capacity > limit:
        return [f"The host's Zoom webinars take at most {limit} attendees: lower the capacity "
                f"to {limit} or less."]
    return []


def _scopes_missing(mode: GuestJoin, granted: str | set[str]) -> str | None:
    """The sentence naming the scopes ``mode`` needs that ``granted`` lacks, or None."""
    needed = zoom.REGISTRATION_SCOPES if mode == GuestJoin.REGISTRATION else zoom.WEBINAR_SCOPES
    missing = [name for name in needed if not zoom.has_scope(granted, name)]
    if not missing:
        return None
    many = len(missing) > 1
    return (f"{GUEST_JOIN_LABELS[mode]} needs the Zoom app's scope{'s' if many else ''} "
            f"{', '.join(missing)}: add {'them' if many else 'it'} to the Zoom app, then the "
            "host connects again.")


def guest_join_scope_notes(granted: str | set[str]) -> list[str]:
    """For the Zoom card after Connect: each How guests join option the granted scopes leave off,
    naming the scopes it needs."""
    return [note for mode in (GuestJoin.REGISTRATION, GuestJoin.WEBINAR)
            if (note := _scopes_missing(mode, granted))]
