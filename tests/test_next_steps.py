"""Every card a person receives carries what that person does next (issue: a record people can
trust): the initiator asked for more information gets the edit form filled in with the request
as it is; after the edit the evaluators whose answer it voids get the evaluation form again, not
the initiator's buttons, and the others keep their answers."""
from __future__ import annotations

from bot.testkit import TestBot
from storage import workflow
from storage.models import AuditEntry
from tests.scenario import CODE, approve, evaluate_all, ok, one, plan, raise_request
from tests.test_card_actions import click, find, press


async def test_need_info_leads_the_initiator_to_a_filled_in_edit_form_and_the_evaluators_back_to_theirs(
        tb: TestBot) -> None:
    await raise_request(tb)
    tb.clear()
    ok(await tb.say("王主管", "设计部", f'/evaluate {CODE} 需补充信息 comment="请补充投放渠道"'))
    asked = find(tb.pop("市场部"), "evaluation_answer")
    form = await press(tb, "小张", "市场部", asked, "修改需求")
    assert form.template == "form" and form.data["command"] == "request edit"
    values = form.data["values"]
    assert (values["id"], values["name"], values["due"]) == (CODE, "Q4新品推广", "2026-12-31")
    assert values["goal"] == "10-12月销量10万台", "the form opens with the request as it is"
    tb.clear()
    edited = await press(tb, "小张", "市场部", form, "提交", background="投放渠道：抖音、小红书")
    assert edited.title == f"需求已修改：{CODE}"
    for dept in ("研发部", "设计部"):
        update = find(tb.pop(dept), "evaluation_request")
        assert update.title.startswith("需求有更新") and "需求已修改（需求背景）" in update.body


async def test_a_task_edit_form_opens_with_the_task_as_it_is(tb: TestBot) -> None:
    await raise_request(tb)
    await evaluate_all(tb)
    await approve(tb)
    await plan(tb)
    outcome = await click(tb, "李工", "研发部", "task edit", {"task": f"{CODE}/T2", "_form": "1"})
    values = outcome.replies[0].data["values"]
    assert (values["title"], values["dept"], values["owner"], values["start"], values["due"]) == (
        "功能开发", "研发部", "李工", "2026-11-30", "2026-12-10")


async def test_the_reply_says_what_an_alias_was_taken_as(tb: TestBot) -> None:
    reply = ok(await tb.say("小张", "市场部", '/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部 '
                                              'due=2026-12-31 priority=紧急'))
    assert "优先级“紧急”按“高”记录" in reply.body


async def test_forms_offer_only_valid_choices(tb: TestBot) -> None:
    request = (await click(tb, "小张", "市场部", "request", {"_form": "1"})).replies[0]
    depts = {c["value"] for f in request.data["fields"] if f["name"] == "depts" for c in f["choices"]}
    assert depts and "协作管理办公室" not in depts and "市场部" not in depts, depts  # nor one's own
    await raise_request(tb)  # 市场部 with 研发部 and 设计部
    await evaluate_all(tb)
    await approve(tb)
    form = (await click(tb, "张经理", "市场部", "task add", {"id": CODE, "_form": "1"})).replies[0]
    fields = {f["name"]: f for f in form.data["fields"]}
    assert {c["value"] for c in fields["dept"]["choices"]} == {"市场部", "研发部", "设计部"}
    owners = {c["label"].split("（")[0] for c in fields["owner"]["choices"]}
    assert owners == {"张经理", "小张", "小马", "李主管", "李工", "赵工", "王主管", "王设计"}  # no one from outside


async def _answered(tb: TestBot) -> None:
    """研发部 accepted committing 12-01, 设计部 accepted with no date: both answers stand so far."""
    await raise_request(tb)
    await evaluate_all(tb)
    tb.clear()


async def test_an_edit_asks_again_only_the_depts_whose_answer_it_voids(tb: TestBot) -> None:
    await _answered(tb)
    ok(await tb.say("小张", "市场部", f"/request edit {CODE} priority=低"))  # voids nothing
    assert [m.body.split("。")[1] for dept in ("研发部", "设计部") for m in tb.pop(dept)] == \
        ["贵部门的结论（接受）保留，无需再次答复；如需改变：/evaluate XZ-2026-0001 …"] * 2
    edited = ok(await tb.say("小张", "市场部", f"/request edit {CODE} due=2026-11-30"))  # before 研发部's 12-01
    assert "已请 研发部 重新评估；其余部门的结论保留。" in edited.body
    again = find(tb.pop("研发部"), "evaluation_request")
    assert again.title == f"需求有更新，请重新评估：{CODE} Q4新品推广" and "上次的结论（接受）需要重新确认" in again.body
    assert find(tb.pop("设计部"), "request").title == f"需求有更新：{CODE} Q4新品推广"
    async with tb.bot.sessions() as session:
        answers = {a.dept_id: a.decision for a in await workflow.evaluations(session, 1, 1)}
    assert sorted(answers.values()) == ["accept", "pending"]
    assert "评估" not in " ".join(m.title for m in tb.pop("协作管理办公室"))  # not complete any more: no summary
    ok(await tb.say("李主管", "研发部", f'/evaluate {CODE} 接受 contact=@李工 resources="2名开发" date=11-30'))
    assert find(tb.pop("协作管理办公室"), "evaluation_summary").data["all_accepted"]


async def test_a_change_of_substance_asks_every_answered_dept_again(tb: TestBot) -> None:
    await _answered(tb)
    edited = ok(await tb.say("小张", "市场部", f'/request edit {CODE} goal="10-12月销量12万台"'))
    assert "已请 研发部、设计部 重新评估" in edited.body
    for dept in ("研发部", "设计部"):
        assert find(tb.pop(dept), "evaluation_request").title.startswith("需求有更新，请重新评估")
    audit = await one(tb, AuditEntry, action="request.edit")
    assert audit.detail["reasked"] == ["研发部", "设计部"]
