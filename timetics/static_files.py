"""Static files under names that carry a hash of their content, cached by browsers for a year.

``url_for('static', filename='css/app.css')`` gives ``/static/css/app.3f9c2b1d7a4e.css``: a new
release changes the name of every file it changes, so a browser never has to ask again whether a
file it holds is still current (``Cache-Control: immutable``, RFC 8246). The plain name is still
served, revalidated on every use, for addresses that live outside our pages (the embed snippet
pasted into another site loads ``/static/js/embed.js``).
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from flask import Flask, Response, current_app, send_from_directory

ONE_YEAR = 365 * 24 * 60 * 60
HASH_LENGTH = 12  # hex digits of SHA-256: collisions between two releases of a file are moot
_HASHED = re.compile(rf"^(?P<stem>.+)\.[0-9a-f]{{{HASH_LENGTH}}}(?P<suffix>\.[A-Za-z0-9]+)$")


def versioned_name(relative: str, content: bytes) -> str:
    """``css/app.css`` → ``css/app.<hash>.css``."""
    digest = hashlib.sha256(content).hexdigest()[:HASH_LENGTH]
    path = Path(relative)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def build_manifest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by its relative path, mapped to its versioned name."""
    return {
        path.relative_to(folder).as_posix(): versioned_name(
            path.relative_to(folder).as_posix(), path.read_bytes())
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def _manifest() -> dict[str, str]:
    return current_app.extensions["timetics_static"]


def serve_static(filename: str) -> Response:
    """The ``static`` endpoint: a versioned name for a year, a plain name revalidated."""
    folder = current_app.static_folder
    match = _HASHED.match(filename)
    original = match and match["stem"] + match["suffix"]
    if original and _manifest().get(original) == filename:
        response = send_from_directory(folder, original, max_age=ONE_YEAR)
        response.cache_control.public = True
        response.cache_control.immutable = True
        return response
    # Unknown names 404 here; an old release's hash is no longer ours to promise forever.
    response = send_from_directory(folder, filename, max_age=0)
    response.cache_control.no_cache = True
    return response


def data_uri(path: Path, mimetype: str) -> str:
    text = quote(path.read_text(encoding="utf-8").strip(), safe=" :=/")
    return f"data:{mimetype},{text}"


def init_static_files(app: Flask) -> None:
    """Hash the static files once at start-up (a few small files) and version their URLs."""
    folder = Path(app.static_folder)
    app.extensions["timetics_static"] = build_manifest(folder)
    # The icon (300 bytes) goes inside each page: one request fewer on a phone's first visit.
    app.jinja_env.globals["favicon_uri"] = data_uri(folder / "favicon.svg", "image/svg+xml")

    @app.url_defaults
    def versioned_static_urls(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = _manifest().get(values["filename"], values["filename"])

    app.view_functions["static"] = serve_static
