"""The garbage collector's pauses, recorded in every Python process started with this
folder first on PYTHONPATH and VIGIE_GC_PROBE set to a folder (bench/load/run.py does it
for the server's workers: `gc` in its results).

A collection holds the GIL: while it runs, a worker's event loop and request threads all
stop. Per generation: how many, their CPU (the collecting thread's) and wall time, the
longest, and the objects it freed (cyclic garbage); and every pause of 50 ms or more, with
its time. Written to
`$VIGIE_GC_PROBE/gc-<pid>.json` at most once a second (a worker is stopped by a signal,
so no exit hook is relied on). Costs two calls per collection.
"""

import gc
import json
import os
import sys
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
        if now - written[0] >= 1.0:
            written[0] = now
            report = {
                "pid": os.getpid(),
                "argv": sys.argv[:2],
                "thresholds": gc.get_threshold(),
                "frozen": gc.get_freeze_count(),
                "generations": {
                    g: {k: round(v, 1) for k, v in t.items()} for g, t in totals.items()
                },
                "long_pauses": long_pauses,
            }
            with open(path + ".tmp", "w") as f:
                json.dump(report, f)
            os.replace(path + ".tmp", path)

    gc.callbacks.append(callback)


if _DIR:
    install(_DIR)
