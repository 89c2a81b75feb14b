"""The garbage collector's pauses, recorded in every Python process started with this
folder first on PYTHONPATH and VIGIE_GC_PROBE set to a folder (bench/load/run.py does it
for the server's workers: `gc` in its results).

A collection holds the GIL: while it runs, a worker's event loop and request threads all
stop. Per generation: how many, their CPU (the collecting thread's) and wall time, the
longest, and the objects it freed (cyclic garbage); and every pause of 50 ms or more, with
its time. Written to
`$VIGIE_GC_PROBE/gc-<pid>.json` at most once a second (a worker is stopped by a signal,
so no exit hook is relied on). Costs two calls per collection.

In a Django process it also counts, per second, the HTTP requests it served and the
distinct client connections (ports) they came on (`requests`: second → [requests,
connections]), from the `request_started` signal: how the workers shared the requests,
and over how many of the generator's connections (issue 17, the workers' imbalance: each
worker serves the connections the kernel gave it, vigie/serving.py).
"""

import gc
import json
import os
import sys
import threading
import time

_DIR = os.environ.get("VIGIE_GC_PROBE", "")
LONG_MS = 50.0


def install(folder: str) -> None:
    path = os.path.join(folder, f"gc-{os.getpid()}.json")
    totals = {
        g: {"count": 0, "cpu_ms": 0.0, "wall_ms": 0.0, "max_wall_ms": 0.0, "collected": 0}
        for g in "012"
    }
    long_pauses: list[list[float]] = []
    began = [0.0, 0.0]
    written = [0.0]
    # second → [requests, {client ports}]; plain dict updates, under the GIL.
    seconds: dict[int, list] = {}

    def write() -> None:
        report = {
            "pid": os.getpid(),
            "argv": sys.argv[:2],
            "thresholds": gc.get_threshold(),
            "frozen": gc.get_freeze_count(),
            "generations": {g: {k: round(v, 1) for k, v in t.items()} for g, t in totals.items()},
            "long_pauses": long_pauses,
            "requests": {str(s): [n, len(ports)] for s, (n, ports) in list(seconds.items())},
        }
        tmp = f"{path}.{threading.get_ident()}.tmp"
        with open(tmp, "w") as f:
            json.dump(report, f)
        os.replace(tmp, path)

    def maybe_write(now: float) -> None:
        if now - written[0] >= 1.0:
            written[0] = now
            write()

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            began[0], began[1] = time.perf_counter(), time.thread_time()
            return
        wall = (time.perf_counter() - began[0]) * 1000
        cpu = (time.thread_time() - began[1]) * 1000
        entry = totals[str(info["generation"])]
        entry["count"] += 1
        entry["cpu_ms"] += cpu
        entry["wall_ms"] += wall
        entry["max_wall_ms"] = max(entry["max_wall_ms"], wall)
        # The unreachable objects it found: cyclic garbage, which reference counts could
        # not free (docs/scaling.md, « Cycles cut at the source »).
        entry["collected"] += info["collected"]
        now = time.time()
        if wall >= LONG_MS:
            long_pauses.append([round(now, 3), info["generation"], round(wall, 1), round(cpu, 1)])
        maybe_write(now)

    def request_started(sender: object, scope: dict | None = None, **kwargs: object) -> None:
        now = time.time()
        entry = seconds.setdefault(int(now), [0, set()])
        entry[0] += 1
        client = (scope or {}).get("client")
        if client:
            entry[1].add(client[1])
        maybe_write(now)

    def connect_once_django_is_there() -> None:
        # Not imported here: every process started with the probe would import Django
        # (and collect while doing it). A worker collects thousands of times between
        # importing Django and its first request, so the first collection after the
        # import connects the counter in time.
        signals = sys.modules.get("django.core.signals")
        if signals is not None:
            signals.request_started.connect(
                request_started, weak=False, dispatch_uid="vigie-gc-probe"
            )
            gc.callbacks.remove(connect_once)

    def connect_once(phase: str, info: dict) -> None:
        if phase == "stop":
            connect_once_django_is_there()

    gc.callbacks.append(callback)
    gc.callbacks.append(connect_once)


if _DIR:
    install(_DIR)
