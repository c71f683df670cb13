"""The DingTalk card codec: template variables and markdown out, template callbacks back in.

DingTalk cards that call back over Stream need a template made on its card platform
(docs/dingtalk.md, **template cards**); `card_data` fills the shipped template's variables
(`cards/dingtalk/xiezuo-card.json`; `cardParamMap` values must all be strings), and
`decode_params` reads what that template's buttons send back: `command`, `values` (the button's
preset values, a JSON object or its string), `form` on a form's buttons, and one param per form
input named after the command's parameter. Without a template, `markdown` gives a
`sampleMarkdown` message whose buttons and forms become the exact slash command to type,
since robot markdown has no callback buttons. `msgParam` must stay under 15,000 bytes (docs/dingtalk.md, **robot messages**).
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.messages import Message, mentioned
from cards.model import Block, Card, Specs, card_for
from cards.text import PLACEHOLDER, clip, command_text, one_line
from handlers.forms import OPEN_FORM

PLATFORM = "dingtalk"
ZONE = ZoneInfo("Asia/Shanghai")
TITLE_CHARS = 64
ZWSP = "\u200b"
_INLINE = re.compile(r"\]\(|!\[|\*\*|__|~~|<[A-Za-z/!]")
_LINE_START = re.compile(r"(?m)^(\s*)(#|>|[-+*] |\d+\. )")
TEXT_CHARS = 3000
PARAM_BYTES = 15_000
COLORS = {"red": "#F54A45", "yellow": "#FF8800", "green": "#34C724", "blue": "#3370FF", "grey": "#8F959E"}


def markdown(message: Message, specs: Specs, at_ids: bool = False) -> tuple[str, str]:
    """(title, text) of a `sampleMarkdown` message; forms and buttons become typed commands.

    The people it names end the text: as "@userId" when the send carries them in `at.atUserIds`
    (`at_ids`, what makes DingTalk notify and show them), else by name, never as a raw id.
    """
    card = card_for(message, specs)
    title = clip(one_line(card.title), TITLE_CHARS) or "协作机器人"
    budget = TEXT_CHARS
    while True:
        text = _markdown_text(card, title, budget, at_ids)
        size = len(json.dumps({"title": title, "text": text}, ensure_ascii=False).encode())
        if size <= PARAM_BYTES or budget <= 100:
            return title, text
        budget //= 2


def card_data(message: Message, specs: Specs) -> dict[str, str]:
    """`cardParamMap` for the configured card template: every value a string (JSON for lists)."""
    card = card_for(message, specs)
    actions = commands(card)
    forms = [{"command": b["command"], "fields": [_field(f) for f in b["fields"]], "buttons": b["buttons"]}
             for b in card.of_type("form")]
    buttons = [{"label": b["label"], "command": b["command"], "values": b["values"], "text": text}
               for block in card.of_type("buttons") for b, (_, text) in zip(block["buttons"], _button_lines(block))]
    return {
        "kind": card.kind,
        "title": clip(one_line(card.title), TITLE_CHARS),
        "color": COLORS.get(card.color, COLORS["blue"]),
        "code": card.code,
        "markdown": _body(card, TEXT_CHARS),
        "buttons": json.dumps(buttons, ensure_ascii=False),
        "forms": json.dumps(forms, ensure_ascii=False),
        "commands": "\n".join(f"{label}：{text}" for label, text in actions),
    }


def _field(field: dict[str, Any]) -> dict[str, Any]:
    """A form field for the template; a person field offers only the people DingTalk can name."""
    if field["kind"] in ("person", "people"):
        return field | {"choices": [{"value": c["value"], "label": c["label"]} for c in field.get("choices") or ()
                                    if c.get("platform") == PLATFORM]}
    return field


class BadParams(ValueError):
    """Callback params that no button of the template sends."""


#: Params of the template's buttons; every other param is a form input.
RESERVED_PARAMS = {"command", "values", "form"}


def decode_params(params: dict[str, Any], specs: Specs) -> tuple[str, dict[str, Any], bool]:
    """A template callback's `cardPrivateData.params` → (command, values, whether a form was sent)."""
    command = str(params.get("command") or "")
    raw = params.get("values") or {}
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise BadParams("card callback values are not JSON") from None
    if not command or not isinstance(values, dict):
        raise BadParams("card callback without a command or with values that are not an object")
    spec = specs.get(command)
    dates = {p.name for p in spec.params if p.kind == "date"} if spec else set()
    inputs = {str(k): _date(v) if k in dates else v for k, v in params.items() if k not in RESERVED_PARAMS}
    return command, dict(values) | inputs, bool(params.get("form")) or bool(inputs)


def _date(value: Any) -> Any:
    """A date picker's answer: "YYYY-MM-DD" as it is, epoch milliseconds as the date they fall on."""
    if isinstance(value, int | float) and not isinstance(value, bool) or str(value).isdigit():
        moment = datetime.fromtimestamp(int(value) / 1000, UTC).astimezone(ZONE)
        return moment.date().isoformat()
    return value


def commands(card: Card) -> list[tuple[str, str]]:
    """(label, command to type) for every button and form submit of the card."""
    lines: list[tuple[str, str]] = []
    for block in card.blocks:
        if block["type"] == "buttons":
            lines.extend(_button_lines(block))
        elif block["type"] == "form":
            fixed = {f["name"]: f["value"] for f in block["fields"] if f.get("value") not in (None, "")}
            required = {f["name"]: f["label"] for f in block["fields"] if f["required"] and f["name"] not in fixed}
            optional = [f"{f['name']}=（{f['label']}）" for f in block["fields"]
                        if not f["required"] and f["name"] not in fixed]
            for button in block["buttons"]:
                values = fixed | button["values"]
                lines.append((button["label"], command_text(block["command"], values, required)))
            if optional:
                lines.append(("可选参数", " ".join(optional)))
    return lines


def sendable(card: Card) -> list[tuple[str, str]]:
    """(label, text) of the actions a button can send as the user's message as they stand: commands
    that need nothing more typed, and forms asked for bare (the bot answers with the form). Actions
    that need input are left to the card's text, which shows what to type."""
    actions: list[tuple[str, str]] = []
    for block in card.blocks:
        if block["type"] == "buttons":
            for button, (label, text) in zip(block["buttons"], _button_lines(block)):
                preset = [k for k in button["values"] if k != OPEN_FORM]
                if PLACEHOLDER not in text:
                    actions.append((label, text))
                elif button.get("form") and not preset and button.get("bare"):
                    actions.append((label, f"/{button['command']}"))
        elif block["type"] == "form":
            fixed = {f["name"]: f["value"] for f in block["fields"] if f.get("value") not in (None, "")}
            if all(f["name"] in fixed for f in block["fields"] if f["required"]):
                actions += [(b["label"], command_text(block["command"], fixed | b["values"])) for b in block["buttons"]]
    return actions


def _button_lines(block: Block) -> list[tuple[str, str]]:
    lines = []
    for button in block["buttons"]:
        values = {k: v for k, v in button["values"].items() if k != OPEN_FORM}
        lines.append((button["label"], command_text(button["command"], values, button.get("needs", {}))))
    return lines


def _markdown_text(card: Card, title: str, budget: int, at_ids: bool) -> str:
    parts = [f"#### {md_escape(title)}", _body(card, budget)]
    actions = commands(card)
    if actions:
        parts.append("回复机器人（群里请先 @机器人）：")
        parts.append("\n".join(f"- {label}：{text}" for label, text in actions))
    people = mentioned(card.mentions, PLATFORM)
    shown = [f"@{uid}" if at_ids else f"@{md_escape(name)}" for uid, name in people if at_ids or name]
    if shown:
        parts.append(" ".join(shown))
    return "\n\n".join(p for p in parts if p)


def md_escape(text: str) -> str:
    """User text that DingTalk markdown shows as text: a zero-width space breaks every construct of
    its subset (links, images, emphasis, headings, quotes, lists, `<font>`), so nothing depends on
    whether its renderer honours backslash escapes (docs/cards.md, "Escaping")."""
    text = _INLINE.sub(lambda m: m[0][0] + ZWSP + m[0][1:], text)
    return _LINE_START.sub(lambda m: m[1] + ZWSP + m[2], text)


def _body(card: Card, budget: int) -> str:
    """The card's text blocks as DingTalk markdown (headings, bold, lists: its supported subset),
    every piece of user text through `md_escape`."""
    e = md_escape
    parts: list[str] = []
    for block in card.blocks:
        kind = block["type"]
        if kind in ("markdown", "note"):
            text = e(clip(block["text"], budget)).replace("\n", "  \n")
            parts.append(f"> {text}" if kind == "note" else text)
        elif kind == "fields":
            parts.append("\n".join(f"- **{e(clip(i['label'], 60))}**：{e(clip(i['value'], budget // 4))}"
                                   for i in block["items"]))
        elif kind == "table":
            rows = ["｜".join(e(clip(row.get(c["key"], ""), 60)) for c in block["columns"]) for row in block["rows"]]
            header = "｜".join(e(c["label"]) for c in block["columns"])
            parts.append(clip("\n".join(f"- {r}" for r in [f"**{header}**", *rows]), budget))
        elif kind == "chart":
            parts.append("\n".join(f"- {e(s['label'])}：{'█' * min(int(s['value']), 30)} {s['value']}"
                                   for s in block["series"]))
        elif kind == "image":
            parts.append(f"![{e(clip(block.get('alt', ''), 40))}]({block.get('url', '')})")
    return "\n\n".join(p for p in parts if p)
