"""The plain-text emails, as the SMTP server receives them, keep every item on a line of its own."""
import re

from timetics.extensions import db
from timetics.models import Booking

from ..booking_helpers import at, book, iso, manage_path, session_csrf, weekday_ahead
from ..conftest import login
from ..smtp import text_of

ITEMS = ("What", "When", "New time", "Was", "Reference", "Guests so far", "Join Zoom meeting",
         "Meeting ID", "Passcode", "Zoom")


def run_together(lines: list[str]) -> list[str]:
    """The lines where an item starts after something else."""
    return [line for line in lines
            if any(f"{item}: " in line[1:] for item in ITEMS)]


def test_every_booking_email_puts_each_item_on_its_own_line(zoom_site, connected_host, client,
                                                           mailbox):
    """Confirmation, new time and both cancellations, guest's and host's, one-to-one and group."""
    day = weekday_ahead()
    one = manage_path(book(client, "intro-call", at(day, 10), timezone="Europe/Berlin"))
    book(client, "group-session", at(day, 13), timezone="Europe/Berlin")
    book(client, "group-session", at(day, 13), email="ivo@example.com", timezone="Europe/Berlin")
    reference, token = one.split("/bookings/")[1].split("?token=")
    assert client.post(f"/bookings/{reference}/reschedule?token={token}", data={
        "csrf_token": session_csrf(client), "start": iso(at(day, 15))}).status_code == 302
    assert client.post(f"/bookings/{reference}/cancel?token={token}",
                       data={"csrf_token": session_csrf(client)}).status_code == 302
    with zoom_site.app.app_context():
        group_id = db.session.scalar(db.select(Booking.id).filter_by(start_at=at(day, 13)))
    host = zoom_site.app.test_client()
    login(host, "host@example.com")
    dashboard = host.get("/dashboard").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', dashboard).group(1)
    assert host.post(f"/dashboard/bookings/{group_id}/cancel",
                     data={"csrf_token": csrf}).status_code == 302

    messages = mailbox.wait_for(13)
    subjects = {m["Subject"].split(":")[0] for m in messages}
    assert subjects == {"Confirmed", "New booking", "New time", "Cancelled"}
    assert len(messages) == 13
    for message in messages:
        lines = text_of(message).splitlines()
        assert run_together(lines) == [], message["Subject"]
        assert any(re.fullmatch(r"Reference: [A-Z0-9]+", line) for line in lines)
        for line in lines:
            if line.startswith(("When: ", "New time: ")):
                assert line.endswith("))"), line  # the zone's label ends the line
