"""Baselines and status history (docs/workflow.md, "Baselines"): the confirmed plan is version 1,
each approved change that moves a task another version; every status change is kept, so the
portfolio's slip and the reports' planned-vs-actual are computed from the record."""
from __future__ import annotations

from sqlalchemy import select

from bot.testkit import TestBot
from storage import baselines
from storage.models import Task, TaskBaseline
from tests.scenario import CODE, ok, to_executing


async def test_the_confirmed_plan_and_each_approved_move_are_versions(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("王设计", "设计部", f'/change {CODE} kind=时间 task=T3 due=12-08 reason="素材延期"'))
    ok(await tb.say("张经理", "市场部", f"/change approve {CODE}/C1"))
    async with tb.bot.sessions() as session:
        rows = (await session.scalars(select(TaskBaseline).order_by(TaskBaseline.version, TaskBaseline.task_id))).all()
        t3 = await session.scalar(select(Task).where(Task.number == 3))
    assert t3 is not None
    assert [(b.version, b.reason) for b in rows] == [(1, "方案确认")] * 3 + [(2, "变更 C1")] * 3
    assert [str(b.due_date) for b in rows if b.task_id == t3.id] == ["2026-12-04", "2026-12-08"]
    portfolio = ok(await tb.say("周主任", "协作管理办公室", "/board"))
    assert portfolio.data["items"][0]["milestone"] == "T3 12-08（推迟 2 个工作日）"


async def test_every_status_change_is_kept(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("小张", "市场部", f"/status {CODE}/T1 进行中 30%"))
    ok(await tb.say("小张", "市场部", f"/status {CODE}/T1 进行中 60%"))
    ok(await tb.say("小张", "市场部", f"/deliver {CODE}/T1 链接"))
    ok(await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 不通过 50 缺数据"))  # 小张 owns T1: not hers
    ok(await tb.say("小张", "市场部", f"/deliver {CODE}/T1 链接2"))
    ok(await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 通过 90"))
    async with tb.bot.sessions() as session:
        events = await baselines.history(session, 1)
    assert [(e.status, e.progress) for e in events] == [
        ("doing", 30), ("doing", 60), ("review", 100), ("doing", 90), ("review", 100), ("done", 100)]
    assert all(e.at is not None for e in events)
