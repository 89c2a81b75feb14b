"""Health and readiness probes for load balancers and orchestrators (JSON, no auth).

`/healthz`: the process answers (liveness); it touches nothing else, so a database outage
does not get healthy workers killed. `/readyz`: the database and the channel layer answer
(readiness); 503 with the failing part named, so a balancer stops sending traffic to a
worker that cannot serve it.
"""

import asyncio
import logging
import os
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

from live.base import end_channel, probe_once

logger = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 2.0


async def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "pid": os.getpid()})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer")
    # A send to a throwaway channel is a real round trip for Redis, cheap for memory.
    channel = await layer.new_channel("readyz.")
    await probe_once(layer, channel)
    # Or every probe would leave a subscription behind with the pubsub layer.
    await end_channel(layer, channel)


async def _timed(name: str, check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_S)
    except Exception as exc:
        logger.warning("readiness check %s failed: %r", name, exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


async def readyz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": await _timed("database", sync_to_async(_database)),
        "channel_layer": await _timed("channel_layer", _channel_layer),
    }
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "pid": os.getpid(), "checks": checks},
        status=200 if ready else 503,
    )
