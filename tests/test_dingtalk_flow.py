"""A whole collaboration played by DingTalk users against the fake DingTalk: by text, and by card clicks."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import unquote

import pytest

from tests.click_play import whole_collaboration
from tests.dingtalk_rig import PEOPLE, TEMPLATE, DingTalkRig
from tests.lifetime import running
from tests.scenario import one_containing


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


@pytest.mark.parametrize("objects", [True, False], ids=["params-as-objects", "params-as-strings"])
async def test_whole_collaboration_by_clicks(db_url: str, objects: bool) -> None:
    async with running(DingTalkRig.for_a_whole_play(db_url, objects)) as card_rig:
        await _play_by_clicks(card_rig, objects)


async def _play_by_clicks(card_rig: DingTalkRig, objects: bool) -> None:
    card_rig.fake.template.dates_as_millis = not objects
    for user, dept in (("李工", "研发部"), ("李主管", "研发部")):  # DingTalk names people once they write
        await card_rig.say(user, dept, "/help")
    await whole_collaboration(card_rig)
    assert card_rig.fake.throttled == 0


async def test_a_clicked_card_is_updated_by_the_answer_and_a_refusal_shows_to_the_clicker(card_rig: DingTalkRig
                                                                                         ) -> None:
    rig = card_rig
    await rig.say("小张", "市场部", "/request")
    form = rig.card("市场部")
    answer = await rig.click("小张", form, "提交", name="Q4新品推广", goal="10-12月销量10万台", depts=["研发部"],
                             due="2026-12-31")
    assert answer["cardData"]["cardParamMap"]["title"] == "已提交 → 需求已提交：XZ-2026-0001"
    assert rig.fake.card(form.out_track_id)["title"].startswith("已提交")  # everyone sees it submitted
    rig.card("市场部", "需求已提交：XZ-2026-0001")  # the result, posted under it
    updates = [b for path, b in rig.fake.requests if path == "/v1.0/card/instances"]
    assert updates == []  # answered inline: the card is not updated a second time through the outbox
    # A refused click shows the error to the clicker only; nothing changes.
    invite = rig.card("研发部", "协作评估邀请")
    refused = await rig.click("小马", invite, "接受", resources="2人", date="2026-12-05")
    assert "userPrivateData" in refused and "cardData" not in refused
    assert "操作未完成" in rig.fake.private_card(invite.out_track_id, PEOPLE["小马"])["error"]
    assert rig.fake.card(invite.out_track_id)["error"] == ""


def rig_chat(dept: str) -> str:
    from tests.dingtalk_rig import CHATS

    return CHATS[dept]


async def test_people_named_in_a_notice_are_really_notified(rig: DingTalkRig) -> None:
    """groupMessages/send cannot @ anyone: without a fresh session webhook in the group the named
    people get the notice one-to-one; with one, its at-list notifies them in the group."""
    await rig.say("小张", "市场部", '/request "新品" goal="销量10万台" depts=研发部 due=2026-12-31')
    [invite] = rig.new("研发部")
    assert invite.via == "openapi" and "staff" not in invite.text  # never a raw staff id
    assert (PEOPLE["李主管"], "one-to-one") in {(u, how) for u, how, _ in rig.fake.notified}
    assert "协作评估邀请" in rig.new("李主管")[0].title

    rig.fake.notified.clear()
    await rig.say("李主管", "研发部", "/help")  # now 研发部 has a fresh session webhook
    rig.new("研发部")
    await rig.say("小张", "市场部", '/request "新品二" goal="销量20万台" depts=研发部 due=2026-12-31')
    [invite] = rig.new("研发部")
    assert invite.via == "webhook" and f"@{PEOPLE['李主管']}" in invite.text
    assert [how for u, how, _ in rig.fake.notified if u == PEOPLE["李主管"]] == ["webhook-at"]  # once, in the group
    assert (PEOPLE["周主任"], "one-to-one") in {(u, how) for u, how, _ in rig.fake.notified}  # the PMO's group was quiet
    assert "@李主管" not in invite.text  # the client shows the highlighted id as the name


async def test_an_action_card_button_sends_its_command_as_the_user(rig: DingTalkRig) -> None:
    """Without a card template, the task owner's one-to-one copy of the new task is an ActionCard;
    its 任务分工表 button makes the client send the command, which the bot answers in private."""
    await request_and_evaluate_by_text(rig)
    await rig.say("周主任", "协作管理办公室", "/approve XZ-2026-0001 lead=市场部")
    rig.advance(timedelta(hours=2))  # 研发部's session webhooks have expired: the notice goes by OpenAPI
    await rig.say("张经理", "市场部", '/task add XZ-2026-0001 接口开发 dept=研发部 owner=@李工 deliverable="接口" '
                                      'standard="通过测试" start=11-24 due=12-10', at=(PEOPLE["李工"],))
    [copy] = [s for s in rig.new("李工") if "T1" in s.title]
    assert copy.kind == "actionCard" and "任务分工表" in dict(copy.buttons)
    assert all("<" not in unquote(url) for _, url in copy.buttons), "no button sends a placeholder"
    await rig.press("李工", copy, "任务分工表")
    [table] = rig.new("李工")
    assert "任务分工表" in table.title and "接口开发" in table.text
