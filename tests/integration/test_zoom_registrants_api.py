"""The Zoom client's webinar and registrant operations, over real HTTP against the sandbox:
each guest's own link, a cancelled guest's link stops working, webinars need the add-on."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from timetics import zoom
from timetics.exceptions import ZoomError, ZoomNotFound
from zoom_sandbox import BackgroundServer, create_sandbox_app

from ..sandbox.driver import SandboxDriver
from ..sandbox.test_plans import token_for
from ..sandbox.test_registrants import ALL_SCOPES, LICENSED, WEBINAR_HOST

GUESTS = [(f"guest{n}@example.com", f"Guest {n}") for n in (1, 2, 3)]


class StaticToken:
    """A TokenSource holding one access token the sandbox issued."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refreshed(self, stale: str) -> str:
        return self.token


@pytest.fixture(scope="module")
def sandbox():
    with BackgroundServer(create_sandbox_app({})) as server:
        yield server


@pytest.fixture
def driver(sandbox):
    driver = SandboxDriver(sandbox.url)
    driver.control("post", "/reset")
    yield driver
    driver.close()


def api_for(driver, user) -> zoom.ZoomAPI:
    app = zoom.ZoomApp(client_id="x", client_secret="y", redirect_uri="http://127.0.0.1/cb",
                       oauth_url=driver.base_url, api_url=driver.base_url + "/v2", timeout=5)
    return zoom.ZoomAPI(app, StaticToken(token_for(driver, user, ALL_SCOPES)))


def body() -> dict:
    return zoom.meeting_payload(topic="Workshop", start=datetime(2030, 5, 1, 15, tzinfo=UTC),
                                duration_minutes=60, timezone="UTC",
                                agenda="Timetics booking ABC123")


def opens(link: str) -> bool:
    return requests.get(link, timeout=5, allow_redirects=False).status_code == 200


def test_the_registration_body_turns_zooms_emails_off():
    settings = zoom.with_registration(body())["settings"]
    assert (settings["approval_type"], settings["registrants_confirmation_email"],
            settings["registrants_email_notification"]) == (0, False, False)
    webinar = zoom.webinar_payload(body())
    assert webinar["type"] == 5 and "default_password" not in webinar
    assert "waiting_room" not in webinar["settings"]


@pytest.mark.parametrize("kind", [zoom.MEETINGS, zoom.WEBINARS])
def test_each_guest_gets_a_link_and_a_cancelled_one_stops_working(driver, kind):
    api = api_for(driver, WEBINAR_HOST)
    item = (api.create_meeting(zoom.with_registration(body())) if kind == zoom.MEETINGS
            else api.create_webinar(zoom.webinar_payload(body())))
    registrants = [api.add_registrant(kind, str(item["id"]), email=email, first_name=name)
                   for email, name in GUESTS]
    links = [r["join_url"] for r in registrants]
    assert len(set(links)) == 3 and all(opens(link) for link in links)
    assert not opens(item["join_url"])  # the shared link lets no one in
    again = api.add_registrant(kind, str(item["id"]), email=GUESTS[0][0], first_name="Again")
    assert again["join_url"] == links[0]  # a retried job makes no second registration

    assert api.cancel_registrant(kind, str(item["id"]), email=GUESTS[0][0],
                                 registrant_id=registrants[0]["registrant_id"]) is True
    assert [opens(link) for link in links] == [False, True, True]


def test_a_webinar_is_moved_and_deleted(driver):
    api = api_for(driver, WEBINAR_HOST)
    webinar_id = str(api.create_webinar(zoom.webinar_payload(body()))["id"])
    moved = zoom.webinar_payload(zoom.meeting_payload(
        topic="Workshop", start=datetime(2030, 5, 2, 15, tzinfo=UTC), duration_minutes=60,
        timezone="UTC", agenda="Timetics booking ABC123", update_passcode="abc123"))
    api.update_webinar(webinar_id, moved)
    assert api.get_webinar(webinar_id)["start_time"] == "2030-05-02T15:00:00Z"
    assert api.delete_webinar(webinar_id) is True
    assert api.delete_webinar(webinar_id) is False  # already gone counts as deleted
    with pytest.raises(ZoomNotFound):
        api.get_webinar(webinar_id)
    assert api.cancel_registrant(zoom.WEBINARS, webinar_id, email="a@example.com",
                                 registrant_id="x") is False


def test_a_host_without_the_webinar_add_on_is_refused(driver):
    api = api_for(driver, LICENSED)
    with pytest.raises(ZoomError) as refused:
        api.create_webinar(zoom.webinar_payload(body()))
    assert (refused.value.status, refused.value.code) == (400, 200)
