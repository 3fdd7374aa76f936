"""Every page renders from the top-level templates/ and static/ folders, with labelled inputs."""
import re

import pytest

from timetics.models import Role

ADMIN_PAGES = ["/dashboard", "/staff", "/staff/new", "/staff/{staff}",
               "/staff/{staff}/availability", "/staff/{staff}/integrations", "/meeting-types",
               "/meeting-types/new", "/settings/integrations/zoom", "/password/forgot"]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_every_input_has_a_label(as_admin, make_user, page):
    staff = make_user(Role.STAFF)
    response = as_admin.get(page.format(staff=staff.id))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in tag or 'type="submit"' in tag:
            continue
        assert '"None"' not in tag, f"an attribute rendered as None on {page}: {tag}"
        field_id = re.search(r'\sid="([^"]+)"', tag)
        assert field_id and field_id.group(1) in labelled, f"unlabelled field on {page}: {tag}"


def test_static_files_are_served_from_the_top_level_folder(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert b"--brand" in response.data
    response.close()


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_home_leads_to_the_dashboard_or_the_login(client):
    assert client.get("/").headers["Location"] == "/dashboard"
    assert client.get("/dashboard").headers["Location"].startswith("/login")


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)


def test_admin_dashboard_shows_the_setup_checklist(as_admin):
    html = as_admin.get("/dashboard").get_data(as_text=True)
    for step in ("Configure the Zoom app", "Add a staff member", "Set working hours",
                 "Create a meeting type"):
        assert step in html


def test_a_staff_members_checklist_is_about_their_own_setup(client, make_user):
    from ..conftest import login, post_form

    staff = make_user(Role.STAFF)
    login(client, staff.email)
    html = client.get("/dashboard").get_data(as_text=True)
    assert f'href="/staff/{staff.id}/availability">Set your working hours</a>' in html
    assert f'href="/staff/{staff.id}/integrations">Connect Zoom</a>' in html
    assert "Configure the Zoom app" not in html
    post_form(client, f"/staff/{staff.id}/availability", {"day_0": "09:00-17:00"})
    html = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'<li class="done">\s*<span class="check" aria-hidden="true">✓</span>\s*'
                     r'<a href="[^"]+">Set your working hours', html)


def test_booking_links_are_full_addresses_to_copy_on_the_list_and_the_hosts_dashboard(
        app, client, as_admin, make_user):
    from ..booking_helpers import create_booking_setup
    from ..conftest import login

    create_booking_setup(app, make_user)
    listed = as_admin.get("/meeting-types").get_data(as_text=True)
    assert 'value="http://timetics.test/book/intro-call"' in listed
    assert 'aria-label="booking page of Intro call"' in listed and ">Copy</button>" in listed
    assert re.search(r"js/copy\.[0-9a-f]{12}\.js", listed)  # versioned (static_files.py)
    host = app.test_client()
    login(host, "host@example.com")
    dashboard = host.get("/dashboard").get_data(as_text=True)
    assert "Your booking pages" in dashboard
    assert 'value="http://timetics.test/book/group-session"' in dashboard
    assert "Your booking pages" not in as_admin.get("/dashboard").get_data(as_text=True)
