"""Outbound to the fake Feishu: tokens, pacing, retries, idempotent sends, permanent refusals."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import FeishuConfig
from bot.messages import Field, Message
from bot.outbox import OutboundItem
from bot.platforms.feishu.api import FeishuApi, FeishuRefused, send_uuid
from bot.platforms.feishu.sender import FeishuSender
from cards.feishu import LIMIT_BYTES, body_bytes, feishu_card
from storage import outbox
from storage.models import OutboxMessage
from tests.cardkit import SPECS
from tests.fakes.feishu import APP_ID, APP_SECRET, FakeFeishu
from tests.feishu_rig import CHATS, FeishuRig
from tests.lifetime import running


@pytest.fixture
def fake(feishu_fake: FakeFeishu) -> FakeFeishu:
    return feishu_fake


@pytest.fixture
async def api(fake: FakeFeishu) -> AsyncIterator[FeishuApi]:
    api = FeishuApi(FeishuConfig(app_id=APP_ID, app_secret=APP_SECRET, base_url=fake.url,
                                 request_timeout_seconds=0.5))
    try:
        yield api
    finally:
        await api.close()


def item(key: str, chat: str = "oc_a", reply_to: str | None = None, title: str = "通知") -> OutboundItem:
    return OutboundItem(key, "feishu", chat, "notice", Message(title, "正文"), reply_to)


async def test_token_is_fetched_once_and_refreshed_when_rejected(fake: FakeFeishu, api: FeishuApi) -> None:
    sender = FeishuSender(api, SPECS)
    for i in range(4):
        await sender.send(item(f"k{i}", chat=f"oc_{i}"))
    assert fake.token_requests == 1
    fake.faults.expire_tokens = True  # Feishu answers 99991663: fetch a new token and retry
    await sender.send(item("k-after-expiry"))
    assert fake.token_requests == 2
    assert len(fake.sent_order) == 5


async def test_server_errors_are_retried_and_arrive_once(fake: FakeFeishu, api: FeishuApi) -> None:
    fake.faults.server_errors = 2
    message_id = await FeishuSender(api, SPECS).send(item("k5xx"))
    assert fake.texts("oc_a") == ["【通知】\n正文"] and fake.posted[message_id].chat_id == "oc_a"


async def test_rate_limit_answer_is_honoured(fake: FakeFeishu, api: FeishuApi) -> None:
    fake.faults.rate_limits = 1
    started = time.monotonic()
    await FeishuSender(api, SPECS).send(item("k429"))
    assert time.monotonic() - started >= 1.0  # x-ogw-ratelimit-reset: 1
    assert len(fake.texts("oc_a")) == 1


async def test_timeout_after_the_send_does_not_post_twice(fake: FakeFeishu, api: FeishuApi) -> None:
    fake.faults.slow, fake.faults.slow_seconds = 1, 1.0  # the answer comes after our 0.5 s timeout
    message_id = await FeishuSender(api, SPECS).send(item("k-slow"))
    assert fake.texts("oc_a") == ["【通知】\n正文"]
    assert fake.uuids["k-slow"][0] == message_id


async def test_permanent_refusal_is_not_retried(fake: FakeFeishu, api: FeishuApi) -> None:
    """Reporting it to the admins is the dispatcher's job (tests/test_outbox_dispatcher.py)."""
    fake.faults.refuse_chats["oc_gone"] = 230002
    with pytest.raises(FeishuRefused) as err:
        await FeishuSender(api, SPECS).send(item("k-gone", chat="oc_gone"))
    assert err.value.code == 230002 and fake.requests == 1
    assert "not in the group" in str(err.value)


async def test_pacing_keeps_within_the_chat_and_app_limits(fake: FakeFeishu, api: FeishuApi) -> None:
    sender = FeishuSender(api, SPECS)
    items = [item(f"one-{i}", chat="oc_busy") for i in range(8)] + [item(f"many-{i}", chat=f"oc_{i % 30}")
                                                                     for i in range(60)]
    started = time.monotonic()
    await asyncio.gather(*(sender.send(i) for i in items))
    assert fake.rejected_429 == 0 and len(fake.sent_order) == 68
    assert time.monotonic() - started >= 1.0  # 68 sends > 50/s: the app limit made us wait


async def test_reply_patch_and_image(fake: FakeFeishu, api: FeishuApi) -> None:
    sender = FeishuSender(api, SPECS)
    first = await sender.send(item("k-first"))
    reply = await sender.send(item("k-reply", reply_to=first))
    assert fake.posted[reply].reply_to == first
    orphan = await sender.send(item("k-orphan", reply_to="om_recalled"))  # reply target gone: to the chat
    assert fake.posted[orphan].chat_id == "oc_a" and fake.posted[orphan].reply_to is None
    await api.patch_card(first, "oc_a", {"schema": "2.0", "config": {"update_multi": True},
                                         "header": {"title": {"tag": "plain_text", "content": "改过"}},
                                         "body": {"elements": []}})
    assert fake.posted[first].text == "【改过】" and fake.posted[first].versions == 2
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    image_message = await api.send_image("oc_a", png, "k-image")
    image_key = fake.posted[image_message].content["image_key"]
    assert fake.images[image_key] == png


def test_long_outbox_keys_are_hashed_to_a_valid_uuid() -> None:
    short, long = "feishu:msg:om_1:0", "feishu:card:" + "x" * 80 + ":0"
    assert send_uuid(short) == short
    assert len(send_uuid(long)) <= 50 and send_uuid(long) == send_uuid(long) != send_uuid(long + "1")


async def test_through_the_outbox_every_notice_arrives_exactly_once(db_url: str) -> None:
    async with running(FeishuRig.create(db_url, "webhook", request_timeout_seconds=0.5)) as rig:
        bot, fake = rig.bot, rig.fake
        fake.faults.server_errors, fake.faults.rate_limits, fake.faults.rate_limit_reset = 3, 3, 0
        fake.faults.slow, fake.faults.slow_seconds = 2, 1.0
        fake.faults.refuse_chats["oc_dissolved"] = 232009
        now = bot.clock.now()
        chats = [*CHATS.values()] * 4 + ["oc_dissolved"]
        async with bot.sessions() as session, session.begin():
            await outbox.enqueue(session, [{"key": f"notice-{i}", "platform": "feishu", "chat_id": chat,
                                            "kind": "notice", "payload": Message(f"通知{i}").to_json(),
                                            "due_at": now, "created_at": now} for i, chat in enumerate(chats)])
        for _ in range(5):  # rounds of the dispatcher; failed attempts come due again later
            await bot.dispatcher.drain()
            bot.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
        titles = sorted(p.text.split("\n")[0] for p in fake.posted.values() if p.msg_type == "interactive"
                        and p.text.startswith("【通知"))
        assert titles == sorted(f"【通知{i}】" for i in range(len(chats) - 1))
        async with bot.sessions() as session:
            failed = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))).all()
        assert [r.chat_id for r in failed] == ["oc_dissolved"] and "232009" in failed[0].error
        pmo = fake.texts(CHATS["协作管理办公室"])
        assert len([t for t in pmo if "消息发送失败" in t]) == 1  # the admins were told (by the dispatcher), once


async def test_the_30_kb_limit_is_counted_on_the_request_body(fake: FakeFeishu, api: FeishuApi) -> None:
    """Quotes and newlines are escaped once more when the card travels as the `content` string:
    a card of 27 KB can make a 36 KB body. The renderer shrinks it to fit the body, the fake
    (like Feishu, code 230025) counts the body."""
    message = Message("很长的卡片", "", tuple(Field(f"字段{i}", '"' * 900) for i in range(12)))
    whole = feishu_card_unshrunk(message)
    assert len(json.dumps(whole, ensure_ascii=False).encode()) < LIMIT_BYTES < body_bytes(whole)
    card = feishu_card(message, SPECS)
    assert body_bytes(card) <= LIMIT_BYTES
    await api.send("oc_1", "interactive", card, "k-fits")
    with pytest.raises(FeishuRefused) as refused:
        await api.send("oc_1", "interactive", whole, "k-too-big")
    assert refused.value.code == 230025


def feishu_card_unshrunk(message: Message) -> dict[str, object]:
    from cards.feishu import _Builder
    from cards.model import card_for

    return _Builder(card_for(message, SPECS), 1.0).build()


async def test_a_resend_is_marked_only_past_the_uuid_window(fake: FakeFeishu, api: FeishuApi) -> None:
    """Inside Feishu's hour a repeated `uuid` is dropped, so a resend goes out as it was; past it
    the first copy may be in the chat already, so the resend says 「（补发，可能重复）」."""
    sender = FeishuSender(api, SPECS)
    fresh = replace(item("k-fresh", title="提醒A"), resend=True, age=timedelta(minutes=10))
    late = replace(item("k-late", title="提醒B"), resend=True, age=timedelta(hours=2))
    first = item("k-first", title="提醒C")
    for one in (fresh, late, first):
        await sender.send(one)
    titles = [p.content["header"]["title"]["content"] for p in fake.chat("oc_a")]
    assert titles == ["提醒A", "（补发，可能重复）提醒B", "提醒C"]
