"""The neutral card: every kind's template yields known blocks whose actions name real commands."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import Message
from cards.model import KNOWN_BLOCKS, CardError, card_for
from handlers.forms import OPEN_FORM
from tests.cardkit import KINDS, SPECS, TEMPLATES, every_kind, sample
from tests.cardkit import REGISTRY as registry

HOSTILE = ['"quoted" \'single\'', "line1\nline2\r\n", "{{ 7*7 }} {% raw %}", "</script><script>alert(1)</script>",
           "emoji 🎉👩‍💻", "x" * 10_000, "\\u0000 \\\" \\n", "\u2028\u2029"]


def test_every_template_kind_is_a_workflow_kind() -> None:
    wanted = {"request", "evaluation_request", "charter", "division_table", "task", "task_status", "progress",
              "problem", "risk", "change", "meeting", "delivery", "acceptance", "accepted", "rating",
              "retrospective", "board", "board_list", "my_tasks", "help", "form", "bound", "returned",
              "evaluation_answer", "evaluation_summary", "plan_confirm", "plan_confirmed", "upstream_slipped",
              "progress_alert", "digest", "daily_digest", "notice"}
    assert wanted <= set(KINDS)


@pytest.mark.parametrize("message", every_kind(), ids=lambda m: m.template or "error")
def test_actions_name_real_commands_and_params(message: Message) -> None:
    card = card_for(message, SPECS)
    assert card.blocks and all(b["type"] in KNOWN_BLOCKS for b in card.blocks)
    for block in card.of_type("buttons"):
        for button in block["buttons"]:
            spec = registry.specs[button["command"]]
            names = {p.name for p in spec.params} | {OPEN_FORM}
            assert set(button["values"]) <= names, (button, names)
            assert button["form"] == (OPEN_FORM in button["values"])
    for block in card.of_type("form"):
        spec = registry.specs[block["command"]]
        names = {p.name for p in spec.params}
        assert {f["name"] for f in block["fields"]} <= names
        assert block["buttons"], "a form needs a submit button"
        for button in block["buttons"]:
            assert set(button["values"]) <= names


def test_error_and_unknown_kinds() -> None:
    error = card_for(Message("操作未完成", "缺少量化目标", template="request", is_error=True, color="red"), SPECS)
    assert error.kind == "error" and not error.of_type("buttons") and error.color == "red"
    with pytest.raises(CardError, match="no_such_kind"):
        card_for(Message("t", "b", template="no_such_kind", data={"code": "XZ-2026-0001"}), SPECS)


def test_evaluation_request_offers_three_decisions_for_its_collaboration() -> None:
    form = card_for(sample("evaluation_request"), SPECS).of_type("form")[0]
    assert form["command"] == "evaluate"
    assert [(b["label"], b["values"]) for b in form["buttons"]] == [
        ("接受", {"id": "XZ-2026-0001", "decision": "accept"}),
        ("需补充信息", {"id": "XZ-2026-0001", "decision": "need_info"}),
        ("拒绝", {"id": "XZ-2026-0001", "decision": "decline"})]
    assert [f["name"] for f in form["fields"]] == ["contact", "resources", "date", "comment"]


def test_form_kind_prefills_values() -> None:
    form = card_for(sample("form"), SPECS).of_type("form")[0]
    assert form["command"] == "request"
    assert {f["name"]: f.get("value") for f in form["fields"]}["name"] == "Q4新品推广"


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("kind", KINDS)
def test_user_text_survives_every_template_verbatim(kind: str, text: str) -> None:
    card = card_for(sample(kind, title=text, body=text, code=text, dept=text), SPECS)
    assert card.title == text
    if kind not in ("division_table", "my_tasks", "action_list", "handover", "register", "audit", "board_list", "form",
                    "plan_confirmed", "evaluation_answer", "digest", "daily_digest", "pmo_weekly", "template_list"):  # rows
        assert any(b.get("text") == text for b in card.blocks), "the body reaches a text block unchanged"
    if kind == "evaluation_answer":
        assert card.of_type("note")[0]["text"] == f"{text} 李强 答复：接受"


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_any_text_round_trips(text: str) -> None:
    card = card_for(sample("charter", title=text, body=text, code=text), SPECS)
    assert card.title == text and card.of_type("markdown")[0]["text"] == text
    assert card.of_type("buttons")[0]["buttons"][0]["values"]["id"] == text


def test_templates_write_values_only_through_tojson() -> None:
    """The rule that makes the above hold for future templates too: every output expression is `…|tojson`."""
    for path in TEMPLATES.glob("*.j2"):
        for expression in re.findall(r"\{\{(.*?)\}\}", path.read_text(encoding="utf-8"), re.S):
            assert expression.strip().endswith("|tojson") or expression.strip() == "super()", (path.name, expression)
