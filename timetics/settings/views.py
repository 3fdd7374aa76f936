from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import embedding
from .. import zoom as zoom_client
from ..auth.access import admin_required
from ..auth.forms import EmptyForm
from ..booking.guest_data import erase_guest, retention_days
from ..extensions import db
from ..models import User, WebhookEndpoint
from ..templating import render_form
from ..validation import INVALID_EMAIL, normalize_email
from ..webhooks import outgoing
from . import services
from .forms import EmbedSettingsForm, EraseGuestForm, WebhookEndpointForm, ZoomSettingsForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@login_required
def index():
    return redirect(url_for("settings.zoom"))


@bp.route("/integrations/zoom", methods=["GET", "POST"])
@login_required
def zoom():
    """Everyone's own Zoom card (where the seed sends a staff member); for admins also the
    Zoom app's keys and every account's connection."""
    if request.method == "POST" and not current_user.is_admin:
        abort(403)
    stored = services.get_zoom_settings()
    form = ZoomSettingsForm(client_id=stored.client_id if stored else "")
    if form.validate_on_submit():
        missing_secret = not form.client_secret.data and not (
            stored and stored.client_secret_encrypted
        )
        if missing_secret:
            form.client_secret.errors.append(
                _("Paste the Client Secret from the Zoom App Marketplace.")
            )
        else:
            services.save_zoom_settings(
                client_id=form.client_id.data,
                client_secret=form.client_secret.data or "",
                secret_token=form.secret_token.data or "",
            )
            flash(_("Zoom settings saved."), "success")
            return redirect(url_for("settings.zoom"))
    accounts = (db.session.scalars(select(User).options(selectinload(User.zoom_connection))
                                   .where(User.active.is_(True))
                                   .order_by(User.name)).all()
                if current_user.is_admin else [])
    return render_form(
        "settings/zoom.html", form, stored=stored, member=current_user, accounts=accounts,
        zoom_configured=bool(stored and stored.is_configured), action_form=EmptyForm(),
        extra_errors=bool(form.client_secret.errors),
        redirect_url=services.zoom_redirect_url(), event_url=services.zoom_event_url(),
        scopes=zoom_client.SCOPES, events=zoom_client.EVENT_SUBSCRIPTIONS,
    )


@bp.route("/embedding", methods=["GET", "POST"])
@admin_required
def embedding_settings():
    """Allowed origins: the team's websites that may frame the booking pages (?embed=1)."""
    form = EmbedSettingsForm(allowed_origins="\n".join(embedding.allowed_origins()))
    if form.validate_on_submit():
        origins = embedding.save_allowed_origins(form.allowed_origins.data or "")
        flash(_("Allowed origins saved: %(origins)s.", origins=", ".join(origins))
              if origins else _("Allowed origins saved: none."), "success")
        return redirect(url_for("settings.embedding_settings"))
    return render_form("settings/embedding.html", form,
                       configured=embedding.configured_origins(),
                       stored=embedding.site_settings())


@bp.route("/guest-data", methods=["GET", "POST"])
@admin_required
def guest_data():
    """Erase one guest's data at once, by email address (the right to erasure)."""
    form = EraseGuestForm()
    if form.validate_on_submit():
        try:
            address = normalize_email(form.email.data)
        except ValueError:
            form.email.errors.append(_(INVALID_EMAIL))
        else:
            result = erase_guest(address)
            flash(_erased_message(result, address), "success")
            return redirect(url_for("settings.guest_data"))
    return render_form("settings/guest_data.html", form, retention_days=retention_days())


def _erased_message(result, address: str) -> str:
    """Both counts in one sentence, each with its own plural (ngettext takes one count)."""
    cancelled = ngettext("cancelled %(num)d future booking first",
                         "cancelled %(num)d future bookings first", result.cancelled)
    return ngettext("Erased the guest data of %(num)d booking of %(address)s; %(cancelled)s.",
                    "Erased the guest data of %(num)d bookings of %(address)s; %(cancelled)s.",
                    result.erased, address=address, cancelled=cancelled)


@bp.route("/webhooks", methods=["GET", "POST"])
@admin_required
def webhooks():
    """Outgoing webhooks: the endpoints, each with its delivery log. A new endpoint's secret
    is shown on this one answer only."""
    form = WebhookEndpointForm()
    secret = None
    if form.validate_on_submit():
        secret = outgoing.add_endpoint(form.url.data.strip(), form.events.data)[1]
        flash(_("Endpoint added. Copy its signing secret now: it is not shown again."), "success")
        form = WebhookEndpointForm(formdata=None)
    endpoints = outgoing.all_endpoints()
    return render_form("settings/webhooks.html", form, endpoints=endpoints,
                       logs={e.id: outgoing.recent_deliveries(e) for e in endpoints},
                       new_secret=secret, action_form=EmptyForm())


def _endpoint_for_post(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return endpoint


@bp.post("/webhooks/<int:endpoint_id>/test")
@admin_required
def test_webhook(endpoint_id: int):
    """Send test: the delivery runs after this request; the log below shows how it went."""
    endpoint = _endpoint_for_post(endpoint_id)
    outgoing.plan_test(endpoint)
    db.session.commit()
    flash(_("A test event is on its way: its delivery shows in the log below."), "success")
    return redirect(url_for("settings.webhooks"))


@bp.post("/webhooks/<int:endpoint_id>/active")
@admin_required
def toggle_webhook(endpoint_id: int):
    endpoint = _endpoint_for_post(endpoint_id)
    outgoing.set_active(endpoint, not endpoint.active)
    flash(_("Endpoint switched on.") if endpoint.active else _("Endpoint switched off."),
          "success")
    return redirect(url_for("settings.webhooks"))


@bp.post("/webhooks/<int:endpoint_id>/delete")
@admin_required
def delete_webhook(endpoint_id: int):
    endpoint = _endpoint_for_post(endpoint_id)
    outgoing.remove_endpoint(endpoint)
    flash(_("Endpoint removed."), "success")
    return redirect(url_for("settings.webhooks"))
