"""Slow clients against the production command (issue 13, « a slow client freezes a worker »).

Starts Vigie with N workers (scripts/serve.py, PostgreSQL + Redis), then measures a
candidate's answers (one at a time, a new connection each, so both workers serve them)
and /healthz:

1. with no other client (Vigie's own figure);
2. while `--slow` connections each announce a 100 kB sign-up body and send 5 bytes of it,
   and `--partial` connections send half a request line or half a WebSocket upgrade;
3. the framework's ceiling, same run: `bench/load/bare_app.py` (no middleware, one SELECT)
   under the same workers, no attack.

It also reports how the slow connections ended (408 after REQUEST_BODY_TIMEOUT, closed
after REQUEST_HEADER_TIMEOUT) and when.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigie_bench REDIS_URL=redis://127.0.0.1:6379/1 \\
        python bench/slow_clients.py --out bench/results/slow-clients.json
"""

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, django_setup, free_port, start_server, summary, wait_ready


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slow", type=int, default=200, help="slow-body connections")
    parser.add_argument("--partial", type=int, default=200, help="partial-header connections")
    parser.add_argument("--answers", type=int, default=150, help="answers per phase")
    parser.add_argument("--body-timeout", default="20", help="REQUEST_BODY_TIMEOUT (s)")
    parser.add_argument("--header-timeout", default="10", help="REQUEST_HEADER_TIMEOUT (s)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "slow-clients.json"))
    return parser.parse_args()


def slow_body(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        b"POST /api/accounts/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":'
    )
    return sock


def partial_headers(port: int, n: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        b"GET /ws/surveillance/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        if n % 2
        else b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    )
    return sock


class Candidates:
    """Candidates answering one at a time, each request on a new connection."""

    def __init__(self, base: str, data: dict) -> None:
        import httpx

        self.base, self.data, self.next = base, data, 0
        self.csrf = secrets.token_hex(16)
        self.runs: list[list[Any]] = []
        self.http = httpx

    def _client(self, cookie: str) -> Any:
        return self.http.Client(
            base_url=self.base,
            cookies={"sessionid": cookie, "csrftoken": self.csrf},
            headers={"X-CSRFToken": self.csrf, "Origin": self.base},
            limits=self.http.Limits(max_keepalive_connections=0),
            timeout=30,
        )

    def _new_run(self) -> list[Any]:
        person = self.data["candidates"][self.next]
        self.next += 1
        client = self._client(person["cookie"])
        started = client.post(
            f"/api/certification/candidates/{person['id']}/start",
            json={"access_code": self.data["access_code"]},
        )
        started.raise_for_status()
        course, token = started.json()["course_id"], started.json()["run_token"]
        state = client.get(
            f"/api/certification/courses/{course}/state", headers={"X-Run-Token": token}
        ).json()
        return [client, course, token, state["question"], 0]

    def answer(self) -> tuple[float, int]:
        if not self.runs or self.runs[-1][4] >= 30:
            self.runs.append(self._new_run())
        run = self.runs[-1]
        client, course, token, question, _count = run
        sent = time.perf_counter()
        try:
            response = client.post(
                f"/api/certification/courses/{course}/answers",
                json={
                    "item_id": question["id"],
                    "response": "x" if question["type"] == "free" else [0],
                },
                headers={"X-Run-Token": token},
            )
        except self.http.TransportError:
            return time.perf_counter() - sent, 0
        took = time.perf_counter() - sent
        if response.status_code == 200:
            run[3] = response.json()["state"]["question"]
            run[4] += 1
        return took, response.status_code


def probe_client() -> Any:
    """One client for the probes, a new connection per request (building an httpx client
    costs ~40 ms of SSL set-up: not the server's time)."""
    import httpx

    return httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=30)


def measure(base: str, candidates: Candidates, count: int) -> dict:
    import httpx

    answers, statuses, health, health_errors = [], [], [], 0
    with probe_client() as probe:
        for _ in range(count):
            took, status = candidates.answer()
            answers.append(took)
            statuses.append(status)
            sent = time.perf_counter()
            try:
                ok = probe.get(base + "/healthz").status_code == 200
            except httpx.TransportError:  # no answer within the client's 30 s
                ok = False
            health.append(time.perf_counter() - sent)
            health_errors += not ok
    return {
        "answer": summary(answers),
        "answer_errors": sum(1 for s in statuses if s != 200),
        "healthz": summary(health),
        "healthz_errors": health_errors,
    }


def endings(groups: dict[str, list[socket.socket]], since: float, wait: float) -> dict:
    """How and when (seconds after `since`) the server ended each group's connections."""
    import selectors

    selector = selectors.DefaultSelector()
    for kind, socks in groups.items():
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, kind)
    report: dict[str, Any] = {kind: {"outcomes": {}, "times": []} for kind in groups}
    deadline = time.monotonic() + wait
    while selector.get_map() and time.monotonic() < deadline:
        for key, _events in selector.select(timeout=0.1):
            conn = key.fileobj
            assert isinstance(conn, socket.socket)
            try:
                head = conn.recv(64)
                outcome = head.split(b"\r\n")[0].decode() if head else "closed"
            except OSError as exc:
                outcome = type(exc).__name__
            group = report[key.data]
            group["times"].append(time.monotonic() - since)
            group["outcomes"][outcome] = group["outcomes"].get(outcome, 0) + 1
            selector.unregister(conn)
            conn.close()
    for key in list(selector.get_map().values()):
        outcomes = report[key.data]["outcomes"]
        outcomes["still open"] = outcomes.get("still open", 0) + 1
        key.fileobj.close()  # type: ignore[union-attr]
    for group in report.values():
        times = group.pop("times")
        group["ended_after_s"] = (
            {"min": round(min(times), 1), "max": round(max(times), 1)} if times else None
        )
    return report


def bare_ceiling(args: argparse.Namespace, count: int) -> dict:
    sys.path.insert(0, str(ROOT / "bench" / "load"))
    from bare_app import create_table  # type: ignore[import-not-found]

    create_table()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our interpreter
        [
            *(sys.executable, "-m", "uvicorn", "bare_app:application"),
            *("--app-dir", str(ROOT / "bench" / "load"), "--port", str(port)),
            *("--workers", str(args.workers), "--lifespan", "off", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        took = []
        with probe_client() as probe:
            for _ in range(count):
                sent = time.perf_counter()
                probe.get(base + "/read").raise_for_status()
                took.append(time.perf_counter() - sent)
        return {"read_one_query": summary(took)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    args = parse()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL (createdb vigie_bench first).")
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL is required: several workers share live events through Redis.")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "slow-bench-" + secrets.token_hex(16))
    django_setup()
    import logging

    from django.core.management import call_command
    from sessions import create_session  # models: only once Django is set up

    logging.getLogger("httpx").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    data = create_session(candidates=2 * args.answers // 30 + 2, invigilators=1)
    port = free_port()
    env = {
        "LOG_LEVEL": "WARNING",
        "REQUEST_BODY_TIMEOUT": args.body_timeout,
        "REQUEST_HEADER_TIMEOUT": args.header_timeout,
    }
    log = (Path(tempfile.gettempdir()) / "vigie-slow-clients.log").open("w")
    server = start_server(port, workers=args.workers, env=env, log=log)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {"load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    try:
        wait_ready(base, path="/readyz")
        candidates = Candidates(base, data)
        measure(base, candidates, 10)  # warm-up: imports, pools, prepared statements
        results["quiet"] = measure(base, candidates, args.answers)
        print("quiet", json.dumps(results["quiet"]), flush=True)

        opened = time.monotonic()
        slow = [slow_body(port) for _ in range(args.slow)]
        partial = [partial_headers(port, n) for n in range(args.partial)]
        time.sleep(0.5)
        results["under_attack"] = measure(base, candidates, args.answers)
        results["under_attack"]["measured_within_s"] = round(time.monotonic() - opened, 1)
        print("under attack", json.dumps(results["under_attack"]), flush=True)
        wait = float(args.body_timeout) + 10
        ended = endings({"slow_body": slow, "partial_headers": partial}, opened, wait)
        results["slow_connections"] = ended
        print("slow connections", json.dumps(ended), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["bare_ceiling"] = bare_ceiling(args, args.answers)
    print("bare ceiling", json.dumps(results["bare_ceiling"]), flush=True)
    results["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    results["config"] = {
        **{k: v for k, v in vars(args).items() if k != "out"},
        "http_threads": "DB_POOL_MAX (10)",
        "cpus": os.cpu_count(),
        "command": " ".join(sys.argv),
    }
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
