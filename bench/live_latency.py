"""Event-to-screen latency of the Espace Surveillant (issue: « The Espace Surveillant, live »).

Starts Vigie under uvicorn, opens N invigilator WebSockets on one session, lets M candidates
answer questions through the real API, and measures, for every answer and every
invigilator, the time from the candidate's request to the pushed event arriving on that
invigilator's socket — plus the state re-read that the page does on each event.

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
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, django_setup, free_port, summary


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
    waiting: list[float] = []
    state_url = f"{base}/api/invigilation/sessions/{data['session_id']}/state"

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
                    if index == 0:
                        waiting.append(sent[key])
                        if not reading.is_set():
                            reading.set()
                            tasks.add(asyncio.create_task(reread(http)))

    async def reread(http: "httpx.AsyncClient") -> None:
        # What the page does on events: one state read at a time, covering every event
        # that arrived before it started (supervision.js coalesces the same way).
        while waiting:
            batch = list(waiting)
            waiting.clear()
            response = await http.get(state_url)
            if response.status_code != 200:
                errors.append(f"state {response.status_code}")
            now = time.perf_counter()
            screen.extend(now - t for t in batch)
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
        "push_plus_state_reread": summary(screen),
        "events_expected": expected,
        "events_received": len(push),
        "errors": errors[:20],
        "error_count": len(errors),
    }


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
        cwd=ROOT,
        env=os.environ.copy(),
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
    results["config"] = {
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
    print(f"\npush p95 = {target} ms (target < 200 ms); results in {args.out}")


if __name__ == "__main__":
    main()
