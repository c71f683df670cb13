"""Garbage-collector setting for the long-running bot process.

A full (generation 2) collection walks every tracked object. Once the bot has started, most of
them live as long as the process: modules, SQLAlchemy's mappers and statement caches, compiled
templates, the SDKs. Each full collection then stopped the event loop for 20–60 ms, the largest
single cause of tail latency in bench/router_bench.py. Freezing what exists after start-up moves
it into a permanent generation that collections skip; what handling events creates later is
still collected as usual.
"""
from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Collect start-up garbage once, then exempt everything still alive from later collections."""
    gc.collect()
    gc.freeze()
