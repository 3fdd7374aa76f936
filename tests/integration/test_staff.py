"""Staff members: who may see whom, profiles, and working hours with their validation."""
import pytest

from timetics.extensions import db
from timetics.models import AvailabilityRule, DateOverride, Role, User

from ..conftest import login, post_form


@pytest.fixture
def two_staff(make_user):
    return make_user(Role.STAFF, name="Ann Staff"), make_user(Role.STAFF, name="Bob Staff")


STAFF_PAGES = ["/staff/{id}", "/staff/{id}/availability", "/staff/{id}/integrations"]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_staff_member_cannot_open_another_staff_members_pages(client, two_staff, page):
    ann, bob = two_staff
    login(client, ann.email)
    assert client.get(page.format(id=ann.id)).status_code == 200
    response = client.get(page.format(id=bob.id))
    assert response.status_code == 403
    assert "You do not have access" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/staff/{id}", {"name": "Hacked", "email": "h@example.com", "timezone": "UTC"}),
        ("/staff/{id}/availability", {"day_0": "00:00-24:00"}),
        ("/staff/{id}/availability/overrides", {"day": "2030-01-01", "hours": ""}),
    ],
)
def test_a_staff_member_cannot_change_another_staff_members_data(app, client, two_staff, url,
                                                                 data):
    ann, bob = two_staff
    login(client, ann.email)
    response = post_form(client, url.format(id=bob.id), data, page=f"/staff/{ann.id}")
    assert response.status_code == 403
    with app.app_context():
        bob_now = db.session.get(User, bob.id)
        assert bob_now.name == "Bob Staff"
        assert bob_now.availability_rules == [] and bob_now.date_overrides == []


@pytest.mark.parametrize("url", ["/staff", "/staff/new", "/meeting-types", "/meeting-types/new"])
def test_admin_only_pages_answer_403_to_staff(client, two_staff, url):
    login(client, two_staff[0].email)
    assert client.get(url).status_code == 403


def test_staff_navigation_links_to_their_own_profile(client, two_staff):
    ann, _ = two_staff
    login(client, ann.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert f'<a href="/staff/{ann.id}">My profile</a>' in html
    assert "Staff Members" not in html


def test_admin_sees_every_staff_member_linked_by_name(as_admin, two_staff):
    html = as_admin.get("/staff").get_data(as_text=True)
    for member in two_staff:
        assert f'<a href="/staff/{member.id}">{member.name}</a>' in html


def test_staff_pages_have_the_three_tabs(as_admin, two_staff):
    html = as_admin.get(f"/staff/{two_staff[0].id}").get_data(as_text=True)
    for tab in ("Profile", "Availability", "Integrations"):
        assert f">{tab}</a>" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "x@example.com", "timezone": "UTC"}, "This field is required."),
        ({"name": "X", "email": "not-an-email", "timezone": "UTC"}, "Enter a valid email address."),
        ({"name": "X", "email": "x@example.com", "timezone": "Mars/Base"}, "Choose a time zone"),
        ({"name": "X" * 201, "email": "x@example.com", "timezone": "UTC"},
         "At most 200 characters."),
        ({"name": "X", "email": "admin@example.com", "timezone": "UTC"}, "already exists"),
    ],
)
def test_new_staff_form_explains_bad_input(as_admin, data, message, mailbox):
    response = post_form(as_admin, "/staff/new", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_staff_member_edits_their_own_profile(app, client, two_staff):
    ann, _ = two_staff
    login(client, ann.email)
    response = post_form(client, f"/staff/{ann.id}",
                         {"name": "Ann Smith", "email": "ANN@example.com",
                          "timezone": "Asia/Kolkata"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, ann.id)
        assert (user.name, user.email, user.timezone) == ("Ann Smith", "ann@example.com",
                                                          "Asia/Kolkata")


def test_profile_refuses_another_users_email(client, two_staff):
    ann, bob = two_staff
    login(client, ann.email)
    response = post_form(client, f"/staff/{ann.id}",
                         {"name": "Ann", "email": bob.email.upper(), "timezone": "UTC"})
    assert response.status_code == 422
    assert "Another user already has this email address." in response.get_data(as_text=True)


def week(**days):
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    return {f"day_{i}": days.get(name, "") for i, name in enumerate(names)}


def test_weekly_hours_with_several_intervals_a_day_are_saved_and_shown(app, client, two_staff):
    ann, _ = two_staff
    login(client, ann.email)
    response = post_form(client, f"/staff/{ann.id}/availability",
                         week(monday="13:00-17:00, 09:00-12:00", friday="10:00-24:00"))
    assert response.status_code == 302
    with app.app_context():
        rules = db.session.scalars(db.select(AvailabilityRule)
                                   .where(AvailabilityRule.user_id == ann.id)).all()
        assert sorted((r.weekday, r.start_minute, r.end_minute) for r in rules) == [
            (0, 540, 720), (0, 780, 1020), (4, 600, 1440)]
    html = client.get(f"/staff/{ann.id}/availability").get_data(as_text=True)
    assert 'value="09:00-12:00, 13:00-17:00"' in html
    assert 'value="10:00-24:00"' in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-5", "is not a time range like 09:00-17:00"),
        ("17:00-09:00", "ends before it starts"),
        ("09:00-12:00, 11:00-13:00", "These time ranges overlap"),
        ("09:00-25:00", "is not a valid time of day"),
        ("09:61-10:00", "is not a valid time of day"),
    ],
)
def test_weekly_hours_refuse_bad_intervals_next_to_the_field(app, client, two_staff, text,
                                                             message):
    ann, _ = two_staff
    login(client, ann.email)
    response = post_form(client, f"/staff/{ann.id}/availability", week(tuesday=text))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="day_1-error">' in html and message in html.split('id="day_1-error">')[1][:200]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AvailabilityRule.id))) == 0


def test_date_overrides_set_a_day_off_or_other_hours(app, client, two_staff):
    ann, _ = two_staff
    login(client, ann.email)
    page = f"/staff/{ann.id}/availability"
    url = f"/staff/{ann.id}/availability/overrides"
    assert post_form(client, url, {"day": "2030-12-24", "hours": ""}, page=page).status_code == 302
    assert post_form(client, url, {"day": "2030-12-27", "hours": "10:00-12:00, 14:00-15:00"},
                     page=page).status_code == 302
    with app.app_context():
        rows = db.session.scalars(db.select(DateOverride).order_by(DateOverride.id)).all()
        assert [(str(r.day), r.start_minute, r.end_minute) for r in rows] == [
            ("2030-12-24", None, None), ("2030-12-27", 600, 720), ("2030-12-27", 840, 900)]
    html = client.get(page).get_data(as_text=True)
    assert "day off" in html and "10:00-12:00, 14:00-15:00" in html

    response = post_form(client, f"/staff/{ann.id}/availability/overrides/2030-12-24/delete", {},
                         page=page)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DateOverride.id))) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "", "hours": ""}, "Pick a date."),
        ({"day": "2030-02-30", "hours": ""}, "Not a valid date value."),
        ({"day": "2030-03-01", "hours": "15:00-14:00"}, "ends before it starts"),
    ],
)
def test_date_override_form_explains_bad_input(client, two_staff, data, message):
    ann, _ = two_staff
    login(client, ann.email)
    response = post_form(client, f"/staff/{ann.id}/availability/overrides", data,
                         page=f"/staff/{ann.id}/availability")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_integrations_card_says_when_zoom_is_not_configured(as_admin, two_staff):
    html = as_admin.get(f"/staff/{two_staff[0].id}/integrations").get_data(as_text=True)
    assert "The Zoom app is not configured yet." in html
    assert 'href="/settings/integrations/zoom"' in html


def test_unknown_staff_member_is_404(as_admin):
    assert as_admin.get("/staff/999").status_code == 404
