"""Prometheus metrics for /metrics: one registry per bot, so tests can run several bots."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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

    def render(self) -> bytes:
        return generate_latest(self.registry)
