"""The worker's probe of the pubsub layer (live/base.py, issue 17): a lost Redis closes the
push links with 4503 at once, so that their pages poll; a busy worker, whose probe only
comes back late, does not.

Personas: the pages of a worker (push links), a layer that answers, one that answers late,
and one that refuses."""

import asyncio
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from live import base


class Layer:
    """Stands for the pubsub layer: `mode` says how the next probes go."""

    def __init__(self, modes: list[str]) -> None:
        self.modes = modes
        self.probes = 0

    async def new_channel(self, prefix: str) -> str:
        return prefix + "x"

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.probes += 1
        mode = self.modes[min(self.probes, len(self.modes)) - 1]
        if mode == "refused":
            raise RedisConnectionError("Connection refused")
        self.mode = mode

    async def receive(self, channel: str) -> dict[str, Any]:
        if getattr(self, "mode", "ok") == "late":
            await asyncio.sleep(60)
        return {"type": "probe"}


class Page:
    def __init__(self) -> None:
        self.closed = False

    async def _close_unavailable(self) -> None:
        self.closed = True


def _probe(modes: list[str], probes: int, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, int]:
    monkeypatch.setattr(base, "PROBE_EVERY_S", 0.01)
    monkeypatch.setattr(base, "PROBE_TIMEOUT_S", 0.05)
    page = Page()
    layer = Layer(modes)

    async def scenario() -> None:
        base._open.add(page)  # type: ignore[arg-type]
        task = asyncio.ensure_future(base._probe_forever(layer))
        try:
            while layer.probes < probes and not page.closed:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # the last probe's outcome
        finally:
            task.cancel()
            base._open.discard(page)  # type: ignore[arg-type]

    asyncio.run(scenario())
    return page.closed, layer.probes


def test_it_leaves_the_links_open_while_the_layer_answers(monkeypatch):
    assert _probe(["ok"], 5, monkeypatch)[0] is False


def test_it_closes_the_links_at_once_when_the_layer_refuses(monkeypatch):
    closed, probes = _probe(["refused"], 1, monkeypatch)
    assert closed and probes == 1


def test_it_leaves_the_links_open_when_a_busy_worker_s_probe_comes_back_late(monkeypatch):
    """Late, late, then answered: a busy worker, not an outage."""
    late = ["late"] * (base.PROBE_TIMEOUTS_TO_CLOSE - 1)
    assert _probe([*late, "ok", *late, "ok"], 2 * len(late) + 3, monkeypatch)[0] is False


def test_it_closes_the_links_when_the_probe_keeps_timing_out(monkeypatch):
    closed, probes = _probe(["late"], base.PROBE_TIMEOUTS_TO_CLOSE + 2, monkeypatch)
    assert closed and probes == base.PROBE_TIMEOUTS_TO_CLOSE
