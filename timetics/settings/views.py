from flask import Blueprint, flash, redirect, url_for

from .. import zoom as zoom_client
from ..auth.access import admin_required
from ..templating import render_form
from . import services
from .forms import ZoomSettingsForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("")
@admin_required
def index():
    return redirect(url_for("settings.zoom"))


@bp.route("/integrations/zoom", methods=["GET", "POST"])
@admin_required
def zoom():
    stored = services.get_zoom_settings()
    form = ZoomSettingsForm(client_id=stored.client_id if stored else "")
    if form.validate_on_submit():
        missing_secret = not form.client_secret.data and not (
            stored and stored.client_secret_encrypted
        )
        if missing_secret:
            form.client_secret.errors.append(
                "Paste the Client Secret from the Zoom App Marketplace."
            )
        else:
            services.save_zoom_settings(
                client_id=form.client_id.data,
                client_secret=form.client_secret.data or "",
                secret_token=form.secret_token.data or "",
            )
            flash("Zoom settings saved.", "success")
            return redirect(url_for("settings.zoom"))
    return render_form(
        "settings/zoom.html", form, stored=stored,
        extra_errors=bool(form.client_secret.errors),
        redirect_url=services.zoom_redirect_url(), event_url=services.zoom_event_url(),
        scopes=zoom_client.SCOPES,
    )
