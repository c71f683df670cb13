"""Long-connection mode with the real lark_oapi.ws.Client: acks, card answers, drops and silence."""
from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator

import pytest

from tests.fakes.feishu import FakeFeishu, bot_added_event
from tests.fakes.feishu_samples import F1
from tests.feishu_rig import CHATS, PEOPLE, FeishuRig
from tests.lifetime import running


@pytest.fixture
async def rig(db_url: str) -> AsyncIterator[FeishuRig]:
    fake = FakeFeishu(ping_interval=1, users={oid: name for name, oid in PEOPLE.items()})
    async with running(FeishuRig.create(db_url, "websocket", fake=fake, watchdog_seconds=3)) as rig:
        yield rig


async def test_message_is_acked_and_answered(rig: FeishuRig) -> None:
    ack = await rig.fake.push(rig.message("小张", "市场部", "@协作机器人 /help"))
    assert ack["code"] == 200 and "data" not in ack
    await rig.settle()
    assert "命令" in rig.new("市场部")[0]


async def test_card_callback_is_answered_in_the_ack(rig: FeishuRig) -> None:
    await rig.say("小张", "市场部", "/help")
    card = rig.card("市场部")
    answer = await rig.click("小张", card, "发起需求")
    assert answer is not None and answer["toast"]["type"] == "success"
    assert "card" not in answer, "the shared /help card stays as it was"
    form = rig.card("市场部")
    assert form.reply_to == card.message_id and form.content["body"]["elements"][-1]["tag"] == "form"


async def test_duplicates_over_the_socket_have_one_effect(rig: FeishuRig) -> None:
    message_id = rig.fake.new_message_id()
    events = [rig.message("小张", "市场部", '@协作机器人 /request "重复" goal="销量10万台" depts=研发部 due=2026-12-31',
                          message_id=message_id, event_id=f"ev_ws_dup_{i}") for i in range(5)]
    acks = await asyncio.gather(*(rig.fake.push(e) for e in events))
    assert all(a["code"] == 200 for a in acks)
    await rig.settle()
    assert len([t for t in rig.fake.texts(CHATS["市场部"]) if "需求已提交" in t]) == 1


async def test_drop_mid_run_reconnects_and_loses_nothing(rig: FeishuRig) -> None:
    await rig.say("小张", "市场部", "/help")
    await rig.fake.drop()
    # Pushed while the client is away: Feishu keeps them and delivers after the reconnect.
    pushes = [asyncio.create_task(rig.fake.push(rig.message("小张", "市场部", f"@协作机器人 /help {word}")))
              for word in ("request", "bind", "task")]
    acks = await asyncio.gather(*pushes)
    assert all(a["code"] == 200 for a in acks)
    await rig.settle()
    titles = rig.new("市场部")
    assert len(titles) == 4 and rig.fake.connections >= 2


async def test_silent_connection_is_restarted_by_the_watchdog(rig: FeishuRig) -> None:
    longconn = rig.adapter.longconn
    assert longconn is not None
    rig.fake.go_silent()  # socket stays open, nothing comes back: pings go into the void
    push = asyncio.create_task(rig.fake.push(rig.message("小张", "市场部", "@协作机器人 /help")))
    ack = await asyncio.wait_for(push, 15)
    assert ack["code"] == 200 and longconn.restarts >= 1
    await rig.settle()
    assert len(rig.new("市场部")) == 1


async def test_official_sample_and_bot_added_over_the_socket(rig: FeishuRig) -> None:
    rig.adapter.inbound.bot_open_id = "ou_84aad35d084aa403a838cf73ee18467"  # Tom is the bot in sample F1
    ack = await rig.fake.push(copy.deepcopy(F1))
    assert ack["code"] == 200
    ack = await rig.fake.push(bot_added_event("oc_new", "新群", PEOPLE["李主管"]))
    assert ack["code"] == 200
    await rig.settle()
    assert "未知命令" in rig.fake.texts("oc_5ce6d572455d361153b7xx51da133945")[0]
    assert "/bind" in rig.fake.texts("oc_new")[0]
