"""Fetching an address a user typed (a calendar server, a calendar feed, a webhook endpoint).

Such an address must not turn Timetics into a way to reach what only the server can reach: the
cloud's metadata service on 169.254.169.254, a database on loopback, the office LAN. So only
``http``/``https`` to public addresses, unless the operator lists a host or network in
``CALENDAR_ALLOWED_HOSTS`` (a LAN Nextcloud, the tests' loopback servers).

Two checks, one for the message and one for the truth:

- ``check_url`` resolves the name and refuses if any address is not public: a clear message when
  the user saves the address, and before every request (each redirect hop is a request).
- The connection itself checks the address it actually reached, before a byte is sent, so a name
  that resolves to a public address for the check and to a private one a moment later (DNS
  rebinding) gets nowhere either.

Responses are time-limited and size-capped: a calendar server that streams forever fills neither
a worker's time nor its memory.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .exceptions import ResponseTooLarge, UnsafeURL

DEFAULT_TIMEOUT = 10  # seconds, to connect and between bytes
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Allowed:
    """The hosts and networks an operator allows although they are not public."""

    def __init__(self, entries: str | Iterable[str] | None):
        if isinstance(entries, str):
            entries = entries.replace(",", " ").split()
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries or ():
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.add(entry.lower().rstrip("."))

    @classmethod
    def from_config(cls) -> Allowed:
        return cls(current_app.config.get("CALENDAR_ALLOWED_HOSTS"))

    def has_name(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.names

    def has_address(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


def is_public(address: Address) -> bool:
    """Reachable on the internet at large: not loopback, private, link-local, shared, reserved
    or multicast (Python's ``is_global`` follows IANA's special-purpose registries)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_address(address: str, host: str, allowed: Allowed) -> None:
    """Refuse ``address`` (the IP ``host`` resolved to) unless public or allowed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone index
    if not (is_public(ip) or allowed.has_name(host) or allowed.has_address(ip)):
        raise UnsafeURL(_(
            "%(host)s is a private or local address (%(ip)s); Timetics only connects to "
            "public servers unless the administrator allows it in CALENDAR_ALLOWED_HOSTS.",
            host=host, ip=str(ip)))


def check_url(url: str, allowed: Allowed | None = None) -> None:
    """Raise ``UnsafeURL`` unless ``url`` is http(s) and each address of its host may be reached."""
    allowed = allowed or Allowed.from_config()
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeURL(_("That is not a valid web address.")) from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(_("Only http:// and https:// addresses can be used."))
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("That address has no server name."))
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(_("The server name %(host)s could not be found.", host=host)) from None
    for *_rest, sockaddr in infos:  # (family, type, proto, canonname, sockaddr)
        check_address(sockaddr[0], host, allowed)


class _CheckedConnection(HTTPConnection):
    allowed: Allowed

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        try:
            check_address(sock.getpeername()[0], self.host, self.allowed)
        except UnsafeURL:
            sock.close()
            raise
        return sock


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    pass


class _CheckedAdapter(HTTPAdapter):
    """Pools whose connections check the address they reached."""

    def __init__(self, allowed: Allowed):
        self.allowed = allowed
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        allowed = self.allowed

        class Plain(HTTPConnectionPool):
            ConnectionCls = type("Connection", (_CheckedConnection,), {"allowed": allowed})

        class Secure(HTTPSConnectionPool):
            ConnectionCls = type("Connection", (_CheckedHTTPSConnection,), {"allowed": allowed})

        self.poolmanager.pool_classes_by_scheme = {"http": Plain, "https": Secure}


class SafeSession(requests.Session):
    """A ``requests`` session for addresses users typed: see the module's docstring."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES,
                 allowed: Allowed | None = None):
        super().__init__()
        self.allowed = allowed or Allowed.from_config()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.trust_env = False  # a proxy from the environment would hide the address reached
        self.max_redirects = 5
        adapter = _CheckedAdapter(self.allowed)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request, **kwargs):
        # Session.resolve_redirects sends each hop through here, so each one is checked.
        check_url(request.url, self.allowed)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        stream = kwargs.get("stream", False)
        kwargs["stream"] = True
        response = super().send(request, **kwargs)
        if not stream:
            _read_capped(response, self.max_bytes)
        return response


def _too_large(max_bytes: int) -> ResponseTooLarge:
    return ResponseTooLarge(_("The server's answer is larger than %(limit)s bytes.",
                              limit=max_bytes))


def _read_capped(response: requests.Response, max_bytes: int) -> None:
    """Read the body into ``response.content``, refusing more than ``max_bytes``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        response.close()
        raise _too_large(max_bytes)
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            response.close()
            raise _too_large(max_bytes)
    # What Response.content would have read itself; requests keeps it in these two attributes.
    response._content = bytes(body)
    response._content_consumed = True


def safe_session(*, timeout: float = DEFAULT_TIMEOUT,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> SafeSession:
    """A session allowing what ``CALENDAR_ALLOWED_HOSTS`` allows (needs an app context)."""
    return SafeSession(timeout=timeout, max_bytes=max_bytes)
