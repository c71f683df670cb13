"""The workflow's exception paths: a declined evaluation, rework, escalation, a change request."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.testkit import TestBot
from storage.models import (
    Acceptance,
    ChangeRequest,
    Collaboration,
    Evaluation,
    Problem,
    Task,
)
from tests.scenario import (
    CODE,
    approve,
    count,
    ok,
    one,
    raise_request,
    refused,
    to_executing,
)


async def test_declined_evaluation_is_returned_then_resubmitted(tb: TestBot) -> None:
    await raise_request(tb)
    ok(await tb.say("李主管", "研发部", f"/evaluate {CODE} 接受 contact=@李工"))
    ok(await tb.say("王主管", "设计部", f'/evaluate {CODE} 拒绝 comment="12月设计资源已排满"'))
    summary = tb.pop("协作管理办公室")[-1]
    assert "设计部：拒绝（12月设计资源已排满）" in summary.body and "/return" in summary.body
    refused(await tb.say("周主任", "协作管理办公室", f"/approve {CODE}"))  # not everyone accepted
    tb.clear()
    returned = ok(await tb.say("周主任", "协作管理办公室", f"/return {CODE} 设计部资源不足，请调整时间或范围"))
    assert returned.title.startswith("需求已退回")
    notice = tb.pop("市场部")[0]
    assert "设计部资源不足" in notice.body and "memory:小张" in notice.mentions
    assert (await one(tb, Collaboration, code=CODE)).stage == "returned"

    # The initiator changes the date and resubmits; a second evaluation round starts.
    ok(await tb.say("小张", "市场部", f"/request edit {CODE} due=2027-01-31"))
    tb.clear()
    resubmitted = ok(await tb.say("小张", "市场部", f"/request submit {CODE}"))
    assert "保留上轮接受的 研发部" in resubmitted.body
    assert tb.pop("设计部")[0].template == "evaluation_request"  # who declined is asked again
    kept = tb.pop("研发部")
    assert [m.template for m in kept] == ["request"] and "结论保留" in kept[0].body  # who accepted is told
    assert await count(tb, Evaluation, round=2, decision="pending") == 1
    assert await count(tb, Evaluation, round=2, decision="accept") == 1
    ok(await tb.say("王主管", "设计部", f"/evaluate {CODE} 接受 contact=@王设计"))
    assert "全部接受" in tb.pop("协作管理办公室")[-1].body
    await approve(tb)
    c = await one(tb, Collaboration, code=CODE)
    assert (c.stage, c.eval_round, c.expected_date) == ("planning", 2, date(2027, 1, 31))


async def test_failed_acceptance_means_rework_within_three_working_days(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("张经理", "市场部", f"/deliver {CODE}/T1 https://docs.example.com/survey 调研报告"))  # T2 waits for T1
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T1 通过 90 样本充足"))
    tb.clear()
    ok(await tb.say("李工", "研发部", f"/deliver {CODE}/T2 https://git.example.com/release/1.0"))
    assert tb.pop("市场部")[0].template == "delivery"
    refused(await tb.say("小张", "市场部", f"/accept {CODE}/T2 不通过 40"))  # fail needs a reason
    # Thursday 2026-11-26: three working days later is Tuesday 2026-12-01.
    tb.clock.advance(timedelta(days=3))
    result = ok(await tb.say("小张", "市场部", f"/accept {CODE}/T2 不通过 40 登录模块缺失"))
    assert "2026-12-01" in result.body
    notice = tb.pop("研发部")[0]
    assert notice.title.startswith(f"{CODE} T2 验收不通过") and "memory:李工" in notice.mentions
    task = await one(tb, Task, number=2)
    assert (task.status, task.rework_due) == ("doing", date(2026, 12, 1))
    refused(await tb.say("小张", "市场部", f"/accept {CODE}/T2 通过 90 好"))  # nothing new delivered
    ok(await tb.say("李工", "研发部", f"/deliver {CODE}/T2 https://git.example.com/release/1.1 补齐登录模块"))
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T2 部分通过 75 性能待优化"))
    ok(await tb.say("李工", "研发部", f"/deliver {CODE}/T2 https://git.example.com/release/1.2"))
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T2 通过 92"))
    assert [a.result for a in await _acceptances(tb)] == ["pass", "fail", "partial", "pass"]  # T1, then T2
    assert (await one(tb, Task, number=2)).status == "done"


async def _acceptances(tb: TestBot) -> list[Acceptance]:
    async with tb.bot.sessions() as session:
        return list((await session.scalars(select(Acceptance).order_by(Acceptance.id))).all())


async def test_problem_escalates_from_lead_to_pmo_to_leadership(tb: TestBot) -> None:
    await to_executing(tb)
    logged = ok(await tb.say("赵工", "研发部", "/problem 第三方支付接口调试失败 impact=高 owner=@李工 due=11-25"))
    assert logged.title == f"{CODE} 新问题 P1"
    assert tb.pop("市场部")[0].template == "problem"  # lead dept
    assert tb.pop("协作管理办公室")[0].template == "problem"  # high impact → PMO sees it at once
    board = ok(await tb.say("周主任", "协作管理办公室", f"/board {CODE}"))
    assert "问题 1｜风险 0｜变更待批 0" in board.as_text()
    refused(await tb.say("赵工", "研发部", f"/problem escalate {CODE}/P1"))  # a member may not escalate
    up = ok(await tb.say("张经理", "市场部", f"/problem escalate {CODE}/P1 接口方无响应"))
    assert "升级至协作管理办公室" in up.title
    assert "memory:周主任" in tb.pop("协作管理办公室")[0].mentions
    refused(await tb.say("张经理", "市场部", f"/problem escalate {CODE}/P1"))  # only the PMO goes higher
    top = ok(await tb.say("周主任", "协作管理办公室", f"/problem escalate {CODE}/P1 需分管领导协调"))
    assert "专题决策会" in top.title and "/meeting" in top.body
    refused(await tb.say("周主任", "协作管理办公室", f"/problem escalate {CODE}/P1"))  # nowhere higher
    ok(await tb.say("周主任", "协作管理办公室",
                    f'/meeting {CODE} kind=决策会 date=明天 time=14:00 agenda="支付接口方案决策" depts=研发部,市场部'))
    ok(await tb.say("李工", "研发部", f"/problem resolve {CODE}/P1 已通过测试"))
    problem = await one(tb, Problem, number=1)
    assert (problem.status, problem.level, problem.actual_date) == ("resolved", 2, date(2026, 11, 23))


async def test_change_request_moves_dates_and_warns_downstream(tb: TestBot) -> None:
    await to_executing(tb)
    refused(await tb.say("小张", "市场部", f"/task edit {CODE}/T1 due=12-02"))  # the plan is fixed now
    ok(await tb.say("小张", "市场部", f"/change {CODE} kind=时间 task=T1 due=12-02 reason=问卷回收慢"))
    assert tb.pop("协作管理办公室")[0].template == "change"
    board = ok(await tb.say("周主任", "协作管理办公室", f"/board {CODE}"))
    assert "问题 0｜风险 0｜变更待批 1" in board.as_text()
    refused(await tb.say("小张", "市场部", f"/change approve {CODE}/C1"))  # not an approver
    approved = ok(await tb.say("周主任", "协作管理办公室", f"/change approve {CODE}/C1 同意"))
    assert "T2 最早可开始 2026-12-03" in approved.body
    slipped = [m for m in tb.pop("研发部") if m.template == "upstream_slipped"]
    assert slipped and "2026-12-03" in slipped[0].body and "memory:李工" in slipped[0].mentions
    assert (await one(tb, Task, number=1)).due_date == date(2026, 12, 2)
    assert (await one(tb, ChangeRequest, number=1)).status == "approved"
    ok(await tb.say("李工", "研发部", f"/change {CODE} kind=资源 reason=需要增加1名测试 增加测试人力"))
    ok(await tb.say("周主任", "协作管理办公室", f"/change reject {CODE}/C2 预算已用完"))
    assert (await one(tb, ChangeRequest, number=2)).status == "rejected"
