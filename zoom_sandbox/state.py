"""Everything the sandbox remembers, in memory, and how to put it back to the start.

Each part (apps and users, OAuth, meetings, faults, logs) guards itself with its own lock;
``SandboxState`` holds them together with a clock that tests can move forward and a wake-up
event that cuts short every fault's sleep on reset.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from .errors import ControlError
from .events import (
    EventOutbox,
    deauthorization_event,
    meeting_deleted_event,
    meeting_updated_event,
)
from .faults import FaultBook
from .grants import GrantKey, OAuthStore
from .meetings import WEBINAR, Meeting, MeetingStore
from .models import DEMO_APP, DEMO_BASIC_USER, DEMO_USER, OAuthApp, ZoomUser
from .requestlog import RequestLog

EXTENSION_KEY = "zoom_sandbox"


@dataclass(frozen=True)
class SandboxConfig:
    """What ``create_sandbox_app`` was given; ``reset`` returns to it."""

    apps: tuple[OAuthApp, ...] = (DEMO_APP,)
    users: tuple[ZoomUser, ...] = (DEMO_USER, DEMO_BASIC_USER)
    access_token_lifetime: int = 3600
    code_lifetime: int = 300

    @classmethod
    def from_dict(cls, config: Mapping[str, Any] | None) -> SandboxConfig:
        config = config or {}
        defaults = cls()
        return cls(
            apps=tuple(map(OAuthApp.from_dict, config.get("apps", ()))) or defaults.apps,
            users=tuple(map(ZoomUser.from_dict, config.get("users", ()))) or defaults.users,
            access_token_lifetime=int(config.get("access_token_lifetime",
                                                 defaults.access_token_lifetime)),
            code_lifetime=int(config.get("code_lifetime", defaults.code_lifetime)),
        )


class Clock:
    """Wall-clock time plus an offset that only ever grows (to expire codes and tokens)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ControlError("The clock only moves forward.")
        self.offset += seconds


class Directory:
    """The registered apps and the Zoom users, in the order they were added."""

    def __init__(self, apps: tuple[OAuthApp, ...], users: tuple[ZoomUser, ...]) -> None:
        self._lock = threading.Lock()
        self._apps = {a.client_id: a for a in apps}
        self._users = {u.id: u for u in users}

    def app(self, client_id: str | None) -> OAuthApp | None:
        with self._lock:
            return self._apps.get(client_id or "")

    def user(self, user_id: str | None) -> ZoomUser | None:
        with self._lock:
            return self._users.get(user_id or "")

    def apps(self) -> list[OAuthApp]:
        with self._lock:
            return list(self._apps.values())

    def users(self) -> list[ZoomUser]:
        with self._lock:
            return list(self._users.values())

    def put_app(self, app: OAuthApp) -> None:
        with self._lock:
            self._apps[app.client_id] = app

    def put_user(self, user: ZoomUser) -> None:
        with self._lock:
            self._users[user.id] = user


class SandboxState:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._wake = threading.Event()
        self.reset()

    def reset(self) -> None:
        """Back to the configured apps and users, with nothing else remembered."""
        self._wake.set()  # any request sleeping in a fault answers now
        self._wake = threading.Event()
        self.clock = Clock()
        self.directory = Directory(self.config.apps, self.config.users)
        self.oauth = OAuthStore(self.clock, code_lifetime=self.config.code_lifetime,
                                token_lifetime=self.config.access_token_lifetime)
        self.meetings = MeetingStore(self.clock)
        self.webinars = MeetingStore(self.clock, kind=WEBINAR)
        self.faults = FaultBook()
        self.requests = RequestLog()
        self.events = EventOutbox()
        self.latency = 0.0

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up early if the sandbox is reset (keeps test teardown fast)."""
        if seconds > 0:
            self._wake.wait(seconds)

    def announce_deauthorization(self, grants: list[GrantKey]) -> None:
        """Send ``app_deauthorized`` for each revoked grant whose app has an event endpoint."""
        now = time.time()
        for client_id, user_id in grants:
            app, user = self.directory.app(client_id), self.directory.user(user_id)
            if app is not None and user is not None:
                self.events.send(app, deauthorization_event(app, user, now))

    def announce_meeting_deleted(self, meeting: Meeting) -> int:
        """Send ``meeting.deleted`` to each app the host has authorised; how many were sent."""
        return self._announce(meeting, lambda host, now: meeting_deleted_event(meeting, host,
                                                                               now))

    def announce_meeting_updated(self, meeting: Meeting, changed: dict, old: dict) -> int:
        """Send ``meeting.updated`` to each app the host has authorised; how many were sent."""
        return self._announce(meeting, lambda host, now: meeting_updated_event(
            meeting, host, changed, old, now))

    def _announce(self, meeting: Meeting, build) -> int:
        host = self.directory.user(meeting.host_id)
        if host is None:
            return 0
        event = build(host, time.time())
        apps = [self.directory.app(c) for c in self.oauth.apps_of_user(host.id)]
        return sum(1 for app in apps if app is not None and self.events.send(app, event))

    def describe(self) -> dict:
        return {
            "apps": [a.describe() for a in self.directory.apps()],
            "users": [u.as_zoom_json() for u in self.directory.users()],
            **self.oauth.describe(),
            "meetings": self.meetings.records(),
            "webinars": self.webinars.records(),
            "faults": self.faults.describe(),
            "latency": self.latency,
            "clock_offset": self.clock.offset,
            "events": self.events.deliveries(),
        }


def sandbox_state() -> SandboxState:
    """The state of the sandbox app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
