"""Public answers kept while nothing they depend on has changed.

A booking page and its JSON slots cost several queries and a month of slot arithmetic, and the
same page is asked for again and again between two bookings. Each worker keeps its recent
answers, keyed by the request, and serves one again only while both hold:

- Nothing was committed to the database since the answer was computed. ``data_version()``
  moves at every commit, from any connection in any process (on SQLite its own
  ``PRAGMA data_version``, on PostgreSQL the current snapshot), and it is read *before* the
  answer's own queries, so an answer is never filed under a version newer than what it saw.
  That is the one rule: a new table or column cannot get past it.
- Its time has not run out: the view says when the answer would change by the clock alone
  (the first slot shown falls inside the minimum notice, midnight changes "today"), and
  ``ANSWER_CACHE_SECONDS`` bounds the rest (a new day entering the booking window).

Only answers that are the same for every visitor are kept: the view opts in per request, and
nothing is kept or served for a signed-in user or a session carrying flashed messages.
``ANSWER_CACHE_SECONDS = 0`` turns the cache off.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from flask import Flask, Response, current_app, g, make_response, request, session

from .db import data_version, utcnow
from .extensions import db
from .i18n import current_language

MAX_ENTRIES = 256  # a booking page is ~40 KB: at most ~10 MB per worker
WAIT_SECONDS = 5  # for another thread computing the same answer; then compute it ourselves


@dataclass(frozen=True)
class Answer:
    """A kept answer: what it was computed from, until when it holds, and what it said."""

    version: object
    expires: datetime
    body: bytes
    mimetype: str


class AnswerCache:
    """A bounded, thread-safe map from request keys to answers (least recently used goes)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[tuple, Answer] = OrderedDict()
        self._computing: dict[tuple, tuple[object, threading.Event]] = {}
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: tuple, version: object, now: datetime) -> Answer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                return None
            if answer.version != version or now >= answer.expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return answer

    def claim(self, key: tuple, version: object) -> tuple[threading.Event, bool]:
        """After a commit every visitor misses at once: one thread computes for them all.

        Gives an event and whether the caller is the one to compute (and then to call
        ``done`` with the event). The others wait for the event, then ``get`` again.
        """
        with self._lock:
            computing = self._computing.get(key)
            if computing is not None and computing[0] == version:
                return computing[1], False
            event = threading.Event()
            self._computing[key] = (version, event)
            return event, True

    def done(self, key: tuple, event: threading.Event) -> None:
        with self._lock:
            computing = self._computing.get(key)
            if computing is not None and computing[1] is event:
                del self._computing[key]
        event.set()

    def put(self, key: tuple, answer: Answer) -> None:
        with self._lock:
            self._entries[key] = answer
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _cache() -> AnswerCache:
    return current_app.extensions["timetics_answers"]


def changes_at(moment: datetime) -> None:
    """Tell the cache that the answer being computed is wrong from ``moment`` on."""
    if "answer_expires" in g:
        g.answer_expires = min(g.answer_expires, moment)


def _same_for_everyone() -> bool:
    # Reading the session marks it accessed, so the answer says "Vary: Cookie" either way.
    return request.method == "GET" and "_user_id" not in session and "_flashes" not in session


def cached_answer(when: Callable[[], bool] = lambda: True):
    """Serve the view's 200 answers from the cache while they hold (see the module's text).

    ``when`` tells, before the view runs, whether this request's answer is the same for every
    visitor; a page that shows a form (and so a CSRF token) must say no.
    """
    def decorator(view):
        @wraps(view)
        def wrapper(**kwargs):
            seconds = current_app.config["ANSWER_CACHE_SECONDS"]
            if not seconds or not _same_for_everyone() or not when():
                return view(**kwargs)
            # A transaction already open may see older data than the version read now.
            fresh_read = not db.session().in_transaction()
            version = data_version()
            # The language comes from the session or Accept-Language too, not only the URL.
            key = (request.endpoint, request.path, tuple(sorted(request.args.items(multi=True))),
                   current_language())
            now = utcnow()
            if version is None:
                return view(**kwargs)
            cache = _cache()
            hit = cache.get(key, version, now)
            if hit is None and fresh_read:
                event, mine = cache.claim(key, version)
                if mine:
                    try:
                        return _compute(view, kwargs, cache, key, version, now, seconds)
                    finally:
                        cache.done(key, event)
                event.wait(WAIT_SECONDS)
                hit = cache.get(key, version, now)
            if hit is not None:
                return Response(hit.body, mimetype=hit.mimetype)
            return view(**kwargs)  # an answer not for keeping (or an open transaction)
        return wrapper
    return decorator


def _compute(view, kwargs, cache: AnswerCache, key: tuple, version: object, now: datetime,
             seconds: float) -> Response:
    g.answer_expires = now + timedelta(seconds=seconds)
    try:
        response = make_response(view(**kwargs))
    finally:
        expires = g.pop("answer_expires")
    if response.status_code == 200 and not session.modified and not response.is_streamed:
        cache.put(key, Answer(version, expires, response.get_data(), response.mimetype))
    return response


def init_answer_cache(app: Flask) -> None:
    app.extensions["timetics_answers"] = AnswerCache()
