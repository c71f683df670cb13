"""The DingTalk sender and OpenAPI client against the fake: webhooks, token, retries, limits, refusals."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import unquote

import pytest

from bot.clock import FixedClock
from bot.config import DingTalkConfig
from bot.messages import Message
from bot.outbox import OutboundItem
from bot.platforms.dingtalk.api import DingTalkApi, DingTalkRefused
from bot.platforms.dingtalk.sender import DingTalkSender, out_track_id
from bot.platforms.dingtalk.translate import Webhook
from bot.platforms.dingtalk.webhooks import SessionWebhooks
from bot.platforms.http import Retryable
from tests.cardkit import SPECS
from tests.conftest import MONDAY
from tests.fakes.dingtalk import FakeDingTalk, Fault

GROUP = "cidGroupA=="
FORM = Message("验收", template="form", data={"command": "accept", "fields": [
    {"name": "task", "label": "任务", "kind": "task", "required": True, "choices": [], "placeholder": ""}]})


@pytest.fixture
def fake() -> Iterator[FakeDingTalk]:
    fake = FakeDingTalk(app_qps=5).start()
    fake.add_group(GROUP, "A群")
    for i in range(10):
        fake.add_group(f"cid{i}==", f"群{i}")
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
async def api(fake: FakeDingTalk) -> AsyncIterator[DingTalkApi]:
    api = DingTalkApi(DingTalkConfig(client_id="ding-app", client_secret="ding-secret", base_url=fake.url,
                                     app_rate_per_second=5, request_timeout_seconds=1.0))
    try:
        yield api
    finally:
        await api.close()


def sender_for(api: DingTalkApi, clock: FixedClock, **config: object) -> tuple[DingTalkSender, SessionWebhooks]:
    hooks = SessionWebhooks(timedelta(seconds=60))
    return DingTalkSender(api, replace(api.config, **config), hooks, clock, SPECS), hooks  # type: ignore[arg-type]


def item(key: str, chat: str = GROUP, message: Message | None = None, kind: str = "notice",
         reply_to: str | None = None) -> OutboundItem:
    return OutboundItem(key, "dingtalk", chat, kind, message or Message("通知", "正文"), reply_to)


async def webhook_for(fake: FakeDingTalk, clock: FixedClock, hooks: SessionWebhooks, msg_id: str) -> None:
    """A staff member wrote in GROUP: the bot remembers the message's session webhook."""
    fake.clock = lambda: clock.now().timestamp()
    frame = await fake.push_message("staff1", "/help", GROUP, msg_id=msg_id)
    data = json.loads(frame["data"])
    hooks.remember(msg_id, GROUP, Webhook(data["sessionWebhook"], MONDAY + timedelta(minutes=90)))


async def test_reply_goes_to_the_session_webhook_while_it_lives(fake: FakeDingTalk, api: DingTalkApi) -> None:
    clock = FixedClock(MONDAY)
    sender, hooks = sender_for(api, clock)
    await webhook_for(fake, clock, hooks, "m1")
    await sender.send(item("r1", kind="reply", reply_to="m1", message=Message("回复", mentions=("dingtalk:staff1",))))
    [seen] = fake.messages(GROUP)
    assert seen.via == "webhook" and seen.at_users == ("staff1",) and fake.tokens_issued == 0  # no token needed


async def test_expired_session_webhook_falls_back_to_the_openapi(fake: FakeDingTalk, api: DingTalkApi) -> None:
    clock = FixedClock(MONDAY)
    sender, hooks = sender_for(api, clock)
    await webhook_for(fake, clock, hooks, "m1")
    clock.advance(timedelta(minutes=89, seconds=30))  # within the safety margin of its 90 minutes
    await sender.send(item("r1", kind="reply", reply_to="m1"))
    assert [s.via for s in fake.messages(GROUP)] == ["openapi"]
    assert not any("sendBySession" in path for path, _ in fake.requests)


async def test_webhook_refused_by_dingtalk_falls_back_and_is_forgotten(fake: FakeDingTalk, api: DingTalkApi) -> None:
    clock = FixedClock(MONDAY)
    sender, hooks = sender_for(api, clock)
    await webhook_for(fake, clock, hooks, "m1")
    fake.expire_sessions()  # DingTalk dropped it early
    await sender.send(item("r1", kind="reply", reply_to="m1"))
    await sender.send(item("r2", kind="reply", reply_to="m1"))
    assert [s.via for s in fake.messages(GROUP)] == ["openapi", "openapi"]
    assert sum("sendBySession" in path for path, _ in fake.requests) == 1  # not tried again


async def test_token_is_cached_and_renewed_when_refused(fake: FakeDingTalk, api: DingTalkApi) -> None:
    sender, _ = sender_for(api, FixedClock(MONDAY))
    for i in range(3):
        await sender.send(item(f"n{i}"))
    assert fake.tokens_issued == 1
    fake.inject("/v1.0/robot/groupMessages/send",
                Fault(401, {"code": "InvalidAuthentication", "message": "不合法的access_token"}))
    await sender.send(item("n3"))
    assert fake.tokens_issued == 2 and len(fake.messages(GROUP)) == 4


@pytest.mark.parametrize("fault", [
    Fault(503, times=2),
    Fault(403, {"code": "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "message": "调用过于频繁"}, times=2),
    Fault(500, times=1, delay=1.5),  # slower than the request timeout
])
async def test_transient_failures_are_retried(fake: FakeDingTalk, api: DingTalkApi, fault: Fault) -> None:
    sender, _ = sender_for(api, FixedClock(MONDAY))
    fake.inject("/v1.0/robot/groupMessages/send", fault)
    assert await sender.send(item("n1"))
    assert len(fake.messages(GROUP)) == 1


async def test_permanent_refusal_is_not_retried(fake: FakeDingTalk, api: DingTalkApi) -> None:
    sender, _ = sender_for(api, FixedClock(MONDAY))
    with pytest.raises(DingTalkRefused) as err:
        await sender.send(item("n1", chat="cidUnknown=="))
    assert err.value.code == "invalid.openConversationId"
    assert sum(path.endswith("groupMessages/send") for path, _ in fake.requests) == 1


async def test_private_chat_gets_one_to_one_messages_with_command_buttons(fake: FakeDingTalk,
                                                                          api: DingTalkApi) -> None:
    sender, _ = sender_for(api, FixedClock(MONDAY))
    filled = Message("验收", template="form", data=FORM.data | {"values": {"task": "XZ-2026-0001/T1"}})
    await sender.send(item("p1", chat="user:staff9", message=filled))
    await sender.send(item("p2", chat="user:staff9", message=FORM))
    button_card, text_only = fake.messages("user:staff9")
    assert button_card.kind == "actionCard" and "/accept" in button_card.text  # the command is always in the text
    [(label, url)] = button_card.buttons
    assert url.startswith("dtmd://dingtalkclient/sendMessage?content=")
    assert unquote(url).endswith("/accept task=XZ-2026-0001/T1")
    # A button would have to send a placeholder for the task: the text says what to type instead.
    assert text_only.kind == "markdown" and "/accept task=<任务>" in text_only.text


async def test_group_form_without_template_is_markdown_with_the_command(fake: FakeDingTalk, api: DingTalkApi) -> None:
    sender, _ = sender_for(api, FixedClock(MONDAY))
    await sender.send(item("f1", message=FORM))
    [seen] = fake.messages(GROUP)
    assert seen.kind == "markdown" and "/accept task=" in seen.text


async def test_image_goes_as_sample_image_msg(fake: FakeDingTalk, api: DingTalkApi) -> None:
    sender, _ = sender_for(api, FixedClock(MONDAY))
    await sender.send(item("i1", message=Message("甘特图", data={"image_url": "https://img.example/g.png"})))
    [seen] = fake.messages(GROUP)
    assert seen.kind == "image" and seen.text == "https://img.example/g.png"


async def test_template_card_is_delivered_with_string_variables(fake: FakeDingTalk, api: DingTalkApi) -> None:
    fake.add_template("tpl.schema")
    sender, _ = sender_for(api, FixedClock(MONDAY), card_template_id="tpl.schema")
    track = await sender.send(item("c1", message=FORM))
    assert track == out_track_id("c1")
    [seen] = fake.messages(GROUP)
    assert seen.kind == "card" and all(isinstance(v, str) for v in seen.card.values())
    _, body = next(r for r in fake.requests if r[0].endswith("createAndDeliver"))
    assert body["callbackType"] == "STREAM" and body["openSpaceId"] == f"dtv1.card//IM_GROUP.{GROUP}"
    await sender.send(item("c1-update", kind="update", reply_to=track, message=Message("已验收")))
    assert fake.card(track)["title"] == "已验收"


async def test_card_to_a_group_without_the_bot_is_refused(fake: FakeDingTalk, api: DingTalkApi) -> None:
    fake.add_template("tpl.schema")
    sender, _ = sender_for(api, FixedClock(MONDAY), card_template_id="tpl.schema")
    with pytest.raises(DingTalkRefused):
        await sender.send(item("c1", chat="cidNoBot==", message=FORM))


async def test_batch_send_resends_only_flow_controlled_people(fake: FakeDingTalk, api: DingTalkApi) -> None:
    fake.inject("/v1.0/robot/oToMessages/batchSend",
                Fault(200, {"processQueryKey": "q1", "flowControlledStaffIdList": ["u2"]}))
    await api.users_send(["u1", "u2", "u3"], "sampleText", {"content": "hi"})
    bodies = [b for path, b in fake.requests if path.endswith("batchSend")]
    assert [b["userIds"] for b in bodies] == [["u1", "u2", "u3"], ["u2"]]
    with pytest.raises(ValueError):
        await api.users_send([f"u{i}" for i in range(21)], "sampleText", {"content": "hi"})


async def test_app_rate_limit_paces_instead_of_being_throttled(fake: FakeDingTalk, api: DingTalkApi) -> None:
    sender, _ = sender_for(api, FixedClock(MONDAY))
    started = time.monotonic()
    await asyncio.gather(*(sender.send(item(f"n{i}", chat=f"cid{i % 10}==")) for i in range(15)))
    assert time.monotonic() - started >= 2.0  # 15 sends at 5/s
    assert fake.throttled == 0 and sum(len(fake.messages(f"cid{i}==")) for i in range(10)) == 15


async def test_gateway_open_without_ticket_is_an_error(fake: FakeDingTalk, api: DingTalkApi) -> None:
    fake.inject("/v1.0/gateway/connections/open", Fault(200, {"endpoint": ""}))
    with pytest.raises(Exception, match="endpoint"):
        await api.open_connection([], "ua")
    fake.inject("/v1.0/gateway/connections/open", Fault(502, times=10))
    with pytest.raises(Retryable):
        await api.open_connection([], "ua")


def test_shipped_card_template_declares_every_variable_the_bot_fills() -> None:
    from pathlib import Path

    from bot.platforms.dingtalk.sender import card_params
    spec = json.loads((Path(__file__).parent.parent / "cards" / "dingtalk" / "xiezuo-card.json").read_text("utf-8"))
    assert set(spec["variables"]) == set(card_params(FORM, SPECS))
    assert set(spec["callbackParams"]) >= {"command", "values"}


async def test_the_fake_refuses_an_at_list_on_a_group_send_like_dingtalk(fake: FakeDingTalk, api: DingTalkApi) -> None:
    """robot/groupMessages/send has no at field (docs/dingtalk.md, **robot messages**): a sender that
    tried to @ someone there would be told so, not silently ignored."""
    with pytest.raises(DingTalkRefused):
        await api.group_send(GROUP, "sampleMarkdown", {"title": "t", "text": "@staff9", "atUserIds": ["staff9"]})
    assert fake.notified == []


async def test_a_resend_says_it_may_be_a_duplicate(fake: FakeDingTalk, api: DingTalkApi) -> None:
    """DingTalk has no send key: any second try may follow a first that was shown."""
    sender, _ = sender_for(api, FixedClock(MONDAY))
    await sender.send(replace(item("r1"), resend=True))
    await sender.send(item("r2"))
    assert [s.text.splitlines()[0] for s in fake.messages(GROUP)] == ["#### （补发，可能重复）通知", "#### 通知"]
