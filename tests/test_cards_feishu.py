"""Feishu card JSON 2.0 against docs/feishu.md (**card JSON 2.0**, **callback fields**) and Feishu's callback sample."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.messages import Field, Message
from cards.feishu import LIMIT_BYTES, body_bytes, decode_action, feishu_card
from cards.text import MARKER
from tests.cardkit import ROWS, SPECS, every_kind, sample

#: Tags this renderer may emit; 2.0 rejects unknown properties, and has no `action` module.
INTERACTIVE = {"input", "select_static", "multi_select_static", "select_person", "multi_select_person", "date_picker",
               "picker_time", "button"}
TAGS = INTERACTIVE | {"markdown", "form", "column_set", "column", "table", "chart", "img"}


def walk(elements: list[dict[str, Any]], depth: int = 0) -> Iterator[tuple[dict[str, Any], int]]:
    for element in elements:
        yield element, depth
        for column in element.get("columns", []) if element["tag"] == "column_set" else []:
            yield from walk(column["elements"], depth + 1)
        if element["tag"] == "form":
            yield from walk(element["elements"], depth + 1)


def check_rules(card: dict[str, Any]) -> None:
    assert card["schema"] == "2.0"
    assert card["config"]["update_multi"] is True
    assert set(card) == {"schema", "config", "header", "body"}
    assert card["header"]["title"]["tag"] == "plain_text"
    assert body_bytes(card) <= LIMIT_BYTES
    names = []
    for element, depth in walk(card["body"]["elements"]):
        assert element["tag"] in TAGS, element["tag"]
        if element["tag"] == "form":
            assert depth == 0, "a form sits only at the card root"
            inner = [e for e, _ in walk(element["elements"])]
            assert not any(e["tag"] in ("form", "table") for e in inner), "no table or form inside a form"
            assert any(e.get("form_action_type") == "submit" for e in inner), "a form needs a submit button"
            names.append(element["name"])
        if element["tag"] in INTERACTIVE:
            assert element["name"], "an empty name is error 200530"
            names.append(element["name"])
        if element["tag"] == "button":
            assert element["behaviors"][0]["type"] == "callback"
            assert "command" in element["behaviors"][0]["value"]
    assert len(names) == len(set(names)), "form element and button names must be unique"


@pytest.mark.parametrize("message", every_kind(), ids=lambda m: m.template or "error")
def test_every_kind_follows_the_platform_rules(message: Message) -> None:
    check_rules(feishu_card(message, SPECS))


@pytest.mark.parametrize("text", ['"quotes" \\ \n newline', "{{ x }} {% if %}", "</script><at id=all></at>",
                                  "emoji 🎉", "x" * 10_000])
def test_hostile_text_stays_text_and_under_the_limit(text: str) -> None:
    message = Message(text, text, tuple(Field(f"字段{i}", text) for i in range(8)), template="delivery",
                      data={"code": "XZ-2026-0001", "task": "T1"})
    card = feishu_card(message, SPECS)
    check_rules(card)
    title = card["header"]["title"]["content"]
    assert "\n" not in title
    if len(text) > 100:
        assert title.endswith(MARKER) and len(title) <= 100
    markdown = [e["content"] for e, _ in walk(card["body"]["elements"]) if e["tag"] == "markdown"]
    assert not any("<at id=all>" in m or "</script>" in m for m in markdown), "user text cannot become markup"


def test_a_huge_division_table_is_cut_to_fit() -> None:
    rows = [dict(ROWS[0], task=f"T{i}", title="很长的任务描述" * 30) for i in range(400)]
    card = feishu_card(sample("division_table", rows=rows), SPECS)
    check_rules(card)
    table = next(e for e, _ in walk(card["body"]["elements"]) if e["tag"] == "table")
    assert 0 < len(table["rows"]) < 400


def test_forms_carry_values_and_submit_buttons() -> None:
    card = feishu_card(sample("evaluation_request"), SPECS)
    form = next(e for e in card["body"]["elements"] if e["tag"] == "form")
    by_name = {e.get("name"): e for e, _ in walk(form["elements"])}
    assert by_name["date"]["tag"] == "date_picker" and by_name["resources"]["input_type"] == "multiline_text"
    buttons = [e for e, _ in walk(form["elements"]) if e["tag"] == "button"]
    assert [b["behaviors"][0]["value"]["values"]["decision"] for b in buttons] == ["accept", "need_info", "decline"]
    assert buttons[0]["type"] == "primary_filled" and buttons[2]["type"] == "danger"


def test_mentions_are_feishu_at_tags_for_feishu_users_only() -> None:
    contents = " ".join(e.get("content", "") for e in feishu_card(sample("charter"), SPECS)["body"]["elements"])
    assert "<at id=ou_1></at>" in contents and "staff1" not in contents


def test_decode_action_from_the_official_callback_sample() -> None:
    action = {"value": {"command": "evaluate", "values": {"id": "XZ-2026-0001", "decision": "accept"}},
              "tag": "button", "timezone": "Asia/Shanghai",
              "form_value": {"contact": "李强", "date": "2024-04-01 +0800", "time": "00:00 +0800",
                             "depts": ["研发部", "设计部"], "resources": "2名开发"},
              "name": "button_1"}
    command, values, submitted = decode_action(action)
    assert command == "evaluate" and submitted
    assert values == {"id": "XZ-2026-0001", "decision": "accept", "contact": "李强", "date": "2024-04-01",
                      "time": "00:00", "depts": ["研发部", "设计部"], "resources": "2名开发"}
