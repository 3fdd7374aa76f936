"""Passwords, secrets at rest, and the random tokens we hand out."""
from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

# argon2id at OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _fernet() -> MultiFernet:
    cached = current_app.extensions.get("timetics_fernet")
    if cached is None:
        keys = current_app.config["ENCRYPTION_KEY"]
        cached = MultiFernet([Fernet(k) for k in keys])
        current_app.extensions["timetics_fernet"] = cached
    return cached


def encrypt_secret(value: str) -> str:
    """Encrypt with the first key of ENCRYPTION_KEY."""
    return _fernet().encrypt(value.encode()).decode()


def decrypt_secret(token: str, max_age: int | None = None) -> str:
    """Decrypt with any key of ENCRYPTION_KEY; raises ValueError if none fits (or the token is
    older than ``max_age`` seconds)."""
    try:
        return _fernet().decrypt(token.encode(), ttl=max_age).decode()
    except InvalidToken:
        raise ValueError("a stored secret cannot be decrypted with ENCRYPTION_KEY") from None


def rotate_secret(token: str) -> str:
    """The same secret, encrypted under the first key (MultiFernet.rotate)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise ValueError("a stored secret cannot be decrypted with ENCRYPTION_KEY") from None


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """What we store in place of a token: we can check one, never show it again."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site ("/dashboard"), false for anything that leaves it.

    Browsers read "//evil.example" and "/\\evil.example" as other hosts, so those are refused too,
    and so is a control character (a line break cannot go into the Location header).
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) \
            or not target.isprintable():
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target
