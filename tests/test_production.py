"""Production mode: secure settings, JSON logs, health and readiness probes, serve command."""

import asyncio
import json
import logging
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.test import AsyncClient

from vigie import health
from vigie.logs import JsonFormatter

ROOT = Path(__file__).resolve().parent.parent
PROD_KEY = "a-real-production-key-with-enough-entropy-0123456789"


def settings_in(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    """Evaluate a settings expression in a fresh process with exactly this environment."""
    code = (
        f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    )
    return subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "vigie.settings", "PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def get(path: str) -> Any:
    """GET through Django's ASGI handler, on a thread of its own: the probes are async views
    and the browser tests leave an event loop in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, AsyncClient().get(path)).result()


def test_it_enforces_secure_settings_when_debug_is_off():
    """DEBUG=false with a real key: secure cookies, HSTS, JSON logs, static files from STATIC_ROOT."""
    result = settings_in(
        {"DEBUG": "false", "SECRET_KEY": PROD_KEY},
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.LOG_FORMAT,"
        " s.WHITENOISE_USE_FINDERS, s.STATIC_ROOT is not None",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True 31536000 json False True"


def test_it_refuses_the_default_secret_key_and_a_bad_log_format():
    """The development key and LOG_FORMAT=xml stop the process with a message naming the setting."""
    refused = settings_in({"DEBUG": "false"}, "1")
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    bad_format = settings_in({"LOG_FORMAT": "xml"}, "1")
    assert bad_format.returncode != 0
    assert "LOG_FORMAT" in bad_format.stderr
    development = settings_in({}, "s.LOG_FORMAT, s.SESSION_COOKIE_SECURE")
    assert development.stdout.strip() == "text False"


def test_it_writes_one_json_object_per_log_line():
    """A log record becomes one JSON line with time, level, logger, message, pid; access lines get fields."""
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "vigie.x", logging.WARNING, __file__, 1, "réponse %s", ("n°7",), None
    )
    line = json.loads(formatter.format(record))
    assert line["level"] == "WARNING"
    assert line["logger"] == "vigie.x"
    assert line["message"] == "réponse n°7"
    assert line["pid"] == os.getpid()
    assert line["time"].endswith("+00:00")
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/api/x", "1.1", 201),
        None,
    )
    fields = json.loads(formatter.format(access))
    assert (fields["method"], fields["path"], fields["status"]) == ("POST", "/api/x", 201)
    try:
        raise ValueError("boom")
    except ValueError:
        failing = logging.LogRecord(
            "vigie.x", logging.ERROR, __file__, 1, "échec", (), sys.exc_info()
        )
    assert "ValueError: boom" in json.loads(formatter.format(failing))["exception"]


def test_it_says_the_process_is_alive_without_login():
    """/healthz answers 200 JSON to anyone, touching neither the database nor Redis."""
    response = get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "pid": os.getpid()}


@pytest.mark.django_db
def test_it_is_ready_when_the_database_and_channel_layer_answer():
    """/readyz checks the database and a round trip through the channel layer."""
    response = get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["channel_layer"]["ok"] is True


@pytest.mark.django_db
def test_it_is_not_ready_when_the_database_fails(monkeypatch):
    """A failing database makes /readyz answer 503 naming the database, the layer still checked."""

    def broken() -> None:
        raise ConnectionError("database down")

    monkeypatch.setattr(health, "_database", broken)
    response = get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["channel_layer"]["ok"] is True


@pytest.mark.django_db
def test_it_is_not_ready_without_a_channel_layer(monkeypatch):
    """No reachable channel layer: 503 naming the channel layer."""
    monkeypatch.setattr(health, "get_channel_layer", lambda: None)
    response = get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == {"ok": False, "error": "RuntimeError"}


def test_it_refuses_several_workers_without_redis():
    """The serve command will not start workers that could not share live events."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, str(ROOT / "scripts" / "serve.py"), "--workers", "2", "--skip-setup"],
        env={**env, "SECRET_KEY": PROD_KEY},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "REDIS_URL is required" in result.stderr


def _crossings(handler: Any, path: str, monkeypatch) -> tuple[int, int]:
    """(status, sync_to_async calls) of one GET through an ASGI handler."""
    import httpx
    from asgiref.sync import SyncToAsync

    calls = []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        calls.append(getattr(self.func, "__name__", repr(self.func)))
        return await original(self, *args, **kwargs)

    async def fetch() -> int:
        transport = httpx.ASGITransport(app=handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            monkeypatch.setattr(SyncToAsync, "__call__", counted)
            try:
                response = await client.get(path)
            finally:
                monkeypatch.setattr(SyncToAsync, "__call__", original)
            return response.status_code

    with ThreadPoolExecutor(1) as pool:
        status = pool.submit(asyncio.run, fetch()).result()
    return status, len(calls)


@pytest.mark.django_db(transaction=True)
def test_it_crosses_from_the_event_loop_to_a_thread_once_per_request(monkeypatch):
    """vigie/handler.py: the middleware runs in sync mode, entered once. Django's own ASGI
    handler crosses for every middleware hook, and each crossing waits for an event loop
    busy with WebSockets (docs/scaling.md)."""
    from django.core.handlers.asgi import ASGIHandler

    from vigie.handler import SyncChainASGIHandler

    ours = _crossings(SyncChainASGIHandler(), "/compte/connexion/", monkeypatch)
    stock = _crossings(ASGIHandler(), "/compte/connexion/", monkeypatch)
    assert ours[0] == stock[0] == 200, (ours, stock)
    # The chain itself, and Django's request_started and request_finished signals: 3
    # (the stock handler: 19 on this page).
    assert ours[1] <= 3
    assert stock[1] >= ours[1] + 10
    # An async view (the probe) still works through the sync chain.
    assert _crossings(SyncChainASGIHandler(), "/healthz", monkeypatch)[0] == 200


@pytest.mark.django_db(transaction=True)
def test_it_serves_requests_on_a_fixed_set_of_threads_in_arrival_order(settings, monkeypatch):
    """Django's handler starts and joins a thread per request (the event loop waits for
    each start) and, overloaded, holds one thread per queued request. Ours lends one of
    HTTP_THREADS long-lived threads to each request; the others wait their turn."""
    import threading

    import httpx
    from django.core.handlers.base import BaseHandler

    from vigie.handler import SyncChainASGIHandler

    seen: list[tuple[str, str]] = []
    original = BaseHandler._get_response

    def recording(self, request):
        seen.append((request.GET["n"], threading.current_thread().name))
        return original(self, request)

    monkeypatch.setattr(BaseHandler, "_get_response", recording)

    def burst(threads: int) -> list[int]:
        settings.HTTP_THREADS = threads
        handler = SyncChainASGIHandler()

        async def fetch() -> list[int]:
            transport = httpx.ASGITransport(app=handler)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost"
            ) as client:
                requests = []
                for n in range(8):
                    requests.append(asyncio.create_task(client.get(f"/compte/connexion/?n={n}")))
                    await asyncio.sleep(0)  # they arrive in this order
                return [r.status_code for r in await asyncio.gather(*requests)]

        seen.clear()
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, fetch()).result()

    assert burst(2) == [200] * 8
    assert {name for _n, name in seen} == {"http-0_0", "http-1_0"}
    # One thread: the 7 waiting requests are served in their order of arrival.
    assert burst(1) == [200] * 8
    assert seen == [(str(n), "http-0_0") for n in range(8)]


def test_it_gives_each_worker_room_for_bursts_of_live_events():
    """channels-redis shares one queue of 100 messages (its default) between all of a
    worker's sockets and drops the rest silently: measured, a third of the invigilators'
    events were lost at 40 answers/s (bench/cpu_per_answer.py) until it was raised."""
    env = {"REDIS_URL": "redis://127.0.0.1:6379/9"}
    capacity = "s.CHANNEL_LAYERS['default']['CONFIG']['capacity']"
    assert settings_in(env, capacity).stdout.strip() == "10000"
    assert settings_in({**env, "CHANNEL_CAPACITY": "500"}, capacity).stdout.strip() == "500"
