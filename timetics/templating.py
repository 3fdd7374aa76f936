"""Jinja set-up: filters for times in a zone, and how a form page answers."""
from __future__ import annotations

from functools import cache

from flask import Flask, render_template, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

from .i18n import init_i18n
from .validation import all_timezones
from .zoom.dial_in import dial_in_for


def render_form(template: str, form: FlaskForm, *, extra_errors: bool = False, **context):
    """Render a form page; a POST that failed validation answers 422, so clients see the 4xx."""
    status = 422 if request.method == "POST" and (form.errors or extra_errors) else 200
    return render_template(template, form=form, **context), status


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
    init_i18n(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
