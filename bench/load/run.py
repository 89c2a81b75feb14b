"""Load benchmark (issue « production mode »): sessions of 20 candidates and their
invigilators against N production workers, then the same load on a bare Django endpoint.

    DATABASE_URL=postgres://…/vigie_bench REDIS_URL=redis://…/1 \
        python bench/load/run.py --sessions 100 --workers 2 --out bench/results/load-2000.json

What it does, in one run:
1. creates the sessions (confirmed candidates, invigilators, log-in cookies);
2. starts `scripts/serve.py --workers N` (the production command) on one port;
3. opens every page's WebSocket (each candidate's and each invigilator's) and measures the
   workers' memory before and after: memory per open WebSocket;
4. loads every invigilator's page (each confirms its candidates' presence there before
   they can start: `--pages-open before`), then runs the exam as the pages do: each
   candidate starts (a start refused by a saturated
   worker, 503 « busy » with Retry-After — vigie/admission.py —, is sent again after the
   Retry-After plus up to as much at random, as start.js does) and shows the state its
   start's response carries (a server before 2026-12-06: reads it), then
   answers a question every `--interval` s on average (exponential pauses; the answer's
   response carries the next question, test.js); each invigilator's page patches the row
   of an answer, swaps in the rows the server pushes (issue 17: a start, an alert, a test
   completed; invigilation/push.py) and fetches what a push lacks (or, with
   LIVE_ROWS_PUSH=false on the server, the rows the events name, once per burst), and
   re-reads every row once a minute (`--refresh-all`), like supervision.js.
   Measured: every start request (refusals included) and each candidate's time to
   started (first click to the test started, waits included: `time_to_started`, with
   `start_refused` and the attempts), answer POST, candidate state GET, invigilator read
   (« invigilator_state »: the rows fetched, since issue 14; the whole state before),
   event-to-screen push (candidate's request → event on every invigilator's socket),
   start-to-row (« row »: the start request sent → its row on the invigilator's page,
   pushed or fetched), errors, CPU and memory of every worker, and per window of
   `--step` seconds the latencies, the workers' CPU, the machine's, PostgreSQL's and
   Redis's (`workers_cpu_timeline`), and each worker's garbage collections (`gc`: per
   generation their number and CPU, and every pause of 50 ms or more with its time,
   recorded by `bench/load/gcprobe/`);
5. serves `bench/load/bare_app.py` (no middleware, one INSERT or one SELECT) with the same
   workers and pool, and runs the same virtual users and pacing against it, then a
   closed-loop burst for its maximum throughput (the framework's ceiling), once with a
   sync view (how Vigie's views run) and once with an async view that runs the write in
   a thread pool (`thread_sensitive=False`, the proposed fix: docs/scaling.md).

The load generator is an asyncio program (aiohttp + websockets, on uvloop) on the same
machine: it competes with the workers for the CPU, which the results record
(`client_cpu_percent`), and its own delays are measured (`generator_loop_lag`, and its
collector's pauses, `generator_gc`; its collector is frozen after the set-up and collects
its young objects every 10,000, unless `--generator-gc default`). Its
HTTP connections can be split in `--client-pools` pools (`HttpClients`);
`workers_imbalance` says how evenly the workers shared the work, `workers_requests` how
evenly they shared the requests, and over how many connections; `answers_in_collections`
how many slow answers waited out a worker's collection pause; `steady_state.cost` what a
request cost the machine, the workers and PostgreSQL in the steady state (ms of CPU): with
3,000 candidates the steady answers' p95 follows the machine's figure (docs/scaling.md,
« The knee »).
"""

import argparse
import asyncio
import contextlib
import gc
import importlib.util
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ROOT, django_setup, free_port, host_speed, start_server, summary, wait_ready

TICKS = os.sysconf("SC_CLK_TCK")
MARK = re.compile(rb'<ol id="timeline"[^>]* data-mark="([^"]*)"')
NEW_MARK = re.compile(rb'<li data-id="\d+" data-mark="([^"]*)"')
LINE_ID = re.compile(rb'<li data-id="(\d+)"')
STEADY_AFTER_RAMP = 30.0  # s after the last start before the steady-state figures
PAGE = os.sysconf("SC_PAGE_SIZE")


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop (installed with uvicorn[standard]): the load generator shares the machine's
    two cores with the workers, and every millisecond of its CPU is taken from them."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=20, help="per session")
    parser.add_argument("--invigilators", type=int, default=1, help="per session")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--interval", type=float, default=15.0, help="mean s between answers")
    parser.add_argument("--ramp", type=float, default=120.0, help="s over which candidates start")
    parser.add_argument("--duration", type=float, default=180.0, help="s of load after the ramp")
    parser.add_argument(
        "--steady-after",
        type=float,
        default=STEADY_AFTER_RAMP,
        help="s after the last start from which the steady state is counted",
    )
    parser.add_argument(
        "--page-loads",
        choices=["minimal", "browser"],
        default="minimal",
        help="after a start: the state read only (minimal, the runs before 2026-12-05), or "
        "what a browser does (the test page, and the state read once its link is up: "
        "live.js; also when it opened before the start's response carried the state)",
    )
    parser.add_argument(
        "--pages-open",
        choices=["before", "with-starts"],
        default="before",
        help="the invigilators' pages: loaded before the first start (an invigilator "
        "confirms each candidate's presence on that page before the candidate can start; "
        "since 2026-12-06, fourth session), or at the same moment as the first starts (the "
        "runs before)",
    )
    parser.add_argument(
        "--client-pools",
        type=int,
        default=1,
        help="the generator's HTTP connection pools, each simulated user always on the same "
        "one (HttpClients; 64 were tried against the workers' imbalance, in vain); 0: one "
        "per user, as browsers",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--journal",
        choices=["since", "always"],
        default="since",
        help="invigilators' fetches: since= the page's journal mark (supervision.js since "
        "issue 14's fix), or journal=1 every time (the page of commit 5531535)",
    )
    parser.add_argument(
        "--refresh-all",
        choices=["jittered", "aligned", "off"],
        default="jittered",
        help="each invigilator's page re-reads every row once a minute: at a random phase "
        "(supervision.js since issue 17), 60 s after the pages opened together (before), or "
        "not modelled (the runs before 2026-12-05 evening)",
    )
    parser.add_argument(
        "--step",
        type=float,
        default=20.0,
        help="s per window of the timelines (a finer one shows what the first seconds cost)",
    )
    parser.add_argument(
        "--raw", default="", help="also write every answer's (sent at, latency) to this file"
    )
    parser.add_argument(
        "--skip-bare", action="store_true", help="Vigie only (while tuning: no ratio reported)"
    )
    parser.add_argument(
        "--generator-gc",
        choices=["tuned", "default"],
        default="tuned",
        help="the load generator's own garbage collector: frozen after the set-up, with "
        "GENERATOR_GC_THRESHOLDS (since "
        "2026-12-06, seventh session: its full collections paused it up to 1.0 s, and every "
        "request in flight looked that much slower), or Python's default (the runs before)",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "load.json"))
    return parser.parse_args()


# --- Processes: CPU and memory of each worker, read from /proc --------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cmdline = (entry / "cmdline").read_bytes() if int(fields[1]) == pid else b""
            if b"spawn_main" in cmdline:  # uvicorn's workers, not multiprocessing's helpers
                found.append(int(entry.name))
    return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def timeline(
    answer_at: list[tuple[float, float]], start: float, step: float = 20.0, name: str = "answers"
) -> list:
    """Requests (or pushes) per window of `step` seconds from the first start: where the
    ramp's backlog begins and ends."""
    windows: dict[int, list[float]] = {}
    for sent, latency in answer_at:
        windows.setdefault(int((sent - start) // step), []).append(latency)
    return [
        {"from_s": int(k * step), f"{name}_per_s": round(len(v) / step, 1), **summary(v)}
        for k, v in sorted(windows.items())
    ]


def machine_ticks() -> dict[str, int]:
    """Busy CPU ticks of the whole machine, of PostgreSQL's processes and of Redis: what
    the two cores spent besides the workers and the load generator."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    idle = int(fields[3]) + int(fields[4])
    ticks = {"machine": sum(int(f) for f in fields[:8]) - idle, "postgres": 0, "redis": 0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            name = (entry / "comm").read_text().strip()
            kind = "postgres" if name == "postgres" else "redis" if name == "redis-server" else ""
            if kind:
                ticks[kind] += cpu_ticks(int(entry.name))
    return ticks


def machine_report(start: dict[str, int], end: dict[str, int], seconds: float) -> dict:
    """Percent of one core (the machine's total is up to 100 × its cores). PostgreSQL's
    backends that ended during the run are not counted: the pool keeps them open."""
    return {f"{k}_cpu_percent": round(100 * (end[k] - start[k]) / TICKS / seconds, 1) for k in end}


class Sampler:
    """Samples CPU and RSS of some processes every second in a thread."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.samples: dict[int, list[tuple[float, int, int]]] = {p: [] for p in pids}
        # The whole machine's busy ticks, PostgreSQL's and Redis's, at the same moments: a
        # slow window with workers below a core each may be a machine with no core left.
        self.machine: list[tuple[float, dict[str, int]]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            for pid in self.pids:
                with contextlib.suppress(OSError):
                    self.samples[pid].append((now, cpu_ticks(pid), rss_bytes(pid)))
            self.machine.append((now, machine_ticks()))
            self.stop.wait(1.0)

    def __enter__(self) -> "Sampler":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def report(self, since: float = 0.0) -> list[dict[str, Any]]:
        """`since` (time.monotonic()): only the samples from then on."""
        out = []
        for pid, all_rows in self.samples.items():
            rows = [row for row in all_rows if row[0] >= since]
            if len(rows) < 2:
                continue
            elapsed = rows[-1][0] - rows[0][0]
            out.append(
                {
                    "pid": pid,
                    "cpu_percent": round(100 * (rows[-1][1] - rows[0][1]) / TICKS / elapsed, 1),
                    "rss_mb_max": round(max(r[2] for r in rows) / 2**20, 1),
                    "rss_mb_end": round(rows[-1][2] / 2**20, 1),
                }
            )
        return out

    def cpu_timeline(self, start: float, step: float = 20.0) -> list[dict[str, Any]]:
        """Each process's CPU (% of a core) per window of `step` seconds from `start`
        (time.monotonic()), beside the latency timelines: whether a slow window was the
        workers' CPU or a wait for something else."""

        def shares(points: list[tuple[float, int]]) -> dict[int, float]:
            """% of a core per window, from (time, busy ticks) samples."""
            per_window: dict[int, list[tuple[float, int]]] = {}
            for at, ticks in points:
                if at >= start:
                    per_window.setdefault(int((at - start) // step), []).append((at, ticks))
            return {
                k: round(100 * (p[-1][1] - p[0][1]) / TICKS / (p[-1][0] - p[0][0]), 1)
                for k, p in per_window.items()
                if len(p) >= 2 and p[-1][0] > p[0][0]
            }

        windows: dict[int, list[float]] = {}
        for rows in self.samples.values():
            for k, share in shares([(at, ticks) for at, ticks, _rss in rows]).items():
                windows.setdefault(k, []).append(share)
        names = self.machine[0][1] if self.machine else {}
        others = {
            f"{name}_percent": shares([(at, busy[name]) for at, busy in self.machine])
            for name in names
        }
        return [
            {
                "from_s": int(k * step),
                "cpu_percent": v,
                **{key: by[k] for key, by in others.items() if k in by},
            }
            for k, v in sorted(windows.items())
        ]


def probe_files(folder: str, pids: list[int]) -> dict[int, dict[str, Any] | None]:
    """Each process's file from bench/load/gcprobe/sitecustomize.py (None if it wrote none):
    read once, for gc_report and requests_report."""
    files = {pid: Path(folder) / f"gc-{pid}.json" for pid in pids}
    return {
        pid: json.loads(path.read_text()) if path.exists() else None for pid, path in files.items()
    }


def first_start_epoch(started_perf: float) -> float:
    """The first start's wall-clock time: the probes write epoch seconds, the timelines count
    from the first start (perf_counter)."""
    return time.time() - time.perf_counter() + started_perf


def gc_report(
    probes: dict[int, dict[str, Any] | None], started_perf: float
) -> list[dict[str, Any]]:
    """Each process's collector, from bench/load/gcprobe/sitecustomize.py's files: per
    generation the collections, their CPU and wall time and the longest; the pauses of
    50 ms or more, at their time in s after the first start (as the timelines)."""
    start = first_start_epoch(started_perf)
    report: list[dict[str, Any]] = []
    for pid, data in probes.items():
        if data is None:
            report.append({"pid": pid, "recorded": False})
            continue
        pauses = [
            [round(at - start, 1), gen, wall, cpu] for at, gen, wall, cpu in data["long_pauses"]
        ]
        report.append(
            {
                "pid": pid,
                "thresholds": data["thresholds"],
                "frozen_objects": data["frozen"],
                "generations": data["generations"],
                "pauses_50ms_or_more": len(pauses),
                "pauses_200ms_or_more": sum(1 for p in pauses if p[2] >= 200),
                "long_pauses": pauses,
            }
        )
    return report


def requests_report(
    probes: dict[int, dict[str, Any] | None], started_perf: float, step: float
) -> dict[str, Any]:
    """How the workers shared the HTTP requests (bench/load/gcprobe/sitecustomize.py
    counts each worker's per second, and the client connections they came on): per window
    of `step` seconds from the first start, each worker's requests and the most
    connections it served in one second of the window; and the busiest worker's share of
    each window's requests, on average and at its worst (50 % is an even split between
    two). The CPU timeline shows an imbalance; this says whether the requests made it, and
    over how few of the generator's connections they came."""
    start = first_start_epoch(started_perf)
    per_worker: list[dict[int, list[int]]] = []
    totals = []
    for data in probes.values():
        seconds = (data or {}).get("requests", {})
        windows: dict[int, list[int]] = {}
        for second, (count, connections) in seconds.items():
            if int(second) + 1 <= start:
                continue
            # The second the first start fell in counts in the first window.
            entry = windows.setdefault(max(0, int((int(second) - start) // step)), [0, 0])
            entry[0] += count
            entry[1] = max(entry[1], connections)
        per_worker.append(windows)
        totals.append(sum(count for count, _ in seconds.values()))
    keys = sorted({k for windows in per_worker for k in windows})
    timeline = []
    shares = []
    for k in keys:
        counts = [w.get(k, [0, 0])[0] for w in per_worker]
        timeline.append(
            {
                "from_s": int(k * step),
                "requests": counts,
                "connections_per_s_max": [w.get(k, [0, 0])[1] for w in per_worker],
            }
        )
        if sum(counts) >= 20:  # a window with a handful of requests says nothing
            shares.append(100 * max(counts) / sum(counts))
    return {
        "requests": totals,
        "busiest_share_percent": {
            "mean": round(sum(shares) / len(shares), 1),
            "max": round(max(shares), 1),
        }
        if shares
        else {},
        "timeline": timeline,
    }


def answers_in_pauses(
    answer_at: list[tuple[float, float]],
    started_perf: float,
    workers_gc: list[dict[str, Any]],
    slow_ms: float = 200.0,
    pause_ms: float = 100.0,
) -> dict[str, Any]:
    """How much of the answers' tail the workers' long collections make: the answers of
    `slow_ms` or more whose wait overlapped a collection pause of `pause_ms` or more (in
    either worker: which one served an answer is not known), against all answers that
    did, and the answers' p95 without them. A pause stops the worker's every thread and
    its event loop, so a request in it waits the pause out."""
    pauses = [
        (at, at + wall / 1000)
        for worker in workers_gc
        for at, _gen, wall, _cpu in worker.get("long_pauses", [])
        if wall >= pause_ms and at + wall / 1000 >= 0  # not those of the set-up
    ]

    def overlaps(sent: float, latency: float) -> bool:
        begin = sent - started_perf
        return any(a < begin + latency and b > begin for a, b in pauses)

    hit = [overlaps(sent, latency) for sent, latency in answer_at]
    slow = [h for h, (_s, latency) in zip(hit, answer_at, strict=True) if latency * 1000 >= slow_ms]
    rest = [latency for h, (_s, latency) in zip(hit, answer_at, strict=True) if not h]
    return {
        "pauses": len(pauses),
        "answers_overlapping": sum(hit),
        f"answers_{int(slow_ms)}ms_or_more": len(slow),
        f"answers_{int(slow_ms)}ms_or_more_overlapping": sum(slow),
        "answer_without_overlapping": summary(rest),
    }


def imbalance(timeline: list[dict[str, Any]]) -> dict[str, float]:
    """How unevenly the workers shared the work: per window, the busiest worker's CPU less
    the idlest's (points of a core), averaged and at its worst. A worker at 80 % while the
    other is at 20 % makes the first's queue the run's latency (HttpClients)."""
    gaps = [max(w["cpu_percent"]) - min(w["cpu_percent"]) for w in timeline if w["cpu_percent"]]
    if not gaps:
        return {}
    return {"mean_points": round(sum(gaps) / len(gaps), 1), "max_points": round(max(gaps), 1)}


def steady_cost(
    cpu_windows: list[dict[str, Any]],
    requests_timeline: list[dict[str, Any]],
    since_s: float,
    until_s: float,
    step: float,
) -> dict[str, Any]:
    """The CPU one request cost in the steady state, in ms: the machine's (workers,
    PostgreSQL, Redis, the generator and whatever else ran), the workers' and PostgreSQL's,
    from the whole windows between `since_s` and `until_s`. The CPU timeline counts from the
    start of the load and the requests' from the first start (a few seconds later, after
    the invigilators' pages): in the steady state both rates are flat, so each is averaged
    over its own windows. With 3,000 candidates the steady answers' p95 followed the
    machine's figure from run to run, the code unchanged (docs/scaling.md, « The knee »)."""

    def whole(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [w for w in windows if w["from_s"] >= since_s and w["from_s"] + step <= until_s]

    cpu = whole(cpu_windows)
    counts = [sum(w["requests"]) for w in whole(requests_timeline)]
    if not cpu or not counts or not sum(counts):
        return {}
    per_s = sum(counts) / (step * len(counts))

    def ms(percents: list[float]) -> float:
        # % of a core, averaged over the windows, per request a second: ms of CPU each.
        return round(10 * sum(percents) / len(percents) / per_s, 2)

    return {
        "requests_per_s": round(per_s, 1),
        "machine_cpu_ms_per_request": ms([w.get("machine_percent", 0.0) for w in cpu]),
        "workers_cpu_ms_per_request": ms([sum(w["cpu_percent"]) for w in cpu]),
        "postgres_cpu_ms_per_request": ms([w.get("postgres_percent", 0.0) for w in cpu]),
    }


# --- Vigie under load --------------------------------------------------------------------


def http_client(base: str, headers: dict[str, str] | None = None) -> Any:
    """The generator's HTTP client: aiohttp. httpx's connection pool was the bottleneck at
    2,000 simulated candidates: under a burst its cost grew with the requests waiting,
    the generator fell behind, and the measured latencies were its own (a curl probe on
    the same server meanwhile took 6 ms at the median). No cookie jar: each simulated user
    sends its own cookies."""
    import aiohttp

    return aiohttp.ClientSession(
        base_url=base,
        headers=headers,
        connector=aiohttp.TCPConnector(limit=1000, keepalive_timeout=2.0),
        timeout=aiohttp.ClientTimeout(total=30),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class HttpClients:
    """The generator's HTTP connections, in `pools` pools, each simulated user always on the
    same one. Each worker serves the connections the kernel gave it (vigie/serving.py:
    SO_REUSEPORT, by a hash of the addresses), and a connection stays with its worker; a
    population of browsers has thousands of connections, the generator's one pool as many
    as requests in flight. Tried against an imbalance of the workers during the burst (in
    4 s windows, one at 65–82 % of a core while the other was at 19–44 %): 64 pools did not
    remove it (the busiest less the idlest 10.5 and 7.5 points on average with 64 pools,
    5.8–13.4 with one; load runs of 2026-12-06, fifth session), so its cause is elsewhere
    and one pool stays the default, comparable with every run before. A pool per user
    opened a connection for almost every request (« connections per user » in
    docs/scaling.md)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None, pools: int = 1) -> None:
        self.base, self.headers, self.count = base, headers, pools
        self.pools: dict[Any, Any] = {}

    def of(self, user: str) -> Any:
        # 0: each user its own pool, as each browser its own connection.
        key = user if self.count <= 0 else zlib.crc32(user.encode()) % self.count
        if key not in self.pools:
            self.pools[key] = http_client(self.base, self.headers)
        return self.pools[key]

    async def close(self) -> None:
        await asyncio.gather(*(pool.close() for pool in self.pools.values()))


class Stats:
    def __init__(self) -> None:
        self.start: list[float] = []
        self.answer: list[float] = []
        self.candidate_state: list[float] = []
        self.candidate_page: list[float] = []
        self.invigilator_state: list[float] = []
        self.invigilator_refresh: list[float] = []
        # The pages loaded before the starts (--pages-open before): not in the timelines.
        self.invigilator_page: list[float] = []
        self.push: list[float] = []
        # A start's row on an invigilator's page: (start sent at, latency), pushed or fetched.
        self.row_at: list[tuple[float, float]] = []
        self.rows_pushed = 0
        self.start_sent: dict[int, float] = {}
        # (sent at, latency) of answers and pushes, to single out the steady state.
        self.answer_at: list[tuple[float, float]] = []
        self.push_at: list[tuple[float, float]] = []
        self.errors: list[str] = []
        self.fetch_bytes: list[int] = []
        self.start_at: list[tuple[float, float]] = []
        # Issue 17's admission: a start refused by a saturated worker (503 « busy ») is sent
        # again after its Retry-After with jitter, like start.js. `start` keeps every
        # attempt's latency (refusals included: they are answers too); `time_to_started`
        # is the candidate's wait, from the first click to the test started, retries
        # included — the figure admission must not hide.
        self.time_to_started: list[float] = []
        self.time_to_started_at: list[tuple[float, float]] = []
        self.start_refused = 0
        self.start_refused_at: list[tuple[float, float]] = []
        self.start_attempts: list[int] = []
        self.fetch_at: list[tuple[float, float]] = []
        self.requests = 0
        self.sent: dict[tuple[int, int], float] = {}
        self.started_perf = 0.0
        # How late the generator's own event loop wakes up (a 50 ms sleep, repeated): the
        # part of the latencies that is the load generator's, not the server's.
        self.loop_lag: list[float] = []


async def open_sockets(base: str, sessions: list[dict], stats: Stats) -> list[Any]:
    import websockets

    ws_base = base.replace("http", "ws")
    sockets = []

    async def one(path: str, cookie: str) -> Any:
        try:
            return await websockets.connect(
                ws_base + path,
                additional_headers={"Cookie": f"sessionid={cookie}", "Origin": base},
                open_timeout=30,
                max_queue=None,
            )
        except Exception as exc:
            stats.errors.append(f"ws {path}: {exc!r}"[:200])
            return None

    for session in sessions:
        invigilators = [
            one(f"/ws/surveillance/{session['session_id']}/?lang=fr", c)
            for c in session["invigilators"]
        ]
        candidates = [one(f"/ws/candidats/{c['id']}/", c["cookie"]) for c in session["candidates"]]
        sockets.append(await asyncio.gather(*invigilators))
        sockets.append(await asyncio.gather(*candidates))
    return sockets


async def vigie_load(
    args: argparse.Namespace, base: str, sessions: list[dict], sockets: list[Any], stats: Stats
) -> float:
    import aiohttp

    csrf = secrets.token_hex(16)
    clients = HttpClients(
        base, {"X-CSRFToken": csrf, "Origin": base, "Referer": base + "/"}, args.client_pools
    )
    rng = random.Random(args.seed)
    rng_refresh = random.Random(args.seed + 1)

    async def request(kind: str, method: str, url: str, cookie: str, **kw: Any) -> Any:
        stats.requests += 1
        t0 = time.perf_counter()
        try:
            headers = {"Cookie": f"sessionid={cookie}; csrftoken={csrf}", **kw.pop("headers", {})}
            async with clients.of(cookie).request(method, url, headers=headers, **kw) as r:
                status, body = r.status, await r.read()
                retry_after = r.headers.get("Retry-After", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            stats.errors.append(f"{kind}: {exc!r}"[:200])
            return None
        elapsed = time.perf_counter() - t0
        if kind == "start" and status == 503 and b'"busy"' in body:
            # Refused by a saturated worker (vigie/admission.py): not an error, the page
            # waits and sends the start again.
            stats.start.append(elapsed)
            stats.start_at.append((t0, elapsed))
            stats.start_refused += 1
            stats.start_refused_at.append((t0, elapsed))
            return {"busy": float(retry_after or 2)}
        getattr(stats, kind).append(elapsed)
        if kind == "answer":
            stats.answer_at.append((t0, elapsed))
        elif kind == "start":
            stats.start_at.append((t0, elapsed))
        elif kind in ("invigilator_state", "invigilator_refresh"):
            stats.fetch_at.append((t0, elapsed))
        if status != 200:
            stats.errors.append(f"{kind} {status} {body[:100]!r}")
            return None
        if kind in (
            "invigilator_state",
            "invigilator_refresh",
            "invigilator_page",
            "candidate_page",
        ):
            return body  # HTML (the name kept: results stay comparable)
        return json.loads(body)

    async def candidate(session: dict, info: dict, rand: random.Random) -> None:
        await asyncio.sleep(rand.uniform(0, args.ramp))
        cookie = info["cookie"]
        clicked = time.perf_counter()
        stats.start_sent[info["id"]] = clicked
        attempts = 0
        while True:
            attempts += 1
            started_run = await request(
                "start",
                "POST",
                f"/api/certification/candidates/{info['id']}/start",
                cookie,
                json={"access_code": session["access_code"]},
                headers={"X-Start-Waited": str(int(time.perf_counter() - clicked))},
            )
            if started_run is None or "busy" not in started_run:
                break
            # start.js: the Retry-After plus up to as much again at random.
            await asyncio.sleep(started_run["busy"] * (1 + rand.random()))
        if started_run is None:
            return
        waited = time.perf_counter() - clicked
        stats.time_to_started.append(waited)
        stats.time_to_started_at.append((clicked, waited))
        stats.start_attempts.append(attempts)
        course = started_run["course_id"]
        headers = {"X-Run-Token": started_run["run_token"]}

        # The start's response carries the page's first state (since 2026-12-06, fourth
        # session; a server before it: the page reads it), and after that each answer's
        # response carries the next question.
        def read_state() -> Any:
            url = f"/api/certification/courses/{course}/state"
            return request("candidate_state", "GET", url, cookie, headers=headers)

        state = started_run.get("state")
        if args.page_loads == "browser":
            # What a browser does after a start (start.js, test.js, live.js): the test page,
            # shown from the start's state (before, test.js's refresh() read it), then the
            # state read 300 ms after its socket opened (onUp resynchronizes: an event may
            # have come in between).
            await request("candidate_page", "GET", f"/certification/tests/{course}/", cookie)
            if state is None:
                await read_state()
            await asyncio.sleep(0.3)
            state = await read_state()
        elif state is None:
            state = await read_state()
        for position in range(1, 33):
            pause = rand.expovariate(1 / args.interval)
            if time.monotonic() + pause > stop_at:
                return  # the measured window is over: do not keep the run open for it
            await asyncio.sleep(pause)
            if not state or not state.get("question"):
                stats.errors.append("no question")
                return
            question = state["question"]
            stats.sent[(info["id"], position)] = time.perf_counter()
            answered = await request(
                "answer",
                "POST",
                f"/api/certification/courses/{course}/answers",
                cookie,
                json={
                    "item_id": question["id"],
                    "response": "x" if question["type"] == "free" else [0],
                },
                headers=headers,
            )
            state = answered["state"] if answered else None

    def rows_url(session_id: int) -> str:
        return f"/surveillance/sessions/{session_id}/lignes/"

    async def invigilator(
        session: dict, cookie: str, ws: Any, opened: float, loaded: bytes | None
    ) -> None:
        waiting: set[int] = set()
        journal_only = False
        wake = asyncio.Event()
        url = rows_url(session["session_id"])
        # The page's journal: its mark (data-mark) and the ids of its timeline's lines.
        page: dict[str, Any] = {"mark": "", "lines": set()}
        # Starts this page has heard of and not shown yet: their row comes with a fetch.
        unseen: set[int] = set()

        def shown(ids: Any) -> None:
            now = time.perf_counter()
            for cid in ids:
                if cid in unseen and cid in stats.start_sent:
                    unseen.discard(cid)
                    sent = stats.start_sent[cid]
                    stats.row_at.append((sent, now - sent))

        def read_journal(body: bytes) -> None:
            found = MARK.search(body) or NEW_MARK.search(body)
            if found:
                page["mark"] = found.group(1).decode()
            page["lines"].update(int(i) for i in LINE_ID.findall(body))

        def count(mark: str) -> int | None:
            head = mark.split("-")[0]
            return int(head) if head.isdigit() else None

        def apply_push(event: dict[str, Any]) -> bool:
            """supervision.js applyPushed: the rows swapped in; the journal's lines added
            when they account for every event since the page's mark. False: fetch it."""
            stats.rows_pushed += 1
            shown(event["ids"])
            mine, theirs = count(page["mark"]), count(event["mark"])
            if mine is None or theirs is None:
                return False
            if theirs <= mine:
                return True
            ids = {int(i) for i in LINE_ID.findall(event["lines"].encode())}
            if mine + len(ids - page["lines"]) != theirs:
                return False
            page["lines"] |= ids
            page["mark"] = event["mark"]
            return True

        async def reread() -> None:
            # supervision.js: one read at a time of the rows the events before it changed;
            # with `--journal always` the counts and the journal every time (5531535's
            # page), by default `since=` the page's mark: only when the journal moved on.
            nonlocal journal_only
            while time.monotonic() < stop_at + 2:
                await wake.wait()
                wake.clear()
                ids = sorted(waiting)
                waiting.clear()
                journal_only = False
                query = "&journal=1" if args.journal == "always" else f"&since={page['mark']}"
                body = await request(
                    "invigilator_state",
                    "GET",
                    f"{url}?ids={','.join(str(i) for i in ids)}{query}",
                    cookie,
                )
                if body:
                    read_journal(body)
                    shown(ids)
                stats.fetch_bytes.append(len(body or b""))

        async def refresh_all() -> None:
            # supervision.js: every row and the journal once a minute (refreshAll).
            if args.refresh_all == "off":
                return
            phase = rng_refresh.uniform(0, 60) if args.refresh_all == "jittered" else 60.0
            await asyncio.sleep(max(0.0, opened + phase - time.monotonic()))
            while time.monotonic() < stop_at:
                body = await request("invigilator_refresh", "GET", url, cookie)
                if body:
                    read_journal(body)
                await asyncio.sleep(60)

        # The page as loaded: every row, the journal and its mark.
        if args.pages_open == "with-starts":
            loaded = await request("invigilator_refresh", "GET", url, cookie)
        if loaded:
            read_journal(loaded)
        reader = asyncio.create_task(reread())
        refresher = asyncio.create_task(refresh_all())
        try:
            # No timeout on recv: a wait_for per socket and second cost the load generator
            # more CPU than the events (2,000 sockets); the task is cancelled at the end.
            while True:
                raw = await ws.recv()
                received = time.perf_counter()
                message = json.loads(raw)
                rows = message.get("type") == "rows"
                for event in message.get("events", []) if rows else [message]:
                    if event.get("op") == "answered":
                        key = (event["candidate_id"], event["position"])
                        if key in stats.sent:
                            stats.push.append(received - stats.sent[key])
                            stats.push_at.append((stats.sent[key], received - stats.sent[key]))
                    if event.get("op") == "started":
                        unseen.add(int(event["candidate_id"]))
                if rows and message.get("op") == "pushed":
                    fetch = set(message["fetch"])
                    if not apply_push(message):
                        journal_only = True
                    if fetch or journal_only:
                        waiting.update(fetch)
                        wake.set()
                    continue
                if rows:
                    waiting.update(message["ids"])
                    wake.set()
                    continue
                # supervision.js patches the row of an answer still running; anything else
                # (a start, an alert, a test completed…) fetches its row.
                event = message
                patched = event.get("op") == "answered" and event.get("status") == "started"
                if event.get("type") != "heartbeat" and not patched and event.get("candidate_id"):
                    waiting.add(int(event["candidate_id"]))
                    wake.set()
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            stats.errors.append(f"invigilator socket: {exc!r}"[:200])
        finally:
            reader.cancel()
            refresher.cancel()

    async def drain(ws: Any) -> None:
        # Candidates' pages: keep the push link open and read what comes.
        try:
            while True:
                await ws.recv()
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            stats.errors.append(f"candidate socket: {exc!r}"[:200])

    async def probe_loop_lag() -> None:
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            await asyncio.sleep(0.05)
            stats.loop_lag.append(time.perf_counter() - t0 - 0.05)

    # An invigilator confirms each candidate's presence on the session's page before the
    # candidate can start: at nine o'clock the pages are open. With `--pages-open
    # with-starts` (the runs before 2026-12-06, fourth session) they were loaded in the
    # same second as the first starts, a hundred pages of twenty rows at once.
    pages: dict[tuple[int, str], bytes | None] = {}
    if args.pages_open == "before":
        keys = [(s["session_id"], c) for s in sessions for c in s["invigilators"]]
        bodies = await asyncio.gather(
            *(request("invigilator_page", "GET", rows_url(sid), c) for sid, c in keys)
        )
        pages = dict(zip(keys, bodies, strict=True))
    started = time.monotonic()
    stats.started_perf = time.perf_counter()
    stop_at = started + args.ramp + args.duration
    tasks = []
    listeners = [asyncio.create_task(probe_loop_lag())]
    for index, session in enumerate(sessions):
        invigilator_ws, candidate_ws = sockets[2 * index], sockets[2 * index + 1]
        for cookie, ws in zip(session["invigilators"], invigilator_ws, strict=True):
            if ws is not None:
                loaded = pages.get((session["session_id"], cookie))
                listeners.append(
                    asyncio.create_task(invigilator(session, cookie, ws, time.monotonic(), loaded))
                )
        for info, ws in zip(session["candidates"], candidate_ws, strict=True):
            tasks.append(candidate(session, info, random.Random(rng.random())))
            if ws is not None:
                listeners.append(asyncio.create_task(drain(ws)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    # The pushes of the last answers: wait for them (10 s at most), then stop listening.
    expected = len(stats.sent) * args.invigilators
    deadline = time.monotonic() + 10
    while len(stats.push) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    await clients.close()
    await asyncio.gather(*(ws.close() for group in sockets for ws in group if ws is not None))
    return elapsed


# --- The bare endpoint ---------------------------------------------------------------------


async def bare_load(
    args: argparse.Namespace, base: str, users: int, pids: list[int]
) -> dict[str, Any]:
    import aiohttp

    write: list[float] = []
    errors: list[str] = []
    # The same pools as Vigie's run: the ceiling is measured over the same connections.
    clients = HttpClients(base, pools=args.client_pools)
    rng = random.Random(args.seed)
    started = time.monotonic()
    stop_at = started + args.ramp + args.duration

    async def call(method: str, url: str, into: list[float], user: str) -> None:
        t0 = time.perf_counter()
        try:
            async with clients.of(user).request(method, url, data=b"answer") as r:
                await r.read()
                if r.status != 200:
                    errors.append(f"{url} {r.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            errors.append(f"{url} {exc!r}"[:200])
            return
        into.append(time.perf_counter() - t0)

    async def user(rand: random.Random, name: str) -> None:
        await asyncio.sleep(rand.uniform(0, args.ramp))
        while True:
            pause = rand.expovariate(1 / args.interval)
            if time.monotonic() + pause > stop_at:
                return
            await asyncio.sleep(pause)
            # One write per answer, as Vigie's candidates now make one request per answer.
            await call("POST", "/write", write, name)

    with Sampler(pids) as paced_sampler:
        await asyncio.gather(*(user(random.Random(rng.random()), str(i)) for i in range(users)))
    paced = time.monotonic() - started

    # Closed loop: 64 clients writing back to back for 15 s, the most it can do.
    burst: list[float] = []
    burst_end = time.monotonic() + 15

    async def hammer(name: str) -> None:
        while time.monotonic() < burst_end:
            await call("POST", "/write", burst, name)

    t0 = time.monotonic()
    with Sampler(pids) as burst_sampler:
        await asyncio.gather(*(hammer(str(i)) for i in range(64)))
    burst_s = time.monotonic() - t0

    # The same burst on an async view running the write with thread_sensitive=False.
    burst_async: list[float] = []
    burst_end = time.monotonic() + 15

    async def hammer_async(name: str) -> None:
        while time.monotonic() < burst_end:
            await call("POST", "/write-async", burst_async, name)

    t1 = time.monotonic()
    with Sampler(pids) as async_sampler:
        await asyncio.gather(*(hammer_async(str(i)) for i in range(64)))
    async_s = time.monotonic() - t1
    await clients.close()
    return {
        "paced": {
            "duration_s": round(paced, 1),
            "requests_per_s": round(len(write) / paced, 1),
            "write": summary(write),
            "workers": paced_sampler.report(),
        },
        "ceiling_closed_loop_64": {
            "writes_per_s": round(len(burst) / burst_s, 1),
            "write": summary(burst),
            "workers": burst_sampler.report(),
        },
        "ceiling_closed_loop_64_async_view": {
            "writes_per_s": round(len(burst_async) / async_s, 1),
            "write": summary(burst_async),
            "workers": async_sampler.report(),
        },
        "error_count": len(errors),
        "errors": errors[:10],
    }


# --- Orchestration -------------------------------------------------------------------------


GC_PROBE = Path(__file__).resolve().parent / "gcprobe"
GENERATOR_GC_THRESHOLDS = (10_000, 10, 10)


def serve(
    args: argparse.Namespace, command: list[str] | None, port: int, log: Any, gc_dir: str = ""
) -> Any:
    env = {"LOG_LEVEL": "WARNING", "DB_POOL_MAX": os.environ.get("DB_POOL_MAX", "10")}
    if gc_dir:
        # Each worker records its collector's pauses (bench/load/gcprobe/sitecustomize.py).
        path = os.environ.get("PYTHONPATH", "")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(GC_PROBE), path) if p)
        env["VIGIE_GC_PROBE"] = gc_dir
    if command is None:
        return start_server(port, workers=args.workers, env=env, log=log)
    return subprocess.Popen(  # noqa: S603 - our interpreter
        command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )


def worker_pids(server: Any, expected: int) -> list[int]:
    for _ in range(100):
        pids = children(server.pid)
        if len(pids) >= expected:
            return pids
        time.sleep(0.1)
    return children(server.pid) or [server.pid]


def run_config(args: argparse.Namespace, speed_before: float) -> dict[str, Any]:
    """What a result says about how it was made."""
    return {
        **{k: v for k, v in vars(args).items() if k != "out"},
        "database": "postgresql",
        "channel_layer": "redis",
        "db_pool_max": int(os.environ.get("DB_POOL_MAX", "10")),
        "cpus": os.cpu_count(),
        "command": " ".join(sys.argv),
        # The machine's speed, before and after (bench/common.py: host_speed).
        "host_speed_s": [speed_before, host_speed()],
        # The server's settings changed for this run (the rest are the defaults of the code
        # run), so that a result says which variant of an A/B it is.
        "server_env": {
            name: value
            for name, value in sorted(os.environ.items())
            if name.startswith(("ADMISSION_", "HTTP_THREADS", "CHANNEL_", "LIVE_", "DB_", "GC_"))
        },
    }


def main() -> None:
    args = parse()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # bench/common.py's readiness polls

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must point to PostgreSQL (createdb vigie_bench first).")
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL is required: several workers share live events through Redis.")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "load-bench-" + secrets.token_hex(16))
    django_setup()
    from django.core.management import call_command
    from sessions import create_session  # models: only once Django is set up

    call_command("migrate", verbosity=0)
    gc_dir = tempfile.mkdtemp(prefix="vigie-gc-")
    probe = importlib.util.spec_from_file_location("gcprobe", GC_PROBE / "sitecustomize.py")
    assert probe is not None and probe.loader is not None
    gcprobe = importlib.util.module_from_spec(probe)
    probe.loader.exec_module(gcprobe)
    gcprobe.install(gc_dir)
    speed_before = host_speed()
    if args.page_loads == "browser":
        # The pages name their hashed static files (the server starts without its set-up).
        call_command("collectstatic", interactive=False, verbosity=0)
    t0 = time.monotonic()
    sessions = [create_session(args.candidates, args.invigilators) for _ in range(args.sessions)]
    print(f"set-up: {args.sessions} sessions in {time.monotonic() - t0:.0f} s", flush=True)
    if args.generator_gc == "tuned":
        # The generator holds as many sockets as the workers together: its own full
        # collections paused it as long as theirs, and every request in flight then looked
        # that much slower. Fixed, not read from the server's settings, so that both arms of
        # an A/B of the workers' collector run the same generator.
        gc.set_threshold(*GENERATOR_GC_THRESHOLDS)
        gc.collect()
        gc.freeze()
    log_path = Path(tempfile.gettempdir()) / "vigie-load-server.log"
    print(f"server logs: {log_path}", flush=True)
    client_start = cpu_ticks(os.getpid())
    results: dict[str, Any] = {}
    with log_path.open("w") as log:
        # 1. Vigie.
        port = free_port()
        server = serve(args, None, port, log, gc_dir)
        base = f"http://127.0.0.1:{port}"
        try:
            # Two workers booting on a loaded machine may take more than 30 s.
            wait_ready(base, timeout=120, path="/readyz")
            pids = worker_pids(server, args.workers)
            stats = Stats()
            loop = new_loop()
            # The first session's sockets warm the workers up (imports, caches, pools);
            # the memory per socket is measured on all the others.
            sockets = loop.run_until_complete(open_sockets(base, sessions[:1], stats))
            time.sleep(2)
            before = sum(rss_bytes(p) for p in pids)
            warm = sum(1 for group in sockets for ws in group if ws is not None)
            sockets += loop.run_until_complete(open_sockets(base, sessions[1:], stats))
            opened = sum(1 for group in sockets for ws in group if ws is not None)
            time.sleep(3)
            after = sum(rss_bytes(p) for p in pids)
            print(
                f"{opened} WebSockets open, load for {args.ramp + args.duration:.0f} s", flush=True
            )
            wall0, machine0 = time.monotonic(), machine_ticks()
            with Sampler(pids) as sampler:
                duration = loop.run_until_complete(vigie_load(args, base, sessions, sockets, stats))
            machine = machine_report(machine0, machine_ticks(), time.monotonic() - wall0)
            client_cpu = (
                100 * (cpu_ticks(os.getpid()) - client_start) / TICKS / (time.monotonic() - wall0)
            )
            loop.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        candidates = args.sessions * args.candidates
        steady_s = args.ramp + args.steady_after  # the steady state, in s after the first start
        steady_from = stats.started_perf + steady_s
        cpu_windows = sampler.cpu_timeline(wall0, args.step)
        probes = probe_files(gc_dir, pids)
        workers_gc = gc_report(probes, stats.started_perf)
        workers_requests = requests_report(probes, stats.started_perf, args.step)
        results["vigie"] = {
            "concurrent_candidates": candidates,
            "invigilators": args.sessions * args.invigilators,
            "websockets_open": opened,
            "memory_per_websocket_kb": round((after - before) / max(opened - warm, 1) / 1024, 1),
            "duration_s": round(duration, 1),
            "requests": stats.requests,
            "requests_per_s": round(stats.requests / duration, 1),
            "answers_per_s": round(len(stats.answer) / duration, 1),
            "answer": summary(stats.answer),
            # Every start request's latency (the refusals' included), and the candidates'
            # wait from the first click to the test started (retries included).
            "start": summary(stats.start),
            "time_to_started": summary(stats.time_to_started),
            "start_refused": stats.start_refused,
            "start_attempts_max": max(stats.start_attempts, default=0),
            "start_attempts_mean": round(
                sum(stats.start_attempts) / max(len(stats.start_attempts), 1), 2
            ),
            "candidate_state": summary(stats.candidate_state),
            "candidate_page": summary(stats.candidate_page),
            "invigilator_state": summary(stats.invigilator_state),
            "push": summary(stats.push),
            # Issue 17: a start's row on the invigilators' pages (pushed, or fetched).
            "row": summary([lat for _t, lat in stats.row_at]),
            "rows_expected": len(stats.start) * args.invigilators,
            "rows_pushed_messages": stats.rows_pushed,
            "invigilator_refresh": summary(stats.invigilator_refresh),
            "invigilator_page_before_starts": summary(stats.invigilator_page),
            "fetches": len(stats.invigilator_state),
            # Once every candidate has started (the ramp, and its backlog, are over): the
            # exam as it runs for most of its 1 h 45.
            "answer_timeline": timeline(stats.answer_at, stats.started_perf, args.step),
            # The same windows for the starts, the pushes and the invigilators' fetches
            # (issue 17: a regression at nine o'clock shows there first).
            "start_timeline": timeline(
                stats.start_at, stats.started_perf, args.step, name="starts"
            ),
            "start_refused_timeline": timeline(
                stats.start_refused_at, stats.started_perf, args.step, name="refusals"
            ),
            # By the window of the first click.
            "time_to_started_timeline": timeline(
                stats.time_to_started_at, stats.started_perf, args.step, name="started"
            ),
            "push_timeline": timeline(stats.push_at, stats.started_perf, args.step, name="pushes"),
            "row_timeline": timeline(stats.row_at, stats.started_perf, args.step, name="rows"),
            "fetch_timeline": timeline(
                stats.fetch_at, stats.started_perf, args.step, name="fetches"
            ),
            "fetch_bytes_mean": round(sum(stats.fetch_bytes) / max(len(stats.fetch_bytes), 1)),
            # Worker CPU per request (contention moves it far less than latencies: a figure
            # to compare two runs on a shared machine).
            "worker_cpu_ms_per_request": round(
                sum(w["cpu_percent"] for w in sampler.report())
                * 10
                * duration
                / max(stats.requests, 1),
                2,
            ),
            "steady_state": {
                "from_s_after_start": steady_s,
                "answer": summary([lat for t, lat in stats.answer_at if t >= steady_from]),
                "push": summary([lat for t, lat in stats.push_at if t >= steady_from]),
                "cost": steady_cost(
                    cpu_windows,
                    workers_requests["timeline"],
                    steady_s,
                    args.ramp + args.duration,
                    args.step,
                ),
            },
            "pushes_expected": len(stats.sent) * args.invigilators,
            "error_count": len(stats.errors),
            "error_rate": round(len(stats.errors) / max(stats.requests, 1), 5),
            "errors": stats.errors[:20],
            "workers": sampler.report(),
            "workers_steady_state": sampler.report(since=wall0 + steady_s),
            "workers_cpu_timeline": cpu_windows,
            "workers_imbalance": imbalance(cpu_windows),
            "workers_requests": workers_requests,
            "client_cpu_percent": round(client_cpu, 1),
            "generator_loop_lag": summary(stats.loop_lag),
            # The garbage collector's pauses: each worker's, then the generator's own.
            "gc": workers_gc,
            "answers_in_collections": answers_in_pauses(
                stats.answer_at, stats.started_perf, workers_gc
            ),
            "generator_gc": gc_report(probe_files(gc_dir, [os.getpid()]), stats.started_perf),
            **machine,
        }
        print(json.dumps(results["vigie"], indent=2), flush=True)
        if args.raw:
            t0 = stats.started_perf
            Path(args.raw).write_text(
                "\n".join(f"{t - t0:.3f} {lat * 1000:.1f}" for t, lat in stats.answer_at) + "\n"
            )
        if args.skip_bare:
            results["config"] = run_config(args, speed_before)
            Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
            return

        # 2. The bare endpoint, same workers, same pool, same users and pacing.
        from bare_app import create_table  # type: ignore[import-not-found]

        create_table()
        port = free_port()
        bare = serve(
            args,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bare_app:application",
                "--app-dir",
                str(ROOT / "bench" / "load"),
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--lifespan",
                "off",
                "--log-level",
                "warning",
            ],
            port,
            log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base)
            pids = worker_pids(bare, args.workers)
            loop = new_loop()
            results["bare"] = loop.run_until_complete(bare_load(args, base, candidates, pids))
            loop.close()
        finally:
            bare.terminate()
            bare.wait(timeout=30)
    vigie, bare_paced = results["vigie"], results["bare"]["paced"]
    results["ratio_vigie_over_bare"] = {
        "answer_p95_over_write_p95": round(
            vigie["answer"].get("p95_ms", 0) / max(bare_paced["write"].get("p95_ms", 0), 0.1), 1
        ),
        "answer_p50_over_write_p50": round(
            vigie["answer"].get("p50_ms", 0) / max(bare_paced["write"].get("p50_ms", 0), 0.1), 1
        ),
        "vigie_requests_per_s_over_bare_ceiling": round(
            vigie["requests_per_s"] / results["bare"]["ceiling_closed_loop_64"]["writes_per_s"], 3
        ),
    }
    results["config"] = run_config(args, speed_before)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: results[k] for k in ("bare", "ratio_vigie_over_bare")}, indent=2))
    print(f"results in {args.out}")


if __name__ == "__main__":
    main()
