"""Card actions through the router: open a pre-filled form, update the clicked card in place, keep it
usable after an error, and walk every workflow action using nothing but the cards' buttons and forms."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.events import CardAction, Chat, User
from bot.messages import Message
from bot.platforms.memory import PLATFORM
from bot.router import Outcome
from bot.testkit import TestBot
from cards.model import card_for
from tests.cardkit import SPECS

CARD_ID = "card-msg-1"


async def click(tb: TestBot, user: str, chat: str, command: str, values: dict[str, Any]) -> Outcome:
    event = CardAction(Chat(PLATFORM, chat, True, chat), User(PLATFORM, user, user), f"act-{id(values)}-{command}",
                       command, values, card_message_id=CARD_ID)
    return await tb.push(event)


async def press(tb: TestBot, user: str, chat: str, message: Message, label: str, **fields: Any) -> Message:
    """Click the button `label` of `message`'s card (filling its form with `fields`); the card's new state."""
    card = card_for(message, SPECS)
    for block in card.blocks:
        if block["type"] == "buttons":
            for button in block["buttons"]:
                if button["label"] == label:
                    assert not fields, "a plain button has no fields"
                    return ok(await click(tb, user, chat, button["command"], button["values"]))
        if block["type"] == "form":
            names = {f["name"] for f in block["fields"]}
            fixed = {f["name"]: f["value"] for f in block["fields"] if f.get("value") not in (None, "")}
            for button in block["buttons"]:
                if button["label"] == label:
                    assert set(fields) <= names, f"{set(fields) - names} not on the {card.kind} form"
                    return ok(await click(tb, user, chat, block["command"], fixed | fields | button["values"]))
    raise AssertionError(f"no button {label!r} on card {card.kind}: {message.title}")


def ok(outcome: Outcome) -> Message:
    assert not outcome.error, outcome.replies[0].as_text()
    return outcome.replies[0]


def find(messages: list[Message], template: str) -> Message:
    found = [m for m in messages if m.template == template]
    assert found, f"no {template} card among {[m.template for m in messages]}"
    return found[-1]


async def test_open_form_button_replies_with_a_prefilled_form_and_changes_nothing(tb: TestBot) -> None:
    outcome = await click(tb, "张经理", "市场部", "task add", {"id": "XZ-2026-0009", "_form": "1"})
    assert not outcome.error and not outcome.replaces_card
    form = outcome.replies[0]
    assert form.template == "form" and form.data["command"] == "task add"
    assert form.data["values"] == {"id": "XZ-2026-0009"}
    assert [i.kind for i in tb.sender.inbox["市场部"]] == ["reply"]


async def test_a_successful_click_updates_the_card_in_place(tb: TestBot) -> None:
    outcome = await click(tb, "张经理", "市场部", "request", {
        "name": "Q4新品推广", "goal": "销量10万台", "depts": ["研发部"], "due": "2026-12-31"})
    assert outcome.replaces_card and not outcome.error
    item = tb.sender.inbox["市场部"][0]
    assert (item.kind, item.reply_to, item.message.template) == ("update", CARD_ID, "request")


async def test_an_error_is_a_toast_and_the_card_stays(tb: TestBot) -> None:
    outcome = await click(tb, "张经理", "市场部", "request", {"name": "含糊的需求", "goal": "尽快提升体验",
                                                           "depts": ["研发部"], "due": "2026-12-31"})
    assert outcome.error and not outcome.replaces_card
    assert "量化" in outcome.replies[0].body
    assert tb.sender.inbox.get("市场部", []) == [], "a refused click is answered inline, not in the chat"


async def test_reading_buttons_post_a_new_card(tb: TestBot) -> None:
    outcome = await click(tb, "张经理", "市场部", "help", {})
    assert not outcome.error and not outcome.replaces_card
    assert tb.sender.inbox["市场部"][0].kind == "reply"


async def test_every_workflow_action_from_cards(tb: TestBot) -> None:
    # Stage 1: the request form.
    form = (await tb.say("张经理", "市场部", "/request"))[0]
    request = await press(tb, "张经理", "市场部", form, "提交", name="Q4新品推广", goal="10-12月销量10万台",
                          depts=["研发部"], due="2026-12-31", priority="high")
    assert request.title == "需求已提交：XZ-2026-0001"
    edit_form = await press(tb, "张经理", "市场部", request, "修改需求")
    assert (await press(tb, "张经理", "市场部", edit_form, "提交", goal="10-12月销量12万台")).template == "request"

    # Stage 2: 研发部 answers on its card, the PMO approves on the summary.
    invite = find(tb.pop("研发部"), "evaluation_request")
    answer = await press(tb, "李主管", "研发部", invite, "接受", contact="李工", resources="2名开发", date="2026-12-05")
    assert answer.template == "evaluation_answer" and answer.data["by"] == "李主管"
    summary = find(tb.pop("协作管理办公室"), "evaluation_summary")
    charter = await press(tb, "周主任", "协作管理办公室", summary, "批准立项")
    assert charter.template == "charter"
    assert find(tb.pop("市场部"), "charter").title == find(tb.pop("研发部"), "charter").title

    # Stage 3: kickoff meeting, a task, sign-off by both heads.
    kickoff = await press(tb, "张经理", "市场部", charter, "安排启动会")
    meeting = await press(tb, "张经理", "市场部", kickoff, "提交", date="2026-11-24", time="10:00", agenda="分工")
    tb.clock.advance(timedelta(days=1, hours=1))  # the kickoff has taken place: minutes may follow
    minutes_form = await press(tb, "张经理", "市场部", meeting, "记录纪要")
    minuted = await press(tb, "张经理", "市场部", minutes_form, "提交", minutes="分工已定",
                          action=["补充FAQ @李工 12-05"])
    assert minuted.title.startswith("会议纪要")
    actions = await press(tb, "李工", "研发部", find(tb.pop("研发部"), "meeting"), "行动项")
    assert [i["ref"] for i in actions.data["items"]] == ["XZ-2026-0001/A1"]
    closed = await press(tb, "李工", "研发部", actions, "完成行动项", note="FAQ 已上线")
    assert closed.template == "action_item" and closed.data["status"] == "done"
    task_form = await press(tb, "张经理", "市场部", charter, "新增任务")
    task = await press(tb, "张经理", "市场部", task_form, "提交", title="接口开发", dept="研发部", owner="李工",
                       deliverable="接口文档", standard="联调通过", start="2026-11-25", due="2026-12-10")
    assert task.template == "task"
    await press(tb, "李主管", "研发部", task, "确认方案")
    confirmed = await press(tb, "张经理", "市场部", task, "确认方案")
    assert confirmed.template == "plan_confirmed"

    # Stage 4: weekly progress, my tasks, status.
    progress_form = await press(tb, "李主管", "研发部", confirmed, "提交周进度")
    progress = await press(tb, "李主管", "研发部", progress_form, "提交", done="接口设计完成", next="开发")
    board = await press(tb, "李主管", "研发部", progress, "查看看板")
    assert board.template == "board" and board.data["stage"] == "executing"
    mine = (await tb.say("李工", "研发部", "/mytasks"))[0]
    status = await press(tb, "李工", "研发部", mine, "更新状态", state="doing", progress="50", note="开发中")
    assert status.template == "task_status" and status.data["progress"] == 50

    # Stage 5: problem, risk, change.
    problem_form = await press(tb, "李主管", "研发部", board, "记录问题")
    problem = await press(tb, "李主管", "研发部", problem_form, "提交", description="测试环境不稳定", impact="medium")
    resolve_form = await press(tb, "李主管", "研发部", problem, "登记解决")
    assert (await press(tb, "李主管", "研发部", resolve_form, "提交", verification="已修复")).data["status"] == "resolved"
    risk_form = await press(tb, "李主管", "研发部", board, "登记风险")
    risk = await press(tb, "李主管", "研发部", risk_form, "提交", description="人手紧张", level="medium")
    assert (await press(tb, "李主管", "研发部", risk, "关闭风险")).data["status"] == "closed"
    change_form = await press(tb, "李主管", "研发部", board, "变更申请")
    change = await press(tb, "李主管", "研发部", change_form, "提交", kind="dates", task="T1", due="2026-12-12",
                         reason="联调推迟")
    assert (await press(tb, "张经理", "市场部", change, "批准变更")).data["status"] == "approved"

    # Stage 6: deliver, accept, rate, retrospective.
    deliver_form = await press(tb, "李工", "研发部", status, "提交交付物")
    delivery = await press(tb, "李工", "研发部", deliver_form, "提交", content="https://docs.example.com/api")
    accepted = await press(tb, "张经理", "市场部", find(tb.pop("市场部"), "delivery"), "验收通过", score="95")
    assert accepted.template == "acceptance" and delivery.template == "delivery"
    done = find(tb.pop("市场部"), "accepted")
    rate_form = await press(tb, "张经理", "市场部", done, "评价协作部门")
    rating = await press(tb, "张经理", "市场部", rate_form, "提交", dept="研发部", responsiveness="5",
                         communication="5", quality="4")
    assert rating.template == "rating"
    retro_form = await press(tb, "张经理", "市场部", done, "提交复盘")
    retro = await press(tb, "张经理", "市场部", retro_form, "提交", well="周会高效", improve="资源预留",
                        lessons="提前锁定资源")
    assert retro.template == "retrospective"


async def test_return_and_resubmit_from_cards(tb: TestBot) -> None:
    await tb.say("张经理", "市场部", '/request "新官网" goal="转化率提升20%" depts=设计部 due=2026-12-31')
    invite = find(tb.pop("设计部"), "evaluation_request")
    await press(tb, "王主管", "设计部", invite, "拒绝", comment="本月排期已满")
    summary = find(tb.pop("协作管理办公室"), "evaluation_summary")
    assert summary.data["all_accepted"] is False
    return_form = await press(tb, "周主任", "协作管理办公室", summary, "退回发起部门")
    returned = await press(tb, "周主任", "协作管理办公室", return_form, "提交", reason="设计部排期已满")
    assert returned.template == "returned"
    edit_form = await press(tb, "张经理", "市场部", returned, "修改需求")
    await press(tb, "张经理", "市场部", edit_form, "提交", due="2027-01-29")
    resubmitted = await press(tb, "张经理", "市场部", returned, "重新提交")
    assert "重新提交" in resubmitted.title


async def test_a_click_replayed_after_a_crash_still_updates_its_card(tb: TestBot) -> None:
    event = CardAction(Chat(PLATFORM, "市场部", True, "市场部"), User(PLATFORM, "张经理", "张经理"), "act-crash",
                       "request", {"name": "Q4新品推广", "goal": "销量10万台", "depts": ["研发部"], "due": "2026-12-31"},
                       card_message_id=CARD_ID)
    assert (await tb.bot.router.claim_many([event])) == [True]  # acked, then the process died
    assert await tb.bot.resume_unfinished() == 1
    await tb.bot.dispatcher.drain()
    item = tb.sender.inbox["市场部"][0]
    assert (item.kind, item.reply_to) == ("update", CARD_ID)
