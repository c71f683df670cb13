"""DingTalk renderings against docs/dingtalk.md (**template cards**: cardParamMap strings;
**robot messages**: markdown, msgParam ≤ 15,000 bytes); every button's typed command must mean exactly what the click means."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pytest

from bot.commands import bind, bind_values, parse
from bot.messages import Field, Message
from cards.dingtalk import PARAM_BYTES, TITLE_CHARS, card_data, commands, markdown
from cards.model import card_for
from cards.text import MARKER
from handlers.forms import OPEN_FORM
from tests.cardkit import REGISTRY as registry
from tests.cardkit import SPECS, every_kind, sample

TODAY = date(2026, 11, 23)
PLACEHOLDER = re.compile(r" \S+=<[^>]*>")


@pytest.mark.parametrize("message", every_kind(), ids=lambda m: m.template or "error")
def test_card_data_is_a_map_of_strings(message: Message) -> None:
    data = card_data(message, SPECS)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in data.items())
    assert isinstance(json.loads(data["buttons"]), list) and isinstance(json.loads(data["forms"]), list)
    assert len(data["title"]) <= TITLE_CHARS and "\n" not in data["title"]


@pytest.mark.parametrize("message", every_kind(), ids=lambda m: m.template or "error")
def test_typed_command_means_what_the_click_means(message: Message) -> None:
    card = card_for(message, SPECS)
    clicks = []
    for block in card.blocks:
        if block["type"] == "buttons":
            clicks += [(b["command"], b["values"]) for b in block["buttons"]]
        elif block["type"] == "form":
            fixed = {f["name"]: f["value"] for f in block["fields"] if f.get("value") not in (None, "")}
            clicks += [(block["command"], fixed | b["values"]) for b in block["buttons"]]
    lines = [text for label, text in commands(card) if label != "可选参数"]
    assert len(lines) == len(clicks)
    for (command, values), text in zip(clicks, lines):
        typed = parse(registry, PLACEHOLDER.sub("", text))
        assert typed.spec.name == command, text
        if OPEN_FORM in values or PLACEHOLDER.search(text):
            continue  # the user fills the rest in; the fixed part is checked above
        assert bind(typed.spec, typed.args, TODAY) == bind_values(typed.spec, values, TODAY), text


def test_markdown_tells_the_exact_command() -> None:
    title, text = markdown(sample("evaluation_request"), SPECS)
    assert title == "XZ-2026-0001 卡片"
    assert "- 接受：/evaluate id=XZ-2026-0001 decision=accept" in text
    assert "contact=（对接人）" in text, "optional fields are listed too"
    assert "@staff1" not in text and "ou_1" not in text, "no raw ids, and the sample's person has no name"
    named = replace(sample("evaluation_request"), mentions=("dingtalk:staff1|李工", "feishu:ou_1|李强"))
    assert markdown(named, SPECS)[1].endswith("@李工"), "by name when the send carries no at-list"
    assert markdown(named, SPECS, at_ids=True)[1].endswith("@staff1"), "as the id DingTalk highlights from at.atUserIds"


def test_user_text_cannot_become_a_link_or_a_heading() -> None:
    hostile = Message("# 标题 [点我](https://evil.example)", "[点我](https://evil.example)\n# 大标题\n> 引用 **粗**",
                      (Field("![图](https://evil.example/x.png)", "<font color=red>红</font>"),))
    title, text = markdown(hostile, SPECS)
    assert "](" not in text and "![" not in text and "**粗**" not in text and "<font" not in text
    assert not any(line.startswith(("# ", "> 引用")) for line in text.splitlines()), text
    assert "https://evil.example" in text, "the address is still there to read"


@pytest.mark.parametrize("text", ['"quotes"\nnewline', "{{ x }}", "</script>", "🎉" * 50, "长" * 10_000])
def test_markdown_stays_within_msgparam_limit(text: str) -> None:
    message = Message(text, text, tuple(Field(f"字段{i}", text) for i in range(10)), template="charter",
                      data={"code": "XZ-2026-0001"})
    title, body = markdown(message, SPECS)
    assert "\n" not in title and len(title) <= TITLE_CHARS
    assert len(json.dumps({"title": title, "text": body}, ensure_ascii=False).encode()) <= PARAM_BYTES
    if len(text) > TITLE_CHARS:
        assert title.endswith(MARKER)
    assert "/task add id=XZ-2026-0001" in body, "the commands survive truncation"
