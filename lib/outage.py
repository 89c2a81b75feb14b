"""Outages of the services a worker depends on (PostgreSQL, Redis), logged once each.

While a service is down every request or WebSocket that needs it fails the same way.
Logging each failure with its traceback flooded the logs (37 tracebacks in a 21-second
Redis outage with 6 pages open; one per reconnect of each of 2,000 pages at scale) and
buried the one line that matters. An `Outage` logs when the service stops answering (with
the first error, without a traceback), counts the failures that follow, and logs when it
answers again. One per service and per worker process.
"""

import logging
import threading
import time

from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger("vigie.outage")

# PostgreSQL's SQLSTATEs for a connection that is gone or refused: class 08 (connection
# exception), and the server shutting down or starting up (57P01 admin_shutdown: what
# pg_terminate_backend and a fast restart send; 57P02 crash_shutdown; 57P03
# cannot_connect_now).
_GONE = ("57P01", "57P02", "57P03")


class Outage:
    def __init__(self, service: str, consequence: str) -> None:
        self.service = service
        self.consequence = consequence
        self.since: float | None = None
        self.failures = 0
        self._lock = threading.Lock()  # failures are noticed on request threads too

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException) -> bool:
        """Count a failure; True for the first one of an outage (it was logged)."""
        with self._lock:
            self.failures += 1
            if self.since is not None:
                return False
            self.since = time.monotonic()
            self.failures = 1
        logger.warning(
            "%s unavailable (%s: %s); %s",
            self.service,
            type(error).__name__,
            str(error).strip().splitlines()[0] if str(error).strip() else "",
            self.consequence,
        )
        return True

    def succeeded(self) -> None:
        if self.since is None:  # the common case: one attribute read
            return
        with self._lock:
            if self.since is None:
                return
            lasted, failures = time.monotonic() - self.since, self.failures
            self.since, self.failures = None, 0
        logger.warning(
            "%s available again after %.1f s (%d failures meanwhile)",
            self.service,
            lasted,
            failures,
        )


database = Outage("database", "requests answered 503, pages retry")


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached (connection closed, refused or
    terminated, server shutting down, no pooled connection in time), as opposed to a
    fault of the query itself, which stays a server error."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    cause = error.__cause__
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:  # SQLite only: a local file is never « unreachable »
        return False
    if isinstance(cause, PoolTimeout | psycopg.InterfaceError):
        return True
    if isinstance(cause, psycopg.OperationalError):
        state = cause.sqlstate
        return state is None or state.startswith("08") or state in _GONE
    return False


def channel_layer_failed(error: BaseException) -> bool:
    """Whether `error` means the channel layer (Redis) failed. redis-py wraps the socket's
    errors (refused, reset, timed out) in its own RedisError, but not all of them: while a
    Redis outage tears a connection down, another task using the same connection (the
    pubsub layer shares one between its reader and every subscribe) can meet it half
    closed, and redis-py then raises whatever that gives, e.g. an AttributeError on the
    writer it has just dropped (in CI a handshake at an outage's start answered 500, with
    some error other than a RedisError; which one, its log did not keep). So an Exception
    raised from inside redis-py's own code also counts, whatever its class. Not an OSError
    raised elsewhere: uvicorn raises one (ClientDisconnected) when a page has gone, which
    is no outage; nor a fault of ours before the layer was called (an event that cannot be
    serialized fails in channels-redis, not in redis-py)."""
    if isinstance(error, RedisError):
        return True
    if not isinstance(error, Exception):  # CancelledError, KeyboardInterrupt: not a failure
        return False
    trace = error.__traceback__
    while trace is not None:
        module = trace.tb_frame.f_globals.get("__name__", "")
        if module == "redis" or module.startswith("redis."):
            return True
        trace = trace.tb_next
    return False
