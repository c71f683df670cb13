"""The minimal Feishu card rendering (cards/feishu.py)."""
from __future__ import annotations

import json

from bot.messages import Field, Message
from cards.feishu import feishu_card


def test_card_is_schema_2_with_shared_update_and_colour() -> None:
    card = feishu_card(Message("标题", "正文", (Field("状态", "进行中"),), color="yellow",
                               mentions=("feishu:ou_1", "dingtalk:x")))
    assert card["schema"] == "2.0" and card["config"]["update_multi"] is True
    assert card["header"]["title"]["content"] == "标题" and card["header"]["template"] == "orange"
    contents = [e["content"] for e in card["body"]["elements"]]
    assert contents == ["正文", "**状态**：进行中", "<at id=ou_1></at>"]
    assert feishu_card(Message("错", is_error=True))["header"]["template"] == "red"


def test_user_text_cannot_break_out_of_the_json() -> None:
    evil = '"}]},"header":{"title":"pwned'
    card = json.loads(json.dumps(feishu_card(Message(evil, evil))))
    assert card["header"]["title"]["content"] == evil and card["body"]["elements"][0]["content"] == evil


def test_form_has_named_inputs_and_a_submit_carrying_the_command() -> None:
    data = {"command": "accept", "fields": [
        {"name": "task", "label": "任务", "kind": "task", "required": True, "choices": [], "placeholder": ""},
        {"name": "result", "label": "结果", "kind": "choice", "required": True,
         "choices": [{"value": "通过", "label": "通过"}], "placeholder": ""}]}
    form = feishu_card(Message("验收", template="form", data=data))["body"]["elements"][-1]
    assert form["tag"] == "form"
    assert [e.get("name") for e in form["elements"]] == ["task", "result", "submit"]
    assert form["elements"][-1]["behaviors"][0]["value"] == {"command": "accept"}
