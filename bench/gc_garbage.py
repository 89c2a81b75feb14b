"""The cyclic garbage each hot request leaves for the collector, measured in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigie_bench python bench/gc_garbage.py

A worker's young collection runs every 700 net allocations of tracked objects (allocations
less deallocations). An object freed by its reference count when the request ends is
neither; one caught in a reference cycle stays counted until a collection frees it. So the
cycles a request leaves drive how often the collector runs, and every young collection
promotes the requests in flight, whose objects then die in the older generations and bring
on the full collections that stopped a worker for up to a second (docs/scaling.md, « The
collector's pauses »).

Creates one session (on the database of `DATABASE_URL`, migrated) and sends the hot
requests through the worker's own ASGI application (`vigie.asgi`, as uvicorn calls it, no
network): the start, the answer, the candidate's state, and the invigilator's row fetch
and re-read of every row. Per kind, after a warm-up: the
objects only the collector could free, per request, and their most frequent types; then,
the collector on, how many collections of each generation 1,000 answers and state reads
bring. `--out` writes the figures as JSON.
"""

import argparse
import asyncio
import gc
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_setup


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--top", type=int, default=12, help="types listed per kind")
    parser.add_argument("--out", default="")
    return parser.parse_args()


async def call(app: Any, method: str, path: str, cookie: str, body: Any = None, **headers: str):
    """One HTTP request through the ASGI application; its status and JSON body."""
    payload = json.dumps(body).encode() if body is not None else b""
    path, _, query = path.partition("?")
    raw = [
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={cookie}; csrftoken={'t' * 32}".encode()),
        (b"x-csrftoken", b"t" * 32),
        (b"origin", b"http://localhost"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    sent: list[dict[str, Any]] = []
    received = [False]

    async def receive() -> dict[str, Any]:
        if received[0]:
            await asyncio.sleep(3600)  # the client stays; the server stops reading
        received[0] = True
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = sent[0]["status"]
    content = b"".join(m.get("body", b"") for m in sent[1:])
    if status != 200:
        raise SystemExit(f"{method} {path}: {status} {content[:300]!r}")
    return json.loads(content) if content.startswith(b"{") else None


def main() -> None:
    args = parse()
    django_setup()
    from django.conf import settings
    from sessions import create_session

    settings.ALLOWED_HOSTS = ["*"]
    from vigie.asgi import application

    session = create_session(args.candidates, 1)
    report: dict[str, Any] = {"candidates": args.candidates}

    async def scenario() -> None:
        infos = session["candidates"]
        started: dict[int, Any] = {}

        async def start(info: dict[str, Any]) -> None:
            started[info["id"]] = await call(
                application,
                "POST",
                f"/api/certification/candidates/{info['id']}/start",
                info["cookie"],
                {"access_code": session["access_code"]},
            )

        async def answer(info: dict[str, Any]) -> None:
            """The page's state read (a reload, a reconnect), then an answer."""
            course, token = started[info["id"]]["course_id"], started[info["id"]]["run_token"]
            state = await call(
                application,
                "GET",
                f"/api/certification/courses/{course}/state",
                info["cookie"],
                x_run_token=token,
            )
            question = state["question"]
            await call(
                application,
                "POST",
                f"/api/certification/courses/{course}/answers",
                info["cookie"],
                {"item_id": question["id"], "response": "x" if question["type"] == "free" else [0]},
                x_run_token=token,
            )

        # The first two starts and a first round of answers warm the process up (imports,
        # compiled queries, caches): what is left is what every request leaves.
        for info in infos[:2]:
            await start(info)
        report["start"] = await _garbage([start(info) for info in infos[2:]], args.top)
        for info in infos:
            await answer(info)
        report["answer_and_state"] = await _garbage([answer(info) for info in infos], args.top)
        report["answer_and_state"]["requests"] *= 2
        # The invigilator's page: a row fetched after an event, and the re-read of every
        # row and the journal (once a minute per page).
        invigilator = session["invigilators"][0]
        rows = f"/surveillance/sessions/{session['session_id']}/lignes/"
        for kind, path in (("rows_fetch", f"{rows}?ids={infos[0]['id']}"), ("rows_all", rows)):

            async def read(path: str = path) -> None:
                await call(application, "GET", path, invigilator)

            await read()
            report[kind] = await _garbage([read() for _ in range(10)], args.top)

        # The collector on, as in a worker: how often it runs for these requests.
        # A test has 32 questions: two were answered above.
        rounds = min(28, max(1, 1000 // (2 * len(infos))))
        before = [g["collections"] for g in gc.get_stats()]
        for _round in range(rounds):
            for info in infos:
                await answer(info)
        after = [g["collections"] for g in gc.get_stats()]
        report["collections_per_1000_requests"] = {
            str(generation): round((b - a) * 1000 / (rounds * 2 * len(infos)), 1)
            for generation, (a, b) in enumerate(zip(before, after, strict=True))
        }

    asyncio.run(scenario())
    for kind in ("start", "answer_and_state", "rows_fetch", "rows_all"):
        figures = report[kind]
        figures["per_request"] = round(figures["objects"] / figures["requests"], 1)
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


async def _garbage(coroutines: list[Any], top: int) -> dict[str, Any]:
    """Runs the coroutines with the collector off, then counts what only it could free."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for coroutine in coroutines:
            await coroutine
        await asyncio.sleep(0.05)  # the request threads' hand-backs
        gc.collect()
        found = Counter(type(o).__qualname__ for o in gc.garbage)
        objects = len(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    return {
        "requests": len(coroutines),
        "objects": objects,
        "types": dict(found.most_common(top)),
    }


if __name__ == "__main__":
    main()
