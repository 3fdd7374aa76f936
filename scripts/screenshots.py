"""Screenshots of the main pages for the README: the demo flow, in headless Chromium.

    make screenshots    # or: .venv/bin/python scripts/screenshots.py docs/screenshots

Everything runs in this process, on loopback: a fresh database in a temporary folder, the demo
data (`flask seed-demo`), the Zoom sandbox and the app, each served by a thread. The admin saves
the Zoom keys and connects Alex Rivera's Zoom, guests book, and each page is saved as a PNG.
No email leaves the process (MAIL_SUPPRESS_SEND).
"""
from __future__ import annotations

import re
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet
from flask_migrate import upgrade
from playwright.sync_api import Browser, Page, expect, sync_playwright

from timetics import create_app
from zoom_sandbox import BackgroundServer, create_sandbox_app

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
GUEST_ZONE = "Europe/Berlin"  # the demo host works in New York: the guest sees Berlin times
ADMIN, PASSWORD = "admin@example.com", "demo-password"
CLIENT_ID, CLIENT_SECRET = "demo-client-id", "demo-client-secret"
SECRET_TOKEN = "demo-secret-token"  # noqa: S105 (what `make demo` uses too)


def demo_app(folder: Path):
    """The app on a fresh database with the demo data, as `make demo` sets it up."""
    app = create_app({
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'timetics.sqlite3'}",
        "MAIL_SUPPRESS_SEND": True,
        "RATELIMIT_ENABLED": False,
    }, instance_path=str(folder))
    with app.app_context():
        upgrade()
    run(app, "seed-demo")
    return app


def run(app, *args: str) -> None:
    """A `flask --app timetics ...` command, in this process."""
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.output}")


def log_in(page: Page, email: str = ADMIN) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def book(page: Page, slug: str, name: str, email: str, *, slot: int = 0) -> None:
    """Open the booking page, take the ``slot``-th time of the first free day, confirm."""
    page.goto(f"/book/{slug}")
    expect(page.get_by_label("Time zone")).to_have_value(GUEST_ZONE)
    page.locator("button[data-start]").nth(slot).click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name=f"You are booked, {name}")).to_be_visible()


def take(browser: Browser, base_url: str, out: Path) -> None:
    admin = browser.new_context(base_url=base_url, **DESKTOP).new_page()
    log_in(admin)
    admin.get_by_role("link", name="Settings").click()
    admin.screenshot(path=out / "zoom-settings.png", full_page=True)

    admin.get_by_role("link", name="Staff Members").click()
    admin.get_by_role("link", name="Alex Rivera", exact=True).click()
    admin.get_by_role("link", name="Integrations", exact=True).click()
    admin.get_by_role("button", name="Connect").click()
    admin.get_by_role("button", name="Allow").click()  # on the Zoom sandbox's page
    expect(admin.get_by_text("Zoom connected as")).to_be_visible()
    admin.screenshot(path=out / "staff-integrations.png", full_page=True)

    staff = browser.new_context(base_url=base_url, **DESKTOP).new_page()
    log_in(staff, "staff@example.com")  # Settings as a staff member sees it: their own card
    staff.get_by_role("link", name="Settings").click()
    expect(staff.get_by_text("Connected as")).to_be_visible()
    staff.screenshot(path=out / "zoom-settings-staff.png", full_page=True)

    guest = browser.new_context(base_url=base_url, timezone_id=GUEST_ZONE, **DESKTOP).new_page()
    guest.goto("/book/intro-call")
    expect(guest.get_by_label("Time zone")).to_have_value(GUEST_ZONE)
    guest.screenshot(path=out / "booking-page.png", full_page=True)
    phone = browser.new_context(base_url=base_url, timezone_id=GUEST_ZONE, **PHONE).new_page()
    phone.goto("/book/intro-call")
    expect(phone.get_by_label("Time zone")).to_have_value(GUEST_ZONE)
    phone.screenshot(path=out / "booking-page-phone.png", full_page=True)

    book(guest, "intro-call", "Gina Guest", "gina@example.com", slot=2)
    guest.screenshot(path=out / "booking-confirmed.png", full_page=True)
    book(guest, "group-session", "Ben Okafor", "ben@example.com", slot=1)
    book(guest, "group-session", "Chen Wei", "chen@example.com", slot=1)
    book(guest, "intro-call", "Dana Novak", "dana@example.com", slot=5)

    admin.get_by_role("link", name="Dashboard").click()
    admin.screenshot(path=out / "dashboard.png", full_page=True)

    admin.get_by_role("row").filter(has_text="Ben Okafor").get_by_role(
        "link", name=re.compile(r"^[A-Z0-9]{10}$")).click()  # the booking's reference
    expect(admin.get_by_role("region", name="History")).to_be_visible()
    admin.screenshot(path=out / "booking-detail.png", full_page=True)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="timetics-screenshots-"))
    try:
        app = demo_app(folder)
        site = BackgroundServer(app).start()
        zoom = BackgroundServer(create_sandbox_app({"apps": [{
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "name": "Timetics",
            "redirect_uris": [site.url + "/integrations/zoom/callback"],
            "event_url": site.url + "/webhooks/zoom", "secret_token": SECRET_TOKEN,
        }]})).start()
        app.config.update(EXTERNAL_URL=site.url, ZOOM_OAUTH_URL=zoom.url,
                          ZOOM_API_URL=zoom.url + "/v2")
        run(app, "set-zoom-app", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
            "--secret-token", SECRET_TOKEN)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=CHROMIUM_ARGS)
            try:
                take(browser, site.url, out)
            finally:
                browser.close()
        site.stop()
        zoom.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for png in sorted(out.glob("*.png")):
        print(png)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
