"""The booking pages inside the team's own website: who may frame them, and the booking form's
proof of origin that works without cookies.

A page is embedded when its URL says ``embed=1`` and it is one of the booking flow's pages
(``EMBEDDABLE``). Only then does it say ``frame-ancestors <allowed origins>``; every other
answer keeps ``frame-ancestors 'none'`` (timetics/security_headers.py).
"""
from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from flask import current_app, g, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .exceptions import OriginError
from .extensions import db
from .models import SiteSettings
from .security import decrypt_secret, encrypt_secret

logger = logging.getLogger(__name__)

EMBEDDABLE = frozenset({"booking.book", "booking.manage"})
EMBED_ARG = {"embed": "1"}  # what links and forms inside the frame carry along

# A guest who opened the form may take a while to type; an old page is simply reloaded.
FORM_TOKEN_MAX_AGE_SECONDS = 2 * 60 * 60
# A salt names the token's purpose; it is not a secret.
_FORM_TOKEN_SALT = "timetics.embedded-booking-form"  # noqa: S105  # nosec B105


def parse_origins(text: str | None) -> list[str]:
    """Space- (or line-) separated origins, each ``http(s)://host[:port]``, lower-cased, without
    repeats. Raises OriginError naming the first entry that is not an origin."""
    origins: list[str] = []
    for entry in (text or "").split():
        origin = _origin(entry)
        if origin not in origins:
            origins.append(origin)
    return origins


def _origin(entry: str) -> str:
    # An origin is scheme, host and port (RFC 6454 §4); a CSP host-source with more (a path,
    # a wildcard, quotes) would mean something else, so only this exact form is accepted.
    problem = _("“%(entry)s” is not an origin: write it as https://example.com (with :port "
                "if any).", entry=entry[:80])
    try:
        parts = urlsplit(entry)
        port = parts.port
    except ValueError:
        raise OriginError(problem) from None
    host = parts.hostname or ""
    if (parts.scheme not in ("http", "https") or not host or parts.username is not None
            or parts.password is not None or parts.path not in ("", "/") or parts.query
            or parts.fragment or entry.endswith(("?", "#"))
            or not all(c.isalnum() or c in ".-[]:" for c in host)):
        raise OriginError(problem)
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def configured_origins() -> list[str]:
    """EMBED_ALLOWED_ORIGINS from the configuration (checked at start-up, timetics/config.py)."""
    return parse_origins(current_app.config.get("EMBED_ALLOWED_ORIGINS", ""))


def site_settings() -> SiteSettings | None:
    return db.session.get(SiteSettings, 1)


def allowed_origins() -> list[str]:
    """The admin's Allowed origins, else the configuration's (once per request)."""
    if "embed_origins" not in g:
        settings = site_settings()
        stored = settings.embed_allowed_origins if settings else None
        try:
            g.embed_origins = parse_origins(stored) if stored is not None else configured_origins()
        except OriginError:
            # Saved through the validating form, so only a hand-edited row gets here.
            logger.exception("Allowed origins in site_settings are invalid; framing refused")
            g.embed_origins = []
    return g.embed_origins


def save_allowed_origins(text: str) -> list[str]:
    """Store the admin's Allowed origins (normalised). Raises OriginError for a bad entry."""
    origins = parse_origins(text)
    settings = site_settings() or SiteSettings(id=1)
    settings.embed_allowed_origins = " ".join(origins)
    db.session.add(settings)
    db.session.commit()
    g.pop("embed_origins", None)
    logger.info("Allowed origins for embedding set to %s", settings.embed_allowed_origins or "none")
    return origins


def is_embedded() -> bool:
    """This request is for a booking page shown inside another site's frame."""
    return request.endpoint in EMBEDDABLE and request.args.get("embed") == "1"


# The embedded booking form's CSRF check ----------------------------------------------------------
#
# Flask-WTF ties its token to the session cookie, and a cookie of ours inside a frame on the
# team's site is third-party: SameSite=Lax keeps browsers from sending it (and Chromium refuses to
# store it from a cross-site answer), so that check would refuse every embedded booking. The
# embedded form carries instead a token signed with SECRET_KEY that binds the meeting type and the
# slot it was shown for, and expires. That is all CSRF protection can give this POST: it carries
# no ambient authority (anyone may book with any name, straight from a script), so what matters is
# that a post comes from our own form, for that slot, recently. Pages that act on a session keep
# Flask-WTF's cookie-bound token, and so does the booking form outside a frame.

def _form_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_FORM_TOKEN_SALT)


def form_token(slug: str, start_iso: str) -> str:
    """A token for the embedded booking form of ``slug`` at ``start_iso``."""
    return _form_serializer().dumps([slug, start_iso])


# A guest's draft inside a frame --------------------------------------------------------------
#
# After a lost race the guest picks another time through plain links and GET forms; outside a
# frame the session carries what they typed to the next form. Inside one, the links carry it:
# encrypted with ENCRYPTION_KEY (a name and an email address must not sit readable in URLs and
# logs) and expiring with the form token.

DRAFT_FIELDS = ("name", "email", "notes")


def draft_arg(draft: dict) -> dict[str, str]:
    """``{"draft": <sealed>}`` for a draft with something typed in it, else nothing."""
    values = {k: str(v or "")[:2000] for k, v in draft.items() if _is_draft_field(k)}
    if not any(values.values()):
        return {}
    return {"draft": encrypt_secret(json.dumps(values))}


def open_draft(sealed: str | None) -> dict[str, str]:
    """The draft ``draft_arg`` sealed; empty when it is missing, altered or expired."""
    if not sealed or len(sealed) > 8000:
        return {}
    try:
        values = json.loads(decrypt_secret(sealed, max_age=FORM_TOKEN_MAX_AGE_SECONDS))
    except ValueError:
        return {}
    if not isinstance(values, dict):
        return {}
    return {k: str(v or "") for k, v in values.items() if _is_draft_field(k)}


def _is_draft_field(name: str) -> bool:
    """The booking form's own fields, extra guests and answers to questions (``q_<id>``)."""
    return name in DRAFT_FIELDS or name == "guests" or name.startswith("q_")


def posted_from_our_pages() -> bool:
    """The POST's Origin header, which browsers send on every cross-origin POST (Fetch
    standard, "append a request Origin header"), names this site: the frame's page is ours even
    on the team's site, so any other origin is a form elsewhere."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser, or an old one: the signed token still holds
    external = urlsplit(current_app.config["EXTERNAL_URL"])
    ours = {f"{external.scheme}://{external.netloc}", f"{request.scheme}://{request.host}"}
    return origin in ours


def form_token_valid(token: str | None, slug: str, start_iso: str | None) -> bool:
    """``token`` was made by ``form_token(slug, start_iso)`` less than the max age ago."""
    if not token or not start_iso or len(token) > 500:
        return False
    try:
        signed = _form_serializer().loads(token, max_age=FORM_TOKEN_MAX_AGE_SECONDS)
    except (SignatureExpired, BadSignature):
        return False
    return signed == [slug, start_iso]
