"""The card contract, over every card kind and every button, on every platform: render the card as
the platform shows it, click the button the way that platform's client does (tests/fakes), decode
the callback with the platform's codec, and bind it like the command would be. Each click must
arrive as the button's command with its preset values and what the user filled in, and bind
without a `UserError` (a button that opens a form must still ask for the form)."""
from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import unquote

import pytest

from bot.commands import Values, bind, bind_values, parse
from bot.messages import Message
from bot.platforms.dingtalk.sender import robot_message
from cards.dingtalk import card_data, decode_params
from cards.feishu import decode_action, feishu_card
from cards.html import render_html
from cards.model import Block, card_for
from handlers.forms import wants_form
from tests.cardkit import REGISTRY as registry
from tests.cardkit import SPECS, every_kind
from tests.fakes import emulator
from tests.fakes.dingtalk import Template
from tests.fakes.feishu import Clicker

TODAY = date(2026, 11, 23)
MESSAGES = every_kind()


def clicks(message: Message) -> list[tuple[str, str, dict[str, Any], Block | None]]:
    """(label, command, preset values, the form it submits or None) of every button, first of each label."""
    found: dict[str, tuple[str, str, dict[str, Any], Block | None]] = {}
    for block in card_for(message, SPECS).blocks:
        if block["type"] == "buttons":
            for b in block["buttons"]:
                found.setdefault(b["label"], (b["label"], b["command"], b["values"], None))
        elif block["type"] == "form":
            for b in block["buttons"]:
                found.setdefault(b["label"], (b["label"], block["command"], b["values"], block))
    return list(found.values())


CASES = [pytest.param(m, c, id=f"{m.template or 'error'}-{c[0]}") for m in MESSAGES for c in clicks(m)]


def filled(form: Block | None, platform: str) -> dict[str, Any]:
    """What a user enters: a valid answer for each required field left empty."""
    answers: dict[str, Any] = {}
    for f in (form or {}).get("fields", ()):
        if not f["required"] or f.get("value") not in (None, ""):
            continue
        choices = f.get("choices") or []
        kind = f["kind"]
        if kind in ("person", "people"):
            answers[f["name"]] = "ou_p1" if platform == "feishu" else "李工"
        elif choices:
            answers[f["name"]] = [choices[0]["value"]] if kind in ("depts", "tasks") else choices[0]["value"]
        else:
            answers[f["name"]] = {"date": "2026-12-05", "time": "09:30", "int": "50", "bool": "true",
                                  "depts": "研发部", "tasks": "T1", "task": "XZ-2026-0001/T1",
                                  "collab": "XZ-2026-0001", "dept": "研发部"}.get(kind, "内容")
    return answers


def expected(command: str, preset: dict[str, Any], form: Block | None, answers: dict[str, Any]) -> dict[str, Any]:
    fixed = {f["name"]: f["value"] for f in (form or {}).get("fields", ()) if f.get("value") not in (None, "")}
    return fixed | answers | preset


def bound(command: str, values: dict[str, Any]) -> Values | str:
    """The command's bound inputs, or "form" when the click asks for the form."""
    spec = registry.specs[command]
    return "form" if wants_form(values) else bind_values(spec, values, TODAY)


def check(got: tuple[str, dict[str, Any]], command: str, want: dict[str, Any]) -> None:
    assert got[0] == command
    assert bound(*got) == bound(command, want)


@pytest.mark.parametrize(("message", "case"), CASES)
@pytest.mark.parametrize("echo", [True, False], ids=["echoed", "name-only"])
def test_feishu(message: Message, case: tuple[str, str, dict[str, Any], Block | None], echo: bool) -> None:
    label, command, preset, form = case
    answers = filled(form, "feishu")
    action = Clicker(echo_submit_value=echo).action(feishu_card(message, SPECS), "oc_1", label, answers)
    decoded, values, submitted = decode_action(action)
    assert submitted is (form is not None)
    check((decoded, values), command, expected(command, preset, form, answers))


@pytest.mark.parametrize(("message", "case"), CASES)
@pytest.mark.parametrize("objects", [True, False], ids=["objects", "strings"])
def test_dingtalk_template(message: Message, case: tuple[str, str, dict[str, Any], Block | None],
                           objects: bool) -> None:
    label, command, preset, form = case
    answers = filled(form, "dingtalk")
    variables = card_data(message, SPECS)
    assert all(isinstance(v, str) for v in variables.values()), "cardParamMap values are strings"
    params = Template(objects=objects, dates_as_millis=not objects).params(variables, label, answers)
    decoded, values, submitted = decode_params(params, SPECS)
    assert submitted is (form is not None)
    check((decoded, values), command, expected(command, preset, form, answers))


@pytest.mark.parametrize(("message", "case"), CASES)
def test_local(message: Message, case: tuple[str, str, dict[str, Any], Block | None]) -> None:
    label, command, preset, form = case
    answers = filled(form, "local")
    sent = emulator.click(render_html(message, SPECS), label, answers)
    assert sent["form"] is (form is not None)
    check((sent["command"], sent["values"]), command, expected(command, preset, form, answers))


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.template or "error")
def test_dingtalk_action_card_buttons_send_complete_commands(message: Message) -> None:
    """An ActionCard button makes the client send its text as the user: it must be a command that
    runs, or a form command typed bare (which answers with its form), never a placeholder."""
    key, param = robot_message(message, SPECS, private=True)
    buttons = [(param[f"actionTitle{i}"], param[f"actionURL{i}"]) for i in range(1, 6) if f"actionTitle{i}" in param]
    if "singleTitle" in param:
        buttons = [(param["singleTitle"], param["singleURL"])]
    commands = {label[:20]: command for label, command, _, _ in clicks(message)}
    for title, url in buttons:
        assert url.startswith("dtmd://dingtalkclient/sendMessage?content=")
        text = unquote(url.partition("content=")[2])
        assert "<" not in text and "‹" not in text, text
        parsed = parse(registry, text)
        assert parsed.spec.name == commands[title], (title, text)
        if not (parsed.spec.form and not parsed.args.positional and not parsed.args.options):
            bind(parsed.spec, parsed.args, TODAY)
