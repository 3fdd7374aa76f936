"""Headers on every response: a strict Content-Security-Policy and friends (SPEC §6)."""
from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))

# Pages whose URL carries a secret (the guest's manage token) must not leak it as a Referer.
NO_REFERRER_PREFIXES = ("/bookings/", "/password/set/", "/integrations/zoom/callback")


def add_security_headers(response: Response) -> Response:
    # No view sets these itself; extend() appends without the lookups setdefault() would make.
    referrer = ("no-referrer" if request.path.startswith(NO_REFERRER_PREFIXES)
                else "strict-origin-when-cross-origin")
    added = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", referrer),
    ]
    if current_app.config["EXTERNAL_URL"].startswith("https://"):
        added.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    response.headers.extend(added)
    return response


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
