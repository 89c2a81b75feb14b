"""What PostgreSQL's backends wait for during a load run, sampled from pg_stat_activity.

    python bench/pg_waits.py --database vigie_bench --seconds 420 > bench/results/…-pg-waits.txt

Start it with `bench/load/run.py` (same database): every 50 ms it reads the non-idle
backends of that database and counts those waiting on a lock (`Lock`, `LWLock`), on I/O
(`IO`: a WAL flush at COMMIT…) or on another process (`IPC`), by wait event and the start of
their statement; then prints the most frequent, and per 10 s how many samples waited. A
busy backend that waits for nothing is not counted (it computes, or waits for its client).

It answers one question the load results cannot: is a slow window the database's (lock
waits, WAL flushes) or the workers' (requests queued in the process, CPU, GIL)? On
2026-12-06 it said the workers' (docs/scaling.md, « Compiled once: the rows and the start »).
"""

import argparse
import collections
import time

import psycopg

WAITS = ("Lock", "LWLock", "IO", "IPC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="vigie_bench")
    parser.add_argument("--seconds", type=float, default=420)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    counts: collections.Counter[tuple[str, str, str]] = collections.Counter()
    per_window: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    samples, start = 0, time.monotonic()
    with psycopg.connect(args.dsn, autocommit=True) as connection:
        while time.monotonic() - start < args.seconds:
            rows = connection.execute(
                "SELECT wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity "
                "WHERE datname = %s AND state <> 'idle' AND pid <> pg_backend_pid()",
                [args.database],
            ).fetchall()
            samples += 1
            for kind, event, query in rows:
                if kind in WAITS:
                    counts[(kind, event, query)] += 1
                    per_window[int((time.monotonic() - start) // 10)][kind] += 1
            time.sleep(0.05)
    print(f"samples: {samples} in {args.seconds:.0f} s (a backend waiting in a sample counts 1)")
    for (kind, event, query), n in counts.most_common(25):
        print(f"{n:6d}  {kind}/{event}  {query}")
    print("per 10 s (from the start of this script):")
    for window in sorted(per_window):
        print(f"{window * 10:5d} s  {dict(per_window[window])}")


if __name__ == "__main__":
    main()
