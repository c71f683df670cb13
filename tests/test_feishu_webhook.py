"""POST /feishu/events: challenges, the official samples, and everything forged or malformed refused."""
from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.platforms.feishu import crypto
from storage.models import InboxEvent, OutboxMessage
from tests.fakes.feishu import bot_added_event, card_event, signed_request
from tests.fakes.feishu_samples import F1, F2, F6_EVENT
from tests.feishu_rig import CHATS, ENCRYPT_KEY, PEOPLE, TOKEN, FeishuRig
from tests.lifetime import running


@pytest.fixture
async def rig(db_url: str) -> AsyncIterator[FeishuRig]:
    async with running(FeishuRig.create(db_url, "webhook", max_body_bytes=64 * 1024)) as rig:
        yield rig


def with_token(envelope: dict, token: str = TOKEN) -> dict:
    envelope = copy.deepcopy(envelope)
    envelope["header"]["token"] = token
    return envelope


async def stored(rig: FeishuRig) -> tuple[int, int]:
    async with rig.bot.sessions() as session:
        inbox = await session.scalar(select(func.count()).select_from(InboxEvent))
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return int(inbox or 0), int(outbox or 0)


async def test_url_verification_plain_and_encrypted(rig: FeishuRig) -> None:
    challenge = {"challenge": "ajls384kdjxxxx", "token": TOKEN, "type": "url_verification"}
    status, body = await rig.post({"Content-Type": "application/json"}, json.dumps(challenge).encode())
    assert (status, body) == (200, {"challenge": "ajls384kdjxxxx"})
    encrypted = json.dumps({"encrypt": crypto.encrypt(json.dumps(challenge).encode(), ENCRYPT_KEY)}).encode()
    status, body = await rig.post({"Content-Type": "application/json"}, encrypted)
    assert (status, body) == (200, {"challenge": "ajls384kdjxxxx"})
    wrong = json.dumps(challenge | {"token": "guess"}).encode()
    status, _ = await rig.post({"Content-Type": "application/json"}, wrong)
    assert status == 401


async def test_official_message_sample_is_answered(rig: FeishuRig) -> None:
    # Tom is the bot in this sample, so "@_user_1 hello" is addressed to it (and is no command).
    rig.adapter.inbound.bot_open_id = "ou_84aad35d084aa403a838cf73ee18467"
    assert await rig.deliver(with_token(F1)) is None
    await rig.settle()
    texts = rig.fake.texts("oc_5ce6d572455d361153b7xx51da133945")
    assert len(texts) == 1 and "未知命令" in texts[0]  # the reply target is unknown: sent to the chat


async def test_unknown_event_type_gets_200_and_nothing_stored(rig: FeishuRig) -> None:
    assert await rig.deliver(with_token(F2)) is None
    assert await stored(rig) == (0, 0)


async def test_card_without_command_answers_with_error_toast(rig: FeishuRig) -> None:
    envelope = card_event("oc_x", "ou_x", "om_x", {})
    envelope["event"] = F6_EVENT
    answer = await rig.deliver(with_token(envelope))
    assert answer is not None and answer["toast"]["type"] == "error"
    assert await stored(rig) == (0, 0)


async def test_group_chatter_is_ignored(rig: FeishuRig) -> None:
    await rig.deliver(rig.message("小张", "市场部", "大家下午好"))
    await rig.settle()
    assert await stored(rig) == (0, 0)


async def test_bot_added_greets_once(rig: FeishuRig) -> None:
    event = bot_added_event("oc_new", "新群", PEOPLE["李主管"], token=TOKEN)
    for _ in range(2):
        await rig.deliver(event)
    await rig.settle()
    texts = rig.fake.texts("oc_new")
    assert len(texts) == 1 and "/bind" in texts[0]
    assert "**第一步**：" in texts[0] and "&#42;" not in texts[0], "the greeting's step is bold, not starred text"


async def test_duplicate_deliveries_have_one_effect(rig: FeishuRig) -> None:
    message_id = rig.fake.new_message_id()
    events = [rig.message("小张", "市场部", '@协作机器人 /request "重复测试" goal="销量10万台" depts=研发部 due=2026-12-31',
                          message_id=message_id, event_id=f"ev_dup_{i}") for i in range(5)]
    await asyncio.gather(*(rig.deliver(e) for e in events))
    await rig.settle()
    assert len([t for t in rig.fake.texts(CHATS["市场部"]) if "需求已提交" in t]) == 1
    assert len(rig.fake.texts(CHATS["研发部"])) == 1
    assert (await stored(rig))[0] == 1


@pytest.mark.parametrize("forgery", ["signature", "stale", "future", "bad_json", "oversized", "token", "unsigned",
                                     "garbage_encrypt"])
async def test_forged_or_malformed_requests_are_refused(rig: FeishuRig, forgery: str) -> None:
    event = rig.message("小张", "市场部", '@协作机器人 /request "伪造" goal=x depts=研发部 due=2026-12-31')
    headers, body = signed_request(event, ENCRYPT_KEY)
    if forgery == "signature":
        headers["X-Lark-Signature"] = crypto.signature(headers["X-Lark-Request-Timestamp"], "other-nonce",
                                                       ENCRYPT_KEY, body)
    elif forgery in ("stale", "future"):
        offset = -301 if forgery == "stale" else 301
        headers, body = signed_request(event, ENCRYPT_KEY, timestamp=int(time.time()) + offset)
    elif forgery == "bad_json":
        body = b'{"encrypt": '
        headers["X-Lark-Signature"] = crypto.signature(headers["X-Lark-Request-Timestamp"],
                                                       headers["X-Lark-Request-Nonce"], ENCRYPT_KEY, body)
    elif forgery == "oversized":
        event["event"]["message"]["content"] = json.dumps({"text": "x" * 70_000})
        headers, body = signed_request(event, ENCRYPT_KEY)
    elif forgery == "token":
        event["header"]["token"] = "not-the-token"
        headers, body = signed_request(event, ENCRYPT_KEY)
    elif forgery == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif forgery == "garbage_encrypt":
        body = json.dumps({"encrypt": "bm90IGEgY2lwaGVydGV4dCBhdCBhbGwhISE="}).encode()
        headers["X-Lark-Signature"] = crypto.signature(headers["X-Lark-Request-Timestamp"],
                                                       headers["X-Lark-Request-Nonce"], ENCRYPT_KEY, body)
    status, _ = await rig.post(headers, body)
    assert 400 <= status < 500
    await rig.settle()
    assert await stored(rig) == (0, 0)
    assert rig.fake.texts(CHATS["市场部"]) == []


def _malformed() -> list[tuple[str, dict]]:
    message = json.loads(json.dumps(F1))
    cases = [("header is a string", {"schema": "2.0", "header": "im.message.receive_v1", "event": F1["event"]}),
             ("header is a list", {"schema": "2.0", "header": [TOKEN], "event": {}})]
    for path, value in (("event", "x"), ("event.message", ["x"]), ("event.message.mentions", "@_user_1"),
                        ("event.sender", None), ("event.message.content", 5)):
        broken = json.loads(json.dumps(message))
        *parents, leaf = path.split(".")
        target = broken
        for part in parents:
            target = target[part]
        target[leaf] = value
        cases.append((f"{path} = {value!r}", broken))
    card = card_event("oc_c1", "ou_p1", "om_1", {"value": "not an object", "tag": "button"}, token=TOKEN)
    cases.append(("card action value is a string", card))
    return cases


@pytest.mark.parametrize(("what", "envelope"), _malformed(), ids=[w for w, _ in _malformed()])
async def test_a_signed_malformed_event_is_a_4xx_and_stores_nothing(rig: FeishuRig, what: str, envelope: dict) -> None:
    if isinstance(envelope.get("header"), dict):
        envelope["header"]["token"] = TOKEN
    status, body = await rig.post(*signed_request(envelope, ENCRYPT_KEY))
    assert status < 500, (what, status, body)
    await rig.settle()
    assert await stored(rig) == (0, 0)


async def test_a_redelivered_click_is_answered_as_the_first(rig: FeishuRig) -> None:
    """Feishu retries a callback it did not see answered in time: the retry must get the same
    answer (here a refusal), never a generic 「已完成」, and change nothing."""
    await rig.say("小马", "市场部", "/request")
    form = rig.card("市场部")
    action = rig.clicker.action(form.content, form.chat_id, "提交", {"name": "含糊", "goal": "尽快提升体验",
                                                                   "depts": ["研发部"], "due": "2026-12-31"})
    event = card_event(form.chat_id, PEOPLE["小马"], form.message_id, action, token=TOKEN)
    first = await rig.deliver(event)
    again = await rig.deliver(event)
    assert first is not None and first["toast"]["type"] == "error" and "量化" in first["toast"]["content"]
    assert again == first
    await rig.settle()
    assert not any("需求已提交" in t for t in rig.fake.texts(CHATS["市场部"]))
