"""Logging in and out, the open-redirect guard, invitations and password resets."""
import re
from datetime import timedelta

import pytest

from timetics.db import utcnow
from timetics.extensions import db
from timetics.models import PasswordToken, User

from ..conftest import PASSWORD, assert_not_stored, csrf_token, login, post_form
from ..smtp import html_of, text_of


def test_login_page_has_labelled_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'value="Log in"' in html


def test_wrong_password_shows_a_message_and_does_not_log_in(client, admin):
    response = post_form(client, "/login", {"email": admin.email, "password": "wrong password"})
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_unknown_email_gets_the_same_message(client):
    response = post_form(client, "/login", {"email": "nobody@example.com", "password": "x" * 12})
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_an_empty_login_form_says_what_is_missing(client):
    response = post_form(client, "/login", {"email": "", "password": ""})
    assert response.status_code == 401
    assert response.get_data(as_text=True).count("This field is required.") == 2


def test_email_is_case_insensitive_at_login(client, make_user):
    make_user(email="casey@example.com")
    login(client, "CASEY@Example.COM")


def test_inactive_users_cannot_log_in(app, client, make_user):
    user = make_user(email="gone@example.com")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    response = post_form(client, "/login", {"email": "gone@example.com", "password": PASSWORD})
    assert response.status_code == 401


def test_logout_is_a_post_and_ends_the_session(as_admin):
    assert as_admin.get("/logout").status_code == 405
    html = as_admin.get("/dashboard").get_data(as_text=True)
    response = as_admin.post("/logout", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    assert as_admin.get("/dashboard").status_code == 302


def test_a_post_without_csrf_token_is_refused(client, admin):
    response = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_pages_redirect_to_login_and_back(client, admin):
    response = client.get("/staff")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    response = post_form(client, "/login", {"email": admin.email, "password": PASSWORD,
                                            "next": "/staff"}, page="/login?next=/staff")
    assert response.headers["Location"] == "/staff"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil.example",
     "javascript:alert(1)", "evil.example", "/\\/evil.example", ""],
)
def test_login_never_redirects_off_site(client, admin, target):
    response = post_form(client, "/login",
                         {"email": admin.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", ["/staff\nSet-Cookie: a=b", "/staff\r\nLocation: //evil.example",
                                    "/staff\x0b"])
def test_a_next_with_a_line_break_is_a_clear_400_not_a_500(client, admin, target):
    """A `next` that cannot be a Location header is no link anyone followed: 400 with a
    message, for the page and for the login posted from it."""
    page = client.get("/login", query_string={"next": target})
    assert page.status_code == 400
    assert "This login link is malformed" in page.get_data(as_text=True)
    response = post_form(client, "/login",
                         {"email": admin.email, "password": PASSWORD, "next": target})
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302  # not logged in


def invite(client, name="Sam Staff", email="sam@example.com", timezone="Europe/Berlin"):
    return post_form(client, "/staff/new", {"name": name, "email": email, "timezone": timezone})


def invitation_link(mailbox, address):
    [message] = mailbox.wait_for(1) and mailbox.to(address)
    match = re.search(r"http://timetics\.test(/password/set/[\w-]+)", text_of(message))
    assert match, text_of(message)
    assert match.group(1) in html_of(message)
    return match.group(1)


def test_invitation_email_link_sets_the_password_once(as_admin, mailbox, app):
    response = invite(as_admin)
    assert response.status_code == 302
    assert "invitation was sent to sam@example.com" in as_admin.get(
        response.headers["Location"]).get_data(as_text=True)
    [message] = mailbox.to("sam@example.com")
    assert message["Subject"] == "You are invited to Timetics"
    path = invitation_link(mailbox, "sam@example.com")

    guest = app.test_client()
    page = guest.get(path).get_data(as_text=True)
    assert "Welcome, Sam Staff" in page
    response = guest.post(path, data={"csrf_token": csrf_token(page),
                                      "password": "a new long passphrase",
                                      "confirm": "a new long passphrase"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert guest.get("/dashboard").status_code == 200

    again = app.test_client()
    refused = again.get(path)
    assert refused.status_code == 410
    assert "no longer valid" in refused.get_data(as_text=True)
    login(again, "sam@example.com", "a new long passphrase")


def test_an_expired_invitation_is_refused_with_a_clear_page(as_admin, mailbox, app):
    invite(as_admin)
    path = invitation_link(mailbox, "sam@example.com")
    with app.app_context():
        for row in db.session.scalars(db.select(PasswordToken)):
            row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "expire" in response.get_data(as_text=True)


def test_invitation_links_expire_after_72_hours(app, as_admin, mailbox):
    invite(as_admin)
    with app.app_context():
        row = db.session.scalar(db.select(PasswordToken))
    lifetime = row.expires_at - row.created_at
    assert timedelta(hours=71, minutes=59) < lifetime <= timedelta(hours=72)


def test_only_the_hash_of_the_link_is_stored(app, as_admin, mailbox):
    invite(as_admin)
    token = invitation_link(mailbox, "sam@example.com").rsplit("/", 1)[1]
    assert_not_stored(app, token)


def test_a_new_invitation_kills_the_old_link(as_admin, mailbox, app):
    invite(as_admin)
    first = invitation_link(mailbox, "sam@example.com")
    mailbox.clear()
    with app.app_context():
        member = db.session.scalar(db.select(User).where(User.email == "sam@example.com"))
    post_form(as_admin, f"/staff/{member.id}/invitation", {}, page=f"/staff/{member.id}")
    second = invitation_link(mailbox, "sam@example.com")
    assert first != second
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "Use at least 12 characters."),
        ("password1234", "password1234", "That password is too common."),
        ("a long passphrase", "another passphrase", "The two passwords differ."),
    ],
)
def test_set_password_form_explains_what_is_wrong(as_admin, mailbox, app, password, confirm,
                                                  message):
    invite(as_admin)
    path = invitation_link(mailbox, "sam@example.com")
    guest = app.test_client()
    page = guest.get(path).get_data(as_text=True)
    response = guest.post(path, data={"csrf_token": csrf_token(page), "password": password,
                                      "confirm": confirm})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert guest.get(path).status_code == 200  # the link was not spent


def test_invitation_when_mail_is_down_keeps_the_staff_member_and_says_so(smtp_down, as_admin,
                                                                          app):
    response = invite(as_admin)
    assert response.status_code == 302
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "invitation email could not be sent" in page
    assert "Send invitation again" in page
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.email == "sam@example.com"))


def test_forgot_password_sends_a_reset_link_that_works(client, make_user, mailbox, app):
    make_user(email="forgetful@example.com")
    response = post_form(client, "/password/forgot", {"email": "forgetful@example.com"})
    assert response.status_code == 302
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Reset your Timetics password"
    path = re.search(r"http://timetics\.test(/password/set/[\w-]+)", text_of(message)).group(1)
    page = client.get(path).get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf_token(page), "password": "brand new passphrase",
                            "confirm": "brand new passphrase"})
    login(app.test_client(), "forgetful@example.com", "brand new passphrase")


def test_forgot_password_does_not_reveal_who_has_an_account(client, mailbox):
    response = post_form(client, "/password/forgot", {"email": "stranger@example.com"})
    assert response.status_code == 302
    assert "If that address has an account" in client.get("/login").get_data(as_text=True)
    assert mailbox.messages == []


def test_forgot_password_refuses_a_malformed_email(client):
    response = post_form(client, "/password/forgot", {"email": "not an email"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.get_data(as_text=True)


def test_a_forged_set_password_link_is_refused(client):
    assert client.get("/password/set/forged-token").status_code == 410


