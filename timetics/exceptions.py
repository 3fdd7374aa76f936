"""The errors Timetics expects, each one a thing a user can be told about in plain words."""
from __future__ import annotations

from datetime import datetime


class TimeticsError(Exception):
    """Base class: an expected failure with a message fit to show a user."""


class ConfigError(TimeticsError):
    """The configuration cannot work; raised at start-up, before serving anything."""


class OriginError(TimeticsError):
    """An entry of Allowed origins (embedding) that is not scheme://host[:port]."""


class AccountError(TimeticsError):
    """A request about an account that cannot be done (bad or duplicate input)."""


class UndeliverableAddress(TimeticsError):
    """An email address that cannot go out exactly as written."""


class SlugTaken(TimeticsError):
    """Another meeting type has this URL slug."""


class TooManyQuestions(TimeticsError):
    """A meeting type already asks as many booking questions as it may."""


class MoveRefused(TimeticsError):
    """The target database cannot take the copy; nothing was written."""


class SlotUnavailable(TimeticsError):
    """The chosen time is not (or no longer) free."""


class NotARequest(TimeticsError):
    """Accept or Decline on a booking that no longer waits for the host's approval."""


class ZoomError(TimeticsError):
    """Zoom answered with an error, or could not be reached.

    ``status`` is the HTTP status (None when there was no answer), ``code`` Zoom's
    numeric code or OAuth error string from the error body, when it sent one.
    """

    def __init__(self, message: str, *, status: int | None = None, code: int | str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class ZoomTokenRefused(ZoomError):
    """Zoom refused the access or refresh token (401 after a refresh, or ``invalid_grant``)."""


class ZoomOAuthError(ZoomError):
    """The OAuth token endpoint refused a request (bad code, redirect URI mismatch, bad client)."""


class ZoomNotFound(ZoomError):
    """The meeting (or user) does not exist at Zoom, or has ended."""


class ZoomRateLimited(ZoomError):
    """Zoom answered 429; ``retry_after`` is when it said to come back (UTC), if it said."""

    def __init__(self, message: str, *, retry_after: datetime | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ZoomUnavailable(ZoomError):
    """No usable answer: connection refused, timeout, or a 5xx."""


class ZoomTimeout(ZoomUnavailable):
    """Zoom did not answer within the timeout (``ZOOM_TIMEOUT``)."""


class ZoomNotConfigured(ZoomError):
    """The admin has not entered the Zoom app's Client ID and Secret yet."""


class ZoomUserTaken(ZoomError):
    """That Zoom account is connected to another staff member, who keeps it."""

    def __init__(self, owner_name: str, zoom_email: str):
        super().__init__(f"This Zoom account is already connected to {owner_name}.")
        self.owner_name = owner_name
        self.zoom_email = zoom_email


class StateInvalid(TimeticsError):
    """Zoom's callback came with a state that is missing, reused, from another browser, or
    expired."""

    def __init__(self, message: str = "This Zoom sign-in has expired: start again from "
                 "Connect, in the same browser."):
        super().__init__(message)
        self.message = message


class GiveUp(TimeticsError):
    """A job's attempt failed and it is not to be tried again (a webhook delivery that used
    its WEBHOOK_MAX_ATTEMPTS): the job gives up now, as if it had reached its maximum age."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RetryLater(TimeticsError):
    """A job cannot do its work yet (the host must reconnect Zoom, the mail server is down):
    the attempt fails, and the job is tried again after a backoff."""

    def __init__(self, message: str, *, retry_after: datetime | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after



class UnsafeURL(TimeticsError):
    """An address a user gave that Timetics will not fetch (not http(s), or not public)."""


class ResponseTooLarge(TimeticsError):
    """A server's answer to a fetch was larger than Timetics reads."""


class CalendarError(TimeticsError):
    """A calendar server or feed could not give what was asked; ``message`` says why, in
    words for the Calendars tab."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CalendarAuthRefused(CalendarError):
    """The CalDAV server refused the username or password (401/403)."""


class CalendarUnavailable(CalendarError):
    """No usable answer: refused connection, timeout, a 5xx."""


class FreeBusyRefused(CalendarError):
    """The CalDAV server refused or does not support the free-busy report (a 4xx or 5xx, or
    an answer that is not a VFREEBUSY): the calendar query is asked instead."""
