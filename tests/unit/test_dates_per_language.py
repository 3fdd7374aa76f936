"""Dates, times and zones written per language through Babel (timetics/i18n.py)."""
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from timetics.i18n import babel_pattern, format_local, local_time, weekday_initials, zone_label

MOMENT = datetime(2026, 12, 3, 8, 5, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "03 December"),
    ("de", "3. Dezember"),
    ("fr", "3 décembre"),
    ("es", "3 de diciembre"),
])
def test_day_and_month(language, expected):
    assert format_local(date(2026, 12, 3), "%d %B", language) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Thursday 03 December 2026, 09:05"),
    ("de", "Donnerstag, 3. Dezember 2026, 09:05"),
    ("fr", "jeudi 3 décembre 2026, 09:05"),
    ("es", "jueves, 3 de diciembre de 2026, 09:05"),
])
def test_the_default_long_form_in_a_zone(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert local_time(MOMENT, "Europe/Berlin") == expected


@pytest.mark.parametrize(("language", "fmt", "expected"), [
    ("en", "%B %Y", "December 2026"),
    ("de", "%B %Y", "Dezember 2026"),
    ("es", "%B %Y", "diciembre de 2026"),
    ("en", "%a %d %b, %H:%M", "Thu 03 Dec, 08:05"),
    ("de", "%a %d %b, %H:%M", "Do., 3. Dez., 08:05"),
    ("fr", "%A %d %B", "jeudi 3 décembre"),
    ("en", "%Y-%m-%d %H:%M:%S", "2026-12-03 08:05:00"),
    ("fr", "%Y-%m-%d %H:%M", "2026-12-03 08:05"),
])
def test_other_formats(language, fmt, expected):
    assert format_local(MOMENT, fmt, language) == expected


@pytest.mark.parametrize("fmt", ["%A %d %B %Y, %H:%M", "%H:%M", "%B %Y", "%a %d %b %Y",
                                 "%d %b, %H:%M:%S", "%Y-%m-%d %H:%M", "%A %d %B"])
def test_english_reads_as_strftime_always_wrote_it(fmt):
    assert format_local(MOMENT, fmt, "en") == MOMENT.strftime(fmt)


def test_literal_text_in_a_format_is_kept():
    assert babel_pattern("at %H:%M o'clock", "en") == "'at 'HH:mm' o''clock'"
    assert format_local(MOMENT, "at %H:%M o'clock", "en") == "at 08:05 o'clock"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Asia/Tokyo (UTC+09:00)"),
    ("de", "Japanische Normalzeit (UTC+09:00)"),
    ("fr", "heure normale du Japon (UTC+09:00)"),
])
def test_zone_label(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert zone_label(MOMENT, "Asia/Tokyo") == expected


def test_weekday_initials(app):
    with app.test_request_context():
        with force_locale("en"):
            assert weekday_initials() == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
        with force_locale("de"):
            assert weekday_initials()[0] == "Mo."
