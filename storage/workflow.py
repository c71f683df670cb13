"""Queries over collaborations and their records, for the handlers."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Acceptance,
    ActionItem,
    ChangeRequest,
    Collaboration,
    Delivery,
    Evaluation,
    Meeting,
    Participant,
    PlanTemplate,
    Problem,
    ProgressReport,
    Rating,
    Retrospective,
    Risk,
    Stage,
    Task,
    TaskDependency,
)
from storage.upsert import insert_ignore

Numbered = TypeVar("Numbered", Task, Problem, Risk, ChangeRequest, Meeting, ActionItem)


_COLLAB_BY_CODE = select(Collaboration).where(Collaboration.code == bindparam("code"))  # built once: most commands


async def collab_by_code(session: AsyncSession, code: str) -> Collaboration | None:
    return await session.scalar(_COLLAB_BY_CODE, {"code": code.strip().upper()})


async def collab_by_id(session: AsyncSession, collab_id: int) -> Collaboration | None:
    return await session.get(Collaboration, collab_id)


async def collabs_involving(session: AsyncSession, dept_id: int | None, person_id: int,
                            stages: Sequence[str]) -> Sequence[Collaboration]:
    """Collaborations in `stages` that a person raised or whose dept takes part, newest first."""
    stmt = select(Collaboration).where(Collaboration.stage.in_(list(stages)), involving(dept_id, person_id))
    return (await session.scalars(stmt.order_by(Collaboration.id.desc()))).all()


def involving(dept_id: int | None, person_id: int) -> ColumnElement[bool]:
    """A collaboration the person raised, or one of whose departments (initiating, leading or
    participating: `dept_ids`) is theirs."""
    conditions = [Collaboration.initiator_id == person_id]
    if dept_id is not None:
        conditions += [Collaboration.initiator_dept_id == dept_id, Collaboration.lead_dept_id == dept_id,
                       Collaboration.id.in_(select(Participant.collab_id).where(Participant.dept_id == dept_id))]
    return or_(*conditions)


async def collabs_in(session: AsyncSession, stages: Sequence[str]) -> Sequence[Collaboration]:
    """Every collaboration in `stages`, newest first (the PMO's and leaders' portfolio)."""
    return (await session.scalars(select(Collaboration).where(Collaboration.stage.in_(list(stages)))
                                  .order_by(Collaboration.id.desc()))).all()


async def rows_by_collab(session: AsyncSession, model: type[Any], collab_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The rows of `model` (tasks, problems, risks …) of many collaborations in one query, by collaboration."""
    found: dict[int, list[Any]] = {i: [] for i in collab_ids}
    if collab_ids:
        for row in (await session.scalars(select(model).where(model.collab_id.in_(list(collab_ids)))
                                          .order_by(model.collab_id, model.id))).all():
            found[row.collab_id].append(row)
    return found


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A task as the weekly curves and standings read it (`storage.models.PlannedTask`): a tenth
    of an ORM `Task`'s memory, for the Monday tick that reads every executing plan."""

    id: int
    collab_id: int
    number: int
    status: str
    start_date: date
    due_date: date
    done_at: datetime | None
    is_milestone: bool


_PLAN_ROWS = select(Task.id, Task.collab_id, Task.number, Task.status, Task.start_date, Task.due_date, Task.done_at,
                    Task.is_milestone).where(Task.collab_id.in_(bindparam("ids", expanding=True))) \
    .order_by(Task.collab_id, Task.id)


async def plan_rows(session: AsyncSession, collab_ids: Sequence[int]) -> dict[int, list[PlanRow]]:
    """The tasks of many collaborations as `PlanRow`s, by collaboration."""
    found: dict[int, list[PlanRow]] = {i: [] for i in collab_ids}
    if collab_ids:
        for row in await session.execute(_PLAN_ROWS, {"ids": list(collab_ids)}):
            found[row.collab_id].append(PlanRow(*row))
    return found


async def rows_of(session: AsyncSession, model: type[Any], collab_id: int) -> list[Any]:
    """The rows of `model` of one collaboration, oldest first."""
    return (await rows_by_collab(session, model, [collab_id]))[collab_id]


async def acceptance_records(session: AsyncSession, collab_id: int) -> list[tuple[Acceptance, Delivery, Task]]:
    """Each acceptance with the delivery it judged and its task (《任务验收反馈表》)."""
    rows = await session.execute(select(Acceptance, Delivery, Task).join(Delivery, Delivery.id == Acceptance.delivery_id)
                                 .join(Task, Task.id == Acceptance.task_id).where(Task.collab_id == collab_id)
                                 .order_by(Acceptance.id))
    return [(a, d, t) for a, d, t in rows.all()]


async def dept_record(session: AsyncSession, dept_id: int,
                      skip_stages: Sequence[str]) -> tuple[list[Task], list[Acceptance], list[Rating]]:
    """What a department did across collaborations (not in `skip_stages`): the tasks it owned,
    the acceptances of its deliveries, the ratings it received."""
    tasks = (await session.scalars(select(Task).join(Collaboration, Collaboration.id == Task.collab_id)
                                   .where(Task.owner_dept_id == dept_id, Collaboration.stage.not_in(list(skip_stages)))
                                   .order_by(Task.id))).all()
    scores = (await session.scalars(select(Acceptance).join(Task, Task.id == Acceptance.task_id)
                                    .where(Task.owner_dept_id == dept_id).order_by(Acceptance.id))).all()
    ratings = (await session.scalars(select(Rating).where(Rating.dept_id == dept_id).order_by(Rating.id))).all()
    return list(tasks), list(scores), list(ratings)


async def problems(session: AsyncSession, collab_id: int) -> Sequence[Problem]:
    return (await session.scalars(select(Problem).where(Problem.collab_id == collab_id)
                                  .order_by(Problem.number))).all()


async def risks(session: AsyncSession, collab_id: int) -> Sequence[Risk]:
    return (await session.scalars(select(Risk).where(Risk.collab_id == collab_id).order_by(Risk.number))).all()


async def participants(session: AsyncSession, collab_id: int) -> Sequence[Participant]:
    return (await session.scalars(select(Participant).where(Participant.collab_id == collab_id)
                                  .order_by(Participant.id))).all()


async def dept_ids(session: AsyncSession, c: Collaboration) -> list[int]:
    """Every department of a collaboration: initiating, lead and participants, each once."""
    ids = [c.initiator_dept_id, c.lead_dept_id] + [p.dept_id for p in await participants(session, c.id)]
    return [i for i in dict.fromkeys(ids) if i is not None]


async def participant(session: AsyncSession, collab_id: int, dept_id: int) -> Participant | None:
    return await session.scalar(select(Participant).where(Participant.collab_id == collab_id,
                                                          Participant.dept_id == dept_id))


async def remove_participants(session: AsyncSession, collab_id: int, dept_ids: Sequence[int]) -> None:
    await session.execute(delete(Participant).where(Participant.collab_id == collab_id,
                                                    Participant.dept_id.in_(list(dept_ids))))


async def evaluations(session: AsyncSession, collab_id: int, round_: int) -> Sequence[Evaluation]:
    return (await session.scalars(select(Evaluation).where(Evaluation.collab_id == collab_id,
                                                           Evaluation.round == round_).order_by(Evaluation.id))).all()


async def evaluation(session: AsyncSession, collab_id: int, dept_id: int, round_: int) -> Evaluation | None:
    return await session.scalar(select(Evaluation).where(Evaluation.collab_id == collab_id,
                                                         Evaluation.dept_id == dept_id, Evaluation.round == round_))


async def tasks(session: AsyncSession, collab_id: int) -> Sequence[Task]:
    return (await session.scalars(select(Task).where(Task.collab_id == collab_id).order_by(Task.number))).all()


async def dependencies(session: AsyncSession, collab_id: int) -> dict[int, set[int]]:
    """task id → ids of its predecessors, for one collaboration."""
    rows = (await session.execute(select(TaskDependency.task_id, TaskDependency.predecessor_id)
                                  .join(Task, Task.id == TaskDependency.task_id)
                                  .where(Task.collab_id == collab_id))).all()
    graph: dict[int, set[int]] = {}
    for task_id, pred_id in rows:
        graph.setdefault(task_id, set()).add(pred_id)
    return graph


async def set_predecessors(session: AsyncSession, task_id: int, predecessor_ids: Sequence[int]) -> None:
    await session.execute(delete(TaskDependency).where(TaskDependency.task_id == task_id))
    session.add_all(TaskDependency(task_id=task_id, predecessor_id=p) for p in predecessor_ids)


async def open_tasks_of(session: AsyncSession, person_id: int, states: Sequence[str]) -> Sequence[tuple[Task, str]]:
    """A person's open tasks with their collaboration code, soonest due first."""
    rows = (await session.execute(select(Task, Collaboration.code).join(Collaboration, Collaboration.id == Task.collab_id)
                                  .where(Task.owner_person_id == person_id, Task.status.in_(list(states)))
                                  .order_by(Task.due_date, Task.id))).all()
    return [(t, code) for t, code in rows]


async def contact_roles(session: AsyncSession, person_id: int,
                        stages: Sequence[str]) -> Sequence[tuple[Collaboration, Participant]]:
    """Where a person is a department's 对接人, in collaborations in `stages`."""
    rows = (await session.execute(select(Collaboration, Participant)
                                  .join(Participant, Participant.collab_id == Collaboration.id)
                                  .where(Participant.contact_id == person_id, Collaboration.stage.in_(list(stages)))
                                  .order_by(Collaboration.id))).all()
    return [(c, p) for c, p in rows]


async def open_actions_of(session: AsyncSession, person_id: int) -> Sequence[tuple[ActionItem, str]]:
    """A person's open action items with their collaboration code, soonest due first."""
    rows = (await session.execute(select(ActionItem, Collaboration.code)
                                  .join(Collaboration, Collaboration.id == ActionItem.collab_id)
                                  .where(ActionItem.owner_id == person_id, ActionItem.done.is_(False))
                                  .order_by(ActionItem.due_date, ActionItem.id))).all()
    return [(a, code) for a, code in rows]


async def action_items(session: AsyncSession, collab_id: int) -> Sequence[ActionItem]:
    return (await session.scalars(select(ActionItem).where(ActionItem.collab_id == collab_id)
                                  .order_by(ActionItem.number))).all()


async def latest_delivery(session: AsyncSession, task_id: int) -> Delivery | None:
    return await session.scalar(select(Delivery).where(Delivery.task_id == task_id).order_by(Delivery.id.desc()).limit(1))


async def acceptance_of(session: AsyncSession, delivery_id: int) -> Acceptance | None:
    return await session.scalar(select(Acceptance).where(Acceptance.delivery_id == delivery_id))


async def acceptances(session: AsyncSession, collab_id: int) -> Sequence[Acceptance]:
    return (await session.scalars(select(Acceptance).join(Task, Task.id == Acceptance.task_id)
                                  .where(Task.collab_id == collab_id).order_by(Acceptance.id))).all()


async def weekly_report(session: AsyncSession, collab_id: int, dept_id: int, week: date, person_id: int,
                        now: datetime) -> ProgressReport:
    """The department's report row for the week, created if absent and locked for the update.

    Insert-if-absent rather than select-then-insert: two people of one department submitting at
    the same moment must both succeed (the later one's text wins), not trip the unique key.
    """
    await insert_ignore(session, ProgressReport, [{
        "collab_id": collab_id, "dept_id": dept_id, "week": week, "done": "", "undone": "", "next_plan": "",
        "risks": "", "submitted_by": person_id, "submitted_at": now}], ["collab_id", "dept_id", "week"])
    stmt = select(ProgressReport).where(ProgressReport.collab_id == collab_id, ProgressReport.dept_id == dept_id,
                                        ProgressReport.week == week).with_for_update()
    return (await session.scalars(stmt.execution_options(populate_existing=True))).one()


async def numbered(session: AsyncSession, model: type[Numbered], collab_id: int, number: int) -> Numbered | None:
    """A task, problem, risk, change request or meeting by its number within a collaboration."""
    return await session.scalar(select(model).where(model.collab_id == collab_id, model.number == number))


def _count(model: type[Problem] | type[Risk] | type[ChangeRequest], status: str) -> Any:
    return (select(func.count()).select_from(model)
            .where(model.collab_id == bindparam("collab_id"), model.status == status).scalar_subquery())


# One statement, built once: /board shows these for every collaboration it lists.
_OPEN_COUNTS = select(_count(Problem, "open"), _count(Risk, "open"), _count(ChangeRequest, "pending"))


async def open_counts(session: AsyncSession, collab_id: int) -> dict[str, int]:
    """Open problems, open risks and pending change requests, for the board."""
    problems, risks, changes = (await session.execute(_OPEN_COUNTS, {"collab_id": collab_id})).one()
    return {"problems": problems, "risks": risks, "changes": changes}


async def unclosed(session: AsyncSession,
                   collab_id: int) -> tuple[Sequence[Problem], Sequence[Risk], Sequence[ActionItem]]:
    """The problems not resolved, the risks still tracked (neither closed nor accepted) and the
    action items still open: what keeps a collaboration from being archived."""
    problems = (await session.scalars(select(Problem).where(Problem.collab_id == collab_id, Problem.status == "open")
                                      .order_by(Problem.number))).all()
    risks = (await session.scalars(select(Risk).where(Risk.collab_id == collab_id, Risk.status == "open")
                                   .order_by(Risk.number))).all()
    actions = (await session.scalars(select(ActionItem).where(ActionItem.collab_id == collab_id,
                                                              ActionItem.done.is_(False))
                                     .order_by(ActionItem.number))).all()
    return problems, risks, actions


async def rating(session: AsyncSession, collab_id: int, dept_id: int, rater_id: int) -> Rating | None:
    return await session.scalar(select(Rating).where(Rating.collab_id == collab_id, Rating.dept_id == dept_id,
                                                     Rating.rated_by == rater_id))


async def retrospective(session: AsyncSession, collab_id: int) -> Retrospective | None:
    return await session.scalar(select(Retrospective).where(Retrospective.collab_id == collab_id))


async def plan_template(session: AsyncSession, name: str) -> PlanTemplate | None:
    return await session.scalar(select(PlanTemplate).where(func.lower(PlanTemplate.name) == name.strip().lower()))


async def plan_templates(session: AsyncSession) -> list[tuple[PlanTemplate, str]]:
    """Every saved plan with its source collaboration's code, newest first."""
    rows = await session.execute(select(PlanTemplate, Collaboration.code)
                                 .join(Collaboration, Collaboration.id == PlanTemplate.source_collab_id)
                                 .order_by(PlanTemplate.saved_at.desc(), PlanTemplate.id.desc()))
    return [(t, code) for t, code in rows]


@dataclass(frozen=True)
class Held:
    """An open task as load: who holds it, for which dept, and its dates (scheduler.load says
    what they occupy)."""

    ref: str  # XZ-2026-0001/T3
    title: str
    person_id: int
    dept_id: int
    start: date
    due: date


async def held(session: AsyncSession, states: Sequence[str], *, dept_id: int | None = None,
               person_id: int | None = None) -> list[Held]:
    """The open tasks (in `states`) of active collaborations that a department's people, or one
    person, hold: the load `scheduler.load` counts."""
    stmt = (select(Task.number, Task.title, Task.owner_person_id, Task.owner_dept_id, Task.start_date, Task.due_date,
                   Collaboration.code)
            .join(Collaboration, Collaboration.id == Task.collab_id)
            .where(Task.status.in_(list(states)), Collaboration.stage.in_([Stage.PLANNING, Stage.EXECUTING])))
    if dept_id is not None:
        stmt = stmt.where(Task.owner_dept_id == dept_id)
    if person_id is not None:
        stmt = stmt.where(Task.owner_person_id == person_id)
    return [Held(f"{code}/T{number}", title, person, dept, start, due)
            for number, title, person, dept, start, due, code in await session.execute(stmt)]


async def busiest(session: AsyncSession, states: Sequence[str], starting_by: date, more_than: int,
                  limit: int = 5) -> list[tuple[int, int]]:
    """(person id, open tasks) of the people holding more than `more_than` open tasks of active
    collaborations that have started by `starting_by`, the busiest first. A late task still open
    counts: it is still theirs this week (scheduler.load)."""
    count = func.count(Task.id)
    rows = await session.execute(
        select(Task.owner_person_id, count).join(Collaboration, Collaboration.id == Task.collab_id)
        .where(Task.status.in_(list(states)), Task.start_date <= starting_by,
               Collaboration.stage.in_([Stage.PLANNING, Stage.EXECUTING]))
        .group_by(Task.owner_person_id).having(count > more_than).order_by(count.desc(), Task.owner_person_id)
        .limit(limit))
    return [(person, n) for person, n in rows]
