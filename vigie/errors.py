"""Errors answered outside the normal pages: a database that cannot be reached (503), and
the small stand-alone page used when the request never reached the middleware.

PostgreSQL restarted, or its connections terminated, in the middle of a session: the
pooled connections are dead, and each request that took one failed with a 500 and a
traceback. `server_error` (Django's `handler500`) tells that case apart
(`lib.outage.database_unavailable`) and answers 503 with a French message (JSON under
/api/, where the pages' `Vigie.api` retries it by itself) and a `Retry-After`. The outage
is logged once per worker, and the pool's idle connections are checked at its start, so
the dead ones are replaced at once instead of failing one request each. The write the
request was doing was in one transaction: rolled back, or committed before the
connection dropped, in which case the retry is recognised as the same (answers are
idempotent).
"""

import html
import logging
import sys
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from lib import outage

logger = logging.getLogger(__name__)
RETRY_AFTER_S = 5


def standalone_page(
    title: str, detail: str, *, back: str = "/", refresh_s: int | None = None
) -> str:
    """A complete HTML page needing nothing else: no template, no static file, no database
    (what failed may be any of those)."""
    language = translation.get_language() or "fr"
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    link = _("Retour à l’accueil") if back == "/" else _("Revenir à la page")
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
        f"<title>{html.escape(title)} · Vigie</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
        f'<p><a href="{html.escape(back)}">{html.escape(link)}</a></p></main></body></html>'
    )


def _check_idle_connections() -> None:
    pool: Any = getattr(connection, "pool", None)  # PostgreSQL's pool; none on SQLite
    if pool is None:
        return
    try:
        pool.check()  # drops the dead ones; the pool opens new ones in the background
    except Exception:
        logger.warning("could not check the database pool", exc_info=True)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    detail = _(
        "Vigie ne parvient pas à joindre sa base de données. Réessayez dans quelques "
        "secondes : rien de ce qui a été confirmé n’est perdu."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": detail, "code": "database_unavailable"}, status=503)
    else:
        # A page read again by itself (GET only: a form is not re-sent behind one's back).
        page = standalone_page(
            _("Service momentanément indisponible"),
            detail,
            refresh_s=RETRY_AFTER_S if request.method == "GET" else None,
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    # Logged once per outage (lib/outage.py), not with a traceback per request: Django's
    # log_response skips a response so marked.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() is it."""
    error = sys.exc_info()[1]
    if error is not None and outage.database_unavailable(error):
        if outage.database.failed(error):
            _check_idle_connections()
        return database_unavailable(request)
    return defaults.server_error(request)
