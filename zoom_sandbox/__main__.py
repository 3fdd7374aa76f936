"""``python -m zoom_sandbox``: serve the Zoom sandbox on a loopback port.

    python -m zoom_sandbox --port 5001 --client-id ID --client-secret SECRET \\
        --redirect-uri http://127.0.0.1:5000/integrations/zoom/callback \\
        --event-url http://127.0.0.1:5000/webhooks/zoom --secret-token TOKEN

Without ``--client-id`` it registers the demo app (``sandbox-client-id`` /
``sandbox-client-secret``). The control API has no authentication, so only loopback
addresses are accepted.
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_sandbox_app
from .models import DEFAULT_SCOPES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI
from .server import QuietRequestHandler


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m zoom_sandbox",
                                     description="Serve the Zoom sandbox.")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET)
    parser.add_argument("--app-name", default="Timetics")
    parser.add_argument("--redirect-uri", action="append", dest="redirect_uris",
                        help="an allowed Redirect URL (repeat for more)")
    parser.add_argument("--scope", action="append", dest="scopes",
                        help=f"a granted scope (repeat; default: {' '.join(DEFAULT_SCOPES)})")
    parser.add_argument("--event-url", help="where to POST app_deauthorized events")
    parser.add_argument("--secret-token", help="the Secret Token that signs events")
    parser.add_argument("--token-lifetime", type=int, default=3600,
                        help="access-token lifetime in seconds")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    if not is_loopback(args.host):
        parser.error(f"refusing to serve on {args.host}: the sandbox is for loopback only")
    if bool(args.event_url) != bool(args.secret_token):
        parser.error("--event-url and --secret-token go together")
    return args


def sandbox_config(args: argparse.Namespace) -> dict:
    app = {
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "name": args.app_name,
        "redirect_uris": args.redirect_uris or [DEMO_REDIRECT_URI],
        "scopes": args.scopes or list(DEFAULT_SCOPES),
        "event_url": args.event_url,
        "secret_token": args.secret_token,
    }
    return {"apps": [app], "access_token_lifetime": args.token_lifetime}


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    app = create_sandbox_app(sandbox_config(args))
    handler = QuietRequestHandler if args.quiet else WSGIRequestHandler
    server = make_server(args.host, args.port, app, threaded=True, request_handler=handler)
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{host}:{server.port}"
    print(f"Zoom sandbox on {base} (client ID {args.client_id})\n"
          f"  TIMETICS_ZOOM_OAUTH_URL={base}\n"
          f"  TIMETICS_ZOOM_API_URL={base}/v2", flush=True)
    server.serve_forever()  # until Ctrl-C; it closes the socket on the way out


if __name__ == "__main__":
    sys.exit(main())
