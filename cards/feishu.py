"""A neutral `Message` as a Feishu interactive card (JSON 2.0).

Minimal rendering: header (title, colour), markdown body, fields, @mentions, and for
`template="form"` a form whose submit button carries `{"command": name}`; form inputs are
named after the command's parameters (the contract `bot/platforms/feishu/translate.py` reads).
User text only ever enters the card as JSON string values, never by string formatting of JSON.
"""
from __future__ import annotations

from typing import Any

from bot.messages import Message

COLOURS = {"red": "red", "yellow": "orange", "green": "green", "blue": "blue", "grey": "grey"}


def feishu_card(message: Message) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    if message.body:
        elements.append(_markdown(message.body))
    if message.fields:
        elements.append(_markdown("\n".join(f"**{f.label}**：{f.value}" for f in message.fields)))
    mentions = [m.split(":", 1)[1] for m in message.mentions if m.startswith("feishu:")]
    if mentions:
        elements.append(_markdown(" ".join(f"<at id={open_id}></at>" for open_id in mentions)))
    if message.template == "form" and message.data.get("fields"):
        elements.append(_form(message.data))
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {"title": {"tag": "plain_text", "content": message.title or "协作"},
                   "template": "red" if message.is_error else COLOURS.get(message.color, "blue")},
        "body": {"elements": elements or [_markdown(" ")]},
    }


def _markdown(text: str) -> dict[str, Any]:
    return {"tag": "markdown", "content": text}


def _form(data: dict[str, Any]) -> dict[str, Any]:
    inputs: list[dict[str, Any]] = []
    for field in data["fields"]:
        label = {"tag": "plain_text", "content": str(field["label"])}
        if field.get("choices"):
            options = [{"text": {"tag": "plain_text", "content": str(c["label"])}, "value": str(c["value"])}
                       for c in field["choices"]]
            inputs.append({"tag": "select_static", "name": field["name"], "placeholder": label,
                           "options": options, "required": bool(field.get("required"))})
        else:
            inputs.append({"tag": "input", "name": field["name"], "label": label,
                           "placeholder": {"tag": "plain_text", "content": str(field.get("placeholder") or "")},
                           "required": bool(field.get("required"))})
    submit = {"tag": "button", "name": "submit", "text": {"tag": "plain_text", "content": "提交"},
              "type": "primary", "form_action_type": "submit",
              "behaviors": [{"type": "callback", "value": {"command": data["command"]}}]}
    return {"tag": "form", "name": f"form_{data['command']}", "elements": [*inputs, submit]}
