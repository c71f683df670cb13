"""The planner: one tick turns "what fell due since the last tick" into outbox rows.

SQL is the truth and APScheduler only the clock: a tick locks its state row (planners in several
processes take turns), reads the window (last run, now], asks each rule of `scheduler.rulebook`
for the rows that can fire in it (indexed queries), and inserts one outbox row per notice and
group chat with the key `<notice key>|<platform>:<chat>`. The key is unique, so a repeated window, a second process or a
restart cannot queue a notice twice; a tick that crashes rolls back and its window is re-planned.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Config
from bot.messages import PRIVATE_PREFIX, CardKind
from scheduler.calendar import WorkCalendar
from scheduler.reads import Reads
from scheduler.rulebook import RULES
from scheduler.rules import Facts, Notice
from storage import org, outbox, schedule

log = logging.getLogger(__name__)

STATE = "planner"
INSERT_CHUNK = 500


@dataclass(frozen=True)
class Upcoming:
    """A notice the scheduler will send: when, to whom (group names, people in private), what."""

    at: datetime
    to: tuple[str, ...]
    title: str


class Planner:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], config: Config, calendar: WorkCalendar,
                 clock: Clock) -> None:
        self.sessions = sessions
        self.config = config
        self.calendar = calendar
        self.clock = clock
        self._announced: set[int] = set()  # uncovered years this process has queued a notice for

    async def tick(self, now: datetime | None = None, replay: bool = False) -> int:
        """Plan the window up to `now`; returns how many outbox rows were queued.

        `replay` plans a fast-forward (`Scheduler.advance_to`): no catch-up limit, and a notice
        counts as live if it was live at its own moment, as it would have been had time passed.
        """
        now = now or self.clock.now()
        oldest = now - timedelta(hours=self.config.scheduler.catchup_hours)
        async with self.sessions() as session, session.begin():
            last = await schedule.lock_state(session, STATE, oldest)
            since = last if replay else max(last, oldest)
            if since >= now:
                return 0
            self.calendar.use_stored_overrides({o.day: o.workday for o in await schedule.overrides(session)})
            depts = {d.id: d for d in await schedule.departments(session)}
            facts = Facts(self.calendar, self.config.policy, since, now, depts)
            notices = await self._collect(session, facts)
            queued = await self._enqueue(session, notices, now, replay)
            await schedule.save_state(session, STATE, now)
        self._announced |= {n.message.data["year"] for n in notices if n.message.template == CardKind.CALENDAR_UNCOVERED}
        if queued:
            log.debug("planner queued %d notices for (%s, %s]", queued, since, now)
        return queued

    async def upcoming(self, until: datetime, now: datetime | None = None) -> list[Upcoming]:
        """What the scheduler will send after `now` up to `until`, as things stand: the notices its
        ticks would plan, planned here without being queued (the emulator's 即将发送 panel)."""
        now = now or self.clock.now()
        async with self.sessions() as session:
            self.calendar.use_stored_overrides({o.day: o.workday for o in await schedule.overrides(session)})
            depts = {d.id: d for d in await schedule.departments(session)}
            facts = Facts(self.calendar, self.config.policy, now, until, depts)
            notices = await self._collect(session, facts)
        people = {(p.platform, p.user_id): p.name for p in facts.people.values()}
        return sorted((Upcoming(n.fire_at, tuple(depts[d].name for d in n.dept_ids if d in depts)
                                + tuple(f"{people.get(p, p[1])}（私聊）" for p in n.private), n.message.title)
                       for n in notices if now < n.fire_at <= until), key=lambda u: (u.at, u.title))

    async def caught_up(self, now: datetime) -> None:
        """Mark everything up to `now` as planned, without planning it: after the demo has played
        its past (bot/platforms/local/demo_play.py), the first tick must not send it all again."""
        async with self.sessions() as session, session.begin():
            await schedule.lock_state(session, STATE, now)
            await schedule.save_state(session, STATE, now)

    async def _collect(self, session: AsyncSession, f: Facts) -> list[Notice]:
        reads = Reads(session, f, self._announced)
        loaded = [(rule, rows) for rule in RULES if (rows := await rule.load(reads))]
        if not loaded:
            return []  # the common tick: nothing falls due
        await reads.resolve()
        return [n for rule, rows in loaded for n in rule.fire(rows, f)]

    async def _enqueue(self, session: AsyncSession, notices: Iterable[Notice], now: datetime, replay: bool) -> int:
        live = [n for n in notices if n.expires_at is None or (n.fire_at if replay else now) < n.expires_at]
        chats = await org.chats_of(session, sorted({d for n in live for d in n.dept_ids}))
        by_dept: dict[int, list[tuple[str, str]]] = {}
        for chat in chats:
            by_dept.setdefault(chat.dept_id, []).append((chat.platform, chat.chat_id))
        rows: dict[str, dict[str, Any]] = {}
        for n in live:
            targets = dict.fromkeys([*(addr for d in n.dept_ids for addr in by_dept.get(d, ())),
                                     *((platform, f"{PRIVATE_PREFIX}{user}") for platform, user in n.private)])
            if not targets:
                log.warning("notice %s: no bound group chat for departments %s", n.key, n.dept_ids)
            payload = n.message.to_json()
            for platform, chat_id in targets:
                key = f"{n.key}|{platform}:{chat_id}"
                rows[key] = {"key": key, "platform": platform, "chat_id": chat_id, "kind": outbox.MERGEABLE,
                             "collab_id": n.collab_id, "payload": payload, "due_at": n.fire_at,
                             "scheduled_at": n.fire_at, "created_at": now}
        ordered = [rows[k] for k in sorted(rows)]  # one lock order for every process: no deadlocks
        queued = 0
        for i in range(0, len(ordered), INSERT_CHUNK):
            queued += await outbox.enqueue(session, ordered[i:i + INSERT_CHUNK])
        return queued

