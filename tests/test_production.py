"""Production mode: secure settings, JSON logs, health and readiness probes, serve command."""

import asyncio
import html
import json
import logging
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.test import AsyncClient, Client
from redis.asyncio import Redis

from accounts.sessions import SessionStore
from lib import outage
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
    # One: the signals, the chain and the response's close all run in that one call
    # (the stock handler: 19 on this page).
    assert ours[1] == 1
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
    env = {"REDIS_URL": "redis://127.0.0.1:6379/9", "CHANNEL_LAYER": "core"}
    capacity = "s.CHANNEL_LAYERS['default']['CONFIG']['capacity']"
    assert settings_in(env, capacity).stdout.strip() == "10000"
    assert settings_in({**env, "CHANNEL_CAPACITY": "500"}, capacity).stdout.strip() == "500"


def test_it_carries_live_events_over_redis_pub_sub_unless_told_otherwise():
    """Issue 17: the core layer's one-message-at-a-time reads left the invigilators' events
    queued for tens of seconds at 9:00 (docs/scaling.md, « The push path »)."""
    env = {"REDIS_URL": "redis://127.0.0.1:6379/9"}
    backend = "s.CHANNEL_LAYERS['default']['BACKEND']"
    assert (
        settings_in(env, backend).stdout.strip() == "channels_redis.pubsub.RedisPubSubChannelLayer"
    )
    core = settings_in({**env, "CHANNEL_LAYER": "core"}, backend).stdout.strip()
    assert core == "channels_redis.core.RedisChannelLayer"
    wrong = settings_in({**env, "CHANNEL_LAYER": "kafka"}, backend)
    assert wrong.returncode != 0
    assert "CHANNEL_LAYER must be pubsub or core, got 'kafka'" in wrong.stderr


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_it_leaves_no_subscription_behind_after_a_readiness_probe(settings):
    """Load balancers probe /readyz every few seconds, for months: with the pubsub layer each
    probe's channel stayed subscribed, in the worker and in Redis, until its receive was
    cancelled."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": "readyz-test"},
        }
    }

    async def probes() -> list[bytes]:
        for _ in range(3):
            await health._channel_layer()
        redis = Redis.from_url(os.environ["REDIS_URL"])
        try:
            return await redis.pubsub_channels("readyz-test*")
        finally:
            await redis.aclose()

    with ThreadPoolExecutor(1) as pool:  # the browser tests leave an event loop in this thread
        assert pool.submit(asyncio.run, probes()).result() == []


class _Stalled:
    """An ASGI client that sends `sent` of the body it announced, then nothing more."""

    def __init__(self, sent: bytes) -> None:
        self.messages: list[dict[str, Any]] = [
            {"type": "http.request", "body": sent, "more_body": True}
        ]
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.messages:
            return self.messages.pop(0)
        await asyncio.Event().wait()  # the rest of the body never comes
        raise AssertionError("unreachable")

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    def status(self) -> int | None:
        starts = [m["status"] for m in self.sent if m["type"] == "http.response.start"]
        return starts[0] if starts else None

    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def _scope(method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }


def _in_own_loop(coroutine: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.django_db(transaction=True)
def test_it_lends_a_thread_only_to_a_request_whose_body_has_arrived(settings):
    """A slow client (issue 13): it announces 100 kB and sends 5 bytes. It used to hold one
    of HTTP_THREADS threads until it hung up, and as many of them as threads froze the
    worker, /healthz included. Its body is now awaited on the event loop."""
    import httpx

    from vigie.handler import SyncChainASGIHandler

    settings.HTTP_THREADS = 1
    handler = SyncChainASGIHandler()

    async def scenario() -> list[int]:
        slow = [_Stalled(b'{"a"') for _ in range(3)]
        scope = _scope("POST", "/api/accounts/register", {"Content-Length": "100000"})
        stalled = [asyncio.create_task(handler(scope, s.receive, s.send)) for s in slow]
        await asyncio.sleep(0.1)
        transport = httpx.ASGITransport(app=handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            statuses = [
                (await asyncio.wait_for(client.get(path), timeout=10)).status_code
                for path in ("/healthz", "/compte/connexion/", "/api/openapi.json")
            ]
        assert all(s.status() is None for s in slow)  # still waiting for their bodies
        for task in stalled:
            task.cancel()
        return statuses

    assert _in_own_loop(scenario()) == [200, 200, 200]


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_body_that_does_not_arrive_in_time_with_408(settings):
    """The rest of the body never comes: after REQUEST_BODY_TIMEOUT seconds the request is
    answered 408, in the visitor's language, JSON for the API."""
    from vigie.handler import SyncChainASGIHandler

    settings.REQUEST_BODY_TIMEOUT = 1
    handler = SyncChainASGIHandler()

    async def scenario() -> tuple[_Stalled, _Stalled]:
        api, page = _Stalled(b'{"a"'), _Stalled(b"csrfmiddlewaretoken=")
        await asyncio.wait_for(
            asyncio.gather(
                handler(
                    _scope("POST", "/api/accounts/register", {"Content-Length": "100000"}),
                    api.receive,
                    api.send,
                ),
                handler(
                    _scope(
                        "POST",
                        "/compte/connexion/",
                        {"Content-Length": "500", "Accept-Language": "en"},
                    ),
                    page.receive,
                    page.send,
                ),
            ),
            timeout=10,
        )
        return api, page

    api, page = _in_own_loop(scenario())
    assert api.status() == 408
    assert json.loads(api.body()) == {
        "detail": "La requête n’est pas arrivée en entier dans le délai de 1 secondes. "
        "Vérifiez votre connexion, puis réessayez.",
        "code": "http_408",
    }
    assert page.status() == 408
    assert b"The request did not arrive in full within 1 seconds" in page.body()
    assert b'<html lang="en">' in page.body()


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_body_over_the_limit_with_413_without_reading_it(settings):
    """Announced too large: 413 at once, nothing read. Sent in chunks without a length: 413
    as soon as the limit is passed. The page names the import limit, in French."""
    from vigie.handler import SyncChainASGIHandler

    settings.REQUEST_MAX_BYTES = 4096
    handler = SyncChainASGIHandler()

    class Chunks(_Stalled):
        def __init__(self) -> None:
            super().__init__(b"")
            self.messages = [
                {"type": "http.request", "body": b"x" * 1000, "more_body": True} for _ in range(50)
            ]
            self.read = 0

        async def receive(self) -> dict[str, Any]:
            self.read += 1
            return await super().receive()

    async def scenario() -> tuple[Chunks, Chunks, Chunks]:
        announced, chunked, elsewhere = Chunks(), Chunks(), Chunks()
        url = "/sessions/1/candidats/import/"
        too_long = {"Content-Length": "4097"}
        await asyncio.wait_for(
            asyncio.gather(
                handler(_scope("POST", url, too_long), announced.receive, announced.send),
                handler(_scope("POST", url), chunked.receive, chunked.send),
                handler(
                    _scope("POST", "//evil.example/", too_long), elsewhere.receive, elsewhere.send
                ),
            ),
            timeout=10,
        )
        return announced, chunked, elsewhere

    announced, chunked, elsewhere = _in_own_loop(scenario())
    assert (announced.status(), announced.read) == (413, 0)
    assert (chunked.status(), chunked.read) == (413, 5)
    page = announced.body().decode()
    assert '<html lang="fr">' in page
    assert "un fichier importé ne peut dépasser 2 Mo" in page
    assert '<a href="/sessions/1/candidats/import/">Revenir à la page</a>' in page
    assert chunked.body() == announced.body()
    # The link back stays on this site.
    assert '<a href="/">Retour à l’accueil</a>' in elsewhere.body().decode()


@pytest.mark.django_db(transaction=True)
def test_it_gives_the_thread_back_before_a_slow_reader_takes_its_response(settings):
    """A client that reads its response slowly holds a buffer, not a thread: the next
    request is served while the first response is still being written."""
    import httpx

    from vigie.handler import SyncChainASGIHandler

    settings.HTTP_THREADS = 1
    handler = SyncChainASGIHandler()

    async def scenario() -> int:
        reading = asyncio.Event()

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def slow_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                await reading.wait()  # the client's window is shut

        slow = asyncio.create_task(handler(_scope("GET", "/api/openapi.json"), receive, slow_send))
        await asyncio.sleep(0.2)
        transport = httpx.ASGITransport(app=handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            status = (await asyncio.wait_for(client.get("/healthz"), timeout=10)).status_code
        assert not slow.done()
        reading.set()
        await asyncio.wait_for(slow, timeout=10)
        return status

    assert _in_own_loop(scenario()) == 200


def _connection_lost(sqlstate: str | None = None) -> Exception:
    """What Django raises when PostgreSQL drops the connection: its OperationalError,
    caused by psycopg's (a terminated backend says 57P01; a closed socket has no state)."""
    import psycopg
    from django.db import OperationalError

    cause = psycopg.OperationalError("consuming input failed: server closed the connection")
    if sqlstate is not None:
        cause = psycopg.errors.lookup(sqlstate)("canceling statement due to user request")
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.django_db
def test_it_answers_503_in_french_when_the_database_cannot_be_reached(
    centre_admin, exam_session, monkeypatch, caplog
):
    """The database gone (vigie/errors.py): the API answers 503 JSON with Retry-After, a
    page 503 that reloads itself; logged once, without a traceback. A fault of the query
    (here a cancelled statement) stays a 500."""

    client = Client(raise_request_exception=False)
    client.force_login(centre_admin)
    failure = {"error": _connection_lost()}

    def gone(self):
        raise failure["error"]

    monkeypatch.setattr(SessionStore, "_get_session_from_db", gone)
    monkeypatch.setattr(outage.database, "since", None)
    caplog.set_level(logging.WARNING)
    api = client.get(f"/api/sessions/{exam_session.pk}")
    page = client.get("/")
    assert (api.status_code, api["Retry-After"]) == (503, "5")
    assert api.json() == {
        "detail": "Vigie ne parvient pas à joindre sa base de données. Réessayez dans "
        "quelques secondes : rien de ce qui a été confirmé n’est perdu.",
        "code": "database_unavailable",
    }
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    html = page.content.decode()
    assert "<h1>Service momentanément indisponible</h1>" in html
    assert '<meta http-equiv="refresh" content="5">' in html
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == ["database unavailable"]
    assert not any(r.exc_info for r in caplog.records)

    failure["error"] = _connection_lost(sqlstate="57014")  # query_canceled
    assert client.get(f"/api/sessions/{exam_session.pk}").status_code == 500


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "language", "expected"),
    [
        (
            "/sessions/7/archives/scans/",
            "fr",
            "Le document signé dépasse la taille maximale autorisée (2 Mo). Numérisez-le en "
            "plus basse résolution ou en noir et blanc (PDF, PNG ou JPEG), puis ajoutez-le de "
            "nouveau.",
        ),
        (
            "/api/sessions/7/scans",
            "en",
            "The signed document is over the maximum size allowed (2 MB). Scan it at a lower "
            "resolution or in black and white (PDF, PNG or JPEG), then add it again.",
        ),
        (
            "/sessions/7/candidats/import/",
            "fr",
            "La requête dépasse la taille maximale autorisée : un fichier importé ne peut "
            "dépasser 2 Mo.",
        ),
    ],
)
def test_it_names_the_scan_limit_when_a_signed_scan_is_too_large(
    settings, path, language, expected
):
    """A scan over the request limit never reaches finalization/scans.py: the 413 itself says
    it is the signed document, and names SCAN_MAX_BYTES, in the visitor's language."""
    from vigie.handler import SyncChainASGIHandler

    settings.SCAN_MAX_BYTES = settings.IMPORT_MAX_BYTES = 2 * 1024 * 1024
    settings.REQUEST_MAX_BYTES = 4096
    handler = SyncChainASGIHandler()
    client = _Stalled(b"")
    headers = {"Content-Length": "4097", "Accept-Language": language}

    _in_own_loop(
        asyncio.wait_for(handler(_scope("POST", path, headers), client.receive, client.send), 10)
    )

    assert client.status() == 413
    body = client.body().decode()
    text = json.loads(body)["detail"] if path.startswith("/api/") else html.unescape(body)
    assert expected in text
