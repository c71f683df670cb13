"""Load and conflicts (docs/knowledge.md, "Load and conflicts"): a department's load week by week,
and the 冲突预警 on the decider's card and to the dept head when an assignment or a named contact
would take a person over `policy.max_open_tasks_per_person`. It advises, never blocks."""
from __future__ import annotations

from datetime import date, datetime

from bot.testkit import TestBot
from cards.model import card_for
from scheduler.load import by_week, mondays, overlapping
from storage.models import Task
from storage.workflow import Held
from tests.cardkit import SPECS
from tests.conftest import SHANGHAI
from tests.scenario import CODE, count, ok, refused, to_executing

SECOND = "XZ-2026-0002"
MONDAY = date(2026, 11, 23)


def held(ref: str, start: date, due: date, person: int = 1) -> Held:
    return Held(ref, ref, person, 1, start, due)


def test_a_task_is_load_from_its_start_to_its_due_and_a_late_one_until_today() -> None:
    weeks = mondays(date(2026, 11, 25), 3)
    assert weeks == [MONDAY, date(2026, 11, 30), date(2026, 12, 7)]
    tasks = [held("T1", date(2026, 11, 24), date(2026, 11, 27)), held("T2", date(2026, 11, 30), date(2026, 12, 10)),
             held("T3", date(2026, 11, 2), date(2026, 11, 10)),  # late, still open: busy until today
             held("T4", date(2026, 12, 1), date(2026, 12, 2), person=2)]
    assert by_week(tasks, weeks, date(2026, 11, 25)) == {1: [2, 1, 1], 2: [0, 1, 0]}
    assert by_week(tasks, weeks, date(2026, 12, 8)) == {1: [2, 3, 3], 2: [0, 1, 1]}  # all four late by then
    assert [h.ref for h in overlapping(tasks, date(2026, 12, 3), date(2026, 12, 4), date(2026, 11, 25))] == ["T2"]


async def test_an_over_assignment_is_warned_on_the_card_and_to_the_head_and_still_made(tb: TestBot) -> None:
    await to_executing(tb)  # 李工 holds T2 (11-30 … 12-10)
    tb.bot.config.policy.max_open_tasks_per_person = 1
    ok(await tb.say("陈专员", "销售部", '/request "会员积分商城" goal="积分兑换率提升到30%" depts=研发部 due=2027-03-31'))
    answer = ok(await tb.say("李主管", "研发部", f"/evaluate {SECOND} 接受 contact=@李工 date=12-20"))
    assert f"冲突预警：李工 在 11-23～03-31 已有 1 项未完成任务（{CODE}/T2）" in answer.as_text()
    assert tb.pop("user:李主管") == []  # the head decided it himself: warned on his card only
    ok(await tb.say("周主任", "协作管理办公室", f"/approve {SECOND}"))
    added = ok(await tb.say("陈专员", "销售部", f"/task add {SECOND} 积分接口 dept=研发部 owner=@李工 deliverable=接口 "
                                                "standard=联调通过 start=12-01 due=12-08"))
    assert added.title.startswith("已新增任务 T1")  # advice, not a refusal
    assert f"冲突预警：李工 在 12-01～12-08 已有 1 项未完成任务（{CODE}/T2），再加 T1 将超过每人 1 项的上限" \
        in added.as_text()
    to_head = tb.pop("user:李主管")
    assert [m.title for m in to_head] == ["冲突预警：李工"] and f"（{SECOND} T1；" in to_head[0].body
    quiet = ok(await tb.say("陈专员", "销售部", f"/task add {SECOND} 文档 dept=研发部 owner=@赵工 deliverable=文档 "
                                                "standard=评审通过 start=12-01 due=12-08"))
    assert "冲突预警" not in quiet.as_text()
    moved = ok(await tb.say("陈专员", "销售部", f"/task edit {SECOND}/T2 owner=@李工"))
    assert "已有 2 项未完成任务" in moved.as_text()
    tb.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI))  # this week 李工 holds three open tasks
    portfolio = ok(await tb.say("周主任", "协作管理办公室", "/board"))
    assert portfolio.data["hot"] == "李工（研发部）3 项"
    assert "负载热点（超过每人任务上限）：李工（研发部）3 项" in str(card_for(portfolio, SPECS).blocks)
    after = ok(await tb.say("陈专员", "销售部", f"/task edit {SECOND}/T1 start=12-11 due=12-15"))
    assert "冲突预警" not in after.as_text()  # nothing else of his overlaps the new dates


async def test_the_default_limit_is_quiet_in_an_ordinary_collaboration(tb: TestBot) -> None:
    await to_executing(tb)
    assert "冲突预警" not in tb.pop_text("研发部")
    assert await count(tb, Task) == 3


async def test_load_shows_each_person_week_by_week_and_the_portfolio_its_hot_spots(tb: TestBot) -> None:
    await to_executing(tb)
    tb.bot.config.policy.max_open_tasks_per_person = 1
    load = ok(await tb.say("李主管", "研发部", "/load"))
    assert load.title == "研发部负载（11-23 起 6 周）"
    rows = {r["person"]: r for r in load.data["people"]}
    assert set(rows) == {"李主管", "李工", "赵工"}
    assert [rows["李工"][f"w{i}"] for i in range(6)] == [0, 1, 1, 0, 0, 0] and rows["李工"]["total"] == 1
    assert load.attachment is not None and load.attachment.name == "研发部负载-20261123.png"
    assert "没有人超过" in load.body
    assert "只能查看本部门的负载" in refused(await tb.say("王设计", "设计部", "/load 研发部")).as_text()
    assert ok(await tb.say("周主任", "协作管理办公室", "/load 设计部")).data["dept"] == "设计部"
    portfolio = ok(await tb.say("周主任", "协作管理办公室", "/board"))
    assert portfolio.data["hot"] == ""
