"""Headers on every response: a strict Content-Security-Policy and friends (SPEC §6)."""
from __future__ import annotations

from flask import Flask, Response, current_app, request

from .embedding import allowed_origins, is_embedded

CSP_WITHOUT_ANCESTORS = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
))


def csp(frame_ancestors: str = "'none'") -> str:
    return f"{CSP_WITHOUT_ANCESTORS}; frame-ancestors {frame_ancestors}"


CSP = csp()

# Pages whose URL carries a secret (the guest's manage token) must not leak it as a Referer.
NO_REFERRER_PREFIXES = ("/bookings/", "/password/set/", "/integrations/zoom/callback")


def add_security_headers(response: Response) -> Response:
    # No view sets these itself; extend() appends without the lookups setdefault() would make.
    referrer = ("no-referrer" if request.path.startswith(NO_REFERRER_PREFIXES)
                else "strict-origin-when-cross-origin")
    added = [*_framing(), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", referrer)]
    if current_app.config["EXTERNAL_URL"].startswith("https://"):
        added.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    response.headers.extend(added)
    return response


def _framing() -> list[tuple[str, str]]:
    """Who may frame this answer: nobody, except an embedded booking page (``?embed=1``) whose
    Allowed origins may. X-Frame-Options has no list form (its ALLOW-FROM is gone from
    browsers), and CSP frame-ancestors overrides it where both are sent (CSP Level 2 §7.7.1):
    an embeddable answer leaves it out, every other one keeps DENY for old browsers."""
    origins = allowed_origins() if is_embedded() else []
    if not origins:
        return [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY")]
    return [("Content-Security-Policy", csp(" ".join(origins)))]


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
