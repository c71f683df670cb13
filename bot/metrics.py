"""Prometheus metrics for /metrics: one registry per bot, so tests can run several bots."""
from __future__ import annotations

import asyncio

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LAG_TICK = 0.025  # the loop-lag watch's timer (seconds)
LAG_BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter("xiezuo_events_total", "Inbound events by platform and outcome",
                              ["platform", "outcome"], registry=self.registry)
        self.latency = Histogram("xiezuo_handler_seconds", "Time to handle one event, by command", ["command"],
                                 buckets=(.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5),
                                 registry=self.registry)
        self.outbox_depth = Gauge("xiezuo_outbox_depth", "Outbox rows waiting to be sent", registry=self.registry)
        self.sent = Counter("xiezuo_outbox_sent_total", "Outbox rows by platform and result",
                            ["platform", "result"], registry=self.registry)
        self.loop_lag = Histogram("xiezuo_event_loop_lag_seconds",
                                  f"How late the event loop woke a {LAG_TICK * 1000:.0f} ms timer: what an ack waits "
                                  "for when the loop is busy", buckets=LAG_BUCKETS, registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def watch_loop(self) -> None:
        """Time a short sleep again and again: the overshoot is how long the loop was busy with
        something else (docs/performance.md, "Event loop lag")."""
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(LAG_TICK)
            self.loop_lag.observe(max(0.0, loop.time() - asked - LAG_TICK))
