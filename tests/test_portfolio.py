"""Who sees what, and the PMO's portfolio (docs/workflow.md, "Who sees what…"): the PMO and the
leaders see every active collaboration, each row with its standing (红/黄/绿 by the rules in
handlers/portfolio.py); a department sees its own; the leaders get the 专题决策会 step in private."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from bot.config import PolicyConfig
from bot.messages import Message
from bot.platforms.memory import PLATFORM
from bot.testkit import TestBot, demo_config
from cards.model import card_for
from handlers.portfolio import standing
from scheduler.calendar import WorkCalendar
from tests.cardkit import SPECS
from tests.conftest import MONDAY
from tests.lifetime import running
from tests.scenario import CODE, REQUEST, ok, to_executing
from tests.test_card_actions import press

TODAY = date(2026, 12, 7)  # a Monday


def task(number: int, due: date, status: str = "doing", milestone: bool = False) -> Any:
    return SimpleNamespace(number=number, due_date=due, status=status, is_milestone=milestone)


def item(number: int, status: str = "open", level: Any = 0) -> Any:
    return SimpleNamespace(number=number, status=status, level=level)


def rag(tasks: list[Any], problems: list[Any] = (), risks: list[Any] = ()) -> tuple[str, tuple[str, ...]]:  # type: ignore[assignment]
    s = standing(tasks, problems, risks, TODAY, WorkCalendar(), PolicyConfig())
    return s.rag, s.reasons


def test_the_standing_rules() -> None:
    assert rag([task(1, TODAY)]) == ("green", ())
    assert rag([task(1, date(2026, 12, 4))]) == ("yellow", ("T1 逾期 1 个工作日",))  # Friday → Monday
    assert rag([task(1, date(2026, 12, 1))]) == ("red", ("T1 逾期 4 个工作日",))  # beyond lag_alert (3)
    assert rag([task(1, date(2026, 12, 4), milestone=True)])[0] == "red"  # a milestone past due
    assert rag([task(1, date(2026, 12, 1), status="done")]) == ("green", ())
    assert rag([], problems=[item(1, level=1)]) == ("red", ("P1 已升级",))
    assert rag([], problems=[item(1, status="resolved", level=2)])[0] == "green"
    assert rag([], risks=[item(1, level="high")]) == ("yellow", ("高风险 R1",))
    assert rag([], risks=[item(1, level="high", status="accepted")])[0] == "green"
    assert rag([task(4, date(2026, 12, 9), status="todo", milestone=True)]) == ("yellow", ("里程碑 T4 将到期未启动",))
    assert rag([task(4, date(2026, 12, 9), milestone=True)])[0] == "green"  # started: no warning


async def test_the_pmo_sees_every_active_collaboration_a_department_its_own(tb: TestBot) -> None:
    await to_executing(tb)  # XZ-2026-0001: 市场部, 研发部, 设计部
    ok(await tb.say("陈专员", "销售部", '/request "渠道返利结算" goal="结算周期缩短到5个工作日" depts=客服部 due=2027-03-31'))
    tb.clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=MONDAY.tzinfo))  # T1 (due 11-27) and milestone T3 (12-04) late
    portfolio = ok(await tb.say("周主任", "协作管理办公室", "/board"))
    assert portfolio.title == "协作项目组合（2）"
    rows = {r["code"]: r for r in portfolio.data["items"]}
    assert set(rows) == {CODE, "XZ-2026-0002"}
    assert rows["XZ-2026-0002"]["status"] == "绿" and rows["XZ-2026-0002"]["done"] == "—"
    assert rows[CODE]["lead"] == "市场部" and rows[CODE]["done"] == "0%（0/3）"
    assert (rows[CODE]["status"], rows[CODE]["late"], rows[CODE]["milestone"]) == ("红", "2", "T3 12-04")
    assert rows[CODE]["why"] == "T1 逾期 6 个工作日；里程碑 T3 已过期"  # the red reasons
    assert portfolio.color == "red" and portfolio.body.startswith("红 1　黄 0　绿 1")
    mine = ok(await tb.say("李主管", "研发部", "/board"))
    assert mine.title == "我的协作项目（1）" and [r["code"] for r in mine.data["items"]] == [CODE]
    none = await tb.say("李主管", "研发部", "/board XZ-2026-0002")  # 研发部 takes no part in it
    assert none[0].is_error and "没有编号为 XZ-2026-0002" in none[0].body


async def test_the_portfolio_pages_beyond_ten(tb: TestBot) -> None:
    for n in range(12):
        ok(await tb.say("小张", "市场部", REQUEST.replace("Q4新品推广", f"推广{n:02d}")))
    first = ok(await tb.say("周主任", "协作管理办公室", "/board"))
    assert first.title == "协作项目组合（12） 第 1/2 页" and len(first.data["items"]) == 10
    assert [b["label"] for blk in card_for(first, SPECS).of_type("buttons") for b in blk["buttons"]] == ["下一页"]
    second = await press(tb, "周主任", "协作管理办公室", first, "下一页")
    assert second.title == "协作项目组合（12） 第 2/2 页" and len(second.data["items"]) == 2
    assert {r["code"] for r in first.data["items"]}.isdisjoint(r["code"] for r in second.data["items"])


async def test_leaders_see_everything_and_hold_the_top_of_the_escalation_ladder(db_url: str) -> None:
    config = demo_config(db_url)
    config.roles.leaders = [f"{PLATFORM}:王总"]
    async with running(TestBot.create(config, MONDAY)) as tb:
        await to_executing(tb)
        assert ok(await tb.say("王总", "p2p", "/board")).title == "协作项目组合（1）"
        ok(await tb.say("王总", "p2p", f"/board {CODE}"))
        ok(await tb.say("李工", "研发部", f"/problem {CODE} 接口方无响应 dept=研发部"))
        ok(await tb.say("张经理", "市场部", f"/problem escalate {CODE}/P1"))
        assert not tb.pop("user:王总")  # the PMO's step: not yet the leaders'
        ok(await tb.say("周主任", "协作管理办公室", f"/problem escalate {CODE}/P1 需要跨部门资源决策"))
        [private] = tb.pop("user:王总")
        assert private.title == f"{CODE} 问题 P1 升级至分管领导（专题决策会）" and "专题决策会" in private.body
        lead: list[Message] = tb.pop("市场部")
        assert lead[-1].title == private.title  # the lead dept hears it too, in its group


async def test_the_scheduler_s_leadership_step_reaches_the_leaders_privately(db_url: str) -> None:
    config = demo_config(db_url)
    config.roles.leaders = [f"{PLATFORM}:王总"]
    async with running(TestBot.create(config, MONDAY)) as tb:
        await to_executing(tb)
        ok(await tb.say("李工", "研发部", f"/problem {CODE} 接口方无响应 dept=研发部 due=11-24"))
        await tb.bot.planner.tick()
        tb.clock.set(datetime(2026, 11, 27, 9, 31, tzinfo=MONDAY.tzinfo))  # 3 working days past the plan
        await tb.bot.planner.tick()
        await tb.bot.dispatcher.drain()
        titles = [m.title for m in tb.pop("user:王总")]
        assert titles == [f"{CODE} 问题 P1 逾期未解决 → 分管领导（专题决策会）"]

