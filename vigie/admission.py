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

Nobody waits for ever, nor long: the page says how long it has been trying
(`X-Start-Waited`, seconds), and a start that has waited `ADMISSION_MAX_WAIT` seconds is
admitted whatever the load (it then queues, as without admission). Measured without this
bound on the shared machine (docs/scaling.md), a saturated worker kept refusing the same
candidates while new ones arrived: up to 19 tries and 54 s. A candidate who lies about
the wait only skips the refusal, as if admission were off: nothing to protect there.
"""

import threading
from typing import Any

from django.urls import Resolver404, resolve

# The view names a saturated worker may refuse: the start of a test (resumes included, the
# same request). Nothing a started candidate does is in it.
START_VIEWS = frozenset({"api:candidate_start"})


def admits_start(in_flight: int, limit: int, waited: float = 0.0, max_wait: float = 0.0) -> bool:
    """The rule: a start is admitted while fewer than `limit` requests are in flight in the
    worker (not counting the start itself), or once it has been tried for `max_wait`
    seconds (`waited`, said by the page); `limit` 0 (or less) admits every start."""
    return limit <= 0 or in_flight < limit or (max_wait > 0 and waited >= max_wait)


def waited(scope: dict[str, Any]) -> float:
    """Seconds the page says it has been trying to start (`X-Start-Waited`); 0 if absent
    or not a number."""
    for name, value in scope.get("headers", []):
        if name == b"x-start-waited":
            try:
                return max(0.0, float(value))
            except ValueError:
                return 0.0
    return 0.0


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
