"""bench/load/gcprobe: each process started with it records its garbage collector's work,
as bench/load/run.py reports it for the workers (`gc`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "bench" / "load" / "gcprobe"


def run_with_probe(code: str, folder: Path, probe: bool = True) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(PROBE)}
    if probe:
        env["VIGIE_GC_PROBE"] = str(folder)
    return subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_it_records_each_generations_collections_in_a_file_named_by_the_pid(tmp_path: Path):
    done = run_with_probe("import gc, os; gc.collect(); print(os.getpid())", tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / f"gc-{done.stdout.strip()}.json").read_text())
    assert report["pid"] == int(done.stdout)
    assert report["generations"]["2"]["count"] >= 1
    assert report["generations"]["2"]["cpu_ms"] >= 0
    assert set(report["generations"]) == {"0", "1", "2"}
    assert isinstance(report["long_pauses"], list)
    assert len(report["thresholds"]) == 3


def test_it_counts_the_cyclic_garbage_each_generation_freed(tmp_path: Path):
    """Three cycles of two objects: the collection that frees them counts six."""
    code = (
        "import gc, os, time\n"
        "gc.collect()\n"
        "time.sleep(1.1)  # the probe writes at most once a second\n"
        "for _ in range(3):\n"
        "    a, b = [], []\n"
        "    a.append(b); b.append(a)\n"
        "del a, b\n"
        "gc.collect()\n"
        "print(os.getpid())"
    )
    done = run_with_probe(code, tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / f"gc-{done.stdout.strip()}.json").read_text())
    assert report["generations"]["2"]["collected"] >= 6
    assert report["generations"]["0"]["collected"] >= 0


def test_it_records_nothing_unless_told_where(tmp_path: Path):
    done = run_with_probe("import gc; gc.collect()", tmp_path, probe=False)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
