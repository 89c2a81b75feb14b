"""Shared by the benchmarks and the multi-process tests: servers, ports and statistics.
The data set-up (Django models) is in bench/sessions.py."""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def django_setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()


def free_port() -> int:
    """A free port; within `BENCH_PORTS=8700-8799` when set (a shared machine's share)."""
    low, _, high = os.environ.get("BENCH_PORTS", "").partition("-")
    candidates = range(int(low), int(high) + 1) if low and high else [0]
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def start_server(
    port: int, *, workers: int = 1, env: dict[str, str] | None = None, log: Any = None
) -> subprocess.Popen:
    """The production command (scripts/serve.py) without its set-up step, on one port."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(ROOT / "scripts" / "serve.py"),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--skip-setup",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )


def wait_ready(base: str, timeout: float = 30.0, path: str = "/healthz") -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} did not become ready in {timeout} s")


def host_speed() -> float:
    """Seconds of CPU a fixed piece of pure Python takes on this machine now: 0.17 s on a
    normal day of the shared 2-core host, up to 0.33 s in its slow hours, 0.09 s on its
    fastest (2026-12-06, evening). Recorded before
    and after each load run, so that runs are compared on the same footing (the bare
    ceiling says the same for the whole stack; this says it for one core, in a second)."""
    started = time.process_time()
    sum(i * i for i in range(3 * 10**6))
    return round(time.process_time() - started, 3)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0}  # NaN is not JSON
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1) if values else None,
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else None,
    }
