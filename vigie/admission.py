"""Admission under overload: at nine o'clock, a start waits a few seconds in the candidate's
page rather than in the worker's queue (issue 17).

When every room opens in the same minute the workers are CPU-bound: a start costs about
three answers (docs/scaling.md), and every start queued in a saturated worker makes every
answer in progress wait behind it. So a worker that already has `ADMISSION_START_LIMIT`
HTTP requests in flight answers a new start at once, from its event loop, without a thread
or a query: 503, `Retry-After: ADMISSION_RETRY_AFTER`, and a JSON body the page shows
(« Trop de candidats démarrent en même temps : patientez… », code `busy`). start.js waits
the Retry-After plus up to as much again at random (so the refused do not come back in
the same instant) and sends the start again by itself, as long as it takes: nobody is
refused for good. Only starts are refused; an answer, a state read, a page or an
invigilator's action is always served: a candidate who has started is never made to wait
by this.

Why the number of requests in flight (waiting for or holding one of the worker's
`HTTP_THREADS`, vigie/handler.py) rather than the age of the oldest queued request: the
worker is CPU-bound under the GIL, so what a newcomer waits for is the work already in
flight, and the count says it at once, at the first request of a burst, where an age
only grows after the queue has formed; it is exact and free to read on the event loop.
The age would also be fooled by one long request (an export), the count by at most one.
The default is `HTTP_THREADS`: a start is admitted as long as it would not wait for a
thread. 0 turns admission off.
"""

import threading

from django.urls import Resolver404, resolve

# The view names a saturated worker may refuse: the start of a test (resumes included, the
# same request). Nothing a started candidate does is in it.
START_VIEWS = frozenset({"api:candidate_start"})


def admits_start(in_flight: int, limit: int) -> bool:
    """The rule: a start is admitted while fewer than `limit` requests are in flight in the
    worker (not counting the start itself); `limit` 0 (or less) admits every start."""
    return limit <= 0 or in_flight < limit


def is_start(method: str, path: str) -> bool:
    if method != "POST":
        return False
    try:
        return resolve(path).view_name in START_VIEWS
    except (Resolver404, UnicodeError):
        return False


class Load:
    """The worker's HTTP requests in flight: from when their body is read to when they
    give back their thread (their response is then ready, vigie/handler.py). Changed on
    the worker's event loop; the lock is for the tests' server thread and its tests."""

    def __init__(self) -> None:
        self.in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


load = Load()
