"""The framework's ceiling: a bare Django ASGI app whose endpoints do one database query.

Same Django, same ASGI server, same database and pool as Vigie, but no middleware, no
session, no ORM model: `POST /write` inserts one row, `GET /read` reads one. The load
runner puts it under the same load as Vigie and reports Vigie's figures as a ratio of these.

    uvicorn bare_app:application --app-dir bench/load --workers 2
"""

import os

import dj_database_url
import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

TABLE = "bench_bare_write"


def _insert(payload: str) -> int:
    with connection.cursor() as cursor:
        sql = f"INSERT INTO {TABLE} (payload) VALUES (%s) RETURNING id"  # noqa: S608 - constant
        cursor.execute(sql, [payload])
        (row_id,) = cursor.fetchone()
    return int(row_id)


def write(request: HttpRequest) -> JsonResponse:
    """A sync view: Django runs it on the worker's one sync thread (thread_sensitive)."""
    return JsonResponse({"id": _insert(request.body[:200].decode())})


def _insert_and_release(payload: str) -> int:
    try:
        return _insert(payload)
    finally:
        connection.close()  # back to the pool: this thread is not the request's thread


async def write_async(request: HttpRequest) -> JsonResponse:
    """The proposed fix: the ORM work runs in a thread pool (thread_sensitive=False), so a
    worker serves several requests at once, each with its own pooled connection."""
    payload = request.body[:200].decode()
    row_id = await sync_to_async(_insert_and_release, thread_sensitive=False)(payload)
    return JsonResponse({"id": row_id})


def read(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} LIMIT 100) t")  # noqa: S608
        (count,) = cursor.fetchone()
    return JsonResponse({"count": count})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


_db = dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)
_db["OPTIONS"] = {
    "pool": {
        "min_size": 1,
        "max_size": int(os.environ.get("DB_POOL_MAX", "10")),
        "timeout": 10,
    }
}
if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bare-bench-only",  # noqa: S106 - no session, nothing signed
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        DATABASES={"default": _db},
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()

urlpatterns = [
    path("write", write),
    path("write-async", write_async),
    path("read", read),
    path("healthz", healthz),
]


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, payload text,"
            " at timestamptz DEFAULT now())"
        )


from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
