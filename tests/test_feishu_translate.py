"""Feishu payloads → neutral events."""
from __future__ import annotations

import json

import pytest

from bot.platforms.feishu import translate
from cards.feishu import feishu_card
from tests.cardkit import SPECS, sample
from tests.fakes.feishu import Clicker, card_event, message_event
from tests.fakes.feishu_samples import F1, F6_EVENT


def test_official_sample_message_with_mention() -> None:
    command = translate.command(F1, bot_open_id="ou_someone_else")
    assert command is not None
    assert command.text == "@_user_1 hello" and command.message_id == "om_5ce6d572455d361153b7cb51da133945"
    assert command.chat.chat_id == "oc_5ce6d572455d361153b7xx51da133945" and command.chat.is_group
    assert command.sender.user_id == "ou_84aad35d084aa403a838cf73ee18467"
    (mention,) = command.mentions
    assert (mention.user_id, mention.name, mention.text, mention.is_bot) == (
        "ou_84aad35d084aa403a838cf73ee18467", "Tom", "@_user_1", False)
    bot_command = translate.command(F1, bot_open_id="ou_84aad35d084aa403a838cf73ee18467")
    assert bot_command is not None and bot_command.mentions[0].is_bot


def test_post_message_keeps_placeholders_and_paragraphs() -> None:
    post = {"title": "周报", "content": [[{"tag": "at", "user_id": "@_user_1"}, {"tag": "text", "text": " /progress"}],
                                         [{"tag": "text", "text": "done=完成"}, {"tag": "img", "image_key": "x"}]]}
    event = message_event("oc_1", "ou_1", "", [("ou_bot", "机器人")], msg_type="post", content=post,
                          chat_type="p2p")
    command = translate.command(event, "ou_bot")
    assert command is not None and not command.chat.is_group
    assert command.text == "周报\n@_user_1 /progress\ndone=完成"
    localized = message_event("oc_1", "ou_1", "", msg_type="post", content={"zh_cn": post})
    assert translate.command(localized, "ou_bot").text == command.text  # type: ignore[union-attr]


def test_non_text_messages_and_bot_senders_are_not_commands() -> None:
    image = message_event("oc_1", "ou_1", "", msg_type="image", content={"image_key": "img"})
    assert translate.command(image, "") is None
    from_bot = message_event("oc_1", "ou_1", "/help")
    from_bot["event"]["sender"]["sender_type"] = "app"
    assert translate.command(from_bot, "") is None


@pytest.mark.parametrize("breakage", ["no_message", "content_not_json", "no_chat"])
def test_malformed_message_events_are_bad(breakage: str) -> None:
    event = message_event("oc_1", "ou_1", "/help")
    if breakage == "no_message":
        del event["event"]["message"]
    elif breakage == "content_not_json":
        event["event"]["message"]["content"] = "{not json"
    else:
        event["event"]["message"]["chat_id"] = ""
    with pytest.raises(translate.BadEvent):
        translate.command(event, "")


@pytest.mark.parametrize("echo", [True, False], ids=["value-echoed", "name-only"])
def test_card_action_from_a_clicked_form(echo: bool) -> None:
    """The click is built from the card the codec rendered, under both readings of the docs."""
    card = feishu_card(sample("delivery"), SPECS)
    clicker = Clicker(people={"李强": "ou_1"}, echo_submit_value=echo)
    action = clicker.action(card, "oc_1", "部分通过", {"score": "70", "comment": "文档缺一节"})
    assert ("value" in action) is echo
    event = translate.card_action(card_event("oc_1", "ou_1", "om_card", action))
    assert event.command == "accept" and event.card_message_id == "om_card" and event.form
    assert event.values == {"task": "XZ-2026-0001/T1", "result": "partial", "score": "70", "comment": "文档缺一节"}
    assert event.action_id and event.sender.user_id == "ou_1"


def test_card_action_from_a_plain_button() -> None:
    card = feishu_card(sample("task", stage="planning"), SPECS)
    action = Clicker().action(card, "oc_1", "任务分工表")
    event = translate.card_action(card_event("oc_1", "ou_1", "om_card", action))
    assert (event.command, event.values, event.form) == ("task list", {"id": "XZ-2026-0001"}, False)
    del action["value"]  # a client that sent only the element's name
    assert translate.card_action(card_event("oc_1", "ou_1", "om_card", action)).command == "task list"


def test_official_card_sample_without_command_is_bad() -> None:
    event = card_event("oc_1", "ou_1", "om_1", {})
    event["event"] = json.loads(json.dumps(F6_EVENT))
    with pytest.raises(translate.BadEvent):
        translate.card_action(event)
    event["event"]["action"]["value"] = {"command": "help"}
    action = translate.card_action(event)
    assert action.chat.chat_id == "oc_e4d2605ca917e695f54f11aaf56*****"
    assert action.values["field name2"] == "value2"


def test_tokens_and_ids_from_both_schemas() -> None:
    assert translate.token(F1) == "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV"
    v1 = {"uuid": "u1", "token": "t1", "type": "event_callback", "event": {"type": "message"}}
    assert (translate.token(v1), translate.event_id(v1), translate.event_type(v1)) == ("t1", "u1", "message")
