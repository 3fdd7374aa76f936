from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import jobs
from ..auth.forms import EmptyForm
from ..booking import approval, availability
from ..booking import services as booking_services
from ..booking.forms import RescheduleForm
from ..booking.views import build_picker, iso_utc, parse_start, picker_query, start_or_400
from ..calendars import services as calendar_services
from ..db import utcnow
from ..exceptions import NotARequest, SlotUnavailable
from ..extensions import db
from ..models import (
    Booking,
    BookingStatus,
    ZoomState,
)
from ..templating import render_form
from ..validation import zone_or_none
from . import attention, services
from .forms import BookingFilterForm, DeclineForm, HostCancelForm
from .history import booking_history

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home():
    return redirect(url_for("dashboard.index"))


@bp.get("/healthz")
def healthz():
    db.session.execute(db.select(1))
    return {"status": "ok"}


def _filter_form() -> BookingFilterForm:
    """The bookings filter, read from the query string and checked."""
    form = BookingFilterForm(formdata=request.args)
    hosts, types = services.filter_choices(current_user)
    form.host.choices = [*form.host.choices[:1], *hosts]
    form.type.choices = [*form.type.choices[:1], *types]
    form.validate()
    return form


def _filters(form: BookingFilterForm) -> services.BookingFilters:
    return services.BookingFilters(
        host_id=int(form.host.data) if form.host.data else None,
        type_id=int(form.type.data) if form.type.data else None,
        status=form.status.data or "", first_day=form["from"].data, last_day=form.to.data,
        q=(form.q.data or "").strip())


@bp.get("/dashboard")
@login_required
def index():
    form = _filter_form()
    page = None
    if not form.errors:
        page = services.bookings_page(current_user, _filters(form), current_user.timezone,
                                      request.args.get("page", 1, type=int))
    zoom_problems = services.zoom_problems(current_user)
    return render_template(
        "dashboard/index.html", checklist=services.setup_checklist(current_user),
        filter_form=form, page=page, now=utcnow(), filtered=bool(request.args),
        action_form=EmptyForm(), zone=current_user.timezone,
        unsent_emails=services.unsent_emails(current_user),
        zoom_problems=zoom_problems, zoom_jobs=attention.open_zoom_jobs(zoom_problems),
        in_words=attention.sentence,
        hosts_without_zoom=services.hosts_without_zoom(current_user),
        cut_short=services.types_cut_short_by_zoom(current_user),
        booking_pages=services.own_booking_pages(current_user),
        failing_calendars=calendar_services.failing_calendars(current_user),
        calendar_writes=attention.calendar_write_problems(current_user),
        requests=approval.open_requests(current_user),
    ), 400 if form.errors else 200


@bp.get("/dashboard/bookings.csv")
@login_required
def bookings_csv():
    form = _filter_form()
    if form.errors:
        return {"error": "; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                                   for name, errors in form.errors.items())}, 400
    lines = services.bookings_csv(current_user, _filters(form), current_user.timezone)
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="bookings.csv"'})


def _found(booking: Booking | None) -> Booking:
    """404 for a booking that does not exist or that the user may not see."""
    if booking is None:
        abort(404)
    return booking


def _visible_booking(reference: str) -> Booking:
    return _found(services.booking_by_reference(current_user, reference))


@bp.get("/dashboard/bookings/<reference>")
@login_required
def booking_detail(reference: str):
    booking = _visible_booking(reference)
    return render_template("dashboard/booking.html", booking=booking,
                           history=booking_history(booking), zone=current_user.timezone,
                           action_form=EmptyForm())


@bp.get("/dashboard/bookings/<reference>/cancel")
@login_required
def confirm_cancel(reference: str):
    booking = _visible_booking(reference)
    if booking.status == BookingStatus.CANCELLED:
        flash(_("Booking %(reference)s was already cancelled.", reference=booking.reference),
              "info")
        return redirect(url_for("dashboard.booking_detail", reference=booking.reference))
    return render_form("dashboard/cancel.html", HostCancelForm(), booking=booking,
                       zone=current_user.timezone)


@bp.post("/dashboard/jobs/<int:job_id>/retry")
@login_required
def retry_job(job_id: int):
    job = services.job_for_user(current_user, job_id)
    if job is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    jobs.retry_now(job.id)
    db.session.refresh(job)
    if job.done_at is None:
        flash(_("Still failing: %(problem)s.", problem=attention.plain_words(job.last_error)),
              "error")
    else:
        flash(_("Done: the booking's calendar is up to date.") if job.kind in
              attention.CALENDAR_WRITES else _("Done: the email was sent."), "success")
    return redirect(url_for("dashboard.index"))


def _own_booking_for_post(booking_id: int) -> Booking:
    """The booking a dashboard button acts on: 404 unless the user may, 400 without CSRF."""
    booking = _found(services.booking_for_user(current_user, booking_id))
    if not EmptyForm().validate_on_submit():
        abort(400)
    return booking


@bp.post("/dashboard/bookings/<int:booking_id>/retry")
@login_required
def retry_booking(booking_id: int):
    booking = _own_booking_for_post(booking_id)
    jobs.run_jobs_of(booking)
    db.session.refresh(booking)
    if booking.zoom_state in (ZoomState.PENDING, ZoomState.FAILED, ZoomState.DELETE_PENDING):
        flash(_("Zoom still fails for booking %(reference)s: %(problem)s.",
                reference=booking.reference, problem=attention.plain_words(booking.zoom_error)),
              "error")
    else:
        flash(_("Done: booking %(reference)s is in order now.", reference=booking.reference),
              "success")
    return redirect(url_for("dashboard.index"))


@bp.post("/dashboard/bookings/<int:booking_id>/new-meeting")
@login_required
def make_new_meeting(booking_id: int):
    """Make a new meeting: the host deleted the booking's meeting in Zoom."""
    booking = _own_booking_for_post(booking_id)
    # The create job runs once this request has committed, before the page it leads to.
    if booking_services.make_new_meeting(booking):
        flash(_("A new Zoom meeting replaces the deleted one of booking %(reference)s; the "
                "guests get its link by email.", reference=booking.reference), "success")
    elif booking.zoom_state == ZoomState.DELETED_IN_ZOOM:
        flash(_("Booking %(reference)s cannot have a new Zoom meeting yet: connect Zoom first.",
                reference=booking.reference), "error")
    else:
        flash(_("Booking %(reference)s needs no new Zoom meeting.", reference=booking.reference),
              "info")
    return redirect(url_for("dashboard.booking_detail", reference=booking.reference))


@bp.post("/dashboard/bookings/<int:booking_id>/move-back")
@login_required
def move_back(booking_id: int):
    """Move it back: Zoom gets the booking's time again (the guests' time never moved)."""
    booking = _own_booking_for_post(booking_id)
    if booking_services.move_zoom_back(booking):
        flash(_("The Zoom meeting of booking %(reference)s goes back to the booked time.",
                reference=booking.reference), "success")
    else:
        flash(_("The Zoom meeting of booking %(reference)s already has the booked time.",
                reference=booking.reference), "info")
    return redirect(url_for("dashboard.booking_detail", reference=booking.reference))


@bp.route("/dashboard/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_booking(booking_id: int):
    """POST: the confirmation page's form (CSRF is checked before any view, by CSRFProtect).
    GET (an old link by id): the confirmation page."""
    booking = _found(services.booking_for_user(current_user, booking_id))
    if request.method == "GET":
        return redirect(url_for("dashboard.confirm_cancel", reference=booking.reference))
    form = HostCancelForm()
    if booking.status == BookingStatus.CANCELLED:
        flash(_("Booking %(reference)s was already cancelled.", reference=booking.reference),
              "info")
    elif not form.validate_on_submit():
        return render_form("dashboard/cancel.html", form, booking=booking,
                           zone=current_user.timezone)
    else:
        booking_services.cancel_booking(booking, by=current_user._get_current_object(),
                                        message=(form.message.data or "").strip())
        flash(_("Booking %(reference)s is cancelled; the guests were told by email.",
                reference=booking.reference), "success")
    return redirect(url_for("dashboard.booking_detail", reference=booking.reference))


def _live_booking(reference: str) -> Booking | None:
    """The visible booking (else 404); None, with a note, once it is cancelled."""
    booking = _visible_booking(reference)
    if booking.status == BookingStatus.CANCELLED:
        flash(_("Booking %(reference)s is cancelled: it cannot be moved.",
                reference=booking.reference), "info")
        return None
    return booking


@bp.route("/dashboard/bookings/<reference>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule_booking(reference: str):
    """The host moves the whole booking: the public slot picker, in the viewer's zone."""
    booking = _live_booking(reference)
    if booking is None:
        return redirect(url_for("dashboard.booking_detail", reference=reference))
    meeting_type = booking.meeting_type
    tz_name = request.args.get("tz") or current_user.timezone
    zone = zone_or_none(tz_name)
    if zone is None:
        abort(400, _("Unknown time zone. Use an IANA name such as Europe/Berlin."))
    form = RescheduleForm()
    error, status, selected = None, 200, None
    if form.validate_on_submit():
        try:
            booking_services.move_booking(booking, start_or_400(form.start.data),
                                          by=current_user._get_current_object())
        except SlotUnavailable as e:
            error, status = _("%(problem)s Pick another time.", problem=e), 409
        else:
            flash(_("Booking %(reference)s has its new time; the guests were told by email.",
                    reference=booking.reference), "success")
            return redirect(url_for("dashboard.booking_detail", reference=reference))
    elif request.method == "POST":
        error, status = _("Pick a new time first."), 422
    start_arg = request.args.get("start")
    chosen = start_or_400(start_arg) if status == 200 else None
    if chosen:
        selected = availability.slot_at(meeting_type, chosen, exclude_booking_id=booking.id)
        if selected is None or selected.start == booking.start_at \
                or selected.remaining < meeting_type.capacity:
            error, status, selected = (_("That time is not available. Pick another time."), 409,
                                      None)
        else:
            form.start.data = iso_utc(selected.start)
    picker = build_picker(meeting_type, tz_name, zone, exclude_booking_id=booking.id,
                          near=parse_start(start_arg or form.start.data) or booking.start_at)
    action = url_for("dashboard.reschedule_booking", reference=reference)
    return render_template(
        "dashboard/reschedule.html", booking=booking, meeting_type=meeting_type, picker=picker,
        form=form, selected=selected, error=error, iso_utc=iso_utc, zone=tz_name,
        action=action, keep_params={}, query=picker_query({}, tz_name)), status


@bp.post("/dashboard/bookings/<reference>/ask-new-time")
@login_required
def ask_for_new_time(reference: str):
    """Email each guest a new manage link and ask them to pick another time themselves."""
    booking = _visible_booking(reference)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if booking.status == BookingStatus.CANCELLED:
        flash(_("Booking %(reference)s is cancelled: there is no one to ask.",
                reference=booking.reference), "info")
    else:
        guests = booking_services.ask_for_new_time(booking,
                                                   by=current_user._get_current_object())
        flash(ngettext("Asked %(num)d guest by email to pick a new time; their earlier links no "
                       "longer work.", "Asked %(num)d guests by email to pick a new time; their "
                       "earlier links no longer work.", len(guests)), "success")
    return redirect(url_for("dashboard.booking_detail", reference=reference))


# --- requests that wait for the host's approval (booking/approval.py) ---------------------------

@bp.post("/dashboard/bookings/<reference>/accept")
@login_required
def accept_request(reference: str):
    """Accept: the request becomes a confirmed booking (meeting, emails, reminders)."""
    booking = _visible_booking(reference)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        approval.accept(booking, by=current_user._get_current_object())
    except NotARequest as e:
        flash(str(e), "info")
    else:
        flash(_("Booking %(reference)s is accepted; the guest gets the confirmation by email.",
                reference=booking.reference), "success")
    return redirect(url_for("dashboard.booking_detail", reference=reference))


@bp.route("/dashboard/bookings/<reference>/decline", methods=["GET", "POST"])
@login_required
def decline_request(reference: str):
    """GET: the page with Message to the guests and Decline; POST: decline (the form's CSRF
    is checked before any view, by CSRFProtect)."""
    booking = _visible_booking(reference)
    form = DeclineForm()
    if not booking.awaiting_approval:
        flash(_("Booking %(reference)s does not wait for approval.", reference=booking.reference),
              "info")
        return redirect(url_for("dashboard.booking_detail", reference=reference))
    if not form.validate_on_submit():
        return render_form("dashboard/decline.html", form, booking=booking,
                           zone=current_user.timezone)
    try:
        approval.decline(booking, by=current_user._get_current_object(),
                         message=(form.message.data or "").strip())
    except NotARequest as e:
        flash(str(e), "info")
    else:
        flash(_("Request %(reference)s is declined and its time is free again; the guest was told "
                "by email.", reference=booking.reference), "success")
    return redirect(url_for("dashboard.booking_detail", reference=reference))
