"""Profile one request in-process: time per request, SQL per request, and where the time goes.

    BENCH_KEEP=1 make bench          # keeps the temporary directory with bench.sqlite3
    TIMETICS_SQLALCHEMY_DATABASE_URI=sqlite:////tmp/timetics-bench-XXXX/bench.sqlite3 \\
    TIMETICS_SECRET_KEY=... TIMETICS_ENCRYPTION_KEY=... \\
        .venv/bin/python bench/profile_request.py /book/intro-call/slots --count 300

Runs the request through Flask's test client (no server, no network), counts the statements
with a ``before_cursor_execute`` listener, and prints pyinstrument's call tree
(``pip install pyinstrument``).
"""
from __future__ import annotations

import argparse
import time
from collections import Counter

from pyinstrument import Profiler
from sqlalchemy import event

from timetics import create_app
from timetics.extensions import db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="e.g. /book/intro-call or /book/intro-call/slots?from=...")
    parser.add_argument("--count", type=int, default=200, help="requests to profile")
    parser.add_argument("--depth", type=int, default=40, help="call tree lines to show")
    args = parser.parse_args()

    app = create_app({"RATELIMIT_ENABLED": False})
    client = app.test_client()
    statements: Counter[str] = Counter()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements[" ".join(statement.split())[:160]] += 1

    for _ in range(20):  # warm-up: imports, template compilation, caches
        assert client.get(args.path).status_code == 200
    statements.clear()

    profiler = Profiler(interval=0.0005)
    began = time.perf_counter()
    with profiler:
        for _ in range(args.count):
            client.get(args.path)
    elapsed = time.perf_counter() - began

    print(f"{args.path}: {elapsed / args.count * 1000:.2f} ms per request in-process, "
          f"{sum(statements.values()) / args.count:.1f} SQL statements per request")
    for statement, n in statements.most_common():
        print(f"  {n / args.count:5.1f} x  {statement}")
    print()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    print("\n".join(text.splitlines()[:args.depth]))


if __name__ == "__main__":
    main()
