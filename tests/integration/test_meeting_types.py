"""Meeting types: the admin creates, edits and deactivates them; bad values are explained."""
import pytest

from timetics.extensions import db
from timetics.models import MeetingKind, MeetingType, Role

from ..conftest import post_form


@pytest.fixture
def host(make_user):
    return make_user(Role.STAFF, name="Hana Host")


def values(host, **overrides):
    data = {
        "name": "Intro call", "slug": "intro-call", "host_id": str(host.id),
        "duration_minutes": "30", "kind": "one_to_one", "capacity": "1", "location": "zoom",
        "buffer_before_minutes": "0", "buffer_after_minutes": "10", "min_notice_minutes": "60",
        "window_days": "60", "step_minutes": "", "description": "Say hello.", "active": "y",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_one_to_many_meeting_type(app, as_admin, host):
    response = post_form(as_admin, "/meeting-types/new",
                         values(host, name="Workshop", slug="workshop", kind="one_to_many",
                                capacity="12", duration_minutes="90", step_minutes="30"))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(db.select(MeetingType))
        assert (saved.name, saved.slug, saved.host_id, saved.kind, saved.capacity,
                saved.duration_minutes, saved.step_minutes, saved.buffer_after_minutes,
                saved.active) == ("Workshop", "workshop", host.id, MeetingKind.ONE_TO_MANY, 12,
                                  90, 30, 10, True)
    listing = as_admin.get("/meeting-types").get_data(as_text=True)
    assert "Workshop" in listing and "/book/workshop" in listing and "Group of up to 12" in listing


def test_admin_edits_and_deactivates_a_meeting_type(app, as_admin, host):
    post_form(as_admin, "/meeting-types/new", values(host))
    with app.app_context():
        type_id = db.session.scalar(db.select(MeetingType.id))
    response = post_form(as_admin, f"/meeting-types/{type_id}",
                         values(host, name="Intro chat", duration_minutes="45"))
    assert response.status_code == 302
    response = post_form(as_admin, f"/meeting-types/{type_id}/active", {}, page="/meeting-types")
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(MeetingType, type_id)
        assert (saved.name, saved.duration_minutes, saved.active) == ("Intro chat", 45, False)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "Intro Call"}, "Use lower-case letters, digits and single hyphens"),
        ({"slug": "intro--call"}, "Use lower-case letters, digits and single hyphens"),
        ({"duration_minutes": "4"}, "Between 5 and 480 minutes."),
        ({"duration_minutes": "481"}, "Between 5 and 480 minutes."),
        ({"duration_minutes": "half an hour"}, "Not a valid integer value."),
        ({"capacity": "3"}, "A one-to-one meeting has capacity 1."),
        ({"kind": "one_to_many", "capacity": "1"}, "A one-to-many meeting takes 2 to 500 guests."),
        ({"kind": "one_to_many", "capacity": "501"}, "Between 1 and 500."),
        ({"buffer_before_minutes": "-5"}, "Between 0 and 240 minutes."),
        ({"window_days": "0"}, "Between 1 and 730 days."),
        ({"step_minutes": "2"}, "Between 5 and 480 minutes."),
        ({"name": ""}, "This field is required."),
        ({"kind": "webinar"}, "Not a valid choice."),
        ({"host_id": "999"}, "Not a valid choice."),
        ({"description": "x" * 2001}, "Field cannot be longer than 2000 characters."),
    ],
)
def test_meeting_type_form_explains_bad_input(app, as_admin, host, overrides, message):
    response = post_form(as_admin, "/meeting-types/new", values(host, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(MeetingType.id))) == 0


def test_slugs_are_unique(as_admin, host):
    post_form(as_admin, "/meeting-types/new", values(host))
    response = post_form(as_admin, "/meeting-types/new", values(host, name="Other"))
    assert response.status_code == 422
    assert "Another meeting type already uses this slug." in response.get_data(as_text=True)
