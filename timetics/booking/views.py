"""Public pages: the booking page, its JSON slots, and the guest's manage link."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from .. import embedding, slots
from ..answer_cache import cached_answer, changes_at
from ..db import utcnow
from ..embedding import EMBED_ARG
from ..exceptions import SlotUnavailable
from ..extensions import csrf, limiter
from ..i18n import N_, frame_language_arg
from ..mail import UndeliverableAddress, refuse_undeliverable
from ..models import Attendee, BookingStatus, MeetingType
from ..validation import INVALID_EMAIL, normalize_email, zone_or_none
from . import availability, notifications, services
from .forms import CancelForm, RescheduleForm, answers_of, booking_form, extra_guests_of

bp = Blueprint("booking", __name__)

DRAFT_KEY = "booking_draft"  # in the guest's session: what they typed, kept after a lost race

MAX_RANGE_DAYS = 62


def iso_utc(value: datetime) -> str:
    """2026-12-07T14:00:00Z: how slots travel in URLs, forms and JSON."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


# Dates outside these are nobody's booking, and near year 1 or 9999 date arithmetic overflows.
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2200, 12, 31)


def parse_start(value: str | None) -> datetime | None:
    """A UTC instant from ISO 8601 ('...Z' or with an offset); None if it is not one."""
    if not value or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return None
    if parsed.tzinfo is None or not EARLIEST_DAY <= parsed.date() <= LATEST_DAY:
        return None
    return parsed.astimezone(UTC)


def start_or_400(value: str | None) -> datetime | None:
    """A slot the picker chose or a confirm form posted: None when there is none, 400 when it
    is not a time."""
    if not value:
        return None
    start = parse_start(value)
    if start is None:
        abort(400, _("The chosen time is not a valid ISO 8601 instant."))
    return start


def parse_day(value: str) -> date:
    """A date written YYYY-MM-DD within the years bookings can have; ValueError if not."""
    day = date.fromisoformat(value)
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"{value} is out of range")
    return day


def _meeting_type_or_404(slug: str) -> MeetingType:
    meeting_type = availability.active_meeting_type(slug)
    if meeting_type is None:
        abort(404, _("This booking page does not exist or is not taking bookings."))
    return meeting_type


# Does not repeat the ?tz= asked for: a script showing the JSON error would inject it into a page.
UNKNOWN_ZONE = "Unknown time zone. Use an IANA name such as Europe/Berlin."


def _zone_arg(meeting_type: MeetingType) -> tuple[str, ZoneInfo]:
    name = request.args.get("tz") or request.form.get("timezone") or meeting_type.host.timezone
    zone = zone_or_none(name)
    if zone is None:
        abort(400, UNKNOWN_ZONE)
    return name, zone


def _clock_change(meeting_type: MeetingType, found: list[slots.Slot], zone: ZoneInfo
                  ) -> datetime:
    """When these free slots change with no write to the database: the first one comes inside
    the minimum notice, or midnight in ``zone`` changes which day is today."""
    today = utcnow().astimezone(zone).date()
    midnight = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
    if not found:
        return midnight
    return min(midnight, found[0].start - timedelta(minutes=meeting_type.min_notice_minutes))


@dataclass
class Picker:
    """What the slot picker shows: a month of days with free times, and one day's slots."""

    timezone: str
    month: date
    day: date
    days_with_slots: dict[date, int]
    day_slots: list[slots.Slot]
    weeks: list[list[date | None]]
    prev_month: date | None
    next_month: date | None


def build_picker(meeting_type: MeetingType, tz_name: str, zone: ZoneInfo,
                 exclude_booking_id: int | None = None, near: datetime | None = None) -> Picker:
    """The picker of the public pages and the host's reschedule page. ``near``: the time asked
    for, whose day to show when no date is given."""
    today = utcnow().astimezone(zone).date()
    requested = request.args.get("date")
    if requested:
        try:
            day = parse_day(requested)
        except ValueError:
            abort(400, _("“%(value)s” is not a date: use YYYY-MM-DD.", value=requested[:20]))
    else:
        day = near.astimezone(zone).date() if near else None
    month_arg = request.args.get("month")
    if month_arg:
        try:
            month = parse_day(month_arg + "-01")
        except ValueError:
            abort(400, _("“%(value)s” is not a month: use YYYY-MM.", value=month_arg[:20]))
    else:
        month = (day or today).replace(day=1)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    start, end = slots.local_days(month, last, zone)
    month_slots = availability.free_slots(meeting_type, start, end,
                                          exclude_booking_id=exclude_booking_id)
    changes_at(_clock_change(meeting_type, month_slots, zone))
    by_day: dict[date, list[slots.Slot]] = {}
    for slot in month_slots:
        by_day.setdefault(slot.start.astimezone(zone).date(), []).append(slot)
    if day is None or day.replace(day=1) != month:
        day = min(by_day) if by_day else max(today, month)
    weeks = [[d if d.month == month.month else None for d in week]
             for week in calendar.Calendar().monthdatescalendar(month.year, month.month)]
    window_end = (utcnow() + timedelta(days=meeting_type.window_days)).astimezone(zone).date()
    prev_month = (month - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    return Picker(
        timezone=tz_name, month=month, day=day,
        days_with_slots={d: len(s) for d, s in by_day.items()},
        day_slots=by_day.get(day, []), weeks=weeks,
        prev_month=prev_month if prev_month >= today.replace(day=1) else None,
        next_month=next_month if next_month <= window_end else None,
    )


def picker_query(keep: dict[str, str], tz_name: str):
    """For the picker's links: the query string that keeps the zone (and the manage token)."""
    return lambda **values: urlencode({**keep, "tz": tz_name, **values})


EXPIRED_EMBEDDED_FORM = N_("This form has expired or was not sent by this site. "
                         "Check your details and confirm again.")


@bp.route("/book/<slug>", methods=["GET", "POST"])
@csrf.exempt  # checked in the view: by the session outside a frame, by a signed token inside
@limiter.limit("20 per minute", methods=["POST"])
@cached_answer(when=lambda: "start" not in request.args)  # a chosen slot shows the form
def book(slug: str):
    embedded = embedding.is_embedded()
    if request.method == "POST" and not embedded and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # the same check, and the same 400 page, as every other form
    meeting_type = _meeting_type_or_404(slug)
    tz_name, zone = _zone_arg(meeting_type)
    # Built only where it is shown: its CSRF token would otherwise put a session cookie on
    # every visitor of the page (and make the page differ between visitors).
    wants_form = request.method == "POST" or "start" in request.args
    # A guest who lost a slot race keeps what they typed for the next time they pick: in the
    # session, or inside a frame (where our cookie is not sent back) sealed in the URL.
    # There, too, the form's own token stands in for the session's CSRF token.
    questions = meeting_type.questions if wants_form else []
    draft = (embedding.open_draft(request.args.get("draft")) if embedded
             else session.get(DRAFT_KEY, {}))
    meta = {"csrf": False} if embedded else {}
    form = booking_form(questions, meeting_type.extra_guests_allowed)(
        timezone=tz_name, meta=meta, **draft) if wants_form else None
    status = 200
    error = None
    keep_choice = True  # show the chosen slot's form again (not after a bad time or a lost race)
    if request.method == "POST":
        start = parse_start(form.start.data)
        if form.start.data and start is None:
            error, status = _("The chosen time is not a valid ISO 8601 instant. Pick a time."), 400
            keep_choice = False
        elif embedded and not (embedding.posted_from_our_pages() and embedding.form_token_valid(
                request.form.get("embed_token"), slug, form.start.data)):
            error, status = _(EXPIRED_EMBEDDED_FORM), 400
        elif start is not None and not availability.offered_at(meeting_type, start):
            error, status = _("That time is not available. Pick another time."), 409
        elif form.validate_on_submit() and start is not None:
            try:
                email = normalize_email(form.email.data)
                refuse_undeliverable(email)
            except UndeliverableAddress as e:
                form.email.errors.append(str(e))
            except ValueError:
                form.email.errors.append(_(INVALID_EMAIL))
            else:
                try:
                    result = services.book_slot(
                        meeting_type, start=start, name=form.name.data.strip(), email=email,
                        timezone=form.timezone.data, notes=(form.notes.data or "").strip(),
                        answers=answers_of(form, questions),
                        extra_guests=extra_guests_of(form),
                    )
                except SlotUnavailable as e:
                    error, status = _("%(why)s Pick another time.", why=str(e)), 409
                else:
                    session.pop(DRAFT_KEY, None)
                    return redirect(url_for("booking.manage", reference=result.booking.reference,
                                            token=result.manage_token,
                                            **(_frame_args() if embedded else {})))
        if error is None:
            status = 422
        if status == 409:  # lost to someone quicker, before or while booking
            draft = {"name": form.name.data or "", "email": form.email.data or "",
                     "notes": form.notes.data or "",
                     **{f.name: f.data for f in form.question_fields},
                     **({"guests": form.guests.data} if "guests" in form else {})}
            if not embedded:
                session[DRAFT_KEY] = draft
    keep_choice = keep_choice and status != 409
    selected = None
    chosen = request.args.get("start") or (form.start.data if form else None)
    if keep_choice and chosen:
        selected_start = parse_start(chosen)
        if selected_start is None:
            abort(400, _("The chosen time is not a valid ISO 8601 instant."))
        selected = availability.slot_at(meeting_type, selected_start)
        if selected is None:
            error, status = _("That time is no longer available. Pick another time."), 409
        else:
            form.start.data = iso_utc(selected.start)
    picker = build_picker(meeting_type, tz_name, zone, near=parse_start(chosen))
    keep = {**_frame_args(), **embedding.draft_arg(draft)} if embedded else {}
    action = url_for("booking.book", slug=slug)
    return render_template(
        "booking/book.html", meeting_type=meeting_type, picker=picker, form=form,
        selected=selected, error=error, iso_utc=iso_utc,
        action=action, keep_params=keep, query=picker_query(keep, tz_name),
        post_action=url_for("booking.book", slug=slug, **keep),
        embed_token=(embedding.form_token(slug, form.start.data)
                     if embedded and selected else None),
        **_embed_context(embedded),
    ), status


def _frame_args() -> dict[str, str]:
    """What links and forms inside a frame carry along: ``embed=1``, and the language."""
    return {**EMBED_ARG, **frame_language_arg()}


def _embed_context(embedded: bool) -> dict:
    """What base.html needs to drop the site's chrome and tell the parent page its height."""
    return {"embed": embedded, "embed_origins": embedding.allowed_origins() if embedded else []}


@bp.get("/book/<slug>/slots")
@limiter.limit("120 per minute")
@cached_answer()
def slots_json(slug: str):
    meeting_type = availability.active_meeting_type(slug)
    if meeting_type is None:
        return jsonify(error="This booking page does not exist or is not taking bookings."), 404
    tz_name = request.args.get("tz") or meeting_type.host.timezone
    zone = zone_or_none(tz_name)
    if zone is None:
        return jsonify(error=UNKNOWN_ZONE), 400
    try:
        first = parse_day(request.args["from"]) if request.args.get("from") else None
        last = parse_day(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        return jsonify(error="from and to must be dates written YYYY-MM-DD, "
                             f"between {EARLIEST_DAY} and {LATEST_DAY}."), 400
    try:
        found = free_slots_between(meeting_type, zone, first, last)
    except ValueError as e:
        return jsonify(error=str(e)), 400
    changes_at(_clock_change(meeting_type, found, zone))
    return jsonify(slots_document(tz_name, found))


def free_slots_between(meeting_type: MeetingType, zone: ZoneInfo, first: date | None,
                       last: date | None) -> list[slots.Slot]:
    """The free slots from day ``first`` (default today) to ``last`` (default ``first`` + 6
    days), both in ``zone`` and inclusive (SPEC §5); ValueError for a reversed or too long
    range. The public slots JSON and the API's answer the same."""
    first = first or utcnow().astimezone(zone).date()
    last = last or first + timedelta(days=6)
    if last < first:
        raise ValueError("to is before from.")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValueError(f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
    start, end = slots.local_days(first, last, zone)
    return availability.free_slots(meeting_type, start, end)


def slots_document(tz_name: str, found: list[slots.Slot]) -> dict:
    return {"timezone": tz_name, "slots": [
        {"start": iso_utc(s.start), "end": iso_utc(s.end), "remaining": s.remaining}
        for s in found]}


def _attendee_or_404(reference: str) -> tuple[Attendee, str]:
    token = request.args.get("token", "")
    attendee = services.attendee_for_token(reference, token)
    if attendee is None:
        # The same answer for a wrong reference and a wrong token: nothing to learn here.
        abort(404, _("This booking link is not valid. Check that you copied the whole link."))
    return attendee, token


@bp.get("/bookings/<reference>")
def manage(reference: str):
    attendee, token = _attendee_or_404(reference)
    return render_template("booking/manage.html", attendee=attendee, booking=attendee.booking,
                           token=token, zone=attendee.timezone,
                           calendar_links=notifications.calendar_links(attendee.booking),
                           **_embed_context(embedding.is_embedded()))


@bp.get("/bookings/<reference>/calendar.ics")
def calendar_file(reference: str):
    """Add to calendar: the booking as an .ics, for the guest whose link this is."""
    attendee = _attendee_or_404(reference)[0]
    response = make_response(notifications.calendar_file(attendee.booking, attendee))
    response.mimetype = "text/calendar"
    response.headers["Content-Disposition"] = f'attachment; filename="{reference}.ics"'
    return response


@bp.route("/bookings/<reference>/cancel", methods=["GET", "POST"])
def cancel(reference: str):
    attendee, token = _attendee_or_404(reference)
    booking = attendee.booking
    form = CancelForm()
    if attendee.status == BookingStatus.CANCELLED:
        flash(_("This booking is already cancelled."), "info")
        return redirect(url_for("booking.manage", reference=reference, token=token))
    if form.validate_on_submit():
        services.cancel_attendee(attendee)
        flash(_("Your booking is cancelled. We emailed you a confirmation."), "success")
        return redirect(url_for("booking.manage", reference=reference, token=token))
    return render_template("booking/cancel.html", attendee=attendee, booking=booking,
                           token=token, zone=attendee.timezone, form=form)


@bp.route("/bookings/<reference>/reschedule", methods=["GET", "POST"])
def reschedule(reference: str):
    attendee, token = _attendee_or_404(reference)
    booking = attendee.booking
    if attendee.status == BookingStatus.CANCELLED:
        flash(_("This booking is cancelled: book a new time instead."), "info")
        return redirect(url_for("booking.manage", reference=reference, token=token))
    if booking.awaiting_approval:
        flash(_("This request waits for the host's approval: cancel it and request another "
                "time instead."), "info")
        return redirect(url_for("booking.manage", reference=reference, token=token))
    meeting_type = booking.meeting_type
    tz_name, zone = _zone_arg_for(attendee)
    form = RescheduleForm()
    error, status, selected = None, 200, None
    if form.validate_on_submit():
        try:
            moved = services.reschedule(attendee, start_or_400(form.start.data),
                                        manage_token=token)
        except SlotUnavailable as e:
            error, status = _("%(why)s Pick another time.", why=str(e)), 409
        else:
            new_token = moved.manage_token or token
            flash(_("Your booking has its new time. We emailed you the details."), "success")
            return redirect(url_for("booking.manage", reference=moved.new_booking.reference,
                                    token=new_token))
    elif request.method == "POST":
        error, status = _("Pick a new time first."), 422
    selected_start = start_or_400(request.args.get("start")) if status == 200 else None
    if selected_start:
        alone = services.live_attendees(booking) == [attendee]
        selected = availability.slot_at(meeting_type, selected_start,
                                        exclude_booking_id=booking.id if alone else None)
        if selected is None or selected.start == booking.start_at:
            error, status, selected = _("That time is not available. Pick another time."), 409, None
        else:
            form.start.data = iso_utc(selected.start)
    picker = build_picker(meeting_type, tz_name, zone, exclude_booking_id=booking.id,
                          near=parse_start(request.args.get("start") or form.start.data))
    return render_template(
        "booking/reschedule.html", meeting_type=meeting_type, picker=picker, form=form,
        selected=selected, error=error, iso_utc=iso_utc,
        attendee=attendee, booking=booking, token=token, zone=attendee.timezone,
        action=url_for("booking.reschedule", reference=reference),
        keep_params={"token": token}, query=picker_query({"token": token}, tz_name),
    ), status


def _zone_arg_for(attendee: Attendee) -> tuple[str, ZoneInfo]:
    name = request.args.get("tz") or attendee.timezone
    zone = zone_or_none(name)
    if zone is None:
        abort(400, UNKNOWN_ZONE)
    return name, zone
