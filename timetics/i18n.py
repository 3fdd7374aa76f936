"""Languages: which one a request speaks, and dates, times and zones written in it (Babel).

A guest's language is ``?lang=xx`` (kept in the session for the visit; inside an embedding
frame, where our cookie is not sent, carried in the frame's links like ``embed=1``), else the
browser's Accept-Language, else English. A signed-in staff member reads staff pages in the
language of their profile. Emails are written inside the recipient's language
(``flask_babel.force_locale``): the guest's, stored on the attendee when they book, or the
staff member's.
"""
from __future__ import annotations

import logging
import os
import re
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_day_names, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale, gettext

logger = logging.getLogger(__name__)

LANGUAGES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LANG_ARG = "lang"
_SESSION_KEY = "lang"
# The pages a guest sees, in the guest's language even when a staff member looks at them.
_GUEST_BLUEPRINTS = frozenset({"booking"})

babel = Babel()


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; translated where it is shown."""
    return message


def valid_language(code: str | None) -> str | None:
    """``code`` if it is a shipped language, else None."""
    code = (code or "").strip().lower()
    return code if code in LANGUAGES else None


def language_arg() -> str | None:
    """The language this request's URL asks for (``?lang=xx``), if a shipped one."""
    return valid_language(request.args.get(LANG_ARG)) if has_request_context() else None


def _embedded() -> bool:
    return request.args.get("embed") == "1"


def select_locale() -> str:
    """The request's language (see the module's text)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    from flask_login import current_user

    asked = language_arg()
    if asked:
        if not _embedded():  # in a frame the session cookie is not kept: links carry it
            session[_SESSION_KEY] = asked
        return asked
    guest_page = (request.blueprint or "") in _GUEST_BLUEPRINTS or not (
        current_user and current_user.is_authenticated)
    if not guest_page:
        return valid_language(getattr(current_user, "language", None)) or DEFAULT_LANGUAGE
    if not _embedded() and valid_language(session.get(_SESSION_KEY)):
        return session[_SESSION_KEY]
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def in_language(language: str, message: str, **params) -> str:
    """``message`` translated into ``language`` (a subject written for someone else)."""
    with force_locale(language):
        return gettext(message, **params)


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def language_of(person) -> str:
    """The language stored on an attendee or a user (English when none was stored)."""
    return valid_language(getattr(person, "language", None)) or DEFAULT_LANGUAGE


def frame_language_arg() -> dict[str, str]:
    """``{"lang": xx}`` for links inside an embedding frame, when the frame's URL chose one."""
    asked = language_arg()
    return {LANG_ARG: asked} if asked and _embedded() else {}


# --- dates and times -------------------------------------------------------------------------
#
# Templates pass strftime formats (English output stays as it always was); each is turned into
# a CLDR pattern (Babel), with the day and month written as each language writes them:
# "07 December" / "7. Dezember" / "7 décembre" / "7 de diciembre".

_PHRASES = {
    "de": [("%A %d %B", "EEEE, d. MMMM"), ("%a %d %b", "EEE, d. MMM"), ("%d %B", "d. MMMM"),
           ("%d %b", "d. MMM")],
    "fr": [("%d %B", "d MMMM"), ("%d %b", "d MMM")],
    "es": [("%A %d %B %Y", "EEEE, d 'de' MMMM 'de' y"), ("%A %d %B", "EEEE, d 'de' MMMM"),
           ("%d %B %Y", "d 'de' MMMM 'de' y"), ("%d %B", "d 'de' MMMM"), ("%B %Y", "LLLL 'de' y"),
           ("%a %d %b", "EEE, d MMM")],
}
_TOKENS = {"%A": "EEEE", "%a": "EEE", "%d": "dd", "%B": "MMMM", "%b": "MMM", "%Y": "y",
           "%m": "MM", "%H": "HH", "%M": "mm", "%S": "ss"}
_STANDALONE = {"%B %Y": "LLLL y"}  # a month heading names the month on its own
_PHRASES_STANDALONE = {"es"}  # languages whose _PHRASES write the month heading themselves
_TOKEN = re.compile(r"%[A-Za-z]|'[^']*'|[^%']+")


def babel_pattern(fmt: str, language: str) -> str:
    """The CLDR pattern that writes ``fmt`` (a strftime format) in ``language``."""
    if fmt in _STANDALONE and language not in _PHRASES_STANDALONE:
        return _STANDALONE[fmt]
    for phrase, pattern in _PHRASES.get(language, []):
        fmt = fmt.replace(phrase, "\0" + pattern.replace("'", "\1") + "\0")
    out = []
    for i, part in enumerate(fmt.split("\0")):
        if i % 2:  # an already converted phrase
            out.append(part.replace("\1", "'"))
            continue
        for token in _TOKEN.findall(part):
            if token in _TOKENS:
                out.append(_TOKENS[token])
            elif re.search(r"[A-Za-z']", token):
                out.append("'" + token.replace("'", "''") + "'")
            else:
                out.append(token)
    return "".join(out)


def format_local(value: datetime | date, fmt: str, language: str | None = None) -> str:
    """``value`` written with the strftime format ``fmt`` in ``language`` (default: the
    current one) through Babel."""
    language = language or current_language()
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return format_datetime(value, babel_pattern(fmt, language), tzinfo=value.tzinfo,
                           locale=language)


def local_time(value: datetime, zone: str, fmt: str = "%A %d %B %Y, %H:%M") -> str:
    """An aware datetime shown in ``zone``: 'Monday 07 December 2026, 09:00',
    'Montag, 7. Dezember 2026, 09:00'."""
    return format_local(value.astimezone(ZoneInfo(zone)), fmt)


def local_date(value: date, fmt: str = "%A %d %B %Y") -> str:
    """A calendar day in the current language: 'Thursday 03 December 2026'."""
    return format_local(value, fmt)


def zone_label(value: datetime, zone: str) -> str:
    """The zone and its offset at ``value``: 'Asia/Tokyo (UTC+09:00)' in English, the zone's
    name in the language elsewhere ('Japanische Normalzeit (UTC+09:00)')."""
    offset = value.astimezone(ZoneInfo(zone)).strftime("%z")
    language = current_language()
    name = zone
    if language != DEFAULT_LANGUAGE and zone != "UTC":
        name = get_timezone_name(value.astimezone(ZoneInfo(zone)), "long", locale=language)
    return f"{name} (UTC{offset[:3]}:{offset[3:]})"


def weekday_initials() -> list[str]:
    """Monday to Sunday, shortest: 'Mo' … 'Su' / 'Mo.' … 'So.'."""
    names = get_day_names("short", locale=current_language())
    return [names[i] for i in range(7)]


def switcher_links() -> list[tuple[str, str, str, bool]]:
    """(code, name, URL, is current) per language: this page with ``?lang=xx``."""
    args = request.args.to_dict(flat=True)
    here = current_language()
    return [(code, name, f"{request.path}?{urlencode({**args, LANG_ARG: code})}", code == here)
            for code, name in LANGUAGES.items()]


def compile_catalogues(directory: Path) -> None:
    """Write each ``messages.mo`` from its ``messages.po`` where it is missing or older: the
    .po files are the committed source, so a clean clone (``make run``, ``pytest``) needs no
    build step of its own."""
    for po in directory.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        temporary = mo.with_suffix(f".{os.getpid()}.tmp")  # workers may start at once
        try:
            with temporary.open("wb") as target:
                write_mo(target, catalog)
            temporary.replace(mo)
        except OSError as e:  # a read-only install: build them there once, as its owner
            logger.error("Cannot write %s (%s): that language shows English until it is "
                         "compiled (docs/translations.md)", mo, e)


def init_i18n(app: Flask) -> None:
    compile_catalogues(Path(app.root_path) / "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["zone_label"] = zone_label
    app.jinja_env.globals["weekday_initials"] = weekday_initials
    app.jinja_env.globals["language_links"] = switcher_links
    app.jinja_env.globals["current_language"] = current_language

    @app.after_request
    def vary_on_language(response):
        # A page may be written in the browser's language: caches must keep one per language.
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
        return response
