"""gunicorn settings of `make run` and of docs/deploy.md's unit: an access log without tokens.

Guests' manage links and Zoom's OAuth callback carry secrets in their query string, and
set-password links in their path; SPEC §6 says tokens are never logged.
"""
import re

from gunicorn.glogging import Logger

# %(U)s is the path without the query string (%(r)s and %(q)s would have it); no referrer either.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

_SET_PASSWORD_TOKEN = re.compile(r"^/password/set/[^/]+")


class AccessLogWithoutTokens(Logger):
    """Logs the path of a set-password link without the token in it."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = _SET_PASSWORD_TOKEN.sub("/password/set/[token]", atoms["U"] or "")
        return atoms


logger_class = AccessLogWithoutTokens
