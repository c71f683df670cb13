"""DingTalk payloads → neutral events, on DingTalk's official samples (tests/fakes/dingtalk_samples.py)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.events import Mention
from bot.platforms.dingtalk import translate
from bot.router import strip_bot_mentions
from tests.cardkit import SPECS
from tests.fakes.dingtalk_samples import F3, F5, F6, F8


def test_group_text_sample_f3() -> None:
    command, hook = translate.message(json.loads(F3["data"]))
    assert command.chat.chat_id == "cidAsXSBLnA==" and command.chat.is_group and command.chat.title == "测试群"
    assert command.sender.user_id == "16650***698" and command.sender.name == "用户"
    assert command.message_id == "msgLICYe****HgY4JtMQw=="
    assert command.text == "测试数据"  # the bot's @mention was cut by DingTalk; its leading space is gone too
    assert command.mentions == ()  # the only atUser is the bot itself
    assert hook is not None and hook.expires == datetime.fromtimestamp(1690367502.152, UTC)


def test_single_chat_sample_f5() -> None:
    command, hook = translate.message(F5)
    assert not command.chat.is_group and command.chat.chat_id == "user:042***297"
    assert command.text == "hello DingTalk!" and command.sender.name == "张三"
    assert hook is not None and hook.url.startswith("https://oapi.dingtalk.com/robot/sendBySession")


def test_rich_text_sample_f6_keeps_the_text_parts() -> None:
    command, _ = translate.message(F6)
    assert command.text == "这个问题示例图如下：\n通过以上示意图可以明白完整的交互流程"


def test_at_users_become_mentions_named_from_the_text() -> None:
    data = json.loads(F3["data"]) | {
        "text": {"content": " /evaluate XZ-2026-0001 接受 contact=@李工 备份=@赵工"},
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$*****x3vTgHFUDZ8Qi8qr3"},  # the bot (chatbotUserId)
                    {"dingtalkId": "$:LWCP_v1:$li", "staffId": "staff-li"},
                    {"dingtalkId": "$:LWCP_v1:$zhao", "staffId": "staff-zhao"}],
        "chatbotUserId": "$:LWCP_v1:$*****x3vTgHFUDZ8Qi8qr3"}
    command, _ = translate.message(data)
    assert command.mentions == (Mention("staff-li", "李工", "@李工"), Mention("staff-zhao", "赵工", "@赵工"))
    assert strip_bot_mentions(command) == "/evaluate XZ-2026-0001 接受 contact=@李工 备份=@赵工"


def test_unpairable_mentions_keep_ids_only() -> None:
    data = F5 | {"conversationType": "2", "text": {"content": " hi @张 三"},
                 "atUsers": [{"dingtalkId": "x1", "staffId": "s1"}, {"dingtalkId": "x2"}]}
    command, _ = translate.message(data)
    assert command.mentions == (Mention("s1", ""), Mention("x2", ""))


def test_sender_outside_the_org_falls_back_to_the_encrypted_id() -> None:
    command, _ = translate.message(F5 | {"senderStaffId": ""})
    assert command.sender.user_id == "$:LWC****PA=="


@pytest.mark.parametrize("broken", [{"msgId": ""}, {"senderStaffId": "", "senderId": ""}])
def test_message_without_ids_is_refused(broken: dict[str, str]) -> None:
    with pytest.raises(translate.BadPayload):
        translate.message(F5 | broken)


def test_card_callback_of_our_template() -> None:
    content = {"cardPrivateData": {"actionIds": ["submit"], "params": {
        "command": "accept", "values": json.dumps({"task": "XZ-2026-0001/T1"}), "score": "92"}}}
    data = json.loads(F8["data"]) | {"content": json.dumps(content)}
    action = translate.card_action(data, "frame-1", SPECS)
    assert action.command == "accept" and action.values == {"task": "XZ-2026-0001/T1", "score": "92"}
    assert action.chat.chat_id == "cidSYNTH==" and action.chat.is_group
    assert action.sender.user_id == "staff001" and action.card_message_id == "req-42-approval"
    assert action.action_id == "frame-1"


def test_card_callback_sample_f8_is_not_ours_and_is_refused() -> None:
    """F8's params name no command: a card some other app sent; acked, nothing runs."""
    with pytest.raises(translate.BadPayload):
        translate.card_action(json.loads(F8["data"]), "SYNTH-card-0001", SPECS)


def test_card_callback_with_broken_content_is_refused() -> None:
    with pytest.raises(translate.BadPayload):
        translate.card_action(json.loads(F8["data"]) | {"content": "{not json"}, "x", SPECS)

