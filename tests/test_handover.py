"""People change (docs/workflow.md, "People and groups change"): a person who leaves is recorded
by their dept head, their open tasks, 对接人 roles and action items are listed with the button that
hands each over, and every reassignment is audited and told to the new holder."""
from __future__ import annotations

from datetime import timedelta

from bot.testkit import TestBot
from storage.models import AuditEntry, Department, Participant, Person, Task
from tests.scenario import CODE, count, ok, one, refused, to_executing
from tests.test_card_actions import press


async def _li_holds_work(tb: TestBot) -> None:
    """李工 owns T2, is 研发部's 对接人 and owns the action item A1."""
    await to_executing(tb)
    ok(await tb.say("张经理", "市场部", f"/meeting {CODE} kind=周会 date=2026-11-24 time=10:00 agenda=进度同步"))
    tb.clock.advance(timedelta(days=1, hours=1))
    ok(await tb.say("张经理", "市场部", f'/minutes {CODE}/M1 进度正常 action="补充接口文档 @李工 11-27"'))
    tb.clear()


async def test_a_leaver_s_work_is_listed_and_handed_over_from_the_card(tb: TestBot) -> None:
    await _li_holds_work(tb)
    refused(await tb.say("王设计", "设计部", "/leave @李工"))  # not 李工's head
    card = ok(await tb.say("李主管", "研发部", "/leave @李工 调岗至其他事业部"))
    assert card.title == "工作交接：李工"
    assert [(i["what"], i["ref"]) for i in card.data["items"]] == [
        ("任务", f"{CODE}/T2"), ("对接人", CODE), ("行动项", f"{CODE}/A1")]
    assert "李工 已登记离开（调岗至其他事业部）" in card.body
    assert (await one(tb, AuditEntry, action="person.leave")).detail["held"] == [f"{CODE}/T2", CODE, f"{CODE}/A1"]

    form = await press(tb, "李主管", "研发部", card, "改派 T2")
    offered = {c["label"] for f in form.data["fields"] if f["name"] == "owner" for c in f["choices"]}
    assert offered == {"李主管（研发部）", "赵工（研发部）"}, "only 研发部's people, and not the one who left"
    tb.clear()
    done = await press(tb, "李主管", "研发部", form, "提交", owner="赵工", reason="李工调岗")
    assert done.title == f"{CODE} T2 改派给 赵工：功能开发" and "第一责任人：李工 → 赵工（李工调岗）" in done.body
    zhao = (await one(tb, Person, name="赵工")).id
    assert (await one(tb, Task, number=2)).owner_person_id == zhao
    assert [m.title for m in tb.pop("市场部")] == [done.title]  # the lead dept hears of it
    audit = await one(tb, AuditEntry, action="task.reassign")
    assert (audit.detail["before"], audit.detail["after"]) == ("李工", "赵工")

    contact_form = await press(tb, "李主管", "研发部", card, "更换对接人 XZ-2026-0001")
    await press(tb, "李主管", "研发部", contact_form, "提交", person="赵工")
    research = (await one(tb, Department, name="研发部")).id
    assert (await one(tb, Participant, dept_id=research)).contact_id == zhao
    action_form = await press(tb, "李主管", "研发部", card, "改派 A1")
    moved = await press(tb, "李主管", "研发部", action_form, "提交", owner="赵工")
    assert moved.title == f"{CODE} 行动项 A1 改派给 赵工"
    assert await count(tb, AuditEntry, action="contact.change") == 1
    assert await count(tb, AuditEntry, action="action.reassign") == 1
    again = refused(await tb.say("周主任", "协作管理办公室", "/leave @李工"))
    assert "已于 2026-11-24 登记离开" in again.body


async def test_work_is_not_handed_to_someone_who_left_nor_outside_the_dept(tb: TestBot) -> None:
    await _li_holds_work(tb)
    ok(await tb.say("李主管", "研发部", "/leave @李工"))
    gone = refused(await tb.say("李主管", "研发部", f"/task assign {CODE}/T2 owner=@李工"))
    assert "李工 已离开组织" in gone.body
    other = refused(await tb.say("李主管", "研发部", f"/task assign {CODE}/T2 owner=@王设计"))
    assert "王设计 不属于研发部" in other.body
    refused(await tb.say("王主管", "设计部", f"/task assign {CODE}/T2 owner=@赵工"))  # another dept's head
    ok(await tb.say("张经理", "市场部", f"/task assign {CODE}/T2 owner=@赵工"))  # the lead dept may
