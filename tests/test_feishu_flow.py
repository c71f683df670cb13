"""A whole collaboration played by Feishu users, in both inbound modes, against the fake Feishu:
once by typing, once only by clicking the cards the bot sent (under both readings of whether
Feishu echoes a form's submit-button value)."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from bot.events import Event
from bot.router import Outcome
from tests.click_play import whole_collaboration
from tests.feishu_rig import CHATS, PEOPLE, FeishuRig
from tests.lifetime import running
from tests.scenario import one_containing


@pytest.fixture(params=["websocket", "webhook"])
async def rig(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[FeishuRig]:
    async with running(FeishuRig.create(db_url, request.param)) as rig:
        yield rig


async def test_whole_collaboration_by_text(rig: FeishuRig) -> None:
    await rig.say("小张", "市场部", '/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部,设计部 due=2026-12-31 '
                                    'priority=高')
    one_containing(rig.new("市场部"), "需求已提交：XZ-2026-0001")
    one_containing(rig.new("研发部"), "XZ-2026-0001")  # the evaluation request reaches the department's group
    await rig.say("李主管", "研发部", '/evaluate XZ-2026-0001 接受 contact=@李工 resources="2名开发" date=12-05')
    one_containing(rig.new("研发部"), "评估已答复：接受")
    await rig.say("王主管", "设计部", '/evaluate XZ-2026-0001 接受 contact=@王设计 resources="1名设计" date=12-05')
    await rig.say("周主任", "协作管理办公室", "/approve XZ-2026-0001 lead=市场部")
    one_containing(rig.new("协作管理办公室"), "协作立项确认函")
    await rig.say("张经理", "市场部", '/task add XZ-2026-0001 接口开发 dept=研发部 owner=@李工 deliverable="接口" '
                                      'standard="通过测试" start=11-24 due=12-10')
    for user, dept in (("张经理", "市场部"), ("李主管", "研发部"), ("王主管", "设计部")):
        await rig.say(user, dept, "/confirm XZ-2026-0001")
    one_containing(rig.new("研发部"), "执行方案已确认")
    await rig.say("李工", "研发部", "/status XZ-2026-0001/T1 进行中 60% 接口联调中")
    await rig.say("张经理", "市场部", '/progress XZ-2026-0001 done="完成" undone="无" next="上线" risks="无"')
    await rig.say("李工", "研发部", "/deliver XZ-2026-0001/T1 https://docs.example.com/api 接口文档")
    await rig.say("小张", "市场部", "/accept XZ-2026-0001/T1 通过 92 符合预期")
    await rig.say("小张", "市场部", "/rate XZ-2026-0001 研发部 5 5 4 很好")
    one_containing(rig.new("市场部"), "协作评价：研发部")
    await rig.say("周主任", "协作管理办公室", '/retro XZ-2026-0001 well="周会高效" improve="资源预留不足" '
                                            'lessons="提前锁定资源"')
    one_containing(rig.new("协作管理办公室"), "复盘报告已归档")
    assert rig.fake.rejected_429 == 0


@pytest.mark.parametrize("echo", [True, False], ids=["submit-value-echoed", "submit-name-only"])
async def test_whole_collaboration_by_clicks(rig: FeishuRig, echo: bool) -> None:
    rig.clicker.echo_submit_value = echo
    await whole_collaboration(rig)
    assert rig.fake.rejected_429 == 0


async def test_a_submitted_form_becomes_its_result_link_and_cannot_be_sent_twice(rig: FeishuRig) -> None:
    await rig.say("张经理", "市场部", "/request")
    form = rig.card("市场部")
    answer = await rig.click("张经理", form, "提交", name="Q4新品推广", goal="销量10万台", depts=["研发部"],
                             due="2026-12-31")
    assert answer is not None and answer["toast"]["type"] == "success"
    assert form.text.startswith("【已提交 → 需求已提交：XZ-2026-0001】")
    assert not any(e["tag"] == "form" for e in form.content["body"]["elements"]), "no inputs left to submit"
    result = rig.card("市场部", "需求已提交：XZ-2026-0001")
    assert result.reply_to == form.message_id  # posted under the form
    assert CHATS["市场部"] == result.chat_id


async def test_a_click_answered_in_time_changes_its_card_once(rig: FeishuRig) -> None:
    """The click's own answer carries the card's new state; the outbox does not update it again."""
    await rig.say("张经理", "市场部", "/request")
    form = rig.card("市场部")
    answer = await rig.click("张经理", form, "提交", name="Q4新品推广", goal="销量10万台", depts=["研发部"],
                             due="2026-12-31")
    assert answer is not None and "card" in answer
    await rig.settle()
    assert form.versions == 2 and form.texts_shown[1].startswith("【已提交 → 需求已提交：XZ-2026-0001】")


async def test_a_slow_click_is_acked_at_once_and_its_card_then_changed_once_by_the_outbox(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(FeishuRig.create(db_url, "webhook", card_answer_seconds=0.2)) as rig:
        await rig.say("张经理", "市场部", "/request")
        form = rig.card("市场部")
        handle = rig.bot.router.handle

        async def slow(event: Event, answer_by: float | None = None) -> Outcome:
            await asyncio.sleep(0.6)  # past card_answer_seconds and the grace after it
            return await handle(event, answer_by=answer_by)
        monkeypatch.setattr(rig.bot.router, "handle", slow)
        answer = await rig.click("张经理", form, "提交", name="Q4新品推广", goal="销量10万台", depts=["研发部"],
                                 due="2026-12-31")
        assert answer == {"toast": {"type": "info", "content": "处理中，结果稍后发到群里"}}
        await rig.settle()
        assert form.versions == 2 and form.texts_shown[1].startswith("【已提交 → 需求已提交：XZ-2026-0001】")


async def test_reading_buttons_leave_the_shared_card_alone(rig: FeishuRig) -> None:
    """A button whose answer is not a new state of the card's own object posts a new message:
    under the card, or to the clicker alone when it is about them (my tasks)."""
    await rig.say("张经理", "市场部", "/help")
    card = rig.card("市场部")
    before = json.dumps(card.content, ensure_ascii=False)
    answer = await rig.click("小马", card, "我的任务")
    assert answer is not None and "card" not in answer
    assert json.dumps(card.content, ensure_ascii=False) == before and card.versions == 1
    [mine] = rig.fake.chat(f"user:{PEOPLE['小马']}")
    assert "我的任务" in mine.text
    assert rig.card("市场部") is card, "nothing new in the group"
    await rig.click("小马", card, "发起需求")
    form = rig.card("市场部")
    assert form is not card and form.reply_to == card.message_id and card.versions == 1
