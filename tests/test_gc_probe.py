"""bench/load/gcprobe: each process started with it records its garbage collector's work,
as bench/load/run.py reports it for the workers (`gc`)."""

import json
import os
import subprocess
import sys
import time
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


def test_it_counts_a_django_processs_requests_and_their_connections_per_second(tmp_path: Path):
    """Three requests on two connections: the second's count is 3 requests, 2 connections
    (the workers' share of the requests, bench/load/run.py: workers_requests)."""
    code = (
        "import os, time\n"
        "from django.conf import settings\n"
        "settings.configure()\n"
        "from django.core.signals import request_started\n"
        "import gc; gc.collect()  # a worker collects often before its first request\n"
        "while time.time() % 1 > 0.5:  # the three in one second\n"
        "    time.sleep(0.05)\n"
        "for port in (5001, 5002, 5001):\n"
        "    request_started.send(sender=None, scope={'client': ('127.0.0.1', port)})\n"
        "second = int(time.time())\n"
        "time.sleep(1.1)  # the probe writes at most once a second\n"
        "request_started.send(sender=None, scope={'client': ('127.0.0.1', 5003)})\n"
        "print(os.getpid(), second)"
    )
    done = run_with_probe(code, tmp_path)
    assert done.returncode == 0, done.stderr
    pid, second = done.stdout.split()
    report = json.loads((tmp_path / f"gc-{pid}.json").read_text())
    assert report["requests"][second] == [3, 2]
    assert sum(count for count, _ in report["requests"].values()) == 4


def test_the_load_benchmark_tells_the_busiest_workers_share_of_each_windows_requests(
    tmp_path: Path,
):
    from bench.load.run import probe_files, requests_report

    started = time.perf_counter()
    first = int(time.time()) + 1  # whole seconds after the first start
    for pid, counts in ((1, [90, 10]), (2, [10, 90])):
        seconds = {str(first + 4 * k): [n, 3 + k] for k, n in enumerate(counts)}
        (tmp_path / f"gc-{pid}.json").write_text(json.dumps({"requests": seconds}))
    (tmp_path / "gc-3.json").write_text(json.dumps({"generations": {}}))  # no requests

    report = requests_report(probe_files(str(tmp_path), [1, 2, 3]), started, step=4)

    assert report["requests"] == [100, 100, 0]
    assert [w["requests"] for w in report["timeline"]] == [[90, 10, 0], [10, 90, 0]]
    assert report["timeline"][1]["connections_per_s_max"] == [4, 4, 0]
    assert report["busiest_share_percent"] == {"mean": 90.0, "max": 90.0}


def test_the_load_benchmark_tells_which_slow_answers_waited_out_a_long_collection():
    from bench.load.run import answers_in_pauses

    started = 1000.0
    # A 300 ms pause 10 s after the first start, in one worker; a 50 ms one in the other;
    # a 400 ms one while the sockets opened, before the first start: not counted.
    workers_gc = [
        {"long_pauses": [[-30.0, 2, 400.0, 390.0], [10.0, 2, 300.0, 280.0]]},
        {"long_pauses": [[20.0, 2, 50.0, 50.0]]},
    ]
    answers = [
        (started + 9.9, 0.4),  # sent before the pause, answered after it: slow, overlapping
        (started + 10.1, 0.05),  # sent during it: overlapping, not slow
        (started + 15.0, 0.5),  # slow without a pause
        (started + 20.0, 0.3),  # during the short pause only: not counted
        (started + 30.0, 0.02),
    ]

    report = answers_in_pauses(answers, started, workers_gc)

    assert report["pauses"] == 1
    assert report["answers_overlapping"] == 2
    assert report["answers_200ms_or_more"] == 3
    assert report["answers_200ms_or_more_overlapping"] == 1
    assert report["answer_without_overlapping"]["count"] == 3
    assert report["answer_without_overlapping"]["max_ms"] == 500.0


def test_the_load_benchmark_tells_what_a_request_cost_the_machine_in_the_steady_state():
    from bench.load.run import steady_cost

    def cpu(at: int, machine: float, workers: list[float]) -> dict:
        return {
            "from_s": at,
            "cpu_percent": workers,
            "machine_percent": machine,
            "postgres_percent": 20.0,
        }

    # The ramp's windows (0, 20) and the last, partial one (60) do not count.
    cpu_windows = [
        cpu(0, 190.0, [90.0, 90.0]),
        cpu(20, 150.0, [60.0, 50.0]),
        cpu(40, 170.0, [70.0, 60.0]),
        cpu(60, 10.0, [1.0, 1.0]),
    ]
    requests = [
        {"from_s": k, "requests": [n, n]} for k, n in ((0, 100), (20, 2000), (40, 2000), (60, 5))
    ]

    cost = steady_cost(cpu_windows, requests, since_s=20, until_s=70, step=20)

    # 200 requests a second; the machine at 160 % of a core: 8 ms of CPU each.
    assert cost == {
        "requests_per_s": 200.0,
        "machine_cpu_ms_per_request": 8.0,
        "workers_cpu_ms_per_request": 6.0,
        "postgres_cpu_ms_per_request": 1.0,
    }
    assert steady_cost(cpu_windows, requests, since_s=100, until_s=120, step=20) == {}
