"""The bot runtime: database, router, outbox dispatcher and senders, started and stopped as one."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

from bot.aio import cancel_and_wait
from bot.clock import Clock, SystemClock
from bot.commands import Registry
from bot.config import Config
from bot.events import Event
from bot.inbox_replay import unfinished_events
from bot.indexer import Indexer
from bot.metrics import Metrics
from bot.outbox import Dispatcher, Sender
from bot.pipeline import Ack, Pipeline
from bot.platforms.ratelimit import SlidingWindow
from bot.router import Outcome, Router
from bot.seed import apply_config
from cards import render
from handlers import build_registry
from scheduler.calendar import WorkCalendar
from scheduler.planner import Planner
from scheduler.service import Scheduler
from storage import migrate, outbox, processes, schedule
from storage.db import is_migrated, make_engine, make_sessionmaker
from storage.wal_checkpoint import WalCheckpointer

log = logging.getLogger(__name__)


class AppLimits:
    """The platforms' app-wide send limits (Feishu 50/s per app), split between the processes
    alive (docs/reliability.md, "Several processes"): each paces its sends to its share."""

    def __init__(self) -> None:
        self._windows: list[tuple[SlidingWindow, int]] = []
        self.processes = 1

    def add(self, window: SlidingWindow) -> None:
        """An adapter's app-wide window, at its full limit."""
        self._windows.append((window, window.limit))
        window.limit = max(1, window.limit // self.processes)

    def split(self, processes: int) -> None:
        self.processes = max(1, processes)
        for window, full in self._windows:
            window.limit = max(1, full // self.processes)


class Bot:
    def __init__(self, config: Config, clock: Clock | None = None, calendar: WorkCalendar | None = None,
                 registry: Registry | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.calendar = calendar or WorkCalendar(config.calendar.overrides())
        self.metrics = Metrics()
        self.engine = make_engine(config.database.url, config.database.echo)
        self.sessions = make_sessionmaker(self.engine)
        self.registry = registry or build_registry()
        self.router = Router(self.registry, self.sessions, config, self.calendar, self.clock, self.metrics)
        self.senders: dict[str, Sender] = {}
        sched = config.scheduler
        self.dispatcher = Dispatcher(self.sessions, self.senders, self.clock, self.metrics, batch=sched.dispatch_batch,
                                     max_attempts=sched.max_attempts, digest_max=sched.digest_max_items,
                                     lease=timedelta(seconds=sched.lease_seconds),
                                     settle_seconds=sched.dispatch_settle_ms / 1000,
                                     render_patience=sched.render_patience_ms / 1000)
        self.indexer = Indexer(self.sessions)
        self.pipeline = Pipeline(self.router, self.dispatcher, sched.event_workers, self.indexer)
        self.planner = Planner(self.sessions, config, self.calendar, self.clock)
        self.scheduler = Scheduler(self.planner, self.dispatcher, config, self.clock)
        self._tasks: list[asyncio.Task[None]] = []
        self.process_id = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.app_limits = AppLimits()

    def add_sender(self, platform: str, sender: Sender) -> None:
        self.senders[platform] = sender

    async def prepare_database(self, upgrade: bool | None = None) -> None:
        """Create or upgrade the schema (always for SQLite; PostgreSQL only when empty or asked)."""
        if upgrade is None:
            upgrade = (self.engine.dialect.name == "sqlite" or not await is_migrated(self.engine)) \
                and not await migrate.at_head(self.engine)
        if upgrade:
            await migrate.upgrade(self.engine)
        async with self.sessions() as session, session.begin():
            await apply_config(session, self.config, self.clock.now())
            self.calendar.use_stored_overrides({o.day: o.workday for o in await schedule.overrides(session)})

    async def dispatch(self, event: Event, ack: Ack | None = None, answer_within: float | None = None) -> Outcome:
        """The one way in for every platform (bot/pipeline.py): claim `event` durably, `ack` the
        platform, run it, answer a click inline (within `answer_within` s) or through the outbox,
        and wake the dispatcher. Without `ack`, the event is claimed and run in one transaction."""
        return await self.pipeline.dispatch(event, ack, answer_within)

    async def accept(self, event: Event, answer_within: float | None = None) -> Outcome | None:
        """`dispatch` for an adapter that must answer its platform first: returns the answer (a
        click's inline outcome, or None once the event is safely claimed); the work goes on."""
        return await self.pipeline.accept(event, answer_within)

    async def resume_unfinished(self, statuses: tuple[str, ...] = ("pending",)) -> int:
        """Re-run events that were acked but not finished: when the last process stopped
        (`pending`, at start-up), or whose work failed (`failed`, every `event_retry_seconds`)."""
        events = await unfinished_events(self.sessions, statuses)
        for event in events:
            await self.router.process(event)
        if events:
            self.dispatcher.wake()
        return len(events)

    async def _retry_failed_events(self) -> None:
        while True:
            await asyncio.sleep(self.config.scheduler.event_retry_seconds)
            try:
                await self.resume_unfinished(("failed",))
            except Exception:
                log.exception("retrying failed events")

    async def start(self) -> None:
        await self.prepare_database()
        await self.beat()  # its share of the app-wide limits before its first send
        await self.resume_unfinished()
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="heartbeat"))
        self._tasks.append(asyncio.create_task(self.dispatcher.run_forever(), name="outbox"))
        self._tasks.append(asyncio.create_task(self.indexer.run_forever(), name="kb-indexer"))
        self._tasks.append(asyncio.create_task(self._gauge_outbox(), name="outbox-gauge"))
        self._tasks.append(asyncio.create_task(self.metrics.watch_loop(), name="loop-lag"))
        self._tasks.append(asyncio.create_task(self._retry_failed_events(), name="event-retry"))
        self._tasks.append(asyncio.create_task(WalCheckpointer(self.engine).run(), name="wal-checkpoint"))
        if self.config.scheduler.enabled:
            self.scheduler.start()

    async def stop_sending(self) -> None:
        """Finish the events already acked, then stop the clock and the background loops,
        delivery among them. Call it before the platform clients close: a send racing their
        shutdown would open a new connection pool. What is still queued stays in the outbox for
        the next start."""
        await self.pipeline.close()
        await self.scheduler.shutdown()
        await cancel_and_wait(*self._tasks)
        self._tasks.clear()
        await self.dispatcher.close()
        try:
            async with self.sessions() as session, session.begin():
                await processes.leave(session, self.process_id)
        except Exception as exc:  # its row lapses by itself
            log.warning("could not sign off: %r", exc)

    def warm_renderer(self) -> None:
        """Start the chart worker in the background (`serve`): the first report need not wait."""
        async def warm() -> None:
            try:
                await render.warm()
            except Exception as exc:  # the first report starts it again
                log.warning("chart worker did not start: %r", exc)
        self._tasks.append(asyncio.create_task(warm(), name="render-warm"))

    async def stop(self) -> None:
        await self.stop_sending()
        render.shutdown()  # the chart worker, if a report started it
        await self.engine.dispose()

    async def beat(self) -> int:
        """Say this process is alive and take its share of the app-wide limits; returns how many
        processes are alive."""
        every = self.config.scheduler.heartbeat_seconds
        async with self.sessions() as session, session.begin():
            live = await processes.beat(session, self.process_id, self.clock.now(), timedelta(seconds=3 * every))
        if live != self.app_limits.processes:
            log.log(logging.INFO if live > 1 or self.app_limits.processes > 1 else logging.DEBUG,
                    "%d bot process(es) alive: app-wide send limits split %d ways", live, live)
        self.app_limits.split(live)
        return live

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.config.scheduler.heartbeat_seconds)
            try:
                await self.beat()
            except Exception:
                log.exception("heartbeat failed")

    async def _gauge_outbox(self) -> None:
        while True:
            try:
                async with self.sessions() as session:
                    self.metrics.outbox_depth.set(await outbox.depth(session))
            except Exception:
                log.exception("outbox gauge failed")
            await asyncio.sleep(5)
