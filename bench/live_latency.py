"""Event-to-screen latency of the Espace Surveillant (issue: « The Espace Surveillant, live »).

Starts Vigie under uvicorn, opens N invigilator WebSockets on one session, lets M candidates
answer questions through the real API, and measures, for every answer and every
invigilator, the time from the candidate's request to the pushed event arriving on that
invigilator's socket — plus the read that the page does on each event (push-to-screen),
and the bytes of both (bytes per event).

--page rows (today's page): one invigilator fetches the rendered rows the events changed
(GET /surveillance/sessions/<id>/lignes/?ids=…), one request at a time, like
static/vigie/supervision.js. --page state (the page before, still what an API client does):
it re-reads the whole JSON state. --server-root serves another tree's code (the « before »
measurement on main: --server-root /work/main --page state). The bare ceiling (bench/load/
bare_app.py: one SELECT, no middleware) is measured in the same run, with PostgreSQL.

    python bench/live_latency.py                      # SQLite file, in-memory channel layer
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \
        python bench/live_latency.py --out bench/results/live-latency-postgres.json

Prints a table and writes a JSON file. Bounded: it stops after --rounds answers per candidate.
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, django_setup, free_port, summary, wait_ready


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--invigilators", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10, help="answers per candidate")
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help="mean seconds between a candidate's answers (real candidates: about 15)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--page",
        choices=("rows", "state"),
        default="rows",
        help="what the page reads on an event: the changed rows (HTML) or the whole state (JSON)",
    )
    parser.add_argument(
        "--server-root",
        default=str(ROOT),
        help="the source tree the server runs (the same database schema)",
    )
    parser.add_argument("--bare", type=int, default=400, help="bare-ceiling requests (0: none)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "live-latency.json"))
    return parser.parse_args()


def setup_database(args: argparse.Namespace) -> dict:
    """Fresh data in the database of DATABASE_URL: one session, its people and their log-ins."""
    django_setup()
    from django.core.management import call_command
    from sessions import create_session  # models: only once Django is set up

    call_command("migrate", verbosity=0)
    return create_session(args.candidates, args.invigilators)


async def run(args: argparse.Namespace, data: dict, base: str) -> dict:
    import httpx
    import websockets

    csrf = secrets.token_hex(16)
    sent: dict[tuple[int, int], float] = {}
    push: list[float] = []
    screen: list[float] = []
    answer_latency: list[float] = []
    errors: list[str] = []
    done = asyncio.Event()
    reading = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()
    waiting: list[tuple[float, int]] = []
    push_bytes: list[int] = []
    read_bytes: list[int] = []
    read_events: list[int] = []
    state_url = f"{base}/api/invigilation/sessions/{data['session_id']}/state"
    rows_url = f"{base}/surveillance/sessions/{data['session_id']}/lignes/"

    async def invigilator(cookie: str, index: int) -> None:
        headers = {"Cookie": f"sessionid={cookie}", "Origin": base}
        ws_url = base.replace("http", "ws") + f"/ws/surveillance/{data['session_id']}/"
        async with (
            httpx.AsyncClient(cookies={"sessionid": cookie}) as http,
            websockets.connect(ws_url, additional_headers=headers) as ws,
        ):
            ready.append(index)
            while not done.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                received = time.perf_counter()
                event = json.loads(raw)
                if event.get("op") != "answered":
                    continue
                key = (event["candidate_id"], event["position"])
                if key in sent:
                    push.append(received - sent[key])
                    push_bytes.append(len(raw.encode() if isinstance(raw, str) else raw))
                    if index == 0:
                        waiting.append((sent[key], event["candidate_id"]))
                        if not reading.is_set():
                            reading.set()
                            tasks.add(asyncio.create_task(reread(http)))

    async def reread(http: "httpx.AsyncClient") -> None:
        # What the page does on events: one read at a time, covering every event that
        # arrived before it started (supervision.js coalesces the same way): the rows of
        # those candidates, or the whole state.
        while waiting:
            batch = list(waiting)
            waiting.clear()
            if args.page == "rows":
                ids = ",".join(str(i) for i in sorted({c for _t, c in batch}))
                response = await http.get(rows_url, params={"ids": ids})
            else:
                response = await http.get(state_url)
            if response.status_code != 200:
                errors.append(f"{args.page} {response.status_code}")
            now = time.perf_counter()
            screen.extend(now - t for t, _c in batch)
            read_bytes.append(len(response.content))
            read_events.append(len(batch))
        reading.clear()

    async def candidate(info: dict, rng: random.Random) -> None:
        cookies = {"sessionid": info["cookie"], "csrftoken": csrf}
        headers = {"X-CSRFToken": csrf, "Origin": base, "Referer": base + "/"}
        # Expire idle connections before uvicorn's 5 s keep-alive closes them under us.
        limits = httpx.Limits(keepalive_expiry=2.0)
        async with httpx.AsyncClient(
            base_url=base, cookies=cookies, headers=headers, timeout=30, limits=limits
        ) as http:
            r = await http.post(
                f"/api/certification/candidates/{info['id']}/start",
                json={"access_code": data["access_code"]},
            )
            if r.status_code != 200:
                errors.append(f"start {r.status_code} {r.text[:100]}")
                return
            course, token = r.json()["course_id"], r.json()["run_token"]
            run_headers = {"X-Run-Token": token}
            for position in range(1, args.rounds + 1):
                await asyncio.sleep(rng.expovariate(1 / args.interval))
                state = (
                    await http.get(
                        f"/api/certification/courses/{course}/state", headers=run_headers
                    )
                ).json()
                question = state.get("question")
                if not question:
                    errors.append("no question")
                    return
                response = [0] if question["type"] != "free" else "x"
                sent[(info["id"], position)] = t0 = time.perf_counter()
                r = await http.post(
                    f"/api/certification/courses/{course}/answers",
                    json={"item_id": question["id"], "response": response},
                    headers=run_headers,
                )
                answer_latency.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors.append(f"answer {r.status_code} {r.text[:100]}")

    ready: list[int] = []
    watchers = [asyncio.create_task(invigilator(c, i)) for i, c in enumerate(data["invigilators"])]
    while len(ready) < len(watchers):
        await asyncio.sleep(0.05)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    await asyncio.gather(*(candidate(c, random.Random(rng.random())) for c in data["candidates"]))
    await asyncio.sleep(1.0)  # let the last events arrive
    done.set()
    await asyncio.gather(*watchers)
    duration = time.perf_counter() - started
    expected = len(sent) * len(data["invigilators"])
    return {
        "answers": len(sent),
        "duration_s": round(duration, 1),
        "answers_per_s": round(len(sent) / duration, 1),
        "answer_request": summary(answer_latency),
        "push_to_every_invigilator": summary(push),
        # Push-to-screen: the push, then the page's read of what changed.
        f"push_plus_{args.page}_read": summary(screen),
        "bytes": {
            "push_message_mean": round(statistics.fmean(push_bytes)) if push_bytes else None,
            f"{args.page}_read_mean": round(statistics.fmean(read_bytes)) if read_bytes else None,
            f"{args.page}_read_per_event": round(sum(read_bytes) / sum(read_events))
            if read_events
            else None,
            "per_event_total": round(
                statistics.fmean(push_bytes) + sum(read_bytes) / sum(read_events)
            )
            if read_events and push_bytes
            else None,
            "reads": len(read_bytes),
        },
        "events_expected": expected,
        "events_received": len(push),
        "errors": errors[:20],
        "error_count": len(errors),
    }


def bare_ceiling(count: int) -> dict | None:
    """The framework's ceiling, same machine, same database: bench/load/bare_app.py (no
    middleware, one SELECT) read `count` times in a row (PostgreSQL only: its pool)."""
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        return None
    import httpx

    sys.path.insert(0, str(ROOT / "bench" / "load"))
    from bare_app import create_table  # type: ignore[import-not-found]

    create_table()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our interpreter
        [
            *(sys.executable, "-m", "uvicorn", "bare_app:application"),
            *("--app-dir", str(ROOT / "bench" / "load"), "--port", str(port)),
            *("--lifespan", "off", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        took, size = [], 0
        with httpx.Client() as http:
            for _ in range(count):
                sent = time.perf_counter()
                response = http.get(base + "/read")
                response.raise_for_status()
                took.append(time.perf_counter() - sent)
                size = len(response.content)
        return {"read_one_query": summary(took), "bytes": size}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    args = parse()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench' / '.bench.sqlite3'}")
    os.environ.setdefault("DEBUG", "true")
    db_file = ROOT / "bench" / ".bench.sqlite3"
    if os.environ["DATABASE_URL"].startswith("sqlite") and db_file.exists():
        db_file.unlink()
    data = setup_database(args)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "vigie.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=args.server_root,
        env={**os.environ, "PYTHONPATH": args.server_root},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(100):
            try:
                if httpx.get(base + "/compte/connexion/").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        results = asyncio.run(run(args, data, base))
    finally:
        server.terminate()
        server.wait(timeout=10)
    results["bare_ceiling"] = bare_ceiling(args.bare) if args.bare else None
    results["config"] = {
        "page": args.page,
        "server_root": args.server_root,
        "candidates": args.candidates,
        "invigilators": args.invigilators,
        "rounds": args.rounds,
        "interval_s": args.interval,
        "database": os.environ["DATABASE_URL"].split(":")[0],
        "channel_layer": "redis" if os.environ.get("REDIS_URL") else "in-memory",
        "cpus": os.cpu_count(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    target = results["push_to_every_invigilator"]["p95_ms"]
    screen = results[f"push_plus_{args.page}_read"].get("p95_ms")
    print(
        f"\npush p95 = {target} ms (target < 200 ms); push + {args.page} read p95 = {screen} ms; "
        f"bytes per event = {results['bytes']['per_event_total']}; results in {args.out}"
    )


if __name__ == "__main__":
    main()
