"""The planner: one tick turns "what fell due since the last tick" into outbox rows.

SQL is the truth and APScheduler only the clock: a tick locks its state row (planners in several
processes take turns), reads the window (last run, now], asks each rule's indexed query for the
rows that can fire in it, and inserts one outbox row per notice and group chat with the key
`<notice key>|<platform>:<chat>`. The key is unique, so a repeated window, a second process or a
restart cannot queue a notice twice; a tick that crashes rolls back and its window is re-planned.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Config
from bot.messages import PRIVATE_PREFIX, CardKind
from scheduler import rules
from scheduler.calendar import WorkCalendar
from scheduler.rules import Facts, Notice
from storage import baselines, org, outbox, schedule, workflow
from storage.models import (
    ActionItem,
    Collaboration,
    Evaluation,
    Meeting,
    Participant,
    Problem,
    ProgressReport,
    Risk,
    Task,
)

log = logging.getLogger(__name__)

STATE = "planner"
#: How far ahead the holiday data must reach before the admins are told it is missing.
COVERAGE_LOOKAHEAD = timedelta(days=45)
#: Longest meeting a `/meeting` may schedule (minutes), bounding the meeting query's window.
LONGEST_MEETING = timedelta(minutes=480)
INSERT_CHUNK = 500
#: A kickoff deadline on a holiday moves to the next working day: the longest break is ~10 days.
KICKOFF_LOOKBACK = timedelta(days=10)


@dataclass
class _Due:
    """What one tick read: the rows each rule looks at."""

    tasks: Sequence[Task] = ()
    rework: Sequence[Task] = ()
    actions: Sequence[ActionItem] = ()
    evaluations: Sequence[Evaluation] = ()
    kickoffs: Sequence[Collaboration] = ()
    meetings: Sequence[Meeting] = ()
    problems: Sequence[Problem] = ()
    retros: Sequence[Collaboration] = ()
    pairs: Sequence[tuple[Collaboration, Participant]] = ()
    weekly_collabs: dict[int, Collaboration] = field(default_factory=dict)
    reports: Sequence[ProgressReport] = ()
    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    weekly_plans: rules.Plans = field(default_factory=rules.Plans)
    digest_tasks: Sequence[Task] = ()
    late: Sequence[Task] = ()
    plans: Sequence[Task] = ()
    graph: dict[int, set[int]] = field(default_factory=dict)
    held: dict[int, list[Task]] = field(default_factory=dict)  # late task → the open tasks waiting for it
    dept_lists: dict[int, list[int]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.tasks or self.rework or self.actions or self.evaluations or self.kickoffs or self.meetings or self.problems
                    or self.retros or self.pairs or self.digest_tasks)


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
            log.info("planner queued %d notices for (%s, %s]", queued, since, now)
        return queued

    async def _collect(self, session: AsyncSession, f: Facts) -> list[Notice]:
        due = await self._read(session, f)
        uncovered = {y for y in {f.now.year, (f.now + COVERAGE_LOOKAHEAD).year} if not self.calendar.covers(y)}
        uncovered = (uncovered | self.calendar.uncovered_years) - self._announced
        if due.empty() and not uncovered:
            return []  # the common tick: nothing falls due
        await self._resolve(session, due, f)
        return [
            *rules.due_soon(due.tasks, f), *rules.due_today(due.tasks, f), *rules.lag_ladder(due.tasks, due.held, f),
            *rules.upstream_late(due.late, due.plans, due.graph, f), *rules.rework_due(due.rework, f),
            *rules.action_items(due.actions, f),
            *rules.evaluation_sla(due.evaluations, f), *rules.kickoff(due.kickoffs, due.dept_lists, f),
            *rules.meetings(due.meetings, f), *rules.weekly_reports(due.pairs, due.reports, f),
            *rules.weekly_sync(due.weekly_collabs.values(), due.dept_lists, due.reports, due.counts, due.weekly_plans, f),
            *rules.pmo_weekly(due.weekly_collabs.values(), due.weekly_plans, f),
            *rules.problems(due.problems, f), *rules.retrospective_due(due.retros, f),
            *rules.daily_digest(due.digest_tasks, f), *rules.calendar_uncovered(uncovered, f),
        ]

    async def _read(self, session: AsyncSession, f: Facts) -> _Due:
        """Each rule's rows that can fire in the window, by bounded, indexed queries."""
        p, at = self.config.policy, self.config.policy.notice_time
        soon = {-p.due_soon_working_days, -p.milestone_warning_working_days}
        lag = {p.lag_report_working_days + 1, p.lag_alert_working_days + 1}
        due = _Due()
        due.tasks = await schedule.tasks_due_in(session, _ranges(f, (*soon, 0, *lag, 1), at))
        due.rework = await schedule.rework_due_in(session, f.anchor_ranges(0, at))
        due.actions = await schedule.actions_due_in(session, _ranges(f, (-p.action_due_soon_working_days, 1), at))
        due.evaluations = await schedule.pending_evaluations(
            session, _ranges(f, (-p.evaluation_remind_working_days_left, 1), at))
        due.kickoffs = await schedule.approved_without_kickoff(
            session, f.since - KICKOFF_LOOKBACK - timedelta(hours=p.kickoff_within_hours), f.now)
        due.meetings = await schedule.meetings_starting(
            session, f.since - LONGEST_MEETING - timedelta(hours=p.minutes_due_hours),
            f.now + timedelta(days=p.agenda_days_before, minutes=p.meeting_soon_minutes))
        due.problems = await schedule.problems_planned_in(
            session, _ranges(f, (p.problem_pmo_working_days, p.problem_leadership_working_days), at))
        due.retros = await schedule.accepted_without_retro(session) if f.fire_days(at) else []
        if self._weekly_due(f):
            due.pairs = await schedule.executing_participants(session)
            due.weekly_collabs = {c.id: c for c, _ in due.pairs}
            weeks = {rules.week_of(d) + timedelta(days=k) for d in f.window_days() for k in (0, -7)}
            due.reports = [r for w in sorted(weeks) for r in await schedule.reports_of_week(session, w)]
            due.counts = await schedule.task_counts(session, set(due.weekly_collabs))
            sync_days = rules.weekly_days(f)[1]
            if any(d in sync_days for d in f.fire_days(p.weekly_sync_time)):
                due.weekly_plans = await _plans(session, list(due.weekly_collabs), with_standing=p.pmo_weekly_digest)
        digest_days = f.fire_days(p.daily_digest_time) if p.daily_digest else []
        if digest_days:
            due.digest_tasks = await schedule.tasks_open_due_by(
                session, self.calendar.add_workdays(max(digest_days), p.due_soon_working_days))
        today = set(f.fire_days(at))
        late = [t for t in due.tasks if self.calendar.fire_day(t.due_date, 1) in today]
        waiting = await schedule.successors(session, [t.id for t in late])
        overdue = [t for t in due.tasks if t.due_date < max(today, default=t.due_date)]
        due.held = await schedule.held_up_by(session, [t.id for t in overdue])
        due.late = [t for t in late if t.id in waiting]
        due.plans, due.graph = await schedule.collab_plans(session, {t.collab_id for t in due.late})
        return due

    async def _resolve(self, session: AsyncSession, due: _Due, f: Facts) -> None:
        """Load the collaborations, departments and people the notices will name and @mention."""
        items: list[Evaluation | Meeting | Problem | ActionItem] = [*due.evaluations, *due.meetings, *due.problems,
                                                                    *due.actions]
        collab_ids = ({t.collab_id for t in (*due.tasks, *due.rework, *due.digest_tasks)}
                      | {x.collab_id for x in items})
        f.collabs = {c.id: c for c in (*due.kickoffs, *due.retros)} | due.weekly_collabs
        f.collabs |= await schedule.collabs(session, collab_ids - set(f.collabs))
        due.dept_lists = await _dept_lists(session, {c.id for c in due.kickoffs} | set(due.weekly_collabs))
        f.people = {p.id: p for p in await schedule.heads_and_admins(session)}
        f.people |= await schedule.people(session, _person_ids(
            (*due.tasks, *due.plans, *due.rework, *due.actions, *due.digest_tasks, *due.evaluations, *due.meetings,
             *due.problems,
             *f.collabs.values(), *(part for _, part in due.pairs))) - set(f.people))

    def _weekly_due(self, f: Facts) -> bool:
        """Whether a weekly prompt, chase, escalation or sync time lies in the window."""
        p = self.config.policy
        report_days, sync_days = rules.weekly_days(f)
        return (any(d in report_days for t in (p.weekly_report_prompt_time, p.weekly_report_due_time)
                    for d in f.fire_days(t))
                or any(d in sync_days for t in (p.weekly_report_escalate_time, p.weekly_sync_time)
                       for d in f.fire_days(t)))

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


async def _plans(session: AsyncSession, collab_ids: list[int], with_standing: bool) -> rules.Plans:
    """The plans the weekly sync's curves and the PMO's weekly digest are drawn from."""
    return rules.Plans(await workflow.rows_by_collab(session, Task, collab_ids),
                       await baselines.original_dues_of(session, collab_ids),
                       await workflow.rows_by_collab(session, Problem, collab_ids) if with_standing else {},
                       await workflow.rows_by_collab(session, Risk, collab_ids) if with_standing else {})


def _ranges(f: Facts, offsets: Iterable[int], when: str) -> list[tuple[Any, Any]]:
    return [r for o in sorted(set(offsets)) for r in f.anchor_ranges(o, when)]


def _person_ids(rows: Sequence[Any]) -> set[int]:
    """Everyone a notice about these rows may @mention."""
    names = ("owner_person_id", "owner_id", "contact_id", "initiator_id")
    return {v for r in rows for n in names if isinstance(v := getattr(r, n, None), int)}


async def _dept_lists(session: AsyncSession, collab_ids: set[int]) -> dict[int, list[int]]:
    """collab id → its departments: initiating, lead, then participants."""
    found = await schedule.collab_departments(session, collab_ids)
    return {cid: list(dict.fromkeys(ids)) for cid, ids in found.items()}
