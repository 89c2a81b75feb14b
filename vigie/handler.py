"""Django's HTTP handler for ASGI, with the whole request on one thread.

Django's `ASGIHandler` runs its middleware in async mode: every `MiddlewareMixin`
middleware (sessions, locale, CSRF, auth, messages…) then runs each of its hooks through
`sync_to_async`, and the sync-only WhiteNoise forces a hop back with `async_to_sync`, so
one API call crossed between the event loop and a thread about fifteen times. Each
crossing waits for the event loop, which in a busy worker also serves thousands of
WebSockets: under load those waits, not the work, made the latency
(docs/scaling.md, « Why »). Our views are synchronous (the ORM is), so this handler
builds the middleware chain in sync mode, exactly as under WSGI, and enters it once with
`sync_to_async`: one crossing per request. Async views (the health probes) still work:
Django wraps them with `async_to_sync`.

Django also gives each request a thread of its own (`ThreadSensitiveContext()` makes a
new single-thread executor, started and joined per request). Measured with py-spy under
the answer load, about 8 % of the worker's samples were the event loop waiting for those
threads to start, and an overloaded worker made one thread per queued request. Here a
request borrows one of `HTTP_THREADS` long-lived threads for all its synchronous work
(the `request_started` signal, the chain, `response.close()` and `request_finished`, so the
thread's database connection goes back to the pool on the thread that took it), and
requests beyond that wait their turn in order instead of piling up threads.
"""

import asyncio
import collections
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


class _Threads:
    """Long-lived single-thread executors, handed out first come, first served (an
    `asyncio.Queue` lets a newcomer take a thread that was freed for a waiter: measured,
    that doubled the p95 of a closed loop of 40 candidates)."""

    def __init__(self, count: int) -> None:
        self.free = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{i}") for i in range(count)
        ]
        self.waiting: collections.deque[asyncio.Future[ThreadPoolExecutor]] = collections.deque()

    async def acquire(self) -> ThreadPoolExecutor:
        if self.free and not self.waiting:
            return self.free.pop()
        waiter = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            # Cancelled after being handed a thread: give it to the next in line.
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())
            else:
                self.waiting.remove(waiter)
            raise

    def release(self, executor: ThreadPoolExecutor) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(executor)
                return
        self.free.append(executor)


class SyncChainASGIHandler(ASGIHandler):
    _threads: _Threads | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # Made on first use, in the worker's event loop (one per process).
        threads = self._threads = self._threads or _Threads(settings.HTTP_THREADS)
        executor = await threads.acquire()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            threads.release(executor)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain: Any = getattr(self, "_middleware_chain")  # noqa: B009 - untyped in django-stubs
        # thread_sensitive: one thread per request (Django's ThreadSensitiveContext), where
        # the database connection is taken from the pool and given back at the end.
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)
