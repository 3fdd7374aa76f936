"""A second OS process for the concurrency tests: ``python -m tests.concurrency_worker``.

    python -m tests.concurrency_worker zoom-me <host user id> <instance folder>

Builds the app the way an operator's process does (``create_app()``, configured by the
``TIMETICS_*`` variables it is given), opens the host's Zoom client as a request would, prints
``ready``, waits for a line on stdin (the start signal, so several processes start together),
then asks Zoom who the host is with that client and prints the answer as one line of JSON.
"""
from __future__ import annotations

import json
import sys

from timetics import create_app
from timetics.exceptions import ZoomError
from timetics.extensions import db
from timetics.integrations.tokens import api_for
from timetics.models import User


def zoom_me(host_id: int, instance_path: str) -> dict:
    app = create_app(instance_path=instance_path)
    with app.app_context():
        # Like a request: the host (and their connection) is read before Zoom is needed.
        api = api_for(db.session.get(User, host_id))
        print("ready", flush=True)
        sys.stdin.readline()
        try:
            me = api.get_me()
        except ZoomError as e:
            return {"ok": False, "error": f"{e.__class__.__name__}: {e}"}
        return {"ok": True, "zoom_user_id": me["id"]}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "zoom-me":
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(zoom_me(int(argv[1]), argv[2])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
