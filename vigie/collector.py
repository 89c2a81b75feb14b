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
in a run instead of 5–18. But the latencies were better in two pairs of runs (2,000
candidates at their pace) and worse in three (one more at that pace, and the machine
saturated: the 60 s burst and 3,000 candidates), with more worker CPU per request in those
three, on a machine whose speed drifted as much as the difference. `GC_FREEZE` alone made full collections shorter (about 200 ms of
CPU) and more frequent (every 10–15 s). So Python's collector stays the default until pairs
of runs on a quiet machine decide; nothing here disables it, and a threshold below 1 is
refused by the settings (0 would stop it).
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
