"""`make bench`: Timetics under gunicorn against a bare Flask baseline, measured in one run.

Starts the Zoom sandbox, an SMTP sink, Timetics and the baseline app (both under the same gunicorn
configuration) on loopback, on a fresh SQLite database in a temporary directory; loads them with
wrk; prints the table and writes it to bench/RESULTS.md with the date and the machine.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

import requests
from aiosmtpd.controller import Controller

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
RESULTS = BENCH / "RESULTS.md"
WRK = shutil.which("wrk") or "/usr/bin/wrk"

THREADS = int(os.environ.get("BENCH_THREADS", "8"))
DURATION = int(os.environ.get("BENCH_SECONDS", "8"))
# The GET figures take turns in short rounds, so that other work on a shared machine falls on
# all of them alike rather than on whichever ran at that moment; five, so that one disturbed
# round does not move the median.
ROUNDS, ROUND_SECONDS = 5, 3
SLOW_ROUND_SECONDS = 4  # figure 4's rounds
SHORT_DURATION = 5
WARMUP = 2
WRK_THREADS, WRK_CONNECTIONS = 2, 4
# One connection per request, as nginx opens them with docs/deploy.md's `proxy_pass` (no
# upstream keep-alive). Each request then goes to whichever worker accepts it first; kept-alive
# connections would each stay with one worker, and four of them often all with the same one.
WRK_HEADERS = ["-H", "Connection: close"]
# One worker per core, as docs/deploy.md's unit file: a worker's threads share one GIL, so on a
# busy site a second process keeps the pages answering while another runs bookings.
WORKERS = int(os.environ.get("BENCH_WORKERS", len(os.sched_getaffinity(0))))
# The same for Timetics and the baseline.
GUNICORN = ["--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS)]

CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret-0123456789"  # noqa: S105 (the sandbox's, not a secret)
ADMIN = ("admin@example.com", "demo-password")
SLUG = "intro-call"
BOOKING_SLUG = "bench-booking"
HOST_ZONE = "America/New_York"
SLOW_ZOOM_SECONDS = 0.3
ONE_WORKER = 1  # figure 4's reference: `make run`'s one process
GROWTH_SIZES = (100, 10_000, 100_000)
TIMEOUT = 10

# The targets of issue 7.
SLOTS_MIN_RATIO = 0.50
PAGE_MIN_RATIO = 0.40
GROWTH_MAX_RATIO = 1.3
SLOW_ZOOM_MAX_P99_FACTOR = 3.0
RSS_MAX_MB = 150


@dataclass
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int  # connect, read, write errors and timeouts
    non2xx: int  # answers other than 2xx/3xx
    counts: dict[str, int]  # bookings only: booked (302), taken (409), other

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


class Sink:
    """The SMTP sink: accepts every message and only counts them."""

    def __init__(self) -> None:
        self.received = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        with self._lock:
            self.received += 1
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:  # refused, reset or timed out while workers boot
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up in {seconds} s")
        time.sleep(0.1)


def run(*args: str | Path, env: dict[str, str]) -> str:
    done = subprocess.run([str(a) for a in args], env=env, cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def with_workers(options: list[str], workers: int) -> list[str]:
    """gunicorn options with another ``--workers``."""
    at = options.index("--workers") + 1
    return [*options[:at], str(workers), *options[at + 1:]]


def gunicorn_options() -> list[str]:
    """GUNICORN, plus: no control socket where gunicorn has one (27+), since its default path
    is shared by every gunicorn of the user, the bench's two included."""
    help_text = run(BIN / "gunicorn", "--help", env=dict(os.environ))
    return GUNICORN + (["--no-control-socket"] if "--no-control-socket" in help_text else [])


def start(stack: ExitStack, *args: str | Path, env: dict[str, str], log: Path,
          cwd: Path = ROOT) -> subprocess.Popen:
    """Start a server in the background, its output going to ``log``; stopped on exit."""
    with log.open("w") as out:
        process = subprocess.Popen([str(a) for a in args], env=env, cwd=cwd,  # noqa: S603
                                   stdout=out, stderr=subprocess.STDOUT)
    stack.callback(stop, process)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def wrk(url: str, seconds: int, *, connections: int = WRK_CONNECTIONS, script: str = "report.lua",
        script_args: tuple[str, ...] = ()) -> subprocess.Popen:
    threads = min(WRK_THREADS, connections)
    args = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", "10s", *WRK_HEADERS, "-s", script, url]
    if script_args:
        args += ["--", *script_args]
    return subprocess.Popen(args, cwd=BENCH, stdout=subprocess.PIPE, text=True)  # noqa: S603


def result(process: subprocess.Popen) -> Load:
    out, _ = process.communicate()
    if process.returncode:
        raise RuntimeError(f"wrk failed:\n{out}")
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    fields = json.loads(line.removeprefix("BENCH "))
    counts = {k: v for k, v in fields.items() if k in ("booked", "taken", "other", "other_status")}
    return Load(requests=fields["requests"], seconds=fields["duration_us"] / 1e6,
                p50_ms=fields["p50_us"] / 1000, p99_ms=fields["p99_us"] / 1000,
                socket_errors=fields["socket_errors"], non2xx=fields["non2xx"], counts=counts)


def succeeded(load: Load) -> Load:
    if load.socket_errors or load.non2xx:
        raise RuntimeError(f"requests failed: {load}")
    return load


def measure(urls: dict[str | int, str]) -> dict[str | int, Load]:
    """Warm each URL up, then load them in turn, ROUNDS times; every answer must succeed.

    Per URL: throughput over all rounds together, and the median of the rounds' p50 and p99.
    """
    for url in urls.values():
        result(wrk(url, WARMUP))
    rounds: dict[str | int, list[Load]] = {name: [] for name in urls}
    for _ in range(ROUNDS):
        for name, url in urls.items():
            rounds[name].append(succeeded(result(wrk(url, ROUND_SECONDS))))
    return {name: combined(loads) for name, loads in rounds.items()}


def combined(loads: list[Load]) -> Load:
    """Several rounds as one: throughput and counts over all, the median p50 and p99."""
    return Load(requests=sum(r.requests for r in loads), seconds=sum(r.seconds for r in loads),
                p50_ms=statistics.median(r.p50_ms for r in loads),
                p99_ms=statistics.median(r.p99_ms for r in loads),
                socket_errors=sum(r.socket_errors for r in loads),
                non2xx=sum(r.non2xx for r in loads),
                counts={key: sum(r.counts[key] for r in loads) if key != "other_status"
                        else max(r.counts[key] for r in loads) for key in loads[0].counts})


# --- Zoom: connect the demo staff member, as an admin would in a browser --------------------

def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return unescape(match.group(1))


def connect_zoom(site: str, staff_id: int) -> None:
    """Log in as the admin, Connect, Allow on the sandbox's consent page, and come back."""
    browser = requests.Session()
    login = browser.get(f"{site}/login", timeout=TIMEOUT).text
    browser.post(f"{site}/login", timeout=TIMEOUT, data={
        "csrf_token": csrf_token(login), "email": ADMIN[0], "password": ADMIN[1]})
    page = browser.get(f"{site}/staff/{staff_id}/integrations", timeout=TIMEOUT).text
    consent = browser.post(f"{site}/staff/{staff_id}/integrations/zoom/connect",
                           data={"csrf_token": csrf_token(page)}, timeout=TIMEOUT)
    action = re.search(r'<form method="post" action="([^"]+)"', consent.text).group(1)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    form = {name: unescape(value) for name, value in form.items()} | {"decision": "allow"}
    landed = browser.post(urljoin(consent.url, unescape(action)), data=form, timeout=TIMEOUT)
    if landed.status_code != 200 or not landed.url.startswith(site):
        raise RuntimeError(f"connecting Zoom ended on {landed.url} ({landed.status_code})")


# --- The booking load's input: sessions with their CSRF tokens, and free starts -------------

def write_booking_data(site: str, path: Path, sessions: int = 8) -> int:
    """Fetch the bench-booking type's free starts for a year and a few guest sessions."""
    starts: list[str] = []
    first = date.today()
    for _ in range(6):  # 6 x 62 days: the type's whole 365-day window
        last = first + timedelta(days=61)
        answer = requests.get(f"{site}/book/{BOOKING_SLUG}/slots", timeout=TIMEOUT, params={
            "from": first.isoformat(), "to": last.isoformat(), "tz": HOST_ZONE}).json()
        starts += [slot["start"] for slot in answer["slots"]]
        first = last + timedelta(days=1)
    lines = [f"P\t/book/{BOOKING_SLUG}"]
    for _ in range(sessions):
        guest = requests.Session()
        page = guest.get(f"{site}/book/{BOOKING_SLUG}", params={"start": starts[-1]},
                         timeout=TIMEOUT).text
        cookie = "; ".join(f"{c.name}={c.value}" for c in guest.cookies)
        lines.append(f"S\t{cookie}\t{quote(csrf_token(page), safe='')}")
    lines += [f"T\t{quote(start, safe='')}" for start in starts]
    path.write_text("\n".join(lines) + "\n")
    return len(starts)


def settle(database: Path) -> None:
    """Wait for the bookings wrk left in flight when it stopped: fetched before they land, their
    starts would be offered again and answer 409 in the next run."""
    count = None
    for _ in range(50):
        latest = query(database, "SELECT count(*) FROM attendees")
        if latest == count:
            return
        count = latest
        time.sleep(0.2)


def book(site: str, data: Path, seconds: int = DURATION, connections: int = WRK_CONNECTIONS,
         pause_ms: int = 0) -> subprocess.Popen:
    """Bookings on free starts; each connection pauses ``pause_ms`` between them."""
    threads = min(WRK_THREADS, connections)
    return wrk(site, seconds, connections=connections, script="book.lua",
               script_args=(str(data), str(threads), str(pause_ms)))


def booked(load: Load) -> Load:
    """Booking requests answer 302 (booked) or 409 (taken); others are reported as failures."""
    if load.socket_errors or not load.counts["booked"]:
        raise RuntimeError(f"booking requests failed: {load}")
    return load


def app_errors(log: Path) -> dict[str, int]:
    """The exceptions the app logged (the last line of each traceback), and how often."""
    found: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"^([a-z_.]*[A-Z]\w*(?:Error|Exception)): (.{0,80})", line)
        if match:
            key = f"{match.group(1)}: {match.group(2)}"
            found[key] = found.get(key, 0) + 1
    return found


# --- The machine and the server ---------------------------------------------------------------

def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    wrk_version = subprocess.run([WRK, "--version"], capture_output=True, text=True).stdout  # noqa: S603
    return {
        "CPUs (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU model": model.group(1).strip() if model else "unknown",
        "RAM": f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "unknown",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "gunicorn": run(BIN / "gunicorn", "--version", env=dict(os.environ)).strip(),
        "wrk": wrk_version.split("[")[0].strip() or "wrk",
        "Code": code_version(),
    }


def code_version() -> str:
    """The commit measured, and whether the app's files differed from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True).stdout.strip() or "unknown"
    changed = subprocess.run([git, "status", "--porcelain", "--", "timetics", "templates",  # noqa: S603
                              "static", "wsgi.py"], cwd=ROOT, capture_output=True,
                             text=True).stdout.splitlines()
    return f"{head}" + (f" with uncommitted changes to {len(changed)} app files: "
                        + ", ".join(line[3:] for line in changed) if changed else "")


def worker_status(master: subprocess.Popen) -> dict[str, int]:
    """VmHWM (peak) and VmRSS of the gunicorn master's largest worker, in kB."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    statuses = [Path(f"/proc/{child}/status").read_text() for child in children]
    return {key: max(int(re.search(rf"^{key}:\s*(\d+) kB", status, re.M).group(1))
                     for status in statuses)
            for key in ("VmHWM", "VmRSS")}


def query(database: Path, sql: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchone()[0]


# --- The run -----------------------------------------------------------------------------------

def bench() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="timetics-bench-"))
    database = tmp / "bench.sqlite3"
    ports = {name: free_port() for name in ("app", "computing", "baseline", "one_worker",
                                            "zoom")}
    site, zoom = (f"http://127.0.0.1:{ports[n]}" for n in ("app", "zoom"))
    baseline = f"http://127.0.0.1:{ports['baseline']}"
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    env = dict(os.environ) | {
        "TIMETICS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "TIMETICS_SECRET_KEY": os.urandom(32).hex(),
        "TIMETICS_ENCRYPTION_KEY": run(BIN / "python", "-c", "from cryptography.fernet import "
                                       "Fernet; print(Fernet.generate_key().decode())",
                                       env=dict(os.environ)).strip(),
        "TIMETICS_RATELIMIT_ENABLED": "false",
        "TIMETICS_MAIL_SERVER": "127.0.0.1",
        "TIMETICS_MAIL_PORT": str(smtp.port),
        "TIMETICS_ZOOM_OAUTH_URL": zoom,
        "TIMETICS_ZOOM_API_URL": f"{zoom}/v2",
        "TIMETICS_EXTERNAL_URL": site,
    }
    flask = (BIN / "flask", "--app", "timetics")
    figures: dict = {}
    with ExitStack() as stack:
        if not os.environ.get("BENCH_KEEP"):  # BENCH_KEEP=1 keeps the database and the logs
            stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        print(f"Setting up in {tmp}", flush=True)
        run(*flask, "db", "upgrade", env=env)
        run(*flask, "seed-demo", env=env)
        run(*flask, "set-zoom-app", "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
            env=env)
        run(BIN / "python", BENCH / "seed.py", "hosts", env=env)
        smtp.start()
        stack.callback(smtp.stop)
        start(stack, BIN / "python", "-m", "zoom_sandbox", "--host", "127.0.0.1",
              "--port", ports["zoom"], "--client-id", CLIENT_ID, "--client-secret",
              CLIENT_SECRET, "--redirect-uri", f"{site}/integrations/zoom/callback", "--quiet",
              env=env, log=tmp / "sandbox.log")
        options = figures["gunicorn"] = gunicorn_options()
        app = start(stack, BIN / "gunicorn", *options, "--bind", f"127.0.0.1:{ports['app']}",
                    "wsgi:app", env=env, log=tmp / "app.log")
        # The same app and database with the answer cache off: every request computes.
        computing_env = env | {"TIMETICS_ANSWER_CACHE_SECONDS": "0"}
        computing = f"http://127.0.0.1:{ports['computing']}"
        start(stack, BIN / "gunicorn", *options, "--bind", f"127.0.0.1:{ports['computing']}",
              "wsgi:app", env=computing_env, log=tmp / "computing.log")
        base = start(stack, BIN / "gunicorn", *options, "--bind",
                     f"127.0.0.1:{ports['baseline']}", "baseline_app:app", env=env, cwd=BENCH,
                     log=tmp / "baseline.log")
        # The same app and database in one process, as `make run` serves it: figure 4's
        # reference for a site whose threads all share one GIL.
        one_worker = f"http://127.0.0.1:{ports['one_worker']}"
        start(stack, BIN / "gunicorn", *with_workers(options, ONE_WORKER), "--bind",
              f"127.0.0.1:{ports['one_worker']}", "wsgi:app", env=env,
              log=tmp / "one_worker.log")
        for url in (f"{zoom}/_sandbox/state", f"{site}/healthz", f"{computing}/healthz",
                    baseline, f"{one_worker}/healthz"):
            wait_for(url)
        figures["rss_start"] = worker_status(app)
        staff_id = query(database, "SELECT id FROM users WHERE email = 'staff@example.com'")
        connect_zoom(site, staff_id)
        if query(database, "SELECT count(*) FROM zoom_connections") != 1:
            raise RuntimeError("the staff member's Zoom connection was not stored")

        today = datetime.now(ZoneInfo(HOST_ZONE)).date()
        week = f"from={today}&to={today + timedelta(days=6)}"
        slots_url = f"{site}/book/{SLUG}/slots?{week}"
        page_url = f"{site}/book/{SLUG}"

        print("1-2. Baseline, slots, booking page", flush=True)
        figures["load_before"] = os.getloadavg()
        figures |= measure({"baseline": baseline, "healthz": f"{site}/healthz",
                            "slots": slots_url, "page": page_url,
                            "slots_computed": slots_url.replace(site, computing),
                            "page_computed": page_url.replace(site, computing)})

        print("3. Bookings, Zoom at 0 ms", flush=True)
        data = tmp / "bookings.tsv"
        figures["free_starts"] = write_booking_data(site, data)
        figures["book_fast"] = booked(result(book(site, data)))
        settle(database)
        write_booking_data(site, data)
        figures["book_alone"] = booked(result(book(site, data, SHORT_DURATION, connections=1)))

        print("4. Bookings, Zoom at 300 ms, and the booking page meanwhile", flush=True)
        # Rounds of the page alone (the idle reference), of the page during slow-Zoom
        # bookings, of the page during as many bookings with Zoom at 0 ms (each connection
        # pausing for the Zoom wait instead), and of the first two again with one worker, in
        # turn, so that other work on the machine falls on all alike. The paced turn tells the
        # bookings' own work from the wait on Zoom.
        pause_ms = round(SLOW_ZOOM_SECONDS * 1000 + figures["book_alone"].p50_ms)
        rounds: dict[str, list[Load]] = {}

        def turn(server: str, pages: str, bookings: str | None = None,
                 zoom_seconds: float = 0, pause: int = 0) -> None:
            """Load the page of ``server`` for a round, with bookings meanwhile if named."""
            url = f"{server}/book/{SLUG}"
            booking_load = None
            if bookings:
                requests.post(f"{zoom}/_sandbox/latency", json={"seconds": zoom_seconds},
                              timeout=TIMEOUT).raise_for_status()
                settle(database)
                write_booking_data(server, data)
                booking_load = book(server, data, SLOW_ROUND_SECONDS, pause_ms=pause)
            page_load = wrk(url, SLOW_ROUND_SECONDS)
            if booking_load:
                rounds.setdefault(bookings, []).append(booked(result(booking_load)))
            rounds.setdefault(pages, []).append(succeeded(result(page_load)))

        for _ in range(ROUNDS):
            turn(site, "page_idle")
            turn(site, "page_during", "book_slow", SLOW_ZOOM_SECONDS)
            turn(site, "page_during_paced", "book_paced", 0, pause_ms)
            turn(one_worker, "page_idle_one_worker")
            turn(one_worker, "page_during_one_worker", "book_one_worker", SLOW_ZOOM_SECONDS)
        requests.post(f"{zoom}/_sandbox/latency", json={"seconds": 0},
                      timeout=TIMEOUT).raise_for_status()
        figures |= {name: combined(loads) for name, loads in rounds.items()}
        figures["pause_ms"] = pause_ms
        time.sleep(1)  # the requests still in flight when wrk stopped finish on the server
        figures["meetings"] = query(database, "SELECT count(*) FROM bookings "
                                              "WHERE zoom_state = 'created'")
        figures["bookings"] = query(database, "SELECT count(*) FROM bookings")
        figures["queued"] = query(database, "SELECT count(*) FROM jobs")
        figures["emails"] = sink.received
        figures["app_errors"] = app_errors(tmp / "app.log")

        print("5. Growth", flush=True)
        # One copy of the database per size, each served by its own Timetics (same settings),
        # so that the sizes can take turns like the figures above.
        growth_urls, growth_servers = {}, {}
        for size in GROWTH_SIZES:
            copy = tmp / f"growth-{size}.sqlite3"
            with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
                source.backup(target)
            # Cache off: the growth figures measure the queries, not the cache.
            copy_env = computing_env | {"TIMETICS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}"}
            run(BIN / "python", BENCH / "seed.py", "clear", env=copy_env)
            run(BIN / "python", BENCH / "seed.py", "grow", "--total", str(size), env=copy_env)
            port = free_port()
            growth_servers[size] = start(stack, BIN / "gunicorn", *options, "--bind",
                                         f"127.0.0.1:{port}", "wsgi:app", env=copy_env,
                                         log=tmp / f"growth-{size}.log")
            wait_for(f"http://127.0.0.1:{port}/healthz")
            growth_urls[size] = slots_url.replace(site, f"http://127.0.0.1:{port}")
        figures["growth"] = measure(growth_urls)

        print("6. Memory", flush=True)
        figures["rss"] = worker_status(app)
        figures["growth_rss"] = worker_status(growth_servers[GROWTH_SIZES[-1]])
        figures["baseline_rss"] = worker_status(base)
    return figures


# --- The table -----------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def failures(load: Load) -> str:
    """Booking requests that neither booked (302) nor lost a race (409)."""
    other = load.counts["other"]
    if not other:
        return "all 302"
    return f"**{other} of {load.requests} failed** (HTTP {load.counts['other_status']})"


def table(f: dict) -> list[str]:
    base, slots, page = f["baseline"], f["slots"], f["page"]
    fast, alone, slow, during = f["book_fast"], f["book_alone"], f["book_slow"], f["page_during"]
    healthz = f["healthz"]
    growth = f["growth"]
    first = growth[GROWTH_SIZES[0]].p50_ms
    slots_ratio, page_ratio = slots.per_second / base.per_second, page.per_second / base.per_second
    idle = f["page_idle"]
    during_factor = during.p99_ms / idle.p99_ms
    paced, paced_during = f["book_paced"], f["page_during_paced"]
    slow_one, during_one = f["book_one_worker"], f["page_during_one_worker"]
    idle_one = f["page_idle_one_worker"]
    growth_ratios = {size: growth[size].p50_ms / first for size in GROWTH_SIZES}
    mb = lambda kb: kb * 1024 / 1e6  # noqa: E731
    rss_mb = mb(max(f["rss"]["VmHWM"], f["growth_rss"]["VmHWM"]))

    def row(*cells: str) -> str:
        return "| " + " | ".join(cells) + " |"

    def rate(load: Load, unit: str = "req/s") -> str:
        return f"{load.per_second:,.0f} {unit}"

    def ms(value: float) -> str:
        return f"{value:.1f} ms" if value >= 1 else f"{value:.2f} ms"

    booking_rate = lambda load: f"{load.counts['booked'] / load.seconds:.1f} bookings/s"  # noqa: E731
    return [
        row("#", "Figure", "Throughput", "p50", "p99", "Ratio", "Target", "Result"),
        row(*["---"] * 8),
        row("0", "Baseline: bare Flask `GET /`", rate(base), ms(base.p50_ms), ms(base.p99_ms),
            "1.00", "", ""),
        row("0", "Reference: `GET /healthz` (one `SELECT 1` through the session)", rate(healthz),
            ms(healthz.p50_ms), ms(healthz.p99_ms),
            f"{healthz.per_second / base.per_second:.2f} of baseline req/s", "", ""),
        row("1", f"`GET /book/{SLUG}/slots` (7 days)", rate(slots), ms(slots.p50_ms),
            ms(slots.p99_ms), f"{slots_ratio:.2f} of baseline req/s",
            f"≥ {SLOTS_MIN_RATIO:.2f}", verdict(slots_ratio >= SLOTS_MIN_RATIO)),
        row("2", f"`GET /book/{SLUG}` (HTML page)", rate(page), ms(page.p50_ms),
            ms(page.p99_ms), f"{page_ratio:.2f} of baseline req/s", f"≥ {PAGE_MIN_RATIO:.2f}",
            verdict(page_ratio >= PAGE_MIN_RATIO)),
        *[row(number, f"Reference: {what}, every answer computed (answer cache off)",
              rate(load), ms(load.p50_ms), ms(load.p99_ms),
              f"{load.per_second / base.per_second:.2f} of baseline req/s", "", "")
          for number, what, load in (("1", "slots", f["slots_computed"]),
                                     ("2", "page", f["page_computed"]))],
        row("3", f"Booking (`POST /book/{BOOKING_SLUG}`), Zoom 0 ms, SMTP sink",
            booking_rate(fast), ms(fast.p50_ms), ms(fast.p99_ms), "", "", failures(fast)),
        row("3", "Booking, Zoom 0 ms, one connection (no overlap)", booking_rate(alone),
            ms(alone.p50_ms), ms(alone.p99_ms), "", "", failures(alone)),
        row("4", f"Booking, Zoom {SLOW_ZOOM_SECONDS * 1000:.0f} ms", booking_rate(slow),
            ms(slow.p50_ms), ms(slow.p99_ms), "", "", failures(slow)),
        row("4", f"`GET /book/{SLUG}` during the slow-Zoom bookings", rate(during),
            ms(during.p50_ms), ms(during.p99_ms),
            f"p99 {during_factor:.2f}× idle p99 ({ms(idle.p99_ms)})",
            f"≤ {SLOW_ZOOM_MAX_P99_FACTOR:.0f}×",
            verdict(during_factor <= SLOW_ZOOM_MAX_P99_FACTOR)),
        row("4", f"Reference: booking, Zoom 0 ms, each connection pausing {f['pause_ms']} ms",
            booking_rate(paced), ms(paced.p50_ms), ms(paced.p99_ms), "", "", failures(paced)),
        row("4", f"Reference: `GET /book/{SLUG}` during those bookings", rate(paced_during),
            ms(paced_during.p50_ms), ms(paced_during.p99_ms),
            f"p99 {paced_during.p99_ms / idle.p99_ms:.2f}× idle p99", "", ""),
        row("4", f"Reference: booking, Zoom {SLOW_ZOOM_SECONDS * 1000:.0f} ms, "
            f"`--workers {ONE_WORKER}`", booking_rate(slow_one), ms(slow_one.p50_ms),
            ms(slow_one.p99_ms), "", "", failures(slow_one)),
        row("4", f"Reference: `GET /book/{SLUG}` during those bookings, `--workers "
            f"{ONE_WORKER}`", rate(during_one), ms(during_one.p50_ms), ms(during_one.p99_ms),
            f"p99 {during_one.p99_ms / idle_one.p99_ms:.2f}× its idle p99 "
            f"({ms(idle_one.p99_ms)}, {rate(idle_one)})", "", ""),
        *[row("5", f"Slots p50 with {size:,} bookings", rate(growth[size]),
              ms(growth[size].p50_ms), ms(growth[size].p99_ms),
              f"{growth_ratios[size]:.2f}× the 100-booking p50",
              f"≤ {GROWTH_MAX_RATIO}" if size == GROWTH_SIZES[-1] else "",
              verdict(growth_ratios[size] <= GROWTH_MAX_RATIO)
              if size == GROWTH_SIZES[-1] else "")
          for size in GROWTH_SIZES],
        row("6", "Peak RSS (VmHWM) of a Timetics worker", "", "", "",
            f"{rss_mb:.0f} MB (figures 1-4: {mb(f['rss']['VmHWM']):.0f} MB, 100,000 "
            f"bookings: {mb(f['growth_rss']['VmHWM']):.0f} MB; after start-up: "
            f"{mb(f['rss_start']['VmRSS']):.0f} MB; baseline worker: "
            f"{mb(f['baseline_rss']['VmHWM']):.0f} MB)",
            f"< {RSS_MAX_MB} MB", verdict(rss_mb < RSS_MAX_MB)),
    ]


def report(figures: dict, about: dict) -> str:
    runs = [figures[k] for k in ("book_fast", "book_alone", "book_slow", "book_paced",
                                 "book_one_worker")]
    booked_all = sum(load.counts["booked"] for load in runs)
    taken_all = sum(load.counts["taken"] for load in runs)
    lines = [
        "# Timetics benchmark",
        "",
        f"Written by `make bench` (bench/run.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        "Every figure comes from this one run; the ratios compare with the baseline measured in "
        "it. Machines differ: compare ratios, not requests per second.",
        "",
        *table(figures),
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in about.items()],
        "- Load average (1, 5, 15 min) when the run started: "
        + ", ".join(f"{x:.2f}" for x in figures["load_before"])
        + " (the machine may be shared: other work shows up as noise, mostly in p99)",
        "",
        "## How",
        "",
        "- Server, for Timetics and the baseline alike: "
        f"`gunicorn {' '.join(figures['gunicorn'])}` on 127.0.0.1 (one worker per core, as "
        "`docs/deploy.md` advises; `BENCH_WORKERS` changes it), no access log; "
        "a fresh SQLite file (`flask --app timetics db upgrade`, "
        "`seed-demo`, `set-zoom-app`), rate limits off (`TIMETICS_RATELIMIT_ENABLED=false`).",
        f"- Load: `wrk -t {WRK_THREADS} -c {WRK_CONNECTIONS} -H 'Connection: close'`: one "
        "connection per request, as nginx makes them with `docs/deploy.md`'s `proxy_pass`, so "
        "that every request goes to whichever worker accepts it first. GET figures (0, 1, 2, 5): a "
        f"{WARMUP} s warm-up each, then {ROUNDS} rounds of {ROUND_SECONDS} s taking turns; "
        "throughput over all rounds, p50/p99 the median of the rounds. Bookings: one "
        f"{DURATION} s run (one connection: {SHORT_DURATION} s; figure 4: see below), no "
        "warm-up; "
        "latencies are wrk's, from "
        "sending the request to the end of the answer.",
        f"- Slots: `GET /book/{SLUG}/slots?from=<today>&to=<today+6>` in the host's zone. "
        f"Page: `GET /book/{SLUG}` (the month's picker, no slot chosen). Figures 1 and 2 are "
        "the app as configured by default: after the first request of a round, answers come "
        "from the answer cache (`timetics/answer_cache.py`), since nothing is written "
        "meanwhile. The reference rows are a second Timetics on the same database with "
        "`TIMETICS_ANSWER_CACHE_SECONDS=0`, taking turns with the others: every request runs "
        "the queries, the slot engine and the template.",
        f"- Bookings: wrk with `bench/book.lua`: `POST /book/{BOOKING_SLUG}` with `csrf_token`, "
        "`start`, `timezone`, `name`, `email`, `notes`, using 8 guest sessions (cookie + CSRF "
        "token) fetched beforehand and a different free start per request (wrk thread k takes "
        "starts k, k+n, ...). Each request is the whole confirmation: the write transaction, "
        "the Zoom meeting (sandbox over HTTP), two emails with .ics to the SMTP sink, and the "
        "302 to the booking page (not followed). "
        f"`{BOOKING_SLUG}` is a one-to-one, 30-minute Zoom type of the demo staff member, like "
        f"`{SLUG}` but with a 365-day window ({figures['free_starts']:,} free starts), so the "
        "load cannot run out of slots.",
        f"- Check: {booked_all} booking requests answered 302 ({taken_all} answered 409); "
        "bookings/s counts only the 302s, and wrk does not count the requests still in flight "
        "when a run ends, which the server completes. The database holds "
        f"{figures['bookings']} bookings, {figures['meetings']} with a Zoom meeting; the SMTP "
        f"sink received {figures['emails']} emails; {figures['queued']} jobs were queued "
        "(Zoom or mail failures).",
        "- Errors the app logged during the run: " + (", ".join(
            f"`{error}` × {count}" for error, count in figures["app_errors"].items()) or "none")
        + ".",
        f"- Slow Zoom: the sandbox's `POST /_sandbox/latency {{\"seconds\": {SLOW_ZOOM_SECONDS}}}`;"
        f" {ROUNDS} rounds of {SLOW_ROUND_SECONDS} s of the page alone (the idle reference) and "
        f"of the bookings with the page loaded at the same time by its own wrk (-t "
        f"{WRK_THREADS} -c {WRK_CONNECTIONS}), in turn; p99 the median of the rounds (idle: "
        f"{figures['page_idle'].per_second:,.0f} req/s, p50 {figures['page_idle'].p50_ms:.1f} ms)"
        ". Each booking outdates the cached page (it changes the host's free times; storing "
        "its Zoom link afterwards does not), so during the bookings one request in about 150 "
        "computes the page again. The reference rounds (a third turn in each round) book at "
        f"about the same rate with Zoom answering at once: each of the {WRK_CONNECTIONS} "
        f"connections pauses {figures['pause_ms']} ms after every answer (Zoom's "
        f"{SLOW_ZOOM_SECONDS * 1000:.0f} ms plus figure 3's one-connection p50; wrk's "
        "`delay()` in `bench/book.lua`). Equal p99s in the two would mean the page pays for "
        "the bookings' own work, not for the wait on Zoom. The last turns of each round "
        "repeat the idle page and the slow-Zoom bookings on a third Timetics, on the same "
        f"database, with `--workers {ONE_WORKER}`, as `make run` serves it: one process, whose "
        "threads share one GIL.",
        "- Growth: three copies of the database, the bookings above deleted, then 100, 10,000 "
        "and 100,000 bookings inserted (`bench/seed.py`, Core executemany through the app's "
        "models): 50 hosts (the demo staff member and 49 more), Monday-Friday 09:00-17:00 "
        "half-hours over the year around today; the demo staff member holds 1/50 of them. "
        "Each copy is served by its own Timetics with the same gunicorn settings and the answer "
        "cache off (so that every request runs the bookings query), and the three take turns "
        "like figures 0-2.",
        "- Memory: `VmHWM` in `/proc/<worker pid>/status` after the whole run, for the workers "
        "that served figures 1-4 and those that served 100,000 bookings; the largest counts "
        "(MB = 10^6 bytes).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `apt-get install wrk` (make bench does it).")
    about = machine()  # before the run: the code it records is the code the servers load
    figures = bench()
    text = report(figures, about)
    RESULTS.write_text(text)
    print()
    print("\n".join(table(figures)))
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
