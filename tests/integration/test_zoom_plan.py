"""The host's Zoom plan: read on connect and on Check connection, shown on the Zoom card and
the Check page, and a Basic host's long Zoom meeting types warned about on the form and the
dashboard. A missing settings scope is said by name and fails nothing."""
from types import SimpleNamespace

import pytest

from timetics.extensions import db
from timetics.models import MeetingType, Role, ZoomConnection

from ..conftest import PASSWORD
from ..live import Browser
from .test_zoom_options import zoom_values

WARNING = "Zoom ends meetings of a Basic account after 40 minutes"
WITH_SETTINGS = ["meeting:write:meeting", "meeting:read:meeting", "meeting:update:meeting",
                 "meeting:delete:meeting", "user:read:user", "user:read:settings"]


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF, name="Sam Second", email="sam@example.com")


def connection_of(app, user_id) -> ZoomConnection:
    with app.app_context():
        row = db.session.scalar(db.select(ZoomConnection).filter_by(user_id=user_id))
        db.session.expunge(row)
        return row


@pytest.fixture
def basic_alex(zoom_site):
    """The Zoom user that Connect signs in with (and connected_host's) is on the Basic plan:
    request it before ``connected_host``."""
    zoom_site.zoom("post", "/users", json={
        "id": "zoomuser-alex", "email": "alex.rivera@zoom.example", "first_name": "Alex",
        "last_name": "Rivera", "timezone": "America/New_York", "type": 1})


def licensed_sam(zoom_site, **extra):
    zoom_site.zoom("post", "/users", json={
        "id": "zoomuser-sam", "email": "sam@zoom.example", "first_name": "Sam", "type": 2,
        "features": {"webinar": True, "webinar_capacity": 500}, **extra})


def check(browser, user_id):
    return browser.submit(f"/staff/{user_id}/integrations/zoom/check",
                          page=f"/staff/{user_id}/integrations")


def test_a_basic_host_without_the_settings_scope_is_recorded_and_told_by_name(
        zoom_site, basic_alex, admin_browser, staff):
    landed = admin_browser.connect_zoom(staff.id)
    assert "Zoom connected as alex.rivera@zoom.example" in landed.text
    row = connection_of(zoom_site.app, staff.id)
    assert (row.zoom_user_type, row.zoom_features, row.is_basic) == (1, None, True)
    assert "user:read:settings" in row.zoom_plan_problem
    assert row.feature("webinar") is None
    # no settings call without its scope
    assert not [r for r in zoom_site.zoom_requests() if r["path"].endswith("/settings")]
    assert "Zoom plan: Basic (free): Zoom ends its meetings after 40 minutes" in landed.text
    assert "lacks the optional scope user:read:settings" in landed.text
    checked = check(admin_browser, staff.id)
    assert "The Zoom connection works" in checked.text
    assert "<dt>Plan</dt><dd>Basic (free)" in checked.text
    assert "lacks the optional scope user:read:settings" in checked.text
    assert "renewed by the job runner after 30 days without use" in checked.text


def test_a_licensed_hosts_feature_flags_are_stored_and_shown(zoom_site, admin_browser, staff):
    zoom_site.register_app(scopes=WITH_SETTINGS)
    licensed_sam(zoom_site)
    admin_browser.connect_zoom(staff.id, zoom_user_id="zoomuser-sam")
    row = connection_of(zoom_site.app, staff.id)
    assert (row.zoom_user_type, row.zoom_plan_problem) == (2, None)
    assert (row.feature("webinar"), row.feature("webinar_capacity"),
            row.feature("meeting_capacity")) == (True, 500, 300)
    assert [r["status"] for r in zoom_site.zoom_requests()
            if r["path"] == "/v2/users/me/settings"] == [200]
    checked = check(admin_browser, staff.id)
    assert "<dt>Plan</dt><dd>Licensed</dd>" in checked.text
    assert "Webinars: yes" in checked.text and "Webinar capacity: 500" in checked.text
    assert "Zoom plan: Licensed" in admin_browser.get(f"/staff/{staff.id}/integrations").text


def test_check_connection_reads_the_plan_again(zoom_site, admin_browser, staff):
    zoom_site.register_app(scopes=WITH_SETTINGS)
    zoom_site.zoom("post", "/users", json={"id": "zoomuser-sam", "email": "sam@zoom.example",
                                           "type": 1})
    admin_browser.connect_zoom(staff.id, zoom_user_id="zoomuser-sam")
    assert connection_of(zoom_site.app, staff.id).zoom_user_type == 1
    licensed_sam(zoom_site, features={"webinar": False})
    check(admin_browser, staff.id)
    row = connection_of(zoom_site.app, staff.id)
    assert (row.zoom_user_type, row.feature("webinar")) == (2, False)


def test_settings_zoom_cannot_answer_still_connect(zoom_site, basic_alex, admin_browser,
                                                   staff):
    zoom_site.register_app(scopes=WITH_SETTINGS)
    zoom_site.fault(target="user_settings", mode="error", status=500)
    landed = admin_browser.connect_zoom(staff.id)
    assert "Zoom connected as" in landed.text
    row = connection_of(zoom_site.app, staff.id)
    assert (row.zoom_user_type, row.zoom_features) == (1, None)
    assert "Zoom did not answer the settings lookup" in row.zoom_plan_problem


# --- the Basic host's warning ----------------------------------------------------------------

def type_ids(app) -> dict[str, int]:
    with app.app_context():
        return {t.slug: t.id for t in db.session.scalars(db.select(MeetingType))}


def test_the_form_warns_about_a_basic_hosts_long_zoom_meeting_type(
        zoom_site, basic_alex, connected_host, admin_browser):
    ids = type_ids(zoom_site.app)
    assert WARNING in admin_browser.get(f"/meeting-types/{ids['group-session']}").text  # 60
    assert WARNING not in admin_browser.get(f"/meeting-types/{ids['intro-call']}").text  # 30


@pytest.mark.parametrize(("duration", "location", "warned"), [
    ("45", "zoom", True), ("40", "zoom", False), ("45", "none", False)])
def test_the_form_warns_from_what_is_posted(zoom_site, basic_alex, connected_host,
                                            admin_browser, duration, location, warned):
    page = f"/meeting-types/{type_ids(zoom_site.app)['intro-call']}"
    data = zoom_values(SimpleNamespace(id=connected_host.host_id), duration_minutes=duration,
                       location=location)
    refused = admin_browser.submit(page, {**data, "zoom_passcode": "", "name": ""})
    assert refused.status_code == 422 and (WARNING in refused.text) is warned
    saved = admin_browser.submit(page, data, allow_redirects=False)
    assert saved.status_code == 302
    assert (WARNING in admin_browser.get(page).text) is warned


def test_the_dashboard_warns_the_admin_and_the_host(zoom_site, basic_alex, connected_host,
                                                   admin_browser):
    dashboard = admin_browser.get("/dashboard").text
    assert f"<strong>{WARNING}</strong>: Group session lasts 60 minutes" in dashboard
    assert "Intro call lasts" not in dashboard
    host = Browser(zoom_site)
    host.login(connected_host.host_email, PASSWORD)
    own = host.get("/dashboard").text
    host.close()
    assert f"<strong>{WARNING}</strong>: Group session lasts 60 minutes, and your Zoom " \
           "account is Basic (free)." in own


def test_no_warning_once_the_host_is_licensed(zoom_site, basic_alex, connected_host,
                                             admin_browser):
    zoom_site.zoom("post", "/users", json={"id": "zoomuser-alex", "email":
                                           "alex.rivera@zoom.example", "type": 2})
    check(admin_browser, connected_host.host_id)
    assert WARNING not in admin_browser.get("/dashboard").text
    ids = type_ids(zoom_site.app)
    assert WARNING not in admin_browser.get(f"/meeting-types/{ids['group-session']}").text
