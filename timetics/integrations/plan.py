"""The host's Zoom plan: what Get a user says (``type``) and, where the app may read them, the
feature flags of Get user settings. Read on connect and on Check connection; a missing scope
is recorded by name and never fails either."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from .. import zoom
from ..exceptions import ZoomError
from ..i18n import N_
from ..models import GuestJoin, ZoomConnection
from ..zoom.transport import SCOPES_MISSING

logger = logging.getLogger(__name__)

# Get a user, ``type`` (Zoom's Users API reference and its OpenAPI spec: 1 Basic, 2 Licensed,
# 99 None; 4 is the older "no meetings licence" value some accounts still return).
PLAN_NAMES = {1: N_("Basic (free): Zoom ends its meetings after 40 minutes"), 2: N_("Licensed"),
              4: N_("No meetings licence"), 99: N_("None")}
BASIC_WARNING = _l("Zoom ends meetings of a Basic account after 40 minutes")
LICENSED = 2
GUEST_JOIN_LABELS = {GuestJoin.SHARED: _l("One shared meeting link"),
                     GuestJoin.REGISTRATION: _l("Zoom meeting with registration"),
                     GuestJoin.WEBINAR: _l("Zoom webinar")}
# Why the plan's features are unknown: stored in English (ZoomConnection.zoom_plan_problem),
# shown in the reader's language by problem_text().
_NO_SETTINGS_ANSWER = N_("Zoom did not answer the settings lookup: the plan's features are "
                         "unknown until the next Check connection.")
_SETTINGS_SCOPE_MISSING = N_("The Zoom app lacks the optional scope %(scope)s: the plan's "
                             "features (webinars, meeting capacity) are unknown.")
_PROBLEMS = {_NO_SETTINGS_ANSWER: {}, _SETTINGS_SCOPE_MISSING: {"scope": zoom.SETTINGS_SCOPE}}


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
        return Plan(user_type, None, _NO_SETTINGS_ANSWER)
    feature = settings.get("feature")
    return Plan(user_type, dict(feature) if isinstance(feature, dict) else {}, None)


def _scope_missing() -> str:
    return _SETTINGS_SCOPE_MISSING % _PROBLEMS[_SETTINGS_SCOPE_MISSING]


def problem_text(problem: str | None) -> str | None:
    """A stored ``zoom_plan_problem`` in the current language (as stored if not ours)."""
    for message, params in _PROBLEMS.items():
        if problem == message % params:
            return _(message, **params)
    return problem


def store_plan(connection: ZoomConnection, plan: Plan) -> None:
    connection.zoom_user_type = plan.user_type
    connection.zoom_features = plan.features
    connection.zoom_plan_problem = plan.problem


def plan_name(user_type: int | None) -> str | None:
    name = PLAN_NAMES.get(user_type) if user_type is not None else None
    return _(name) if name else None


FEATURE_LABELS = {"webinar": N_("Webinars"), "webinar_capacity": N_("Webinar capacity"),
                  "meeting_capacity": N_("Meeting capacity"), "large_meeting": N_("Large meetings"),
                  "large_meeting_capacity": N_("Large meeting capacity"),
                  "zoom_events": N_("Zoom Events")}


def feature_lines(features: dict | None) -> list[tuple[str, str]]:
    """The flags worth showing a person, as (label, value) in words."""
    lines = []
    for name, label in FEATURE_LABELS.items():
        if features and name in features:
            value = features[name]
            lines.append((_(label), (_("yes") if value else _("no")) if isinstance(value, bool)
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
        return [_("%(option)s needs the host's Zoom account: the host has not connected Zoom.",
                  option=label)]
    scopes = _scopes_missing(GuestJoin(mode), connection.scopes)
    problems = [scopes] if scopes else []
    if mode == GuestJoin.REGISTRATION:
        if connection.zoom_user_type != LICENSED:
            plan = plan_name(connection.zoom_user_type) or _("unknown (use Check connection)")
            problems.append(_("%(option)s needs a Licensed Zoom host; the host's Zoom plan is "
                              "%(plan)s.", option=label, plan=plan))
        return problems
    return problems + _webinar_problems(connection, label, capacity)


def _webinar_problems(connection: ZoomConnection, label: str,
                      capacity: int | None) -> list[str]:
    if connection.zoom_features is None:
        why = problem_text(connection.zoom_plan_problem) or _("use Check connection to read it.")
        return [_("%(option)s needs the host's Zoom Webinar add-on, which is unknown: %(why)s",
                  option=label, why=why)]
    if not connection.feature("webinar"):
        return [_("%(option)s needs the Zoom Webinar add-on, which the host's Zoom account "
                  "does not have (feature.webinar).", option=label)]
    limit = connection.feature("webinar_capacity")
    if isinstance(limit, int) and not isinstance(limit, bool) and capacity and capacity > limit:
        return [_("The host's Zoom webinars take at most %(limit)d attendees: lower the "
                  "capacity to %(limit)d or less.", limit=limit)]
    return []


def _scopes_missing(mode: GuestJoin, granted: str | set[str]) -> str | None:
    """The sentence naming the scopes ``mode`` needs that ``granted`` lacks, or None."""
    needed = zoom.REGISTRATION_SCOPES if mode == GuestJoin.REGISTRATION else zoom.WEBINAR_SCOPES
    missing = [name for name in needed if not zoom.has_scope(granted, name)]
    if not missing:
        return None
    return ngettext("%(option)s needs the Zoom app's scope %(scopes)s: add it to the Zoom app, "
                    "then the host connects again.",
                    "%(option)s needs the Zoom app's scopes %(scopes)s: add them to the Zoom "
                    "app, then the host connects again.", len(missing),
                    option=GUEST_JOIN_LABELS[mode], scopes=", ".join(missing))


def guest_join_scope_notes(granted: str | set[str]) -> list[str]:
    """For the Zoom card after Connect: each How guests join option the granted scopes leave off,
    naming the scopes it needs."""
    return [note for mode in (GuestJoin.REGISTRATION, GuestJoin.WEBINAR)
            if (note := _scopes_missing(mode, granted))]
