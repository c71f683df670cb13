"""A whole collaboration played by DingTalk users against the fake DingTalk: by text, and by card clicks."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.dingtalk_rig import PEOPLE, DingTalkRig
from tests.lifetime import running
from tests.scenario import one_containing

TEMPLATE = "xiezuo-card.schema"


@pytest.fixture
async def rig(db_url: str) -> AsyncIterator[DingTalkRig]:
    async with running(DingTalkRig.create(db_url)) as rig:
        yield rig


@pytest.fixture
async def card_rig(db_url: str) -> AsyncIterator[DingTalkRig]:
    async with running(DingTalkRig.create(db_url, card_template_id=TEMPLATE)) as rig:
        rig.fake.add_template(TEMPLATE)
        yield rig


async def request_and_evaluate_by_text(rig: DingTalkRig) -> None:
    await rig.say("小张", "市场部", '/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部,设计部 due=2026-12-31 '
                                    'priority=高')
    one_containing(rig.texts("市场部"), "需求已提交：XZ-2026-0001")
    one_containing(rig.texts("研发部"), "XZ-2026-0001")  # the evaluation request reaches the department's group
    await rig.say("李主管", "研发部", '/evaluate XZ-2026-0001 接受 contact=@李工 resources="2名开发" date=12-05',
                  at=(PEOPLE["李工"],))
    one_containing(rig.texts("研发部"), "评估已答复：接受")
    await rig.say("王主管", "设计部", '/evaluate XZ-2026-0001 接受 contact=@王设计 resources="1名设计" date=12-05',
                  at=(PEOPLE["王设计"],))


async def plan_to_delivery(rig: DingTalkRig) -> None:
    """Stages 2–4 by text after the evaluations: approval, plan, progress, delivery."""
    await rig.say("周主任", "协作管理办公室", "/approve XZ-2026-0001 lead=市场部")
    one_containing(rig.texts("协作管理办公室"), "协作立项确认函")
    await rig.say("张经理", "市场部", '/task add XZ-2026-0001 接口开发 dept=研发部 owner=@李工 deliverable="接口" '
                                      'standard="通过测试" start=11-24 due=12-10', at=(PEOPLE["李工"],))
    for user, dept in (("张经理", "市场部"), ("李主管", "研发部"), ("王主管", "设计部")):
        await rig.say(user, dept, "/confirm XZ-2026-0001")
    one_containing(rig.texts("研发部"), "执行方案已确认")
    await rig.say("李工", "研发部", "/status XZ-2026-0001/T1 进行中 60% 接口联调中")
    await rig.say("张经理", "市场部", '/progress XZ-2026-0001 done="完成" undone="无" next="上线" risks="无"')
    await rig.say("李工", "研发部", "/deliver XZ-2026-0001/T1 https://docs.example.com/api 接口文档")
    rig.new("市场部")


async def play_until_delivery(rig: DingTalkRig) -> None:
    await request_and_evaluate_by_text(rig)
    await plan_to_delivery(rig)


async def test_whole_collaboration_by_text(rig: DingTalkRig) -> None:
    await play_until_delivery(rig)
    # A form command typed bare answers with the form as markdown: the exact command to type.
    await rig.say("小张", "市场部", "/accept")
    form = one_containing(rig.texts("市场部"), "/accept")
    assert "task=" in form
    await rig.say("小张", "市场部", "/accept XZ-2026-0001/T1 通过 92 符合预期")
    one_containing(rig.texts("市场部"), "T1 验收通过（92 分）")
    await rig.say("小张", "市场部", "/rate XZ-2026-0001 研发部 5 5 4 很好")
    one_containing(rig.texts("市场部"), "协作评价：研发部")
    await rig.say("周主任", "协作管理办公室", '/retro XZ-2026-0001 well="周会高效" improve="资源预留不足" '
                                            'lessons="提前锁定资源"')
    one_containing(rig.texts("协作管理办公室"), "复盘报告已归档")
    # Replies went through the session webhooks, notices through the OpenAPI; nothing was throttled.
    assert {s.via for s in rig.fake.messages(rig_chat("协作管理办公室"))} == {"webhook", "openapi"}
    assert rig.fake.throttled == 0


async def test_private_chat_reply_by_webhook(rig: DingTalkRig) -> None:
    await rig.say("李工", "p2p", "/help")
    seen = rig.new("李工")
    assert len(seen) == 1 and seen[0].via == "webhook" and "/request" in seen[0].text


async def test_whole_collaboration_with_card_clicks(card_rig: DingTalkRig) -> None:
    rig = card_rig
    await rig.say("小张", "市场部", '/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部,设计部 due=2026-12-31 '
                                    'priority=高')
    for dept, head, contact in (("研发部", "李主管", "李工"), ("设计部", "王主管", "王设计")):
        await rig.say(contact, dept, "/mytasks")  # the contact has spoken in the group: known by name
        cards = [s for s in rig.new(dept) if s.kind == "card" and '"evaluate"' in s.card["forms"]]
        assert len(cards) == 1  # the evaluation request is an interactive card with the answer form
        answer = await rig.click(head, cards[0], "evaluate", {"id": "XZ-2026-0001", "decision": "accept"},
                                 contact=contact, resources="2人", date="12-05")
        assert "评估已答复：接受" in answer["cardData"]["cardParamMap"]["title"]
    await plan_to_delivery(rig)
    await rig.say("小张", "市场部", "/accept")
    [card] = rig.new("市场部")
    assert card.kind == "card" and card.via == "card" and "/accept" in card.card["commands"]
    answer = await rig.click("小张", card, "accept", task="XZ-2026-0001/T1", result="通过", score="92",
                             comment="符合预期")
    assert "验收通过" in answer["cardData"]["cardParamMap"]["title"]
    assert "验收通过" in rig.fake.card(card.out_track_id)["title"]  # the card shows the result to everyone
    posted = rig.new("市场部")
    assert not any("验收通过（92" in s.title for s in posted), [(s.title, s.via) for s in posted]  # not re-posted
    updates = [b for path, b in rig.fake.requests if path == "/v1.0/card/instances"]
    assert updates[-1]["outTrackId"] == card.out_track_id  # the outbox's update, by PUT
    assert len(updates) == 3  # one per successful click: two evaluations, one acceptance
    # A refused click shows the error to the clicker only; nothing changes.
    refused = await rig.click("小马", card, "accept", task="XZ-2026-0001/T1", result="通过", score="80")
    assert "userPrivateData" in refused and "cardData" not in refused
    assert "操作未完成" in rig.fake.private_card(card.out_track_id, PEOPLE["小马"])["error"]
    assert rig.fake.card(card.out_track_id)["error"] == ""
    await rig.say("小张", "市场部", "/rate XZ-2026-0001 研发部 5 5 4 很好")
    one_containing(rig.texts("市场部"), "协作评价：研发部")


def rig_chat(dept: str) -> str:
    from tests.dingtalk_rig import CHATS

    return CHATS[dept]
