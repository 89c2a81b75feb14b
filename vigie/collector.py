"""The serving process's garbage collector, set once the application is loaded.

Python frees most objects by reference counting; the cycles (a Django request and its
session, messages and lazy user refer to one another; so do a test and its candidate) wait
for the collector, which holds the GIL while it runs: the worker's event loop and every
request thread stop. Its full collections walk every object of the process, and a worker
holding a thousand WebSockets has half a million of them, a third of them the loaded
application itself.

Measured with `bench/load/run.py` (each worker's collections recorded by
`bench/load/gcprobe/`; docs/scaling.md, « The collector's pauses »): under 2,000 candidates
at their steady pace, with Python's thresholds (700, 10, 10), each worker ran a full
collection every 20–35 s, each 280–500 ms of CPU and up to 0.8 s of the worker stopped, and
the collector took about 5–7 % of its CPU. Short-lived objects caught in a young collection
while their request was still running were promoted, and those promotions are what brought
the next full collection.

What the settings can do, once everything is imported and the item bank read
(vigie/asgi.py):
- `GC_FREEZE=true`: `gc.freeze()` moves every object alive then to the permanent
  generation, which no collection walks: the modules, the models, the URL patterns, the
  API's schemas, the bank (about 230,000 objects). They were there for good anyway.
- `GC_THRESHOLDS`: `gc.set_threshold()`. With 10,000 for the youngest generation instead of
  700, a young collection finds far fewer requests in flight, so far fewer objects are
  promoted, and full collections become rare; each young collection then walks up to
  10,000 objects (20–30 ms of CPU on the slow machine it was measured on).

Both together halved the collector's CPU and left 0–3 pauses of 200 ms or more per worker
in a run instead of 5–18. On 2026-12-06 (seventh session) the latencies were still better
in two pairs of runs and worse in three, and Python's collector stayed the default. Since
then the requests leave no cycles (docs/scaling.md, « Cycles cut at the source »): a full
collection now frees a few hundred objects for 260–560 ms of a stopped worker, four to
seven times per worker in the 60 s burst's run, and 17–31 % of the answers slower than
200 ms were waiting one out. Measured on 2026-12-07 (tenth session, « The collector,
again »), ten runs of that burst on one machine within 100 minutes: both settings
together, in four runs of four, no collection pause of 100 ms or more during the load,
the collector's CPU 0.7–0.9 s per worker against 3.4–5.4 s, and the answers' p95 over the
burst 174–222 ms (the burst's three targets met in a run with the bare ceiling); Python's,
150–1,080 ms in six (one under 200 ms). One pair of 3,000-candidate runs went the other
way (steady answers p95 8.2 s tuned against 2.4 s), with the machine serving 29 % less in
the tuned run (its bare ceiling); rerun, the tuned collector did better (2.0 s, with less
CPU per request). So both are the default;
`GC_FREEZE=false GC_THRESHOLDS=700,10,10` restore Python's. Nothing here disables the
collector, and a threshold below 1 is refused by the settings (0 would stop it).
"""

import gc

from django.conf import settings


def settle() -> None:
    """Set the collector as the settings say: thresholds, then freeze what is loaded."""
    gc.set_threshold(*settings.GC_THRESHOLDS)
    if settings.GC_FREEZE:
        # The garbage of start-up first: frozen, it would stay for the process's life.
        gc.collect()
        gc.freeze()
