"""Worker CPU per answer, through the real server (uvicorn, ASGI, middleware, push).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigie_bench \\
    REDIS_URL=redis://127.0.0.1:6379/1 python bench/cpu_per_answer.py --out bench/results/cpu-per-answer.json

One production worker (`scripts/serve.py --workers 1`), `--sessions` sessions of 20
candidates, each with one invigilator's WebSocket open (so every answer is also pushed);
the candidates start, read their state once, then answer every question back to back
(closed loop, one request at a time per candidate). The worker's CPU time (from
/proc/<pid>/stat) divided by the answers is the figure that sizes a national peak: it does
not depend much on what else the machine runs, unlike latencies.
"""

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))

from common import django_setup, free_port, start_server, summary, wait_ready
from run import TICKS, children, cpu_ticks, machine_ticks  # type: ignore[import-not-found]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--answers", type=int, default=20, help="per candidate")
    parser.add_argument("--out", default="")
    return parser.parse_args()


async def run(base: str, sessions: list[dict], answers: int, pid: int) -> dict[str, Any]:
    import httpx
    import websockets

    csrf = secrets.token_hex(16)
    client = httpx.AsyncClient(
        base_url=base,
        timeout=60,
        headers={"X-CSRFToken": csrf, "Origin": base, "Referer": base + "/"},
    )
    latencies: list[float] = []
    pushed = 0
    sockets = [
        await websockets.connect(
            base.replace("http", "ws") + f"/ws/surveillance/{s['session_id']}/",
            additional_headers={"Cookie": f"sessionid={s['invigilators'][0]}", "Origin": base},
        )
        for s in sessions
    ]

    async def drain(ws: Any) -> None:
        nonlocal pushed
        try:
            while True:
                event = json.loads(await ws.recv())
                pushed += event.get("op") == "answered"
        except (asyncio.CancelledError, websockets.ConnectionClosed):
            return

    drains = [asyncio.create_task(drain(ws)) for ws in sockets]

    def cookies(cookie: str) -> dict[str, str]:
        return {"Cookie": f"sessionid={cookie}; csrftoken={csrf}"}

    async def prepare(session: dict, info: dict) -> tuple[dict, int, dict]:
        started = (
            await client.post(
                f"/api/certification/candidates/{info['id']}/start",
                json={"access_code": session["access_code"]},
                headers=cookies(info["cookie"]),
            )
        ).json()
        headers = {**cookies(info["cookie"]), "X-Run-Token": started["run_token"]}
        state = (
            await client.get(
                f"/api/certification/courses/{started['course_id']}/state", headers=headers
            )
        ).json()
        return state, started["course_id"], headers

    prepared = await asyncio.gather(*(prepare(s, c) for s in sessions for c in s["candidates"]))

    async def candidate(state: dict, course: int, headers: dict) -> None:
        for _ in range(answers):
            question = state["question"]
            if question is None:  # the test is over before --answers: count what was answered
                break
            t0 = time.perf_counter()
            response = await client.post(
                f"/api/certification/courses/{course}/answers",
                json={
                    "item_id": question["id"],
                    "response": "x" if question["type"] == "free" else [0],
                },
                headers=headers,
            )
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()
            state = response.json()["state"]

    ticks, wall = cpu_ticks(pid), time.monotonic()
    others, client_ticks = machine_ticks(), cpu_ticks(os.getpid())
    await asyncio.gather(*(candidate(*p) for p in prepared))
    await asyncio.sleep(3)  # let the last pushes arrive (counted in the worker's CPU too)
    ticks, wall = cpu_ticks(pid) - ticks, time.monotonic() - wall
    client_ticks = cpu_ticks(os.getpid()) - client_ticks
    others = {k: v - others[k] for k, v in machine_ticks().items()}

    def per_answer(cpu_ticks: int) -> float:
        return round(1000 * cpu_ticks / TICKS / len(latencies), 2)

    for task in drains:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets))
    await client.aclose()
    return {
        "answers": len(latencies),
        "pushed_to_invigilators": pushed,
        "worker_cpu_ms_per_answer": per_answer(ticks),
        # The rest of the machine, per answer: what sizes the database and Redis servers.
        "postgres_cpu_ms_per_answer": per_answer(others["postgres"]),
        "redis_cpu_ms_per_answer": per_answer(others["redis"]),
        "load_generator_cpu_ms_per_answer": per_answer(client_ticks),
        "machine_cpu_ms_per_answer": per_answer(others["machine"]),
        "answers_per_s": round(len(latencies) / wall, 1),
        "answer_latency": summary(latencies),
    }


def main() -> None:
    args = parse()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL (createdb vigie_bench first).")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "cpu-bench-" + secrets.token_hex(16))
    django_setup()
    from django.core.management import call_command
    from sessions import create_session  # models: only once Django is set up

    call_command("migrate", verbosity=0)
    sessions = [create_session(20, 1) for _ in range(args.sessions)]
    port = free_port()
    # Its 40 candidates start at once as set-up, not as what is measured: no admission
    # (vigie/admission.py would refuse most of them, 503, on one saturated worker).
    server = start_server(
        port, workers=1, env={"LOG_LEVEL": "WARNING", "ADMISSION_STARTS_AT_ONCE": "0"}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, timeout=120, path="/readyz")  # a loaded machine boots slowly
        pid = (children(server.pid) or [server.pid])[0]
        result = asyncio.run(run(base, sessions, args.answers, pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["config"] = {
        **{k: v for k, v in vars(args).items() if k != "out"},
        "channel_layer": "redis" if os.environ.get("REDIS_URL") else "in-memory",
        "command": " ".join(sys.argv),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
