"""The CPU of one live event's publish: the channel layer's `group_send` on Redis pub/sub.

    DATABASE_URL=… REDIS_URL=redis://127.0.0.1:6379/3 python bench/redis_publish.py
    # another redis-py, without touching the project's environment:
    pip install --no-deps --target /tmp/redis-5.2.1 redis==5.2.1
    PYTHONPATH=/tmp/redis-5.2.1 python bench/redis_publish.py

The worker's own channel layer (vigie/settings.py, `CHANNEL_LAYER`, its Redis options). One
`group_send` after the other on uvloop, as a worker's event loop makes them, in 5
runs of 2,000; prints the process's CPU per call in each run. No subscriber in this
process, so only the publish is counted. This isolates the client's cost (redis-py's pool,
its lock since 5.3.0, its metrics since 8); whether it matters for a worker is
`bench/cpu_per_answer.py`'s answer (docs/scaling.md, « The evening »: it did not).
"""

import asyncio
import sys
import time
from pathlib import Path

import redis
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import django_setup

EVENT = {
    "type": "live.event",
    "event": {
        "type": "candidate",
        "op": "answered",
        "candidate_id": 123,
        "position": 5,
        "status": "started",
        "answered": 5,
        "total": 32,
    },
}


async def main() -> None:
    from channels.layers import get_channel_layer  # once Django is set up

    layer = get_channel_layer()
    if "redis" not in type(layer).__module__:
        raise SystemExit(f"REDIS_URL is not set: the layer is {type(layer).__name__}")
    for _ in range(200):  # the connection made, the code warm
        await layer.group_send("session-1", EVENT)
    runs = []
    for _ in range(5):
        began = time.process_time()
        for _ in range(2000):
            await layer.group_send("session-1", EVENT)
        runs.append((time.process_time() - began) / 2000 * 1e6)
    print(
        f"redis-py {redis.__version__}, {type(layer).__name__}: group_send CPU per call (µs), 5 runs: "
        f"{[round(r) for r in runs]}, min {min(runs):.0f}"
    )


if __name__ == "__main__":
    django_setup()
    uvloop.install()
    asyncio.run(main())
