"""Dependency rules (docs/workflow.md, "Dependencies"): a task starts once its predecessors are
delivered, unless the lead dept or PMO forces it (audited); it is accepted only after them;
downstream owners hear when they can start; the plan keeps due dates in dependency order.

The demo plan: T1 市场部 (小张), T2 研发部 (李工) after T1, T3 设计部 (王设计) after T1."""
from __future__ import annotations

from bot.testkit import TestBot
from storage.models import AuditEntry, Task
from tests.scenario import (
    CODE,
    approve,
    count,
    evaluate_all,
    ok,
    one,
    plan,
    raise_request,
    refused,
    to_executing,
)


async def test_a_start_before_the_predecessor_is_refused_then_forced_by_the_lead(tb: TestBot) -> None:
    await to_executing(tb)
    early = refused(await tb.say("李工", "研发部", f"/status {CODE}/T2 进行中 10% 先搭框架"))
    assert "T1（未启动） 尚未提交交付" in early.body and "force=是" in early.body
    refused(await tb.say("李工", "研发部", f"/status {CODE}/T2 进行中 10% 先搭框架 force=是"))  # not the lead
    assert (await one(tb, Task, number=2)).status == "todo"
    forced = ok(await tb.say("张经理", "市场部", f"/status {CODE}/T2 进行中 10% force=是"))
    assert "已由张经理强制开始，已记入审计" in forced.body
    assert (await one(tb, Task, number=2)).status == "doing"
    assert await count(tb, AuditEntry, action="task.force_start") == 1
    refused(await tb.say("王设计", "设计部", f"/deliver {CODE}/T3 https://design.example.com/v1"))  # T3 waits too


async def test_a_delivered_predecessor_frees_its_successors_and_acceptance_follows_the_order(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("张经理", "市场部", f"/deliver {CODE}/T1 https://docs.example.com/survey 调研报告"))
    told = [m for m in tb.pop("设计部") if "可以开始" in m.title]
    assert len(told) == 1 and "T3 视觉设计 可以开始" in told[0].title and "memory:王设计" in told[0].mentions
    assert any("T2 功能开发 可以开始" in m.title for m in tb.pop("研发部"))
    ok(await tb.say("王设计", "设计部", f"/status {CODE}/T3 进行中 20%"))
    ok(await tb.say("李工", "研发部", f"/deliver {CODE}/T2 https://git.example.com/release/1.0"))
    waits = refused(await tb.say("小张", "市场部", f"/accept {CODE}/T2 通过 90 好"))
    assert "T1（待验收） 尚未验收通过" in waits.body
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T1 通过 90 样本充足"))
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T2 通过 90 好"))
    assert (await one(tb, Task, number=2)).status == "done"


async def test_the_plan_keeps_due_dates_in_dependency_order(tb: TestBot) -> None:
    await raise_request(tb)
    await evaluate_all(tb)
    await approve(tb)
    await plan(tb)
    early = refused(await tb.say("李工", "研发部", f"/task edit {CODE}/T2 start=11-24 due=11-26"))
    assert "早于前置任务 T1 的完成日期 2026-11-27" in early.body
    late = refused(await tb.say("小张", "市场部", f"/task edit {CODE}/T1 due=12-08"))
    assert "晚于后续任务 T3 的完成日期 2026-12-04" in late.body
    assert (await one(tb, Task, number=1)).due_date.isoformat() == "2026-11-27"
