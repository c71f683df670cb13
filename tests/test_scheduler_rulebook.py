"""scheduler/rulebook.py and scheduler/reads.py: every notice function is in the list the planner
loops over, and rules that read the same rows share one query."""
from __future__ import annotations

import inspect
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.testkit import TestBot, seed_open_tasks
from scheduler import rules
from scheduler.reads import Reads
from scheduler.rulebook import RULES
from scheduler.rules import Facts
from storage import schedule

SH = ZoneInfo("Asia/Shanghai")


def _notice_functions() -> set[str]:
    return {name for name, fn in inspect.getmembers(rules, inspect.isfunction)
            if fn.__module__ == rules.__name__ and not name.startswith("_")
            and inspect.signature(fn).return_annotation == "list[Notice]"}


def _called(fire: object) -> set[str]:
    """The `rules` functions a rule's `fire` is or calls (a lambda names them as attributes)."""
    code = getattr(fire, "__code__")
    return {getattr(fire, "__name__")} | set(code.co_names)


def test_every_notice_function_is_a_rule() -> None:
    functions = _notice_functions()
    assert len(functions) >= 15, functions
    fired = set().union(*(_called(rule.fire) for rule in RULES))
    assert functions - fired == set(), "a notice function no rule fires would never send"


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


async def _reads(tb: TestBot, session: AsyncSession, since: datetime, now: datetime) -> Reads:
    """The reads of the window (since, now], 2027's missing holiday data already announced."""
    depts = {d.id: d for d in await schedule.departments(session)}
    return Reads(session, Facts(tb.bot.calendar, tb.bot.config.policy, since, now, depts), {2027})


async def _seed(tb: TestBot) -> None:
    """200 open tasks due every day around Tuesday 24 November 2026."""
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(60)]
    await seed_open_tasks(tb.bot, 200, days, tb.clock.now())


async def test_rules_reading_the_same_rows_share_one_query(tb: TestBot) -> None:
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(tb.bot.engine.sync_engine, "before_cursor_execute", record)
    await _seed(tb)
    now = datetime(2026, 11, 24, 9, 31, tzinfo=SH)
    try:
        async with tb.bot.sessions() as session:
            reads = await _reads(tb, session, now - timedelta(minutes=2), now)
            first = await reads.tasks_due()
            for rule in RULES:
                await rule.load(reads)
            assert await reads.tasks_due() is first
    finally:
        event.remove(tb.bot.engine.sync_engine, "before_cursor_execute", record)
    task_queries = [s for s in statements if "FROM tasks JOIN collaborations" in s and "due_date" in s
                    and "tasks.status IN" in s]
    assert len(task_queries) == 1, task_queries
    assert first, "the 09:30 notices of some tasks fall in the window"


async def test_an_idle_window_loads_nothing(tb: TestBot) -> None:
    """09:00 → 09:01 on a Tuesday: no notice time passes, so every rule's load is empty."""
    await _seed(tb)
    now = datetime(2026, 11, 24, 9, 1, tzinfo=SH)
    async with tb.bot.sessions() as session:
        reads = await _reads(tb, session, now - timedelta(minutes=1), now)
        assert [rule.name for rule in RULES if await rule.load(reads)] == []
