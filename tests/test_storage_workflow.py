"""storage/workflow.py: the light plan rows the weekly notices read hold what the ORM rows hold."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from bot.testkit import TestBot, seed_open_tasks
from storage import workflow
from storage.models import Task, TaskState

FIELDS = ("id", "collab_id", "number", "status", "start_date", "due_date", "done_at", "is_milestone")


async def test_plan_rows_hold_what_the_tasks_hold(tb: TestBot) -> None:
    collabs = await seed_open_tasks(tb.bot, 45, [date(2026, 11, 20) + timedelta(days=i) for i in range(9)],
                                    tb.clock.now())
    done_at = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
    async with tb.bot.sessions() as session, session.begin():
        first = (await session.scalars(select(Task).order_by(Task.id).limit(1))).one()
        await session.execute(update(Task).where(Task.id == first.id)
                              .values(status=TaskState.DONE, done_at=done_at, is_milestone=True))
    async with tb.bot.sessions() as session:
        rows = await workflow.plan_rows(session, [*collabs, 999])
        tasks = await workflow.rows_by_collab(session, Task, collabs)
    assert rows[999] == [] and sum(len(r) for r in rows.values()) == 45
    for cid in collabs:
        assert [[getattr(r, f) for f in FIELDS] for r in rows[cid]] == \
               [[getattr(t, f) for f in FIELDS] for t in tasks[cid]]
    assert rows[collabs[0]][0].done_at == done_at and rows[collabs[0]][0].is_milestone
