"""Stream mode against the fake gateway: acks, duplicates, disconnects, the watchdog, prompt stop."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.events import Event
from bot.platforms.dingtalk.stream import StreamClient, StreamTiming
from bot.router import Outcome
from storage.models import InboxEvent, OutboxMessage
from tests.dingtalk_rig import CHATS, PEOPLE, DingTalkRig
from tests.fakes.dingtalk import FakeDingTalk, Fault
from tests.fakes.dingtalk_samples import F3, F4, F7_DISCONNECT, F7_PING, F8
from tests.lifetime import running
from tests.waiting import stops_if_cancelled_as_woken, wait_until


@pytest.fixture
async def rig(db_url: str) -> AsyncIterator[DingTalkRig]:
    async with running(DingTalkRig.create(db_url)) as rig:
        yield rig


async def count(rig: DingTalkRig, model: Any, **where: Any) -> int:
    async with rig.bot.sessions() as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(await session.scalar(stmt) or 0)


async def test_open_connection_subscribes_both_topics(rig: DingTalkRig) -> None:
    body = rig.fake.opens[-1]
    assert body["clientId"] == "ding-app" and body["clientSecret"] == "ding-secret"
    assert body["subscriptions"] == [{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"},
                                     {"type": "CALLBACK", "topic": "/v1.0/card/instances/callback"}]


async def test_ping_is_echoed_like_the_sample(rig: DingTalkRig) -> None:
    await rig.fake.push_frame(F7_PING)
    ack = await rig.fake.wait_ack(F7_PING["headers"]["messageId"])
    assert ack["code"] == 200 and json.loads(ack["data"]) == json.loads(F7_PING["data"])


async def test_sample_f3_is_acked_like_f4_and_answered(rig: DingTalkRig) -> None:
    data = json.loads(F3["data"])
    data |= {"conversationId": CHATS["研发部"], "sessionWebhookExpiredTime": int(time.time() * 1000) + 60_000,
             "sessionWebhook": rig.fake.url + "/robot/sendBySession?session=none"}  # never the real oapi host
    await rig.fake.push_frame(F3 | {"data": json.dumps(data, ensure_ascii=False)})
    ack = await rig.fake.wait_ack(F3["headers"]["messageId"])
    assert ack["code"] == F4["code"] and ack["headers"]["messageId"] == F3["headers"]["messageId"]
    assert json.loads(ack["data"]) == {"response": "OK"}
    await rig.settle()
    [answer] = rig.new("研发部")  # "测试数据" is no command: the sender is told how to ask for help
    assert "/help" in answer.text and answer.via == "openapi"  # the session webhook was refused → OpenAPI


async def test_foreign_card_callback_f8_is_acked_with_no_effect(rig: DingTalkRig) -> None:
    await rig.fake.push_frame(F8)
    ack = await rig.fake.wait_ack("SYNTH-card-0001")
    assert ack["code"] == 200 and json.loads(ack["data"]) == {"response": None}
    assert await count(rig, InboxEvent) == 0


async def test_redelivered_frames_have_one_effect(rig: DingTalkRig) -> None:
    frame = await rig.say("小张", "市场部", '/request "新品" goal="销量10万台" depts=研发部 due=2026-12-31')
    assert len(rig.new("研发部")) == 1 and len(rig.new("市场部")) == 1
    await rig.fake.push_frame(frame)  # the same frame again (same messageId and msgId)
    data = json.loads(frame["data"])
    again = await rig.fake.push_message(PEOPLE["小张"], data["text"]["content"].strip(), CHATS["市场部"],
                                        msg_id=data["msgId"])  # a new frame carrying the same msgId
    await rig.fake.wait_ack(again["headers"]["messageId"])
    await rig.settle()
    assert rig.new("研发部") == [] and rig.new("市场部") == []
    assert await count(rig, InboxEvent) == 1
    from storage.models import Collaboration
    assert await count(rig, Collaboration) == 1


async def test_redelivered_card_callback_has_one_effect(db_url: str) -> None:
    async with running(DingTalkRig.create(db_url, card_template_id="tpl.schema")) as rig:
        rig.fake.add_template("tpl.schema")
        await rig.say("小张", "市场部", "/request")
        [form] = rig.new("市场部")
        fields = {"name": "新品", "goal": "销量10万台", "depts": ["研发部"], "due": "2026-12-31"}
        params = rig.fake.template.params(rig.fake.card(form.out_track_id), "提交", fields)
        ack1 = await rig.fake.callback(PEOPLE["小张"], form.out_track_id, params, frame_id="card-frame-1")
        ack2 = await rig.fake.callback(PEOPLE["小张"], form.out_track_id, params, frame_id="card-frame-1")
        await rig.settle()
        first = json.loads(ack1["data"])["response"]
        assert first is not None
        assert json.loads(ack2["data"])["response"] == first  # the duplicate is answered as the first, once more
        assert len(rig.new("研发部")) == 1


async def test_ack_is_sent_before_the_work_is_done(rig: DingTalkRig, monkeypatch: pytest.MonkeyPatch) -> None:
    release = asyncio.Event()
    process = rig.bot.router.process

    async def slow(event: Event) -> Outcome:
        await release.wait()
        return await process(event)

    monkeypatch.setattr(rig.bot.router, "process", slow)
    frame = await rig.fake.push_message(PEOPLE["李工"], "/help", CHATS["研发部"])
    ack = await rig.fake.wait_ack(frame["headers"]["messageId"], timeout=3)  # while the handler is blocked
    assert ack["code"] == 200 and await count(rig, InboxEvent, status="pending") == 1
    release.set()
    await rig.settle()
    assert await count(rig, InboxEvent, status="done") == 1 and len(rig.new("研发部")) == 1


async def test_gateway_disconnect_mid_run_loses_nothing(rig: DingTalkRig) -> None:
    users = ["李工", "赵工", "李主管"]
    frames = []
    for i in range(30):
        if i == 10:
            await rig.fake.disconnect()  # the gateway's routine "connection is expired"
        if i == 20:
            await rig.fake.drop()  # and a network cut without a close frame
        frames.append(await rig.fake.push_message(PEOPLE[users[i % 3]], "/help", CHATS["研发部"]))
    for frame in frames:  # frames sent while no socket was up are delivered after the reconnect
        await rig.fake.wait_ack(frame["headers"]["messageId"], timeout=15)
    await rig.settle()
    assert rig.adapter.stream.connections >= 3
    assert await count(rig, InboxEvent, status="done") == 30
    assert len(rig.new("研发部")) == 30  # one answer each: nothing lost, nothing twice
    assert await count(rig, OutboxMessage, status="sent") == 30


async def test_sample_disconnect_frame_makes_the_client_reconnect(rig: DingTalkRig) -> None:
    before = rig.adapter.stream.connections
    await rig.fake.push_frame(F7_DISCONNECT)
    await wait_until(lambda: rig.adapter.stream.connections > before, 5, "a reconnect")
    await rig.fake.wait_connected()
    await rig.say("李工", "研发部", "/help")
    assert len(rig.new("研发部")) == 1


async def test_watchdog_reconnects_a_silent_stream(rig: DingTalkRig) -> None:
    before = rig.adapter.stream.connections
    await rig.fake.stall()  # TCP stays up, but no pong and no frame comes back
    await wait_until(lambda: rig.adapter.stream.connections > before, 5, "the watchdog's reconnect")
    await rig.say("李工", "研发部", "/help")
    assert len(rig.new("研发部")) == 1


async def test_a_stop_as_a_pong_arrives_ends_the_watchdog() -> None:
    """A cancel landing in the loop turn the pong arrives must still stop the watchdog. On Python
    3.11 `asyncio.wait_for` swallowed such a cancel, so the watchdog pinged on and stop hung."""
    pinged = asyncio.Event()
    pongs: list[asyncio.Future[None]] = []

    class Socket:
        async def ping(self) -> asyncio.Future[None]:
            pongs.append(asyncio.get_running_loop().create_future())
            pinged.set()
            return pongs[-1]

    api = SimpleNamespace(config=SimpleNamespace(client_id="ding-app", client_secret="ding-secret"))
    client = StreamClient(api, StreamTiming(keepalive=0.05))  # type: ignore[arg-type]
    watchdog = asyncio.create_task(client._watch(Socket()))
    await asyncio.wait_for(pinged.wait(), 5)
    assert await stops_if_cancelled_as_woken(watchdog, lambda: pongs[-1].set_result(None))


async def test_failed_gateway_opens_back_off_and_recover(db_url: str) -> None:
    fake = FakeDingTalk().start()
    fake.inject("/v1.0/gateway/connections/open", Fault(status=503, times=3))
    async with running(DingTalkRig.create(db_url, fake=fake)) as rig:
        assert len(fake.opens) == 4 and rig.adapter.stream.connections == 1


async def test_stop_is_prompt_connected_or_not(db_url: str) -> None:
    async with running(DingTalkRig.create(db_url)) as rig:
        started = time.monotonic()
        await rig.adapter.stop()
        assert time.monotonic() - started < 2 and rig.adapter.stream.websocket is None
        rig.fake.inject("/v1.0/gateway/connections/open", Fault(status=500, times=100, delay=5))  # opening hangs
        await rig.adapter.start()
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await rig.adapter.stop()
        assert time.monotonic() - started < 2


async def test_a_burst_from_one_new_person_is_handled_concurrently(rig: DingTalkRig) -> None:
    frames = [await rig.fake.push_message("newcomer01", "/help", CHATS["研发部"]) for _ in range(10)]
    for frame in frames:
        await rig.fake.wait_ack(frame["headers"]["messageId"])
    await rig.settle()
    answers = rig.new("研发部")
    assert len(answers) == 10 and not any("处理失败" in s.title for s in answers)


async def test_serve_wires_the_adapter_when_configured(db_url: str) -> None:
    from bot.cli import start_server
    from tests.dingtalk_rig import dingtalk_config

    fake = FakeDingTalk().start()
    config = dingtalk_config(db_url, fake.url)
    config.http.port = 0
    bot, runner, _ = await asyncio.wait_for(start_server(config), 20)
    try:
        await fake.wait_connected()
        assert "dingtalk" in bot.senders
    finally:
        await asyncio.wait_for(runner.cleanup(), 20)  # disconnects the platform before the database closes
        await wait_until(lambda: fake.connections == 0, 5, "the stream to close")
        await asyncio.wait_for(bot.stop(), 20)
        fake.stop()


async def test_slow_card_action_is_acked_then_the_card_is_updated_by_put(db_url: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(DingTalkRig.create(db_url, card_template_id="tpl.schema", card_answer_seconds=0.2)) as rig:
        rig.fake.add_template("tpl.schema")
        await rig.say("小张", "市场部", "/request")
        [form] = rig.new("市场部")
        handle = rig.bot.router.handle

        async def slow(event: Event, answer_by: float | None = None) -> Outcome:
            await asyncio.sleep(0.5)  # longer than card_answer_seconds
            return await handle(event, answer_by=answer_by)

        monkeypatch.setattr(rig.bot.router, "handle", slow)
        fields = {"name": "新品", "goal": "销量10万台", "depts": ["研发部"], "due": "2026-12-31"}
        ack = await rig.fake.click(PEOPLE["小张"], form.out_track_id, "提交", fields)
        assert json.loads(ack["data"])["response"] is None  # acked in time, without an answer yet
        assert "需求已提交" not in rig.fake.card(form.out_track_id)["title"]
        await rig.settle()  # the action finishes; the dispatcher sends its `update` row
        assert "需求已提交" in rig.fake.card(form.out_track_id)["title"]
        assert [b["outTrackId"] for p, b in rig.fake.requests if p == "/v1.0/card/instances"] == [form.out_track_id]
