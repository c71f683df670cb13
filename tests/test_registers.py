"""The registers (docs/workflow.md, "Who sees what…"): the manual's columns filled from the record,
open rows by default, all=是 and dept= filters, and a form on the card that acts on a row."""
from __future__ import annotations

from datetime import timedelta

from bot.testkit import TestBot
from storage.models import ChangeRequest, Problem, Risk
from tests.scenario import CODE, ok, one, to_executing
from tests.test_card_actions import press


async def _record(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("李工", "研发部", f"/problem {CODE} 压测环境不足 impact=高 dept=研发部 owner=@李工 due=12-02"))
    ok(await tb.say("王设计", "设计部", f"/problem {CODE} 素材授权未到 dept=设计部"))
    ok(await tb.say("小张", "市场部", f"/risk {CODE} 上线窗口可能被占用 level=高 mitigation=\"预留备用窗口\""))
    ok(await tb.say("李工", "研发部", f'/change {CODE} kind=时间 task=T2 due=12-12 reason="接口方延期"'))
    ok(await tb.say("张经理", "市场部", f"/meeting {CODE} kind=周会 date=2026-11-24 time=10:00 agenda=同步"))
    tb.clear()


async def test_the_problem_register_has_the_manual_s_columns_and_filters(tb: TestBot) -> None:
    await _record(tb)
    card = ok(await tb.say("张经理", "市场部", f"/problem list {CODE}"))
    assert card.title == f"{CODE} 《问题记录与解决表》（未关闭，2）"
    assert [c["label"] for c in card.data["columns"]] == [
        "编号", "问题描述", "影响程度", "责任部门", "原因", "解决措施", "负责人", "计划完成", "实际完成", "验收结果", "状态"]
    first = card.data["rows"][0]
    assert (first["ref"], first["impact"], first["dept"], first["owner"], first["planned"], first["state"]) == \
        ("P1", "高", "研发部", "李工", "2026-12-02", "未解决（牵头部门）")
    design = ok(await tb.say("张经理", "市场部", f"/problem list {CODE} dept=设计部"))
    assert [r["ref"] for r in design.data["rows"]] == ["P2"]
    form = await press(tb, "李工", "研发部", card, "登记解决", verification="已扩容并复测")
    assert (await one(tb, Problem, number=1)).status == "resolved", form.title
    assert [r["ref"] for r in ok(await tb.say("张经理", "市场部", f"/problem list {CODE}")).data["rows"]] == ["P2"]
    everything = ok(await tb.say("张经理", "市场部", f"/problem list {CODE} all=是"))
    assert [(r["ref"], r["state"], r["result"]) for r in everything.data["rows"]][0] == ("P1", "已解决", "已扩容并复测")


async def test_the_risk_change_and_meeting_registers_act_on_a_row(tb: TestBot) -> None:
    await _record(tb)
    risks = ok(await tb.say("张经理", "市场部", f"/risk list {CODE}"))
    assert [(r["ref"], r["level"], r["mitigation"], r["state"]) for r in risks.data["rows"]] == \
        [("R1", "高", "预留备用窗口", "跟踪中")]
    await press(tb, "张经理", "市场部", risks, "更新风险", level="低")
    assert (await one(tb, Risk, number=1)).level == "low"
    changes = ok(await tb.say("张经理", "市场部", f"/change list {CODE}"))
    assert [(r["ref"], r["kind"], r["task"], r["by"], r["state"]) for r in changes.data["rows"]] == \
        [("C1", "时间", "T2", "李工", "待审批")]
    await press(tb, "张经理", "市场部", changes, "批准变更", note="同意")
    assert (await one(tb, ChangeRequest, number=1)).status == "approved"
    assert ok(await tb.say("张经理", "市场部", f"/change list {CODE}")).data["rows"] == []
    tb.clock.advance(timedelta(days=1, hours=1))
    meetings = ok(await tb.say("张经理", "市场部", f"/meeting list {CODE}"))
    assert [(r["ref"], r["time"], r["state"]) for r in meetings.data["rows"]] == [("M1", "2026-11-24 10:00", "已安排")]
    await press(tb, "张经理", "市场部", meetings, "记录纪要", minutes="进度正常")
    assert ok(await tb.say("张经理", "市场部", f"/meeting list {CODE} all=是")).data["rows"][0]["state"] == \
        "已召开（纪要已记录）"


async def test_a_register_of_a_collaboration_one_cannot_see_is_refused(tb: TestBot) -> None:
    await _record(tb)
    for name in ("problem", "risk", "change", "meeting"):
        replies = await tb.say("陈专员", "销售部", f"/{name} list {CODE}")
        assert replies[0].is_error and "没有编号为" in replies[0].body
