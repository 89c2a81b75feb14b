"""The cost of one candidate, request by request, measured in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigie_bench python bench/profile_requests.py

Creates one session of 20 confirmed candidates (on the database of `DATABASE_URL`, which
must be migrated), then replays the hot requests through Django's test client (the whole
middleware stack, no network): the candidate's start, the answer POST (whose response
carries the next question), the candidate's state GET (page load, reconnect), the
invigilators' state GET and row fetches, and (issue 17) the rows pushed instead: read and
rendered once per event for all the session's invigilators (`rows_push_render`, its bytes
as one socket receives them), and the page's re-read of every row and the journal
(`rows_all`, once a minute per page). For each: SQL queries, wall time and CPU time
(process time) per request, median over the runs. `--out` writes the figures as JSON;
`--profile KIND` prints a cProfile of those requests in CPU time (what the worker spends,
not its waits for PostgreSQL); `--sql KIND` prints the statements of the first one.

This is what a worker spends per request; the load benchmark (`bench/load/run.py`) shows
what that becomes with many clients, the network and several workers.
"""

import argparse
import cProfile
import json
import pstats
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_setup

MARK = re.compile(rb'data-mark="([^"]*)"')


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--answers", type=int, default=12, help="answers per candidate")
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--profile", default="", help="print a cProfile of this kind of request (e.g. answer)"
    )
    parser.add_argument(
        "--sql", default="", help="print the SQL of the first request of this kind (e.g. start)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse()
    django_setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from sessions import create_session  # models: only once Django is set up

    from exams.models import ExamSession
    from invigilation import push

    settings.ALLOWED_HOSTS = ["*"]
    # As a worker does at boot (vigie/asgi.py): the first start does not read the bank.
    from certification import engine

    engine.get_bank()
    session = create_session(args.candidates, 1)
    measures: dict[str, list[tuple[int, float, float, int]]] = {}

    # CPU time, not wall: what a worker spends, without the waits for PostgreSQL.
    profiler = cProfile.Profile(time.process_time)

    def timed(kind: str, call: Any) -> Any:
        with CaptureQueriesContext(connection) as queries:
            if kind == args.profile:
                profiler.enable()
            wall, cpu = time.perf_counter(), time.process_time()
            response = call()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if kind == args.profile:
                profiler.disable()
        if response.status_code != 200:
            raise SystemExit(f"{kind}: {response.status_code} {response.content[:200]!r}")
        if kind == args.sql and kind not in measures:
            for query in queries.captured_queries:
                print(f"-- {kind}: {query['time']} s\n{query['sql']}", file=sys.stderr)
        measures.setdefault(kind, []).append((len(queries), wall, cpu, len(response.content)))
        if response["Content-Type"].startswith("text/html"):
            return response.content
        if response["Content-Type"] == "application/octet-stream":
            return None
        return response.json()

    invigilator = Client()
    invigilator.cookies["sessionid"] = session["invigilators"][0]
    state_url = f"/api/invigilation/sessions/{session['session_id']}/state"
    rows_url = f"/surveillance/sessions/{session['session_id']}/lignes/"
    pushed_in = ExamSession.objects.get(pk=session["session_id"])

    class Rendered:
        """A pushed message, measured like a response: its bytes as a socket gets them."""

        status_code = 200

        def __init__(self, message: dict[str, Any]) -> None:
            fr = settings.LANGUAGE_CODE
            forwarded = {k: message[k][fr] for k in ("html", "head", "lines")}
            self.content = json.dumps({**message, **forwarded}).encode()

        def __getitem__(self, name: str) -> str:
            return "application/octet-stream"

    runs = []
    # The page's journal mark when it opened.
    # Not measured: the process's first render, which compiles the templates.
    opened = invigilator.get(rows_url).content
    found = MARK.search(opened)
    mark = found.group(1).decode() if found else ""
    for info in session["candidates"]:
        client = Client()
        client.cookies["sessionid"] = info["cookie"]
        started = timed(
            "start",
            lambda c=client, i=info: c.post(
                f"/api/certification/candidates/{i['id']}/start",
                {"access_code": session["access_code"]},
                content_type="application/json",
            ),
        )
        headers = {"HTTP_X_RUN_TOKEN": started["run_token"]}
        # What a browser loads besides (bench/load/run.py --page-loads browser): the test
        # page and the messages (twice, with a second state read: live.js's onUp).
        timed(
            "candidate_page",
            lambda c=client, s=started: c.get(f"/certification/tests/{s['course_id']}/"),
        )
        timed(
            "candidate_messages",
            lambda c=client, i=info: c.get(f"/api/certification/candidates/{i['id']}/messages"),
        )
        state = timed(
            "candidate_state",
            lambda c=client, s=started, h=headers: c.get(
                f"/api/certification/courses/{s['course_id']}/state", **h
            ),
        )
        runs.append((client, started["course_id"], headers, state))
        # The Espace Surveillant's page after a start (supervision.js): the started row,
        # with the head's counts and the journal when the page asks for them.
        timed(
            "rows_fetch_journal",
            lambda i=info: invigilator.get(f"{rows_url}?ids={i['id']}&journal=1"),
        )
        timed("rows_fetch", lambda i=info: invigilator.get(f"{rows_url}?ids={i['id']}"))
        # Since issue 14's fix: `since=` the page's journal mark (taken before the start); a
        # start wrote an audit row: the counts and its line come; then an event that wrote
        # nothing costs the row alone.
        page = timed(
            "rows_fetch_since_changed",
            lambda i=info, m=mark: invigilator.get(f"{rows_url}?ids={i['id']}&since={m}"),
        )
        found = MARK.search(page)
        mark = found.group(1).decode() if found else ""
        timed(
            "rows_push_render",
            lambda i=info: Rendered(push.render_push(pushed_in, [i["id"]])),
        )
        timed(
            "rows_fetch_since_unchanged",
            lambda i=info, m=mark: invigilator.get(f"{rows_url}?ids={i['id']}&since={m}"),
        )
    for _round in range(args.answers):
        for index, (client, course, headers, state) in enumerate(runs):
            question = state["question"]
            answer = timed(
                "answer",
                lambda c=client, q=question, co=course, h=headers: c.post(
                    f"/api/certification/courses/{co}/answers",
                    {"item_id": q["id"], "response": "x" if q["type"] == "free" else [0]},
                    content_type="application/json",
                    **h,
                ),
            )
            again = timed(
                "candidate_state",
                lambda c=client, co=course, h=headers: c.get(
                    f"/api/certification/courses/{co}/state", **h
                ),
            )
            runs[index] = (client, course, headers, answer.get("state") or again)
        timed("invigilator_state", lambda: invigilator.get(state_url))
        # supervision.js refreshAll: every row and the journal, once a minute per page.
        timed("rows_all", lambda: invigilator.get(rows_url))

    report: dict[str, Any] = {"database": connection.vendor, "candidates": args.candidates}
    for kind, rows in measures.items():
        report[kind] = {
            "requests": len(rows),
            "queries": round(statistics.median(r[0] for r in rows), 1),
            "wall_ms": round(statistics.median(r[1] for r in rows) * 1000, 2),
            "cpu_ms": round(statistics.median(r[2] for r in rows) * 1000, 2),
            "bytes": round(statistics.median(r[3] for r in rows)),
        }
    print(json.dumps(report, indent=2))
    if args.profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(45)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
