"""People and groups change (docs/workflow.md): a department's group the bot can no longer post
in — removed from it, the group dissolved — is marked lost when the platform says so (a Feishu
event) or when a send is refused for that reason (Feishu 230002 / 232009, DingTalk
robotCode.notExsit / invalid.openConversationId). The PMO is told once, the department shows as
unreachable on the board and to whoever notifies it, and `/bind` in a group restores it."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage.models import DeptChat
from tests.dingtalk_rig import CHATS as DING_CHATS
from tests.dingtalk_rig import DingTalkRig
from tests.fakes.feishu import envelope
from tests.feishu_rig import CHATS, PEOPLE, TOKEN, FeishuRig
from tests.lifetime import running
from tests.scenario import CODE, REQUEST

PMO = "协作管理办公室"
LOST = "研发部的群已无法送达"


@pytest.fixture(params=["webhook", "websocket"])
async def rig(db_url: str, request: pytest.FixtureRequest) -> AsyncIterator[FeishuRig]:
    """Both Feishu modes: the long connection's events go through the real lark_oapi dispatcher,
    which drops event types nobody registered."""
    async with running(FeishuRig.create(db_url, request.param)) as rig:
        yield rig


def chat_event(event_type: str, chat: str, operator: str) -> dict:
    """im.chat.member.bot.deleted_v1 / im.chat.disbanded_v1, as Feishu sends them."""
    return envelope(event_type, {"chat_id": CHATS[chat], "name": f"{chat}工作群", "external": False,
                                 "operator_tenant_key": "fake_tenant", "i18n_names": {"zh_cn": f"{chat}工作群"},
                                 "operator_id": {"open_id": PEOPLE[operator], "union_id": f"on_{PEOPLE[operator]}",
                                                 "user_id": PEOPLE[operator]}}, TOKEN)


async def lost_chats(rig: FeishuRig | DingTalkRig) -> list[tuple[str, str]]:
    async with rig.bot.sessions() as session:
        return [(c.chat_id, c.lost_reason) for c in await session.scalars(
            select(DeptChat).where(DeptChat.lost_at.is_not(None)))]


@pytest.mark.parametrize("event_type, why", [("im.chat.member.bot.deleted_v1", "机器人已被移出群"),
                                             ("im.chat.disbanded_v1", "群已解散")])
async def test_a_feishu_event_marks_the_group_lost_until_it_is_bound_again(rig: FeishuRig, event_type: str,
                                                                           why: str) -> None:
    event = chat_event(event_type, "研发部", "李主管")
    await rig.deliver(event)
    await rig.deliver(event)  # a redelivery: told once
    await rig.settle()
    assert await lost_chats(rig) == [(CHATS["研发部"], why)]
    notes = [t for t in rig.new(PMO) if LOST in t]
    assert len(notes) == 1 and "/bind 研发部" in notes[0]

    await rig.say("小张", "市场部", REQUEST)  # invites 研发部 and 设计部
    reply = rig.new("市场部")[-1]
    assert "研发部的群已无法送达（机器人已被移出或群已解散），通知未送达" in reply
    assert not rig.fake.texts(CHATS["研发部"])[1:]  # nothing more was sent into the lost group
    await rig.say("小张", "市场部", f"/board {CODE}")
    board = rig.new("市场部")[-1]
    assert "无法送达" in board and "研发部的群（机器人已被移出或群已解散）" in board

    await rig.say("李主管", "研发部", "/bind 研发部")  # the bot is back in the group
    assert await lost_chats(rig) == []
    await rig.say("小张", "市场部", f"/board {CODE}")
    assert "无法送达" not in rig.new("市场部")[-1]


async def test_a_send_refused_because_the_bot_left_marks_the_group_lost_once(rig: FeishuRig) -> None:
    rig.fake.faults.refuse_chats[CHATS["研发部"]] = 230002  # the bot is not in the group any more
    await rig.say("小张", "市场部", REQUEST)  # the invitation to 研发部 is refused
    await rig.say("小张", "市场部", f'/request edit {CODE} goal="10-12月销量12万台"')  # …and the update
    assert [chat for chat, _ in await lost_chats(rig)] == [CHATS["研发部"]]
    assert len([t for t in rig.new(PMO) if LOST in t]) == 1
    edited = rig.new("市场部")[-1]
    assert "研发部的群已无法送达" in edited  # the second action already knows


async def test_a_dingtalk_send_to_a_group_the_robot_left_marks_it_lost(db_url: str) -> None:
    async with running(DingTalkRig.create(db_url)) as ding:
        del ding.fake.groups[DING_CHATS["研发部"]]  # the robot was removed: the OpenAPI refuses the group
        await ding.say("小张", "市场部", REQUEST)
        await ding.settle()
        assert [chat for chat, _ in await lost_chats(ding)] == [DING_CHATS["研发部"]]
        assert len([t for t in ding.texts(PMO) if LOST in t]) == 1
