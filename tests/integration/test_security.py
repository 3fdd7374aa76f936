"""Headers, cookies, rate limits and the host check."""
import pytest

from ..booking_helpers import at, create_booking_setup, iso, session_csrf, weekday_ahead
from ..conftest import PASSWORD, login, post_form


def test_every_page_has_the_security_headers(client, admin):
    for path in ("/login", "/healthz", "/static/css/app.css", "/no-such-page"):
        response = client.get(path)
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # plain http here
        response.close()


def test_pages_whose_url_holds_a_secret_send_no_referrer(client):
    response = client.get("/bookings/ANY?token=forged")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/password/set/forged").headers["Referrer-Policy"] == "no-referrer"


def test_https_adds_hsts_and_secure_cookies(make_app):
    app = make_app(EXTERNAL_URL="https://book.example.com")
    client = app.test_client()
    response = client.get("/login", base_url="https://book.example.com")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/" in cookie and "Domain" not in cookie


def test_a_body_over_max_content_length_gets_a_413_page(make_app):
    client = make_app(MAX_CONTENT_LENGTH=2000).test_client()
    response = client.post("/login", data={"email": "a@example.com", "password": "x" * 2000})
    assert response.status_code == 413
    assert "larger than the 2,000 bytes" in response.get_data(as_text=True)


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True


def test_the_eleventh_wrong_password_in_a_minute_gets_429(limited, client, admin):
    token = session_csrf(client)
    for _ in range(10):
        response = client.post("/login", data={"csrf_token": token, "email": admin.email,
                                                "password": "wrong password!"})
        assert response.status_code == 401
    response = client.post("/login", data={"csrf_token": token, "email": admin.email,
                                            "password": PASSWORD})
    assert response.status_code == 429
    assert "You have tried this too often" in response.get_data(as_text=True)


def test_booking_posts_are_limited_too(limited, app, make_user, client):
    create_booking_setup(app, make_user)
    token = session_csrf(client)
    day = weekday_ahead()
    statuses = []
    for n in range(21):
        response = client.post("/book/intro-call", data={
            "csrf_token": token, "start": iso(at(day, 3)), "timezone": "UTC",
            "name": f"Guest {n}", "email": f"g{n}@example.com"})
        statuses.append(response.status_code)
    assert statuses[:20] == [409] * 20 and statuses[20] == 429


def test_a_new_session_on_login(client, admin):
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, admin.email)
    assert client.get_cookie("session").value != before


def test_logout_clears_the_session(client, admin):
    login(client, admin.email)
    post_form(client, "/logout", {}, page="/dashboard")
    assert client.get("/dashboard").status_code == 302


def test_a_copy_of_the_session_cookie_is_refused_after_logout(app, client, admin):
    login(client, admin.email)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/dashboard").status_code == 200
    post_form(client, "/logout", {}, page="/dashboard")
    assert copy.get("/dashboard").status_code == 302


def test_rotate_encryption_key_reencrypts_everything_under_the_new_key(app, make_user):
    from datetime import timedelta

    from cryptography.fernet import Fernet

    from timetics.db import utcnow
    from timetics.extensions import db
    from timetics.models import ZoomConnection, ZoomSettings
    from timetics.security import decrypt_secret, encrypt_secret
    from timetics.settings.services import save_zoom_settings

    old_key = app.config["ENCRYPTION_KEY"][0]
    staff = make_user()
    with app.app_context():
        save_zoom_settings(client_id="cid", client_secret="the-client-secret",
                           secret_token="the-secret-token")
        db.session.add(ZoomConnection(
            user_id=staff.id, zoom_user_id="z1", access_token_encrypted=encrypt_secret("acc"),
            refresh_token_encrypted=encrypt_secret("ref"), expires_at=utcnow() + timedelta(1)))
        db.session.commit()

    new_key = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEY"] = [new_key, old_key]
    app.extensions.pop("timetics_fernet")
    result = app.test_cli_runner().invoke(args=["rotate-encryption-key"])
    assert result.exit_code == 0, result.output
    assert "2 Zoom app secrets, 1 Zoom token pairs" in result.output

    app.config["ENCRYPTION_KEY"] = [new_key]  # the old key is gone now
    app.extensions.pop("timetics_fernet")
    with app.app_context():
        settings = db.session.get(ZoomSettings, 1)
        assert decrypt_secret(settings.client_secret_encrypted) == "the-client-secret"
        assert decrypt_secret(settings.secret_token_encrypted) == "the-secret-token"
        connection = db.session.scalar(db.select(ZoomConnection))
        assert decrypt_secret(connection.access_token_encrypted) == "acc"
        assert decrypt_secret(connection.refresh_token_encrypted) == "ref"
        assert Fernet(new_key).decrypt(connection.access_token_encrypted.encode()) == b"acc"


def test_setting_a_new_password_ends_the_other_sessions(app, client, make_user, mailbox):
    import re as _re

    from ..conftest import csrf_token

    user = make_user(email="sam@example.com")
    login(client, user.email)
    assert client.get("/dashboard").status_code == 200
    other = app.test_client()
    post_form(other, "/password/forgot", {"email": user.email})
    link = _re.search(r"http://timetics\.test(/password/set/[\w-]+)",
                      mailbox.wait_for(1)[0].get_body(("plain",)).get_content()).group(1)
    page = other.get(link).get_data(as_text=True)
    other.post(link, data={"csrf_token": csrf_token(page), "password": "a brand new phrase",
                           "confirm": "a brand new phrase"})
    assert other.get("/dashboard").status_code == 200  # the browser that changed it stays in
    assert client.get("/dashboard").status_code == 302  # every other session ends


@pytest.mark.parametrize(("key", "age"), [("seen_at", 121 * 60), ("auth_at", 13 * 3600)],
                         ids=["idle", "absolute"])
def test_sessions_end_after_idle_and_absolute_timeouts(client, admin, key, age):
    login(client, admin.email)
    with client.session_transaction() as session:
        session[key] -= age
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Your session has ended" in client.get("/login").get_data(as_text=True)


def test_an_active_session_is_kept_alive(client, admin):
    login(client, admin.email)
    with client.session_transaction() as session:
        session["seen_at"] -= 119 * 60
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] -= 119 * 60  # measured from the last request, not the login
    assert client.get("/dashboard").status_code == 200


def test_a_password_hash_with_old_parameters_is_upgraded_at_login(app, client, make_user):
    from argon2 import PasswordHasher

    from timetics.extensions import db
    from timetics.models import User

    user = make_user(email="old@example.com")
    with app.app_context():
        row = db.session.get(User, user.id)
        row.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
        db.session.commit()
    login(client, user.email)
    with app.app_context():
        assert "m=19456,t=2,p=1" in db.session.get(User, user.id).password_hash


@pytest.mark.parametrize(("hops", "eleventh"), [(0, 429), (1, 401)],
                         ids=["no proxy: the header is ignored", "behind one proxy"])
def test_x_forwarded_for_counts_only_behind_a_configured_proxy(app_config, limited, hops,
                                                               eleventh, request):
    app_config["PROXY_FIX_X_FOR"] = hops  # before the app exists
    admin = request.getfixturevalue("admin")
    client = request.getfixturevalue("client")
    token = session_csrf(client)

    def attempt(address):
        return client.post("/login", headers={"X-Forwarded-For": address}, data={
            "csrf_token": token, "email": admin.email, "password": "wrong password!"}).status_code

    assert [attempt("203.0.113.1") for _ in range(10)] == [401] * 10
    assert attempt("203.0.113.2") == eleventh


def test_sessions_survive_a_secret_key_change_through_the_fallbacks(make_app):
    old_key, new_key = "old-secret-key-" + "o" * 32, "new-secret-key-" + "n" * 32
    before = make_app(SECRET_KEY=old_key)
    with before.app_context():
        from timetics.extensions import db
        from timetics.models import Role, User
        from timetics.security import hash_password

        db.session.add(User(email="k@example.com", name="K", role=Role.ADMIN,
                            password_hash=hash_password(PASSWORD)))
        db.session.commit()
    client = before.test_client()
    login(client, "k@example.com")
    cookie = client.get_cookie("session").value

    rotated = make_app(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key])
    other = rotated.test_client()
    other.set_cookie("session", cookie)
    assert other.get("/dashboard").status_code == 200
    without = make_app(SECRET_KEY=new_key)
    stranger = without.test_client()
    stranger.set_cookie("session", cookie)
    assert stranger.get("/dashboard").status_code == 302
