"""Admission under overload: at nine o'clock the starts of tests take a worker's threads in
a lane of their own, a few at a time and in order, and only a long lane makes the
candidate's page wait (issue 17).

When every room opens in the same minute the machine is CPU-bound: a start costs about three
answers (docs/scaling.md), and every start queued in a saturated worker made every answer
in progress wait behind it. So at most `ADMISSION_STARTS_AT_ONCE` starts hold one of a
worker's `HTTP_THREADS` (vigie/handler.py) at any moment, and the others — answers, state
reads, pages, the invigilators' actions — never wait behind more than that many starts.
The starts keep that share however busy the worker is: a thread freed goes to the lane
first while fewer than `ADMISSION_STARTS_AT_ONCE` starts hold one, so they go on at a
steady pace instead of waiting for a moment when nobody else needs a thread.

A start waits in that lane, in order of arrival, for up to `ADMISSION_START_WAIT` seconds;
it is answered at once from the event loop, without a thread or a query, when
`ADMISSION_START_QUEUE` starts are already waiting there, or when its wait is over: 503,
`Retry-After: ADMISSION_RETRY_AFTER`, and a JSON body the page shows (« Trop de candidats
démarrent en même temps : patientez… », code `busy`). start.js waits the Retry-After plus
up to as much again at random (so the refused do not come back in the same instant) and
sends the start again by itself, as long as it takes: nobody is refused for good.

Measured on a quiet machine (2,000 candidates starting within 60 s, docs/scaling.md
« The start lane »), against this module's first version, which refused every start that
found `HTTP_THREADS` requests in flight: in two runs the median candidate started in 2.4
and 5.5 s instead of 6.8 s (p95 11.9 and 18.2 s against 18.3 s), with 912 and 2,769
refusals instead of 5,472; the answers' p95 over the burst was 1.2 and 2.6 s instead of
0.58 s — starting candidates sooner costs the machine's CPU that the answers then share. A lane that gave the starts only the threads nobody else
wanted starved them (p95 20.9 s, most tries timing out in the lane). The lane's size is 40 %
of the threads (4 of 10; `ADMISSION_STARTS_AT_ONCE`): it starts about its size divided by
a start's time a second, and a start's time grows with the answers sharing the worker's
GIL. With 2 of 10, on a slow machine, the lane fell behind the burst's second half (starts'
p95 2.1–3.7 s) while the worker's other threads idled; with 4, 0.19–0.52 s (docs/scaling.md,
« The start lane's share »).

Nobody waits for ever, nor long: the page says how long it has been trying
(`X-Start-Waited`, seconds), and a start that has waited `ADMISSION_MAX_WAIT` seconds is
served as any other request, first come first served. A candidate who lies about the wait
only skips the lane, as if admission were off: nothing to protect there.
`ADMISSION_STARTS_AT_ONCE=0` turns admission off: starts are ordinary requests.
"""

import asyncio
import collections
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

# The view names a saturated worker may refuse: the start of a test (resumes included, the
# same request). Nothing a started candidate does is in it.
START_VIEWS = frozenset({"api:candidate_start"})


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
    # Every POST comes here: the path is resolved only when it may be a start.
    if method != "POST" or not path.rstrip("/").endswith("/start"):
        return False
    try:
        return resolve(path).view_name in START_VIEWS
    except (Resolver404, UnicodeError):
        return False


def in_start_lane(scope: dict[str, Any]) -> bool:
    """Whether this request goes through the start lane: a start, admission on, and a page
    that has not yet been trying for `ADMISSION_MAX_WAIT` seconds."""
    if settings.ADMISSION_STARTS_AT_ONCE <= 0 or not is_start(scope["method"], scope["path"]):
        return False
    max_wait = settings.ADMISSION_MAX_WAIT
    return not (max_wait > 0 and waited(scope) >= max_wait)


class Threads:
    """The worker's long-lived single-thread executors, taken first come, first served (an
    `asyncio.Queue` would let a newcomer take a thread freed for a waiter: measured, that
    doubled the p95 of a closed loop of 40 candidates) — the starts in a lane of their own:
    at most `ADMISSION_STARTS_AT_ONCE` of them hold a thread at a time (read at each
    decision, so that a running worker's tests can change it), and a thread freed goes to
    the lane first while it has fewer.

    Only the worker's event loop calls these methods, so no lock: a thread is free only
    when nobody eligible is waiting for it (`release` hands it over first)."""

    def __init__(self, count: int) -> None:
        self.free = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{i}") for i in range(count)
        ]
        self.waiting: collections.deque[asyncio.Future[ThreadPoolExecutor]] = collections.deque()
        self.starts: collections.deque[asyncio.Future[ThreadPoolExecutor]] = collections.deque()
        self.starts_running = 0

    @property
    def starts_at_once(self) -> int:
        return max(1, settings.ADMISSION_STARTS_AT_ONCE)

    def start_goes_now(self) -> bool:
        # A free thread means nobody else waits: `release` hands threads over first.
        return bool(self.free) and not self.starts and self.starts_running < self.starts_at_once

    async def admit_start(self) -> ThreadPoolExecutor | None:
        """A thread for a start, in the lane (give it back with `release(…, start=True)`);
        None when `ADMISSION_START_QUEUE` starts already wait or this one has waited
        `ADMISSION_START_WAIT` seconds: the caller answers 503."""
        if not self.start_goes_now() and len(self.starts) >= settings.ADMISSION_START_QUEUE:
            return None
        try:
            async with asyncio.timeout(settings.ADMISSION_START_WAIT):
                return await self.acquire_for_start()
        except TimeoutError:
            return None

    async def acquire(self) -> ThreadPoolExecutor:
        if self.free and not self.waiting:
            return self.free.pop()
        return await self._wait(self.waiting, start=False)

    async def acquire_for_start(self) -> ThreadPoolExecutor:
        """A thread for a start (give it back with `release(…, start=True)`)."""
        if self.start_goes_now():
            self.starts_running += 1
            return self.free.pop()
        return await self._wait(self.starts, start=True)

    async def _wait(
        self, queue: collections.deque[asyncio.Future[ThreadPoolExecutor]], *, start: bool
    ) -> ThreadPoolExecutor:
        waiter = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            # Cancelled (the client left, or the start's wait is over) after being handed a
            # thread: give it to the next in line.
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result(), start=start)
            elif waiter in queue:
                # Not there if a release came between the cancel and now: it dropped the
                # cancelled waiter as it went.
                queue.remove(waiter)
            raise

    def release(self, executor: ThreadPoolExecutor, *, start: bool = False) -> None:
        if start:
            self.starts_running -= 1
        # The starts' share first, so that they go on however busy the worker is; then
        # the others, who thus never wait behind more than `starts_at_once` starts.
        while self.starts and self.starts_running < self.starts_at_once:
            waiter = self.starts.popleft()
            if not waiter.done():
                self.starts_running += 1
                waiter.set_result(executor)
                return
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(executor)
                return
        self.free.append(executor)
