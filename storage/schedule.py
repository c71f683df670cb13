"""The scheduler's SQL: planner state, calendar overrides, and the indexed "what falls due" queries.

Every query is bounded by the planner's window: a range of due dates (or start instants) that fire
in this tick, so a tick touches only the rows that are due, never every open task.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import changed
from storage.models import (
    ActionItem,
    CalendarOverride,
    Collaboration,
    Department,
    Evaluation,
    Meeting,
    Participant,
    Person,
    Problem,
    ProgressReport,
    Retrospective,
    SchedulerState,
    Stage,
    Task,
    TaskDependency,
    TaskState,
)
from storage.upsert import insert_ignore

DateRange = tuple[date, date]
#: Tasks the owner still has to finish (待验收 waits on the initiator, not the owner).
CHASED_TASK_STATES = (TaskState.TODO, TaskState.DOING, TaskState.DELAYED, TaskState.BLOCKED)


async def lock_state(session: AsyncSession, name: str, default: datetime) -> datetime:
    """The job's last run, row-locked so planners in several processes take turns."""
    await insert_ignore(session, SchedulerState, [{"name": name, "last_run_at": default}], ["name"])
    stmt = select(SchedulerState).where(SchedulerState.name == name)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    assert row is not None
    return row.last_run_at


async def save_state(session: AsyncSession, name: str, when: datetime) -> None:
    row = await session.get(SchedulerState, name)
    assert row is not None
    row.last_run_at = max(row.last_run_at, when)


async def overrides(session: AsyncSession) -> Sequence[CalendarOverride]:
    return (await session.scalars(select(CalendarOverride).order_by(CalendarOverride.day))).all()


async def set_override(session: AsyncSession, day: date, workday: bool, note: str, by: int | None,
                       now: datetime) -> None:
    row = await session.get(CalendarOverride, day)
    if row is None:
        session.add(CalendarOverride(day=day, workday=workday, note=note, created_by=by, created_at=now))
    else:
        row.workday, row.note, row.created_by, row.created_at = workday, note, by, now
    await session.flush()


async def remove_override(session: AsyncSession, day: date) -> bool:
    result = await session.execute(delete(CalendarOverride).where(CalendarOverride.day == day))
    return bool(changed(result))


async def departments(session: AsyncSession) -> Sequence[Department]:
    return (await session.scalars(select(Department).order_by(Department.id))).all()


async def heads_and_admins(session: AsyncSession) -> Sequence[Person]:
    """Everyone with a role: heads, admins and leaders (whom notices @mention by role)."""
    return (await session.scalars(select(Person).where(or_(Person.is_head.is_(True), Person.is_admin.is_(True),
                                                           Person.is_leader.is_(True)))
                                  .order_by(Person.id))).all()


async def people(session: AsyncSession, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(sorted(ids))))).all()}


async def collabs(session: AsyncSession, ids: set[int]) -> dict[int, Collaboration]:
    if not ids:
        return {}
    rows = await session.scalars(select(Collaboration).where(Collaboration.id.in_(sorted(ids))))
    return {c.id: c for c in rows.all()}


def _in_ranges(column, ranges: Sequence[DateRange]):  # type: ignore[no-untyped-def]
    return or_(*(column.between(lo, hi) for lo, hi in ranges))


async def tasks_due_in(session: AsyncSession, ranges: Sequence[DateRange]) -> Sequence[Task]:
    """Open tasks of executing collaborations whose due date lies in one of `ranges`."""
    if not ranges:
        return []
    stmt = (select(Task).join(Collaboration, Collaboration.id == Task.collab_id)
            .where(Task.status.in_(CHASED_TASK_STATES), _in_ranges(Task.due_date, ranges),
                   Collaboration.stage == Stage.EXECUTING).order_by(Task.id))
    return (await session.scalars(stmt)).all()


async def actions_due_in(session: AsyncSession, ranges: Sequence[DateRange]) -> Sequence[ActionItem]:
    """Open action items of active collaborations whose due date lies in one of `ranges`."""
    if not ranges:
        return []
    stmt = (select(ActionItem).join(Collaboration, Collaboration.id == ActionItem.collab_id)
            .where(ActionItem.done.is_(False), _in_ranges(ActionItem.due_date, ranges),
                   Collaboration.stage.not_in((Stage.ARCHIVED, Stage.RETURNED))).order_by(ActionItem.id))
    return (await session.scalars(stmt)).all()


async def rework_due_in(session: AsyncSession, ranges: Sequence[DateRange]) -> Sequence[Task]:
    if not ranges:
        return []
    stmt = (select(Task).where(Task.status.in_(CHASED_TASK_STATES), _in_ranges(Task.rework_due, ranges))
            .order_by(Task.id))
    return (await session.scalars(stmt)).all()


async def tasks_open_due_by(session: AsyncSession, last: date) -> Sequence[Task]:
    """Open tasks of executing collaborations due on or before `last` (the daily digest)."""
    stmt = (select(Task).join(Collaboration, Collaboration.id == Task.collab_id)
            .where(Task.status.in_(CHASED_TASK_STATES), Task.due_date <= last, Collaboration.stage == Stage.EXECUTING)
            .order_by(Task.owner_dept_id, Task.due_date, Task.id))
    return (await session.scalars(stmt)).all()


async def successors(session: AsyncSession, task_ids: Sequence[int]) -> dict[int, set[int]]:
    """predecessor id → ids of the tasks waiting for it."""
    if not task_ids:
        return {}
    rows = (await session.execute(select(TaskDependency.predecessor_id, TaskDependency.task_id)
                                  .where(TaskDependency.predecessor_id.in_(list(task_ids))))).all()
    out: dict[int, set[int]] = {}
    for pred, task in rows:
        out.setdefault(pred, set()).add(task)
    return out


async def held_up_by(session: AsyncSession, task_ids: Sequence[int]) -> dict[int, list[Task]]:
    """predecessor id → the unfinished tasks waiting for it, in plan order (a 进度预警函 names them)."""
    if not task_ids:
        return {}
    rows = (await session.execute(select(TaskDependency.predecessor_id, Task)
                                  .join(Task, Task.id == TaskDependency.task_id)
                                  .where(TaskDependency.predecessor_id.in_(list(task_ids)),
                                         Task.status.not_in((TaskState.REVIEW, TaskState.DONE)))
                                  .order_by(Task.number))).all()
    out: dict[int, list[Task]] = {}
    for pred, task in rows:
        out.setdefault(pred, []).append(task)
    return out


async def collab_plans(session: AsyncSession, collab_ids: set[int]) -> tuple[Sequence[Task], dict[int, set[int]]]:
    """All tasks and the dependency graph (task → predecessors) of some collaborations."""
    if not collab_ids:
        return [], {}
    ids = sorted(collab_ids)
    tasks = (await session.scalars(select(Task).where(Task.collab_id.in_(ids)).order_by(Task.id))).all()
    rows = (await session.execute(select(TaskDependency.task_id, TaskDependency.predecessor_id)
                                  .join(Task, Task.id == TaskDependency.task_id).where(Task.collab_id.in_(ids)))).all()
    graph: dict[int, set[int]] = {}
    for task, pred in rows:
        graph.setdefault(task, set()).add(pred)
    return tasks, graph


async def pending_evaluations(session: AsyncSession, ranges: Sequence[DateRange]) -> Sequence[Evaluation]:
    """Unanswered evaluations of the current round whose answer is due in `ranges`."""
    if not ranges:
        return []
    stmt = (select(Evaluation).join(Collaboration, Collaboration.id == Evaluation.collab_id)
            .where(Evaluation.decision == "pending", Evaluation.round == Collaboration.eval_round,
                   Collaboration.stage == Stage.EVALUATING, _in_ranges(Evaluation.answer_due, ranges))
            .order_by(Evaluation.id))
    return (await session.scalars(stmt)).all()


async def approved_without_kickoff(session: AsyncSession, since: datetime, until: datetime) -> Sequence[Collaboration]:
    kickoff = exists().where(Meeting.collab_id == Collaboration.id, Meeting.kind == "kickoff",
                             Meeting.status != "cancelled")
    stmt = (select(Collaboration).where(Collaboration.stage == Stage.PLANNING, Collaboration.approved_at > since,
                                        Collaboration.approved_at <= until, ~kickoff).order_by(Collaboration.id))
    return (await session.scalars(stmt)).all()


async def meetings_starting(session: AsyncSession, since: datetime, until: datetime) -> Sequence[Meeting]:
    stmt = (select(Meeting).where(Meeting.status == "scheduled", Meeting.starts_at > since, Meeting.starts_at <= until)
            .order_by(Meeting.id))
    return (await session.scalars(stmt)).all()


async def executing_participants(session: AsyncSession) -> Sequence[tuple[Collaboration, Participant]]:
    rows = (await session.execute(select(Collaboration, Participant)
                                  .join(Participant, Participant.collab_id == Collaboration.id)
                                  .where(Collaboration.stage == Stage.EXECUTING)
                                  .order_by(Collaboration.id, Participant.id))).all()
    return [(c, p) for c, p in rows]


async def reports_of_week(session: AsyncSession, week: date) -> Sequence[ProgressReport]:
    """Weekly reports for one week in executing collaborations."""
    stmt = (select(ProgressReport).join(Collaboration, Collaboration.id == ProgressReport.collab_id)
            .where(ProgressReport.week == week, Collaboration.stage == Stage.EXECUTING).order_by(ProgressReport.id))
    return (await session.scalars(stmt)).all()


async def task_counts(session: AsyncSession, collab_ids: set[int]) -> dict[int, dict[str, int]]:
    """collab id → task status → how many, for the weekly digest."""
    if not collab_ids:
        return {}
    out: dict[int, dict[str, int]] = {}
    rows = await session.execute(select(Task.collab_id, Task.status, func.count())
                                 .where(Task.collab_id.in_(sorted(collab_ids))).group_by(Task.collab_id, Task.status))
    for collab_id, status, n in rows.all():
        out.setdefault(collab_id, {})[status] = n
    return out


async def problems_planned_in(session: AsyncSession, ranges: Sequence[DateRange]) -> Sequence[Problem]:
    if not ranges:
        return []
    stmt = select(Problem).where(Problem.status == "open", _in_ranges(Problem.planned_date, ranges)).order_by(Problem.id)
    return (await session.scalars(stmt)).all()


async def accepted_without_retro(session: AsyncSession) -> Sequence[Collaboration]:
    retro = exists().where(Retrospective.collab_id == Collaboration.id)
    return (await session.scalars(select(Collaboration).where(Collaboration.stage == Stage.ACCEPTED, ~retro)
                                  .order_by(Collaboration.id))).all()




async def collab_departments(session: AsyncSession, collab_ids: set[int]) -> dict[int, list[int]]:
    """collab id → initiating dept, lead dept, then participant depts (may repeat)."""
    if not collab_ids:
        return {}
    ids = sorted(collab_ids)
    out: dict[int, list[int]] = {}
    for cid, initiator, lead in (await session.execute(
            select(Collaboration.id, Collaboration.initiator_dept_id, Collaboration.lead_dept_id)
            .where(Collaboration.id.in_(ids)))).all():
        out[cid] = [initiator, lead]
    for cid, dept in (await session.execute(select(Participant.collab_id, Participant.dept_id)
                                            .where(Participant.collab_id.in_(ids)).order_by(Participant.id))).all():
        out[cid].append(dept)
    return out
