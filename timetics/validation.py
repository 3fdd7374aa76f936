"""Field checks shared by several forms and commands: time zones, emails, passwords."""
from __future__ import annotations

import unicodedata
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import email_validator
from email_validator import EmailNotValidError, ValidatedEmail, validate_email
from flask_babel import gettext as _
from wtforms.validators import ValidationError

from .i18n import N_

# Syntax only: email-validator refuses the special-use names of RFC 6761/6762 (.test, .local,
# .localhost, .onion, .arpa, .invalid), but teams run mail on such names inside their own
# networks, and RFC 6761 lets applications treat them as ordinary names. This list is part of
# email-validator's public API ("can be changed by library users"); it is read on every call.
email_validator.SPECIAL_USE_DOMAIN_NAMES = []

INVALID_EMAIL = N_("Enter a valid email address, like name@example.com.")

# Kept short on purpose: the length rule does most of the work; these are the ones people pick.
COMMON_PASSWORDS = frozenset(
    """
    123456789012 password1234 password12345 passwordpassword qwertyuiopas 1q2w3e4r5t6y
    111111111111 000000000000 123123123123 abcdefghijkl iloveyou1234 letmein12345
    welcome12345 administrator changeme1234 qwerty123456 password123! 1234567890ab
    aaaaaaaaaaaa timetics1234 demo-password
    """.split()
)


@cache
def all_timezones() -> tuple[str, ...]:
    """IANA zone names, sorted, for select boxes (without the legacy aliases)."""
    legacy = ("Etc/", "SystemV/", "US/")
    names = (z for z in available_timezones() if "/" in z and not z.startswith(legacy))
    return (*sorted(names), "UTC")


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The zone named ``name``, or None for anything that is not an IANA zone name."""
    if not name or len(name) > 64 or name.startswith("/") or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def check_email_syntax(address: str) -> ValidatedEmail:
    """``address`` parsed by its syntax alone (no DNS): plus-addressing, internationalised
    domains and special-use names pass; a domain still needs a dot (``a@b`` is a typo far
    more often than a mailbox on a top-level domain). EmailNotValidError if malformed."""
    return validate_email(address, check_deliverability=False)


def normalize_email(address: str) -> str:
    """A syntactically valid address, lower-cased; ValueError with a readable message if not."""
    try:
        result = check_email_syntax(address.strip())
    except EmailNotValidError as e:
        raise ValueError(str(e)) from None
    return result.normalized.lower()


def valid_email(form, field) -> None:
    """For an email field: syntactically valid (see ``check_email_syntax``)."""
    if field.data:
        try:
            check_email_syntax(field.data.strip())
        except EmailNotValidError:
            raise ValidationError(_(INVALID_EMAIL)) from None


def is_control_character(character: str) -> bool:
    """Control characters, and the line and paragraph separators: with them, every character
    that ``str.splitlines`` (and so the email package) takes for a line break."""
    return unicodedata.category(character) in ("Cc", "Zl", "Zp")


def no_control_characters(form, field) -> None:
    """For one-line text (names): no line breaks, tabs or other control characters."""
    if field.data and any(is_control_character(c) for c in field.data):
        raise ValidationError(_("Remove the line breaks, tabs or other control characters."))


def plain_text(form, field) -> None:
    """For several lines of text (notes): line breaks and tabs, but no other control
    characters."""
    if field.data and any(is_control_character(c) and c not in "\r\n\t" for c in field.data):
        raise ValidationError(_("Remove the control characters (only line breaks and tabs may "
                                "stay)."))


def is_common_password(password: str) -> bool:
    return password.lower() in COMMON_PASSWORDS


def not_a_common_password(form, field) -> None:
    if field.data and is_common_password(field.data):
        raise ValidationError(_("That password is too common. Choose another."))


def valid_timezone(form, field) -> None:
    if zone_or_none(field.data) is None:
        raise ValidationError(_("Choose a time zone from the list (for example Europe/Berlin)."))
