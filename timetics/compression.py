"""gzip for the public pages and the static files, in the app.

Done here rather than left to a proxy: ``make run`` serves gunicorn with no proxy in front, and
the booking page's byte budget (40 KB on a phone) must hold however Timetics is deployed. A proxy
that compresses too sees ``Content-Encoding`` and leaves the answer alone.

Only answers that hold no secret of a signed-in user are compressed. Compressing a page that
reflects what an attacker sends next to a secret (a CSRF token) leaks the secret through the
compressed length (BREACH); staff pages are therefore sent as they are, and so is a public page
asked for by a signed-in user, whose session's CSRF token it would carry.
"""
from __future__ import annotations

import gzip

from flask import Flask, Response, request, session

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
    "image/svg+xml", "text/calendar", "text/plain",
})
MIN_BYTES = 1024  # below a packet's size gzip saves no round trip
LEVEL = 6  # zlib's default: nearly the size of 9 for a fraction of its time


def _public() -> bool:
    if request.endpoint == "static":
        return True
    return request.blueprint == "booking" and "_user_id" not in session


def compress(response: Response) -> Response:
    if response.mimetype not in COMPRESSIBLE or not _public():
        return response
    response.vary.add("Accept-Encoding")
    # 206 holds a byte range of the uncompressed file; 1xx, 204 and 304 have no body.
    if (response.status_code in (204, 206, 304) or response.status_code < 200
            or "Content-Encoding" in response.headers
            or response.is_streamed and not response.direct_passthrough
            or request.accept_encodings["gzip"] <= 0):
        return response
    response.direct_passthrough = False  # a static file: read it to compress it
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        # The gzip bytes are not the file's bytes: a strong validator of the file would lie
        # (RFC 9110 §8.8.1); nginx makes it weak the same way.
        response.set_etag(etag, weak=True)
    return response


def init_compression(app: Flask) -> None:
    app.after_request(compress)
