"""bot/metrics.py: the event loop's lag as serve sees it (`xiezuo_event_loop_lag_seconds`)."""
from __future__ import annotations

import asyncio
import time

from bot.aio import cancel_and_wait
from bot.metrics import Metrics


def lag_buckets(metrics: Metrics) -> dict[str, float]:
    return {s.labels["le"]: s.value for m in metrics.registry.collect() for s in m.samples
            if s.name == "xiezuo_event_loop_lag_seconds_bucket"}


async def test_a_blocked_loop_shows_as_lag_and_a_free_one_does_not() -> None:
    metrics = Metrics()
    watch = asyncio.create_task(metrics.watch_loop())
    await asyncio.sleep(0.2)  # a free loop: every tick on time
    free = lag_buckets(metrics)
    assert free["+Inf"] >= 4 and free["0.01"] == free["+Inf"]
    time.sleep(0.12)  # a handler that does not yield, e.g. a long synchronous stretch
    await asyncio.sleep(0.06)
    await cancel_and_wait(watch)
    blocked = lag_buckets(metrics)
    assert blocked["0.05"] < blocked["+Inf"] and blocked["0.25"] == blocked["+Inf"]  # one tick 50–250 ms late
