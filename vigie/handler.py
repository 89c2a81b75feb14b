"""Django's HTTP handler for ASGI, with the whole request on one thread, and a thread only
while there is work for it.

Django's `ASGIHandler` runs its middleware in async mode: every `MiddlewareMixin`
middleware (sessions, locale, CSRF, auth, messages…) then runs each of its hooks through
`sync_to_async`, and the sync-only WhiteNoise forces a hop back with `async_to_sync`, so
one API call crossed between the event loop and a thread about fifteen times. Each
crossing waits for the event loop, which in a busy worker also serves thousands of
WebSockets: under load those waits, not the work, made the latency
(docs/scaling.md, « Why »). Our views are synchronous (the ORM is), so this handler
builds the middleware chain in sync mode, exactly as under WSGI, and enters it once:
one crossing per request. Async views (the health probes) still work: Django wraps them
with `async_to_sync`.

Django also gives each request a thread of its own (`ThreadSensitiveContext()` makes a
new single-thread executor, started and joined per request). Measured with py-spy under
the answer load, about 8 % of the worker's samples were the event loop waiting for those
threads to start, and an overloaded worker made one thread per queued request. Here a
request borrows one of `HTTP_THREADS` long-lived threads for all its synchronous work
(the `request_started` signal, the chain, reading a streamed body, `response.close()` and
`request_finished`, so the thread's database connection goes back to the pool on the
thread that took it), and requests beyond that wait their turn in order instead of
piling up threads — the starts of tests in a lane of their own, a few at a time
(vigie/admission.py).

A thread is the worker's scarce resource, so a request takes one only when its body is
all there, and gives it back before its response is sent (docs/security.md, « Slow
clients »). The body is read on the event loop first, bounded in size
(`REQUEST_MAX_BYTES`, 413) and in time (`REQUEST_BODY_TIMEOUT`, 408): a client that
announces 100 kB and sends 5 bytes used to hold a thread until it hung up, and
`HTTP_THREADS` such clients stopped every request of the worker, `/healthz` included.
Symmetrically, a client that reads its response slowly only holds a buffer: the thread is
released when the response is ready, and the event loop writes it out.

It replaces Django's `ASGIHandler.__call__`/`handle`/`read_body` and calls its
`create_request`, `chunk_bytes` and the sync `load_middleware`: tests/test_private_apis.py
fails by name when a Django or asgiref upgrade changes any of them.
"""

import asyncio
import io
import json
import tempfile
from typing import Any
from urllib.parse import quote

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, ASGIRequest, get_script_prefix
from django.db import connection
from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve, set_script_prefix
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from finalization import scans
from lib import outage
from live.events import serving_loop
from vigie import admission
from vigie.errors import standalone_page
from vigie.middleware import CONTENT_SECURITY_POLICY


class _Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn's parser refuses it before we get here
    return None


async def _read_body(scope: dict[str, Any], receive: Any) -> tempfile.SpooledTemporaryFile | None:
    """The request body, read on the event loop; None if the client went away.

    Raises _Refused(413) past REQUEST_MAX_BYTES (announced or received) and _Refused(408)
    when the whole body has not arrived within REQUEST_BODY_TIMEOUT seconds."""
    limit = settings.REQUEST_MAX_BYTES
    announced = _content_length(scope)
    if announced is not None and announced > limit:
        raise _Refused(413)
    # Closed on every path out but the normal one, where the request owns it.
    body = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
    )
    size = 0
    try:
        async with asyncio.timeout(settings.REQUEST_BODY_TIMEOUT):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    body.close()
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise _Refused(413)
                body.write(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        body.close()
        raise _Refused(408) from None
    except _Refused:
        body.close()
        raise
    body.seek(0)
    return body


# Where a signed scan is sent (page and API): its own limit, SCAN_MAX_BYTES, is the one to name.
SCAN_UPLOADS = {"finalization:scan_attach", "api:finalization_attach_scan"}


def _too_large(path: str) -> str:
    """The 413's sentence, naming the limit of what this address receives: a signed scan's
    (finalization/scans.py) or an imported file's."""
    try:
        view = resolve(path).view_name
    except (Resolver404, UnicodeError):
        view = ""
    if view in SCAN_UPLOADS:
        return _(
            "Le document signé dépasse la taille maximale autorisée (%(limit)s). Numérisez-le "
            "en plus basse résolution ou en noir et blanc (PDF, PNG ou JPEG), puis ajoutez-le "
            "de nouveau."
        ) % {"limit": scans.limit_text()}
    return _(
        "La requête dépasse la taille maximale autorisée : un fichier importé ne "
        "peut dépasser %(limit)s Mo."
    ) % {"limit": max(1, settings.IMPORT_MAX_BYTES // (1024 * 1024))}


def _refusal(scope: dict[str, Any], status: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of a 408/413, in the visitor's language: JSON under /api/, a small
    page otherwise (the request never reached Django's middleware)."""
    try:
        language = translation.get_language_from_request(ASGIRequest(scope, io.BytesIO()))
    except UnicodeDecodeError:  # a malformed path or header: the default language
        language = settings.LANGUAGE_CODE
    path = scope.get("path") or "/"
    with translation.override(language):
        if status == 413:
            title = _("Requête trop volumineuse")
            detail = _too_large(path)
        else:
            title = _("Requête trop lente")
            detail = _(
                "La requête n’est pas arrivée en entier dans le délai de %(seconds)s "
                "secondes. Vérifiez votre connexion, puis réessayez."
            ) % {"seconds": settings.REQUEST_BODY_TIMEOUT}
        language = translation.get_language()
        # Vigie's forms post to their own address: the link leads back to the form, if
        # it is a path of this site (« //host » or « /\host » would leave it).
        back = quote(path)
        if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
            back = "/"
        page = standalone_page(title, detail, back=back)
    headers = [
        (b"connection", b"close"),  # the rest of the body, if any, is not read
        (b"x-content-type-options", b"nosniff"),
        (b"content-language", language.encode()),
    ]
    if path.startswith("/api/"):
        content = json.dumps({"detail": detail, "code": f"http_{status}"}, ensure_ascii=False)
        headers.append((b"content-type", b"application/json"))
    else:
        content = page
        headers += [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
        ]
    return headers, content.encode()


def _busy(scope: dict[str, Any]) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and JSON body of a start refused by a saturated worker (vigie/admission.py),
    in the candidate's language: start.js shows `detail` and tries again after Retry-After."""
    try:
        language = translation.get_language_from_request(ASGIRequest(scope, io.BytesIO()))
    except UnicodeDecodeError:
        language = settings.LANGUAGE_CODE
    seconds = settings.ADMISSION_RETRY_AFTER
    with translation.override(language):
        detail = _(
            "Trop de candidats démarrent en même temps : patientez quelques secondes, votre "
            "test va démarrer."
        )
        language = translation.get_language()
    content = json.dumps(
        {"detail": detail, "code": "busy", "retry_after": seconds}, ensure_ascii=False
    ).encode()
    headers = [
        (b"retry-after", str(seconds).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"content-language", language.encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
    ]
    return headers, content


def _database_answered(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    result = execute(sql, params, many, context)
    outage.database.succeeded()
    return result


class SyncChainASGIHandler(ASGIHandler):
    _threads: admission.Threads | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body = await _read_body(scope, receive)
        except _Refused as refused:
            headers, page = _refusal(scope, refused.status)
            headers.append((b"content-length", str(len(page)).encode()))
            await send(
                {"type": "http.response.start", "status": refused.status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": page})
            return
        if body is None:
            return
        # Made on first use, in the worker's event loop (one per process).
        threads = self._threads = self._threads or admission.Threads(settings.HTTP_THREADS)
        # The request's live events go to this loop without its thread waiting (live/events.py).
        serving_loop.set(asyncio.get_running_loop())
        start = admission.in_start_lane(scope)
        if start:
            executor = await threads.admit_start()
            if executor is None:
                body.close()
                headers, busy = _busy(scope)
                await send({"type": "http.response.start", "status": 503, "headers": headers})
                await send({"type": "http.response.body", "body": busy})
                return
        else:
            executor = await threads.acquire()
        try:
            respond = sync_to_async(self._respond, thread_sensitive=True)
            async with ThreadSensitiveContext(executor=executor):
                response, content = await respond(scope, body)
        finally:
            threads.release(executor, start=start)
        if content is None:  # an async iterator: streamed from the event loop
            await super().send_response(response, send)
            await sync_to_async(response.close)()
            return
        await self._send(response, content, send)

    def _respond(
        self, scope: dict[str, Any], body: tempfile.SpooledTemporaryFile
    ) -> tuple[Any, list[bytes] | None]:
        """Everything synchronous about one request, on the borrowed thread: the response
        and its body as bytes (None for an async iterator), the response already closed."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body)
        response: Any = error_response
        if request is None:
            body.close()
        elif outage.database.ongoing:
            # While the database is down, the first query that succeeds ends the outage.
            with connection.execute_wrapper(_database_answered):
                response = self.get_response(request)
        else:
            response = self.get_response(request)  # BaseHandler's: the sync chain
        response._handler_class = self.__class__
        if not response.streaming:
            content: list[bytes] = [response.content]
        elif response.is_async:
            return response, None
        else:
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
            content = list(response)  # a file or generator, read here rather than on the loop
        response.close()  # request_finished: this thread's database connection is given back
        if request is not None:
            # Done with. The request is in reference cycles (its messages' storages and its
            # lazy user point back to it) that would keep it, its headers, session and
            # user for the collector: about 65 objects a request, which made the young
            # collections run about three times as often and promote the requests in
            # flight (docs/scaling.md, « Cycles cut at the source »). Emptied, it is freed
            # now.
            request.__dict__.clear()
        return response, content

    async def _send(self, response: HttpResponseBase, content: list[bytes], send: Any) -> None:
        """Django's send_response, for a body already in memory."""
        headers = [
            (name.encode("ascii"), value.encode("latin1")) for name, value in response.items()
        ]
        headers += [
            (b"Set-Cookie", cookie.output(header="").encode("ascii").strip())
            for cookie in response.cookies.values()
        ]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        parts = [chunk for part in content for chunk, _last in self.chunk_bytes(part) if chunk]
        for chunk in parts[:-1]:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": parts[-1] if parts else b""})

    def load_middleware(self, is_async: bool = False) -> None:
        # The chain in sync mode, called from _respond on the borrowed thread.
        super().load_middleware(is_async=False)
