"""An admin wires Timetics to another tool in the browser: a webhook endpoint with Send test,
and an API token from the profile that works at once. Both pages pass an accessibility audit."""
import re

import pytest
import requests
from playwright.sync_api import expect

from ..integration.test_outgoing_webhooks import Receiver, verify
from .conftest import log_in
from .test_accessibility import serious_violations

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver(app_config):
    app_config["CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    server = Receiver()
    yield server
    server.stop()


def test_an_admin_adds_an_endpoint_sends_a_test_and_makes_a_token(receiver, zoom_site, admin,
                                                                 new_page):
    page = new_page()
    log_in(page, admin.email)
    page.goto("/settings/webhooks")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("booking.created").check()
    page.get_by_label("booking.cancelled").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#new-webhook-secret").input_value()
    assert secret.startswith("whsec_")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_role("table", name="Delivery log")).to_contain_text("test")
    [(headers, body)] = receiver.received
    assert verify(secret, headers["Timetics-Signature"], body)

    page.get_by_role("link", name="My profile").click()
    page.get_by_label("Token name").fill("CRM sync")
    page.get_by_label("Scope").select_option("read write")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label(re.compile("Your new token")).input_value()
    assert serious_violations(page) == []
    answer = requests.get(f"{zoom_site.url}/api/v1/meeting-types", timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and "meeting_types" in answer.json()
