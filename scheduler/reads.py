"""What one planner tick reads from SQL, each query at most once however many rules use it.

A rule's loader (scheduler/rulebook.py) asks a `Reads` for the rows that can fire in the tick's
window: bounded, indexed queries keyed by the window's anchor dates (docs/scheduler.md). The rows
a notice may name or @mention are kept as they are read, so that the planner loads the
collaborations and people they point at in two queries after every rule has loaded, and only on a
tick where something can fire.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler import rules
from scheduler.rules import Facts
from storage import baselines, schedule, workflow
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

#: How far ahead the holiday data must reach before the admins are told it is missing.
COVERAGE_LOOKAHEAD = timedelta(days=45)
#: Longest meeting a `/meeting` may schedule (minutes), bounding the meeting query's window.
LONGEST_MEETING = timedelta(minutes=480)
#: A kickoff deadline on a holiday moves to the next working day: the longest break is ~10 days.
KICKOFF_LOOKBACK = timedelta(days=10)

T = TypeVar("T")


def _once(load: Callable[[Reads], Awaitable[T]]) -> Callable[[Reads], Awaitable[T]]:
    """A read several rules share runs once per tick."""
    async def shared(reads: Reads) -> T:
        if load.__name__ not in reads._done:
            reads._done[load.__name__] = await load(reads)
        return cast(T, reads._done[load.__name__])
    shared.__name__ = load.__name__
    return shared


@dataclass(frozen=True)
class Lagging:
    """Tasks past their due date, and the open tasks each one holds up."""

    tasks: Sequence[Task]
    held: dict[int, list[Task]]


@dataclass(frozen=True)
class UpstreamLate:
    """Tasks that turned late today with tasks waiting on them, and those collaborations' plans."""

    late: Sequence[Task]
    plans: Sequence[Task]
    graph: dict[int, set[int]]


@dataclass(frozen=True)
class Kickoffs:
    collabs: Sequence[Collaboration]
    dept_lists: dict[int, list[int]]


@dataclass(frozen=True)
class Weekly:
    """Executing collaborations at a weekly prompt, chase, escalation or sync time."""

    pairs: Sequence[tuple[Collaboration, Participant]]
    collabs: dict[int, Collaboration]
    reports: Sequence[ProgressReport]
    counts: dict[int, dict[str, int]]
    plans: rules.Plans
    dept_lists: dict[int, list[int]]


class Reads:
    def __init__(self, session: AsyncSession, facts: Facts, announced: set[int]) -> None:
        self.session = session
        self.facts = facts
        self.announced = announced  # uncovered years this process has already told the admins about
        self._done: dict[str, Any] = {}
        self._named: list[Any] = []

    @_once
    async def tasks_due(self) -> Sequence[Task]:
        """Open tasks of executing collaborations whose due-soon, due-today or lag notice may fire."""
        p = self.facts.policy
        soon = {-p.due_soon_working_days, -p.milestone_warning_working_days}
        lag = {p.lag_report_working_days + 1, p.lag_alert_working_days + 1}
        return self._name(await schedule.tasks_due_in(self.session, self._ranges((*soon, 0, *lag, 1))))

    @_once
    async def lagging(self) -> Lagging | None:
        tasks = await self.tasks_due()
        today = self._today()
        overdue = [t for t in tasks if t.due_date < max(today, default=t.due_date)]
        return Lagging(tasks, await schedule.held_up_by(self.session, [t.id for t in overdue])) if tasks else None

    @_once
    async def upstream_late(self) -> UpstreamLate | None:
        today = self._today()
        late = [t for t in await self.tasks_due() if self.facts.calendar.fire_day(t.due_date, 1) in today]
        waiting = await schedule.successors(self.session, [t.id for t in late])
        late = [t for t in late if t.id in waiting]
        if not late:
            return None
        plans, graph = await schedule.collab_plans(self.session, {t.collab_id for t in late})
        return UpstreamLate(late, self._name(plans), graph)

    @_once
    async def rework_due(self) -> Sequence[Task]:
        return self._name(await schedule.rework_due_in(self.session, self._ranges((0,))))

    @_once
    async def actions_due(self) -> Sequence[ActionItem]:
        offsets = (-self.facts.policy.action_due_soon_working_days, 1)
        return self._name(await schedule.actions_due_in(self.session, self._ranges(offsets)))

    @_once
    async def evaluations_due(self) -> Sequence[Evaluation]:
        offsets = (-self.facts.policy.evaluation_remind_working_days_left, 1)
        return self._name(await schedule.pending_evaluations(self.session, self._ranges(offsets)))

    @_once
    async def kickoffs(self) -> Kickoffs | None:
        f = self.facts
        collabs = await schedule.approved_without_kickoff(
            self.session, f.since - KICKOFF_LOOKBACK - timedelta(hours=f.policy.kickoff_within_hours), f.now)
        return Kickoffs(self._name(collabs), await self._dept_lists(c.id for c in collabs)) if collabs else None

    @_once
    async def meetings(self) -> Sequence[Meeting]:
        f, p = self.facts, self.facts.policy
        return self._name(await schedule.meetings_starting(
            self.session, f.since - LONGEST_MEETING - timedelta(hours=p.minutes_due_hours),
            f.now + timedelta(days=p.agenda_days_before, minutes=p.meeting_soon_minutes)))

    @_once
    async def problems_due(self) -> Sequence[Problem]:
        p = self.facts.policy
        offsets = (p.problem_pmo_working_days, p.problem_leadership_working_days)
        return self._name(await schedule.problems_planned_in(self.session, self._ranges(offsets)))

    @_once
    async def retros_due(self) -> Sequence[Collaboration]:
        if not self.facts.fire_days(self.facts.policy.notice_time):
            return []
        return self._name(await schedule.accepted_without_retro(self.session))

    @_once
    async def weekly(self) -> Weekly | None:
        if not self._weekly_due():
            return None
        f, p = self.facts, self.facts.policy
        pairs = await schedule.executing_participants(self.session)
        if not pairs:
            return None
        self._name([x for pair in pairs for x in pair])
        collabs = {c.id: c for c, _ in pairs}
        weeks = {rules.week_of(d) + timedelta(days=k) for d in f.window_days() for k in (0, -7)}
        reports = [r for w in sorted(weeks) for r in await schedule.reports_of_week(self.session, w)]
        counts = await schedule.task_counts(self.session, set(collabs))
        sync_days = rules.weekly_days(f)[1]
        plans = rules.Plans()
        if any(d in sync_days for d in f.fire_days(p.weekly_sync_time)):
            plans = await self._plans(list(collabs), with_standing=p.pmo_weekly_digest)
        return Weekly(pairs, collabs, reports, counts, plans, await self._dept_lists(collabs))

    @_once
    async def digest(self) -> Sequence[Task]:
        p = self.facts.policy
        days = self.facts.fire_days(p.daily_digest_time) if p.daily_digest else []
        if not days:
            return []
        last = self.facts.calendar.add_workdays(max(days), p.due_soon_working_days)
        return self._name(await schedule.tasks_open_due_by(self.session, last))

    @_once
    async def uncovered_years(self) -> list[int]:
        """Years the window or the coming weeks reach that the holiday data does not cover."""
        f = self.facts
        years = {y for y in (f.now.year, (f.now + COVERAGE_LOOKAHEAD).year) if not f.calendar.covers(y)}
        return sorted((years | f.calendar.uncovered_years) - self.announced)

    async def resolve(self) -> None:
        """Load the collaborations and people the rows read so far point at, into the facts."""
        f = self.facts
        f.collabs = {r.id: r for r in self._named if isinstance(r, Collaboration)}
        wanted = {r.collab_id for r in self._named if isinstance(getattr(r, "collab_id", None), int)}
        f.collabs |= await schedule.collabs(self.session, wanted - set(f.collabs))
        f.people = {p.id: p for p in await schedule.heads_and_admins(self.session)}
        f.people |= await schedule.people(self.session, _person_ids([*self._named, *f.collabs.values()]) - set(f.people))

    def _name(self, rows: Sequence[T]) -> Sequence[T]:
        """Keep rows whose notices name a collaboration or @mention someone; returns them."""
        self._named.extend(rows)
        return rows

    def _ranges(self, offsets: Iterable[int]) -> list[tuple[Any, Any]]:
        """Anchor-date ranges whose notices with these working-day offsets fire in the window."""
        when = self.facts.policy.notice_time
        return [r for o in sorted(set(offsets)) for r in self.facts.anchor_ranges(o, when)]

    def _today(self) -> set[Any]:
        return set(self.facts.fire_days(self.facts.policy.notice_time))

    def _weekly_due(self) -> bool:
        """Whether a weekly prompt, chase, escalation or sync time lies in the window."""
        f, p = self.facts, self.facts.policy
        report_days, sync_days = rules.weekly_days(f)
        return (any(d in report_days for t in (p.weekly_report_prompt_time, p.weekly_report_due_time)
                    for d in f.fire_days(t))
                or any(d in sync_days for t in (p.weekly_report_escalate_time, p.weekly_sync_time)
                       for d in f.fire_days(t)))

    async def _plans(self, collab_ids: list[int], with_standing: bool) -> rules.Plans:
        """The plans the weekly sync's curves and the PMO's weekly digest are drawn from."""
        s = self.session
        return rules.Plans(await workflow.plan_rows(s, collab_ids),
                           await baselines.original_dues_of(s, collab_ids),
                           await workflow.rows_by_collab(s, Problem, collab_ids) if with_standing else {},
                           await workflow.rows_by_collab(s, Risk, collab_ids) if with_standing else {})

    async def _dept_lists(self, collab_ids: Iterable[int]) -> dict[int, list[int]]:
        """collab id → its departments: initiating, lead, then participants."""
        found = await schedule.collab_departments(self.session, set(collab_ids))
        return {cid: list(dict.fromkeys(ids)) for cid, ids in found.items()}


def _person_ids(rows: Sequence[Any]) -> set[int]:
    """Everyone a notice about these rows may @mention."""
    names = ("owner_person_id", "owner_id", "contact_id", "initiator_id")
    return {v for r in rows for n in names if isinstance(v := getattr(r, n, None), int)}
