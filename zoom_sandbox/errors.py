"""The two error shapes Zoom answers with: OAuth's ``reason``/``error`` and the REST API's
``code``/``message``. Views raise them; the app turns them into JSON responses."""
from __future__ import annotations


class OAuthError(Exception):
    """An error from ``/oauth/token`` or ``/oauth/revoke``: ``{"reason": …, "error": …}``."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason

    def body(self) -> dict:
        return {"reason": self.reason, "error": self.error}


class ZoomApiError(Exception):
    """An error from the REST API: ``{"code": n, "message": …}``, ``errors`` for validation."""

    def __init__(self, status: int, code: int, message: str,
                 errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class ControlError(Exception):
    """A malformed request to the control API (``/_sandbox/…``)."""


def invalid_token() -> ZoomApiError:
    return ZoomApiError(401, 124, "Invalid access token.")


def meeting_not_found(meeting_id: object) -> ZoomApiError:
    return ZoomApiError(404, 3001, f"Meeting does not exist: {meeting_id}.")


def webinar_not_found(webinar_id: object) -> ZoomApiError:
    # Get/Update/Delete a webinar: 404 code 3001 "Webinar {webinarId} not found or has expired."
    return ZoomApiError(404, 3001, f"Webinar {webinar_id} not found or has expired.")


def webinar_plan_missing(user_id: str) -> ZoomApiError:
    # Create a webinar: 400 code 200 for a host without the Webinar add-on.
    return ZoomApiError(400, 200, "Subscription plan for webinar is missing. Enable webinar "
                                  f"for this user once the subscription plan is added:{user_id}.")
