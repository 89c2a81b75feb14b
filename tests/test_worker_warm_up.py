"""A worker reads what every start needs before its first request, and sets its garbage
collector once it has (issue 17: at nine o'clock every room starts at once)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def loaded_worker(env: dict[str, str], expression: str) -> subprocess.CompletedProcess[str]:
    """A process that loads the application as a worker does, then prints `expression`."""
    return subprocess.run(  # noqa: S603 - our interpreter
        [
            sys.executable,
            "-c",
            f"import gc, vigie.asgi; from certification import engine; print({expression})",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_reads_the_item_bank_when_the_worker_loads_the_application():
    done = loaded_worker(
        {}, "engine.get_bank.cache_info().currsize, '_by_id' in engine.get_bank().__dict__"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["1", "True"]


def test_it_freezes_what_the_worker_loaded_and_collects_young_objects_less_often():
    """A full collection stops the whole worker: in the 60 s burst of 2,000 candidates,
    four to seven times per worker, 260–560 ms each (docs/scaling.md, « The collector, again »)."""
    done = loaded_worker(
        {"GC_FREEZE": "", "GC_THRESHOLDS": ""},
        "gc.get_threshold(), gc.get_freeze_count() > 100_000",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "(10000, 10, 10) True"


def test_it_leaves_the_collector_as_python_has_it_if_told():
    done = loaded_worker(
        {"GC_FREEZE": "false", "GC_THRESHOLDS": "700,10,10"},
        "gc.get_threshold(), gc.get_freeze_count()",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "(700, 10, 10) 0"


def test_it_refuses_thresholds_that_would_stop_the_collector_or_are_malformed():
    stopped = loaded_worker({"GC_THRESHOLDS": "0,10,10"}, "1")
    assert stopped.returncode != 0
    assert "GC_THRESHOLDS: each must be >= 1, got '0,10,10'" in stopped.stderr
    for wrong in ("10000,10", "lots,10,10"):
        done = loaded_worker({"GC_THRESHOLDS": wrong}, "1")
        assert done.returncode != 0
        assert f"GC_THRESHOLDS must be 3 integers separated by commas, got {wrong!r}" in done.stderr
