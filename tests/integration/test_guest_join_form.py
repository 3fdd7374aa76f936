"""How guests join (SPEC 7): a one-to-many Zoom meeting type offers a link per guest only where
the host's Zoom allows it, and otherwise the form says what is missing, by name."""
from datetime import timedelta

import pytest

from timetics.extensions import db
from timetics.models import MeetingType, Role, ZoomConnection, utcnow
from timetics.security import encrypt_secret
from timetics.zoom import GRANULAR_SCOPES, REGISTRATION_SCOPES, WEBINAR_SCOPES

from ..conftest import post_form
from .test_meeting_types import values

ALL_SCOPES = (*GRANULAR_SCOPES, *REGISTRATION_SCOPES, *WEBINAR_SCOPES)
WEBINAR_ADD_ON = {"webinar": True, "webinar_capacity": 100, "meeting_capacity": 300}


@pytest.fixture
def host(make_user):
    return make_user(Role.STAFF, name="Hana Host")


def connect(app, host, *, scopes=ALL_SCOPES, user_type=2, features=WEBINAR_ADD_ON,
            plan_problem=None) -> None:
    """The host's Zoom connection as Connect / Check connection left it."""
    with app.app_context():
        db.session.add(ZoomConnection(
            user_id=host.id, zoom_user_id="zoom-hana", zoom_email="hana@zoom.example",
            scopes=" ".join(scopes), access_token_encrypted=encrypt_secret("access"),
            refresh_token_encrypted=encrypt_secret("refresh"),
            expires_at=utcnow() + timedelta(hours=1), zoom_user_type=user_type,
            zoom_features=features, zoom_plan_problem=plan_problem))
        db.session.commit()


def group(host, mode, **overrides) -> dict:
    return values(host, **{"name": "Workshop", "slug": "workshop", "kind": "one_to_many",
                           "capacity": "20", "zoom_options_sent": "1", "zoom_passcode": "y",
                           "zoom_join_before_minutes": "off", "zoom_auto_recording": "none",
                           "zoom_guest_join": mode, **overrides})


def saved_mode(app) -> str | None:
    with app.app_context():
        return db.session.scalar(db.select(MeetingType.zoom_guest_join))


@pytest.mark.parametrize("mode", ["shared", "registration", "webinar"])
def test_each_mode_is_saved_where_the_hosts_zoom_allows_it(app, as_admin, host, mode):
    connect(app, host)
    response = post_form(as_admin, "/meeting-types/new", group(host, mode))
    assert response.status_code == 302
    assert saved_mode(app) == mode


def test_the_form_offers_the_three_ways_under_their_names(as_admin):
    page = as_admin.get("/meeting-types/new").get_data(as_text=True)
    assert '<label for="zoom_guest_join">How guests join</label>' in page
    for label in ("One shared meeting link", "Zoom meeting with registration",
                  "Zoom webinar"):
        assert f">{label}</option>" in page


def test_a_type_saved_before_keeps_one_shared_link(app, as_admin, host):
    """A post without the field (an older client) keeps the shared link."""
    data = group(host, "shared")
    del data["zoom_guest_join"]
    assert post_form(as_admin, "/meeting-types/new", data).status_code == 302
    assert saved_mode(app) == "shared"


@pytest.mark.parametrize(("connection", "mode", "overrides", "message"), [
    ({"features": {"webinar": False, "webinar_capacity": 0}}, "webinar", {},
     "needs the Zoom Webinar add-on, which the host&#39;s Zoom account does not have"),
    ({"features": None, "plan_problem": "The Zoom app lacks the optional scope "
                                        "user:read:settings: the plan's features are unknown."},
     "webinar", {}, "lacks the optional scope user:read:settings"),
    ({"scopes": (*GRANULAR_SCOPES, *REGISTRATION_SCOPES)}, "webinar", {},
     "needs the Zoom app&#39;s scopes webinar:write:webinar, webinar:update:webinar, "
     "webinar:delete:webinar, webinar:write:registrant, webinar:update:registrant_status"),
    ({"scopes": (*GRANULAR_SCOPES, "meeting:write:registrant")}, "registration", {},
     "needs the Zoom app&#39;s scope meeting:update:registrant_status"),
    ({"user_type": 1}, "registration", {},
     "Zoom meeting with registration needs a Licensed Zoom host; the host&#39;s Zoom plan is "
     "Basic"),
    ({}, "webinar", {"capacity": "150"},
     "The host&#39;s Zoom webinars take at most 100 attendees"),
    ({}, "webinar", {"kind": "one_to_one", "capacity": "1"},
     "A join link for each guest is for one-to-many meeting types with location Zoom."),
    ({}, "registration", {"location": "none"},
     "A join link for each guest is for one-to-many meeting types with location Zoom."),
    (None, "webinar", {}, "the host has not connected Zoom"),
])
def test_the_form_refuses_a_mode_the_hosts_zoom_cannot_give(
        app, as_admin, host, connection, mode, overrides, message):
    if connection is not None:
        connect(app, host, **connection)
    response = post_form(as_admin, "/meeting-types/new", group(host, mode, **overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Workshop"' in page  # what the admin typed is still there
    assert saved_mode(app) is None


def test_the_classic_scopes_cover_registration_and_webinars(app, as_admin, host):
    connect(app, host, scopes=("meeting:write", "meeting:read", "user:read", "webinar:write"))
    response = post_form(as_admin, "/meeting-types/new", group(host, "webinar"))
    assert response.status_code == 302


def test_the_settings_page_lists_the_optional_scopes_and_what_they_unlock(as_admin):
    page = as_admin.get("/settings/integrations/zoom").get_data(as_text=True)
    for scope in (*REGISTRATION_SCOPES, *WEBINAR_SCOPES):
        assert f"<code>{scope}</code>" in page
    assert "How guests join: Zoom webinar (optional)" in page
    assert "How guests join: Zoom meeting with registration (optional)" in page
