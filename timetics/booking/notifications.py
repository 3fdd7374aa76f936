"""The emails a booking sends: confirmation, cancellation, new time and the Zoom link.

Each email is a job (``Kind.BOOKING_EMAIL``) that the booking's service writes in the same
transaction as the change, one per recipient; the job writes the email when it runs, from the
booking as it is then, so it carries the Zoom link once the meeting exists. Each recipient reads
times in their own zone and gets an .ics with the same UID for the life of the booking.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.services import external_url
from ..db import utcnow
from ..exceptions import RetryLater
from ..extensions import db
from ..i18n import N_, in_language, language_of
from ..ics import Invitation, booking_uid, build_ics
from ..jobs import Kind, enqueue, handler, in_flight
from ..mail import Attachment, build_message, deliver, describe_mail_error
from ..models import Attendee, Booking, BookingStatus, ExtraGuest, Job, User
from ..security import decrypt_secret, encrypt_secret

logger = logging.getLogger(__name__)

CONFIRMED, CANCELLED, RESCHEDULED, ZOOM_LINK = "confirmed", "cancelled", "rescheduled", "zoom_link"
REMINDER = "reminder"  # planned by reminders.py
REQUESTED, DECLINED = "requested", "declined"  # a request's (booking/approval.py)
HOST = "host"
# What extra guests hear of (and reminders, reminders.py): not what asks the guest to act.
EXTRA_GUESTS_TOLD = frozenset({CONFIRMED, CANCELLED, RESCHEDULED, ZOOM_LINK})


def manage_url(booking: Booking, token: str) -> str:
    """The guest's secret link: view, reschedule, cancel. Always built on EXTERNAL_URL."""
    return external_url("booking.manage", reference=booking.reference, token=token)


# --- what a change writes (in its transaction) ---------------------------------------------------

def _enqueue(booking: Booking, email: str, guest: Attendee | None, subject: str, *,
             copy: bool = True, **payload) -> None:
    """One email job; ``to`` and ``subject`` are kept for the dashboard, the email itself is
    written when the job runs. ``copy``: the guest's extra guests get the same (if it is
    news for them)."""
    enqueue(Kind.BOOKING_EMAIL, booking=booking, payload={
        "email": email, "recipient": guest.id if guest else HOST,
        "to": guest.email if guest else booking.host.email, "subject": subject, **payload})
    if guest is not None and copy and email in EXTRA_GUESTS_TOLD:
        copy_to_extra_guests(booking, guest, {"email": email, "subject": subject, **payload})


def copy_to_extra_guests(booking: Booking, guest: Attendee, payload: dict,
                         run_after: datetime | None = None) -> None:
    """The same email to each extra guest the guest brought, without the guest's manage link
    (only the guest manages). Keyed by the guest, so dropping the guest's reminders drops
    theirs."""
    for extra in guest.extra_guests:
        _enqueue_for_extra_guest(booking, extra, payload, run_after)


def _enqueue_for_extra_guest(booking: Booking, extra: ExtraGuest, payload: dict,
                             run_after: datetime | None = None) -> None:
    shared = {k: v for k, v in payload.items() if k not in ("token", "to", "recipient")}
    enqueue(Kind.BOOKING_EMAIL, booking=booking, run_after=run_after, payload={
        **shared, "recipient": extra.attendee_id, "extra_guest": extra.id, "to": extra.email})


def plan_confirmation(booking: Booking, attendee: Attendee, token: str) -> None:
    """Confirmation to the new guest (with their manage link) and to the host."""
    title, host = booking.meeting_type.name, booking.host
    _enqueue(booking, CONFIRMED, attendee, in_language(
        language_of(attendee), "Confirmed: %(meeting)s with %(host)s", meeting=title,
        host=host.name),
             token=encrypt_secret(token))
    _enqueue(booking, CONFIRMED, None, in_language(
        language_of(host), "New booking: %(meeting)s with %(name)s", meeting=title,
        name=attendee.name),
             attendee=attendee.id)


def plan_cancellation(booking: Booking, attendees: list[Attendee], *, by_host: bool,
                      booking_ended: bool, by: User | None = None, message: str = "") -> None:
    """Tell the guests who lost their place, and the host. ``by`` is who cancelled from the
    dashboard (the host or an admin; default the host), named in the emails and the booking's
    history; ``message`` is their note to the guests."""
    title, host = booking.meeting_type.name, booking.host
    who = {}
    if by_host:
        by = by or host
        who = {"by": by.id, "by_name": by.name, "message": message}
    for attendee in attendees:
        _enqueue(booking, CANCELLED, attendee, in_language(
            language_of(attendee), "Cancelled: %(meeting)s with %(host)s", meeting=title,
            host=host.name),
                 by_host=by_host, **who)
    _enqueue(booking, CANCELLED, None,
             in_language(language_of(host), "Cancelled: %(meeting)s with %(host)s",
                         meeting=title, host=", ".join(a.name for a in attendees)),
             attendees=[a.id for a in attendees], by_host=by_host, booking_ended=booking_ended,
             **who)


def plan_rescheduled(booking: Booking, attendee: Attendee, old_start: datetime,
                     token: str) -> None:
    """The new time, to the guest and the host, with a higher SEQUENCE in the .ics."""
    title, host = booking.meeting_type.name, booking.host
    was = old_start.isoformat()
    _enqueue(booking, RESCHEDULED, attendee, in_language(
        language_of(attendee), "New time: %(meeting)s with %(host)s", meeting=title,
        host=host.name), token=encrypt_secret(token), old_start=was)
    _enqueue(booking, RESCHEDULED, None, in_language(
        language_of(host), "New time: %(meeting)s with %(host)s", meeting=title,
        host=attendee.name),
             attendee=attendee.id, old_start=was)


def plan_zoom_link(booking: Booking, *, replaced: bool = False) -> None:
    """Now that the booking's Zoom meeting exists: the link, with an updated .ics, to each
    guest still booked (and the host) who got an email before it did ("your Zoom link will
    follow"). Everyone else's emails are still to be written, and will carry it. ``replaced``:
    the meeting replaces one the host deleted in Zoom, whose link no longer works."""
    told = _told_before_the_meeting(booking)
    title = booking.meeting_type.name
    label = N_("New Zoom link: %(meeting)s") if replaced else N_("Zoom link: %(meeting)s")
    for attendee in _confirmed(booking):
        if attendee.id in told:
            _enqueue(booking, ZOOM_LINK, attendee, _link_subject(booking, attendee, label),
                     replaced=replaced)
    if HOST in told:
        host = booking.host
        _enqueue(booking, ZOOM_LINK, None, in_language(
            language_of(host), label, meeting=f"{title} ({booking.reference})"),
                 replaced=replaced)


def _link_subject(booking: Booking, guest: Attendee, label: str) -> str:
    """The link email's subject, in the guest's language (their extra guests read it too)."""
    language = language_of(guest)
    return in_language(language, label, meeting=in_language(
        language, "%(meeting)s with %(host)s", meeting=booking.meeting_type.name,
        host=booking.host.name))


def plan_guest_link(booking: Booking, person: Attendee | ExtraGuest) -> None:
    """Now that ``person`` (a guest, or an extra guest they brought) has their own Zoom link:
    it, with an updated .ics, to them alone, if they were told before it existed that it
    would follow (else their emails, still to be written, carry it). Each extra guest has a
    link of their own, mailed when it is made."""
    told = _told_before_the_meeting(booking)
    if isinstance(person, ExtraGuest):
        if _extra_guest_key(person.id) in told:
            _enqueue_for_extra_guest(booking, person, {
                "email": ZOOM_LINK,
                "subject": _link_subject(booking, person.attendee, N_("Zoom link: %(meeting)s"))})
    elif person.id in told:
        _enqueue(booking, ZOOM_LINK, person,
                 _link_subject(booking, person, N_("Zoom link: %(meeting)s")), copy=False)


def _extra_guest_key(extra_guest_id: int) -> str:
    return f"extra_guest:{extra_guest_id}"


def _told_before_the_meeting(booking: Booking) -> set[int | str]:
    """The readers of the booking's emails that went out, or are going out right now: a
    guest's id, HOST, or an extra guest's key."""
    jobs = db.session.scalars(select(Job).where(
        Job.booking_id == booking.id, Job.kind == Kind.BOOKING_EMAIL,
        Job.locked_until.is_not(None) | Job.done_at.is_not(None)))
    # A request's emails say that no link comes before the host accepts: they do not count.
    return {_extra_guest_key(job.payload["extra_guest"]) if "extra_guest" in job.payload
            else job.payload["recipient"] for job in jobs
            if (job.done_at or in_flight(job)) and job.payload["email"] != REQUESTED}


# --- the job: write the email from the booking as it is now, and send it -----------------------

def _after_any_zoom_create(booking_id: int) -> None:
    """Wait for a Zoom create of the booking that is committing now. It holds the booking's
    row while it decides who was told "your Zoom link will follow" (``plan_zoom_link``: the
    emails sent or being sent, as this one is since it was claimed). Read after it, this email
    carries the link; read before it, this email was counted and gets the follow-up. Nothing
    is held while the email is sent (SQLite's write lock orders the claim the same way)."""
    db.session.execute(select(Booking.id).where(Booking.id == booking_id)
                       .with_for_update(read=True))
    db.session.commit()


@handler(Kind.BOOKING_EMAIL)
def _send(job: Job) -> None:
    _after_any_zoom_create(job.booking_id)
    booking, payload = job.booking, job.payload
    guest = None if payload["recipient"] == HOST else db.session.get(Attendee,
                                                                     payload["recipient"])
    skipped = _reminder_skipped(booking, guest, payload)
    if skipped:
        job.payload = {**{k: v for k, v in payload.items() if k != "token"}, "skipped": skipped}
        logger.info("Booking %s: reminder to the %s not sent (%s)", booking.reference,
                    "guest" if guest else "host", skipped)
        return
    extra = db.session.get(ExtraGuest, payload["extra_guest"]) \
        if "extra_guest" in payload else None
    if extra is not None:
        with force_locale(language_of(guest)):  # they read what the guest booked in
            template, attachments, context = _extra_guest_email(booking, guest, extra,
                                                                payload)
        to = extra.email
    else:
        with force_locale(language_of(guest or booking.host)):
            template, attachments, context = _COMPOSERS[payload["email"]](booking, guest,
                                                                          payload)
        to = guest.email if guest else booking.host.email
    language = language_of(guest or booking.host)
    try:
        # The Zoom link this reader may have: their own, never another guest's.
        with force_locale(language):  # the .ics above and the email in the reader's language
            deliver(build_message(to, payload["subject"], f"email/{template}", attachments,
                                  booking=booking, join_url=booking.join_url_for(
                                      extra or guest),
                                  for_host=guest is None and extra is None, **context))
    except (OSError, smtplib.SMTPException) as e:
        raise RetryLater(describe_mail_error(e)) from e
    # The manage link is in the email now; the outbox need not keep it.
    job.payload = {k: v for k, v in payload.items() if k != "token"}
    logger.info("Booking %s: %s email sent to the %s", booking.reference, payload["email"],
                "extra guest" if extra else "guest" if guest else "host")


# Each writes (template, attachments, context) for the guest, or for the host when guest is None.

def _confirmed_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    if guest:
        return ("booking_confirmed_guest", _ics(booking, [guest], "REQUEST", guest=guest),
                {"attendee": guest, "zone": guest.timezone,
                 "manage_url": manage_url(booking, decrypt_secret(payload["token"]))})
    attendee = db.session.get(Attendee, payload["attendee"])
    return ("booking_confirmed_host", _ics(booking, [attendee], "REQUEST"),
            {"attendee": attendee, "zone": booking.host.timezone})


def _rescheduled_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    old_start = datetime.fromisoformat(payload["old_start"])
    by_name = payload.get("by_name")  # set when the host (or an admin) moved the booking
    if guest:
        # A host's move has no token to send: the guest's link is stored hashed only.
        link = manage_url(booking, decrypt_secret(payload["token"])) \
            if "token" in payload else None
        return ("booking_rescheduled_guest", _ics(booking, [guest], "REQUEST", guest=guest),
                {"attendee": guest, "zone": guest.timezone, "old_start": old_start,
                 "manage_url": link, "by_name": by_name})
    attendees = [db.session.get(Attendee, payload["attendee"])] if not by_name \
        else _confirmed(booking)
    return ("booking_rescheduled_host", _ics(booking, attendees, "REQUEST"),
            {"attendee": attendees[0] if attendees else None, "zone": booking.host.timezone,
             "old_start": old_start, "by_name": by_name})


def _cancelled_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    # Jobs written before "by" existed were the host's own cancellations.
    who = {"by_host": payload["by_host"], "by_name": payload.get("by_name", booking.host.name),
           "by_self": payload.get("by", booking.host_id) == booking.host_id,
           "message": payload.get("message", "")}
    if guest:
        return ("booking_cancelled_guest", _ics(booking, [guest], "CANCEL", guest=guest),
                {"attendee": guest, "zone": guest.timezone, **who})
    attendees = [db.session.get(Attendee, i) for i in payload["attendees"]]
    ended = payload["booking_ended"]
    return ("booking_cancelled_host", _ics(booking, attendees, "CANCEL") if ended else (),
            {"attendees": attendees, "zone": booking.host.timezone, "booking_ended": ended,
             **who})


def _zoom_link_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    if guest:
        return ("zoom_link_ready", _ics(booking, [guest], "REQUEST", guest=guest),
                {"name": guest.name, "zone": guest.timezone,
                 "replaced": payload.get("replaced", False)})
    return ("zoom_link_ready", _ics(booking, _confirmed(booking), "REQUEST"),
            {"name": booking.host.name, "zone": booking.host.timezone,
             "replaced": payload.get("replaced", False)})


def _reminder_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    if guest:
        return ("reminder_guest", (), {"attendee": guest, "zone": guest.timezone,
                                       "manage_url": manage_url(booking,
                                                                decrypt_secret(payload["token"]))})
    return ("reminder_host", (), {"attendees": _confirmed(booking),
                                  "zone": booking.host.timezone})


def _reminder_skipped(booking: Booking, guest: Attendee | None, payload: dict) -> str:
    """Why a reminder is not sent after all ("" to send it): too late to be useful
    (reminders.py), or its place was given back by a way that did not drop it."""
    if payload["email"] != REMINDER:
        return ""
    if booking.status != BookingStatus.CONFIRMED or (guest and
                                                      guest.status != BookingStatus.CONFIRMED):
        return "cancelled"
    if utcnow() > datetime.fromisoformat(payload["until"]):
        return "too late"
    return ""


def _extra_guest_email(booking: Booking, guest: Attendee, extra: ExtraGuest,
                       payload: dict) -> tuple:
    """What the guest gets, for someone they brought: the .ics (without the guest's answers)
    and the Zoom link (their own where each guest has one), no manage link."""
    change = payload["email"]
    method = "CANCEL" if change == CANCELLED else "REQUEST"
    attachments = () if change == REMINDER else \
        _ics(booking, [guest], method, with_answers=False, guest=extra)
    old_start = payload.get("old_start")
    return ("extra_guest", attachments, {
        "attendee": guest, "zone": guest.timezone, "change": change,
        "old_start": datetime.fromisoformat(old_start) if old_start else None,
        "by_name": payload.get("by_name"), "by_host": payload.get("by_host", False),
        "message": payload.get("message", "")})


_COMPOSERS = {CONFIRMED: _confirmed_email, RESCHEDULED: _rescheduled_email,
              CANCELLED: _cancelled_email, ZOOM_LINK: _zoom_link_email,
              REMINDER: _reminder_email}


def _confirmed(booking: Booking) -> list[Attendee]:
    return [a for a in booking.attendees if a.status == BookingStatus.CONFIRMED]


def _invitation(booking: Booking, attendees: list[Attendee], *, with_answers: bool = True,
                guest: Attendee | ExtraGuest | None = None) -> Invitation:
    """The event; its Zoom link is ``guest``'s own (a guest's or an extra guest's; None: the
    host's copy, which has the shared link where there is one, never a guest's own)."""
    meeting_type = booking.meeting_type
    host = booking.host
    join_url = booking.join_url_for(guest)
    summary = _("%(meeting)s with %(host)s", meeting=meeting_type.name, host=host.name)
    lines = [f"{summary}.", _("Reference: %(reference)s", reference=booking.reference)]
    if join_url:
        lines.append(_("Join Zoom meeting: %(url)s", url=join_url))
    for attendee in attendees if with_answers else ():  # only this copy's readers' answers
        lines.extend(answer_lines(attendee))
    return Invitation(
        uid=booking_uid(booking.reference, current_app.config["EXTERNAL_URL"]),
        sequence=booking.sequence,
        summary=summary,
        description="\n".join(lines),
        start=booking.start_at,
        end=booking.end_at,
        organizer_name=host.name,
        organizer_email=host.email,
        attendees=tuple((a.name, a.email) for a in attendees),
        location=join_url,
        url=join_url,
    )


def answer_lines(attendee: Attendee) -> list[str]:
    """The guest's answers as text: a heading, then "label: answer" per question."""
    if not attendee.answers:
        return []
    return ["", _("Answers from %(name)s:", name=attendee.name),
            *(f"{a.label}: {a.value}" for a in attendee.answers)]


def host_calendar_event(booking: Booking) -> bytes:
    """The booking as an event in the host's own calendar: the guests and their notes are in
    the description, not ATTENDEE lines, so that the calendar server does not invite them a
    second time (RFC 6638 scheduling); the Zoom link is the location, and in the text."""
    guests = _confirmed(booking)
    with force_locale(language_of(booking.host)):  # also when a guest's request runs the job
        return _host_calendar_event(booking, guests)


def _host_calendar_event(booking: Booking, guests: list[Attendee]) -> bytes:
    event = _invitation(booking, [])
    lines = [event.description, "", _("Guests:")]
    lines += [f"- {a.name} <{a.email}>" + (f": {a.notes}" if a.notes else "") for a in guests]
    for attendee in guests:
        lines += answer_lines(attendee)
    return build_ics(replace(event, description="\n".join(lines)), method=None)


def calendar_file(booking: Booking, attendee: Attendee) -> bytes:
    """The booking as an .ics to open in any calendar app ("Add to calendar")."""
    return build_ics(_invitation(booking, [attendee], guest=attendee), method="PUBLISH")


def calendar_links(booking: Booking) -> dict[str, str]:
    """"Add to calendar" links for Google Calendar and Outlook on the web: their documented
    template URLs, with the booking's times in UTC."""
    event = _invitation(booking, [])
    stamp = lambda moment: moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    return {
        "Google Calendar": "https://calendar.google.com/calendar/render?" + urlencode({
            "action": "TEMPLATE", "text": event.summary, "details": event.description,
            "dates": f"{stamp(event.start)}/{stamp(event.end)}",
            "location": event.location or ""}),
        "Outlook": "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode({
            "path": "/calendar/action/compose", "rru": "addevent", "subject": event.summary,
            "body": event.description, "location": event.location or "",
            "startdt": event.start.astimezone(UTC).isoformat(),
            "enddt": event.end.astimezone(UTC).isoformat()}),
    }


def _ics(booking: Booking, attendees: list[Attendee], method: str, *,
         with_answers: bool = True,
         guest: Attendee | ExtraGuest | None = None) -> tuple[Attachment, ...]:
    data = build_ics(_invitation(booking, attendees, with_answers=with_answers, guest=guest),
                     method=method)
    name = "cancel.ics" if method == "CANCEL" else "invite.ics"
    return (Attachment(name, f"text/calendar; method={method}; charset=UTF-8", data),)


# --- the host's own changes: a move, and asking the guests to pick a new time -------------------

PICK_NEW_TIME = "pick_new_time"


def plan_host_moved(booking: Booking, attendees: list[Attendee], old_start: datetime, *,
                    by: User) -> None:
    """The new time, to every guest and the host. The guests' manage links are stored hashed
    only, so their email has none: it says that the link they have still works."""
    title, host = booking.meeting_type.name, booking.host
    was = old_start.isoformat()
    for attendee in attendees:
        _enqueue(booking, RESCHEDULED, attendee, in_language(
            language_of(attendee), "New time: %(meeting)s with %(host)s", meeting=title,
            host=host.name), old_start=was, by=by.id, by_name=by.name)
    _enqueue(booking, RESCHEDULED, None,
             in_language(language_of(host), "New time: %(meeting)s with %(host)s",
                         meeting=title, host=", ".join(a.name for a in attendees)),
             attendee=attendees[0].id if attendees else None, old_start=was, by=by.id,
             by_name=by.name)


def plan_pick_new_time(booking: Booking, attendee: Attendee, token: str, *, by: User) -> None:
    """Ask the guest to pick a new time, with their new manage link (sealed until sent)."""
    _enqueue(booking, PICK_NEW_TIME, attendee,
             in_language(language_of(attendee), "Please pick a new time: %(meeting)s with "
                         "%(host)s", meeting=booking.meeting_type.name, host=booking.host.name),
             token=encrypt_secret(token), by=by.id, by_name=by.name)


def _pick_new_time_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    token = decrypt_secret(payload["token"])
    return ("pick_new_time", (),
            {"attendee": guest, "zone": guest.timezone, "by_name": payload["by_name"],
             "reschedule_url": external_url("booking.reschedule", reference=booking.reference,
                                            token=token),
             "manage_url": manage_url(booking, token)})


_COMPOSERS[PICK_NEW_TIME] = _pick_new_time_email


# --- requests that wait for the host's approval (booking/approval.py) ---------------------------


def plan_request(booking: Booking, attendee: Attendee, token: str) -> None:
    """The guest's request was received (with their manage link, no meeting link: there is
    none until the host accepts); the host is asked to accept or decline it."""
    title, host = booking.meeting_type.name, booking.host
    _enqueue(booking, REQUESTED, attendee, in_language(
        language_of(attendee), "Request received: %(meeting)s with %(host)s", meeting=title,
        host=host.name), token=encrypt_secret(token))
    _enqueue(booking, REQUESTED, None, in_language(
        language_of(host), "Please accept or decline: %(meeting)s with %(guest)s",
        meeting=title, guest=attendee.name), attendee=attendee.id)


def plan_declined(booking: Booking, attendees: list[Attendee], *, by: User | None,
                  message: str = "") -> None:
    """Tell the guest that the request was declined, by ``by`` with their ``message``, or by
    itself (``by`` None: nobody answered in time), and then the host too."""
    title, host = booking.meeting_type.name, booking.host
    who = {"by": by.id, "by_name": by.name, "message": message} if by else {}
    for attendee in attendees:
        _enqueue(booking, DECLINED, attendee, in_language(
            language_of(attendee), "Declined: %(meeting)s with %(host)s", meeting=title,
            host=host.name), **who)
    if by is None:
        _enqueue(booking, DECLINED, None, in_language(
            language_of(host), "Declined, not answered in time: %(meeting)s with %(guests)s",
            meeting=title, guests=", ".join(a.name for a in attendees)),
            attendees=[a.id for a in attendees])


def _requested_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    if guest:
        return ("booking_requested_guest", (),
                {"attendee": guest, "zone": guest.timezone,
                 "manage_url": manage_url(booking, decrypt_secret(payload["token"]))})
    return ("booking_requested_host", (),
            {"attendee": db.session.get(Attendee, payload["attendee"]),
             "zone": booking.host.timezone,
             "requests_url": external_url("dashboard.index", _anchor="requests-heading")})


def _declined_email(booking: Booking, guest: Attendee | None, payload: dict) -> tuple:
    who = {"by_name": payload.get("by_name"), "message": payload.get("message", "")}
    if guest:
        return ("booking_declined_guest", (), {"attendee": guest, "zone": guest.timezone, **who})
    return ("booking_declined_host", (),
            {"attendees": [db.session.get(Attendee, i) for i in payload["attendees"]],
             "zone": booking.host.timezone, **who})


_COMPOSERS[REQUESTED] = _requested_email
_COMPOSERS[DECLINED] = _declined_email
