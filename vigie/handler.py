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
"""

from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain: Any = getattr(self, "_middleware_chain")  # noqa: B009 - untyped in django-stubs
        # thread_sensitive: one thread per request (Django's ThreadSensitiveContext), where
        # the database connection is taken from the pool and given back at the end.
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)
