"""APScheduler as the clock, in the manner of python-telegram-bot's JobQueue.

The jobs hold no state of their own: each one runs a planner tick, which reads what fell due
from SQL. The interval job catches everything within `tick_seconds`; cron jobs at the policy's
weekly and daily times make those rhythms land on the minute. Every job has an explicit id with
`replace_existing`, coalesces missed runs into one, tolerates `misfire_grace_seconds` of delay,
and a listener logs missed or failed runs (a missed run loses nothing: the next tick's window
starts where the last successful one ended).

Tests and the local emulator drive time themselves: `advance_to(when)` moves a `FixedClock`,
plans the span in one replaying tick and delivers moment by moment, so "fast forward to Friday
17:00" delivers the same notices, in the same order, as waiting would.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.aio import cancel_and_wait
from bot.clock import Clock, FixedClock
from bot.config import Config
from bot.outbox import Dispatcher
from scheduler.planner import Planner
from storage import outbox

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Scheduler:
    def __init__(self, planner: Planner, dispatcher: Dispatcher, config: Config, clock: Clock) -> None:
        self._running: set[asyncio.Task[Any]] = set()
        self.planner = planner
        self.dispatcher = dispatcher
        self.config = config
        self.clock = clock
        self.zone = ZoneInfo(config.policy.timezone)
        self.aps = AsyncIOScheduler(timezone=self.zone, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": config.scheduler.misfire_grace_seconds})
        self.aps.add_listener(self._on_trouble, EVENT_JOB_MISSED | EVENT_JOB_ERROR)

    def start(self) -> None:
        """Register the jobs and start the clock (needs the running event loop)."""
        for job_id, trigger in self.triggers().items():
            self.aps.add_job(self.tick, trigger, id=job_id, name=job_id, replace_existing=True)
        self.aps.add_job(self.tick, id="planner:startup", name="planner:startup", replace_existing=True)
        self.aps.start()

    async def shutdown(self, grace_seconds: float = 5.0) -> None:
        """Stop the clock and let a tick in progress finish, before the caller closes the database.

        A tick cut off by a closed engine would wait forever on a connection thread that is gone.
        """
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace_seconds)
            await cancel_and_wait(*self._running)

    def triggers(self) -> dict[str, IntervalTrigger | CronTrigger]:
        """Job id → trigger: the planner interval plus a cron per policy rhythm."""
        p = self.config.policy
        weekly = {"weekly:report-prompt": (p.weekly_report_weekday, p.weekly_report_prompt_time),
                  "weekly:report-due": (p.weekly_report_weekday, p.weekly_report_due_time),
                  "weekly:report-escalate": (p.weekly_sync_weekday, p.weekly_report_escalate_time),
                  "weekly:sync": (p.weekly_sync_weekday, p.weekly_sync_time)}
        out: dict[str, IntervalTrigger | CronTrigger] = {
            "planner": IntervalTrigger(seconds=self.config.scheduler.tick_seconds, timezone=self.zone)}
        for job_id, (weekday, hhmm) in weekly.items():
            at = time.fromisoformat(hhmm)
            out[job_id] = CronTrigger(day_of_week=DAYS[weekday], hour=at.hour, minute=at.minute, timezone=self.zone)
        daily = {"daily:notices": p.notice_time} | ({"daily:digest": p.daily_digest_time} if p.daily_digest else {})
        for job_id, hhmm in daily.items():
            at = time.fromisoformat(hhmm)
            out[job_id] = CronTrigger(hour=at.hour, minute=at.minute, timezone=self.zone)
        return out

    async def tick(self) -> int:
        """One planner run at the injected clock's time; wakes the dispatcher when it queued work."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            queued = await self.planner.tick(self.clock.now())
        finally:
            self._running.discard(task)
        if queued:
            self.dispatcher.wake()
        return queued

    async def advance_to(self, when: datetime) -> int:
        """Fast-forward a `FixedClock` to `when` and deliver what would have arrived meanwhile.

        One replaying planner tick plans the whole span; then the clock visits each moment a
        notice was due and the dispatcher sends what is due by then, so notices arrive in the
        same order and with the same merging as if the time had passed. Returns the rows sent.
        """
        if not isinstance(self.clock, FixedClock):
            raise TypeError("advance_to needs the bot to run on a FixedClock")
        await self.planner.tick(when, replay=True)
        sent = 0
        for moment in await self._due_moments(when):
            self.clock.set(max(moment, self.clock.now()))
            sent += await self.dispatcher.drain()
        self.clock.set(max(when, self.clock.now()))
        return sent + await self.dispatcher.drain()

    async def _due_moments(self, until: datetime) -> list[datetime]:
        async with self.planner.sessions() as session:
            return await outbox.due_moments(session, until)

    def _on_trouble(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            log.warning("scheduler job %s missed its run at %s; the next tick catches up",
                        event.job_id, event.scheduled_run_time)
        else:
            log.error("scheduler job %s failed", event.job_id, exc_info=event.exception)
