from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import jobs
from ..auth.forms import EmptyForm
from ..booking import services as booking_services
from ..extensions import db
from ..models import (
    Booking,
    BookingStatus,
    ZoomState,
)
from . import attention, services

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home():
    return redirect(url_for("dashboard.index"))


@bp.get("/healthz")
def healthz():
    db.session.execute(db.select(1))
    return {"status": "ok"}


@bp.get("/dashboard")
@login_required
def index():
    zoom_problems = services.zoom_problems(current_user)
    return render_template(
        "dashboard/index.html", checklist=services.setup_checklist(current_user),
        upcoming=services.visible_bookings(current_user, upcoming=True),
        past=services.visible_bookings(current_user, upcoming=False, limit=20),
        action_form=EmptyForm(), zone=current_user.timezone,
        unsent_emails=services.unsent_emails(current_user),
        zoom_problems=zoom_problems, zoom_jobs=attention.open_zoom_jobs(zoom_problems),
        in_words=attention.sentence,
        hosts_without_zoom=services.hosts_without_zoom(current_user),
    )


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
        flash(f"Still failing: {attention.plain_words(job.last_error)}.", "error")
    else:
        flash("Done: the email was sent.", "success")
    return redirect(url_for("dashboard.index"))


def _own_booking_for_post(booking_id: int) -> Booking:
    """The booking a dashboard button acts on: 404 unless the user may, 400 without CSRF."""
    booking = services.booking_for_user(current_user, booking_id)
    if booking is None:
        abort(404)
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
        flash(f"Zoom still fails for booking {booking.reference}: "
              f"{attention.plain_words(booking.zoom_error)}.", "error")
    else:
        flash(f"Done: booking {booking.reference} is in order now.", "success")
    return redirect(url_for("dashboard.index"))


@bp.post("/dashboard/bookings/<int:booking_id>/cancel")
@login_required
def cancel_booking(booking_id: int):
    booking = _own_booking_for_post(booking_id)
    if booking.status == BookingStatus.CANCELLED:
        flash(f"Booking {booking.reference} was already cancelled.", "info")
    else:
        booking_services.cancel_booking(booking)
        flash(f"Booking {booking.reference} is cancelled; the guests were told by email.",
              "success")
    return redirect(url_for("dashboard.index"))
