"""The plan's baselines and each task's status history (docs/workflow.md, "Baselines").

A baseline is the whole plan's dates at one moment: taken when every department has confirmed
the plan, and again when an approved change moves a task. Every change of a task's status or
progress is kept as it is flushed, stamped with the task's `updated_at`, which each action that
changes a task sets to its own clock.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, attributes

from storage.models import Task, TaskBaseline, TaskEvent


async def snapshot(session: AsyncSession, collab_id: int, reason: str, now: datetime) -> int:
    """Record every task's planned dates as the plan's next version; returns its number."""
    last = await session.scalar(select(func.max(TaskBaseline.version)).where(TaskBaseline.collab_id == collab_id))
    version = (last or 0) + 1
    tasks = (await session.scalars(select(Task).where(Task.collab_id == collab_id))).all()
    session.add_all(TaskBaseline(collab_id=collab_id, version=version, task_id=t.id, start_date=t.start_date,
                                 due_date=t.due_date, taken_at=now, reason=reason[:64]) for t in tasks)
    return version


async def original_dues(session: AsyncSession, collab_id: int) -> dict[int, date]:
    """Each task's due date in the first baseline (the confirmed plan), by task id."""
    return (await original_dues_of(session, [collab_id]))[collab_id]


async def original_dues_of(session: AsyncSession, collab_ids: Sequence[int]) -> dict[int, dict[int, date]]:
    """`original_dues` of many collaborations in one query, by collaboration."""
    found: dict[int, dict[int, date]] = {i: {} for i in collab_ids}
    if collab_ids:
        rows = await session.execute(select(TaskBaseline.collab_id, TaskBaseline.task_id, TaskBaseline.due_date)
                                     .where(TaskBaseline.collab_id.in_(list(collab_ids)), TaskBaseline.version == 1))
        for collab_id, task_id, due in rows.all():
            found[collab_id][task_id] = due
    return found


async def history(session: AsyncSession, collab_id: int) -> list[TaskEvent]:
    return list((await session.scalars(select(TaskEvent).where(TaskEvent.collab_id == collab_id)
                                       .order_by(TaskEvent.at, TaskEvent.id))).all())


@event.listens_for(Session, "before_flush")
def _keep_history(session: Session, _context: Any, _instances: Any) -> None:
    """A task whose status or progress this flush changes gets a history row."""
    for obj in list(session.dirty):
        if isinstance(obj, Task) and any(attributes.get_history(obj, name).has_changes()
                                         for name in ("status", "progress")):
            session.add(TaskEvent(task_id=obj.id, collab_id=obj.collab_id, at=obj.updated_at, status=obj.status,
                                  progress=obj.progress))
