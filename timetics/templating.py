"""Jinja set-up: filters for times in a zone, and how a form page answers."""
from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import Flask, render_template, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from .validation import all_timezones
from .zoom.dial_in import dial_in_for


def render_form(template: str, form: FlaskForm, *, extra_errors: bool = False, **context):
    """Render a form page; a POST that failed validation answers 422, so clients see the 4xx."""
    status = 422 if request.method == "POST" and (form.errors or extra_errors) else 200
    return render_template(template, form=form, **context), status


def local_time(value: datetime, zone: str, fmt: str = "%A %d %B %Y, %H:%M") -> str:
    """An aware datetime shown in ``zone``, e.g. 'Monday 07 December 2026, 09:00'."""
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def zone_label(value: datetime, zone: str) -> str:
    """The zone's name and current offset at ``value``: 'Asia/Tokyo (UTC+09:00)'."""
    offset = value.astimezone(ZoneInfo(zone)).strftime("%z")
    return f"{zone} (UTC{offset[:3]}:{offset[3:]})"


@cache
def _zone_options_html() -> str:
    # ~500 <option>s: rendered once per process, not on every booking page (a third of its cost).
    return "".join(
        f'<option value="{escape(name)}">{escape(name.replace("_", " "))}</option>'
        for name in all_timezones()
    )


def zone_options(selected: str) -> Markup:
    """The IANA zones as <option>s for a select, with ``selected`` chosen."""
    plain = f'<option value="{escape(selected)}">'
    # Built from escaped zone names only.
    return Markup(_zone_options_html().replace(  # noqa: S704  # nosec B704
        plain, plain[:-1] + " selected>", 1))


def init_templating(app: Flask) -> None:
    app.jinja_env.globals["zone_options"] = zone_options
    app.jinja_env.globals["dial_in_for"] = dial_in_for
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["zone_label"] = zone_label
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
