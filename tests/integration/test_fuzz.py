"""Arbitrary text, unicode, huge values and wrong types at every form and the slots JSON:
never a 5xx, and what was typed never comes back as live HTML."""
import re
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..booking_helpers import book, create_booking_setup
from ..conftest import login

MARK = "<x-fuzz>"
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# What an attacker or a guest abroad types: control characters and line separators (header
# injection), non-ASCII local parts and IDNA edge cases (addresses), one line past SMTP's 998.
hostile = st.one_of(
    st.text(alphabet=st.characters(categories=["Cc", "Zl", "Zp"]), min_size=1, max_size=4)
    .map(lambda c: f"Eve{c}Reply-To: attacker@evil.example"),
    st.sampled_from([
        "müller@example.com", "vera@faß.de", "vera@xn--fa-hia.de", "x@ουτοπία.δπθ.gr",
        "x@ex\u200dample.com", "用户@例子.广告", "a@b..c", "a@-b.com", "x@xn--zz.com",
        "x@" + "a" * 64 + ".com", "Ἀθηνᾶ@ελλάδα.gr", "x@ᄀ.com", "\u202eevil@example.com",
    ]),
    st.text(alphabet="word ", min_size=1000, max_size=3000),
)

junk = st.one_of(
    hostile,
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s * 500),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e309", "null", "[]", "{}", "9" * 400, "../../etc",
                     "2030-02-30", "Mars/Olympus", "2030-01-01T10:00:00", "\x00", "%00",
                     "0001-01-01", "9999-12-31", "9999-12", "0001-01-01T00:00:00Z"]),
).map(lambda s: s.replace("\x00", "") + MARK)

FORMS = {
    "/login": ["email", "password", "next"],
    "/password/forgot": ["email"],
    "/staff/new": ["name", "email", "timezone"],
    "/staff/{staff}": ["name", "email", "timezone"],
    "/staff/{staff}/availability": [f"day_{n}" for n in range(7)],
    "/staff/{staff}/availability/overrides": ["day", "hours"],
    "/meeting-types/new": ["name", "slug", "host_id", "duration_minutes", "kind", "capacity",
                           "location", "buffer_before_minutes", "buffer_after_minutes",
                           "min_notice_minutes", "window_days", "step_minutes", "description"],
    "/settings/integrations/zoom": ["client_id", "client_secret", "secret_token"],
    "/book/intro-call": ["start", "timezone", "name", "email", "notes"],
}


@pytest.fixture
def fuzz_client(app, client, make_user, admin):
    setup = create_booking_setup(app, make_user)
    login(client, admin.email)
    html = client.get("/dashboard").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client, token, setup.host_id


def check(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.mimetype == "text/html":  # JSON is data, not markup (and served nosniff)
        assert MARK not in response.get_data(as_text=True), "user input came back unescaped"


@pytest.mark.parametrize("form", sorted(FORMS))
@FUZZ
@given(values=st.lists(junk, min_size=13, max_size=13))
def test_forms_survive_any_input(fuzz_client, form, values):
    client, token, staff_id = fuzz_client
    fields = FORMS[form]
    data = dict(zip(fields, values, strict=False))
    data["csrf_token"] = token
    check(client.post(form.format(staff=staff_id), data=data))


@FUZZ
@given(first=junk, last=junk, zone=junk)
def test_slots_json_survives_any_query(fuzz_client, first, last, zone):
    client, _, _ = fuzz_client
    response = client.get("/book/intro-call/slots",
                          query_string={"from": first, "to": last, "tz": zone})
    check(response)
    assert response.is_json


@FUZZ
@given(zone=junk, day=junk, start=junk, month=junk)
def test_booking_page_survives_any_query(fuzz_client, zone, day, start, month):
    client, _, _ = fuzz_client
    check(client.get("/book/intro-call",
                     query_string={"tz": zone, "date": day, "start": start, "month": month}))


@FUZZ
@given(name=hostile | st.text(max_size=200), email=hostile, notes=hostile | st.text())
def test_a_real_booking_with_hostile_text_is_never_a_5xx_and_adds_no_header(
        fuzz_client, mailbox, name, email, notes):
    """With a slot that is free, so the booking, its emails and the manage page all run."""
    client, _, _ = fuzz_client
    mailbox.clear()
    slots = client.get("/book/intro-call/slots?tz=UTC").get_json()["slots"]
    start = datetime.fromisoformat(slots[0]["start"].replace("Z", "+00:00"))
    response = book(client, "intro-call", start, name=name, email=email, notes=notes)
    check(response)
    if response.status_code == 302:
        check(client.get(response.headers["Location"]))
    for envelope in mailbox.envelopes:
        headers = envelope.raw.split(b"\r\n\r\n", 1)[0]
        assert not re.search(rb"^Reply-To:", headers, re.MULTILINE | re.IGNORECASE)
        assert max(len(line) for line in envelope.raw.split(b"\r\n")) <= 998
