"""DingTalk: variables for a card template, and markdown with the text command to type instead.

The smallest correct version, kept until the cards branch's renderer is merged: a message's
title, body and fields as DingTalk's markdown subset; a form becomes the exact command to type.
`cardParamMap` values must all be strings (platform notes §3.2).
"""
from __future__ import annotations

import json

from bot.messages import Message

COLORS = {"red": "#F54A45", "yellow": "#FF8800", "green": "#34C724", "blue": "#3370FF", "grey": "#8F959E"}


def markdown(message: Message) -> tuple[str, str]:
    """(title, text) of a `sampleMarkdown` message; a form becomes the command to type."""
    title = message.title or "协作机器人"
    parts = [f"#### {title}", _body(message)]
    typed = commands(message)
    if typed:
        parts.append("回复机器人（群里请先 @机器人）：\n" + "\n".join(f"- {label}：{text}" for label, text in typed))
    return title, "\n\n".join(p for p in parts if p)


def card_data(message: Message) -> dict[str, str]:
    """`cardParamMap` for the configured card template: every value a string (JSON for lists)."""
    form = message.data.get("fields") if message.template == "form" else None
    forms = [{"command": message.data["command"], "fields": form}] if form else []
    return {"kind": message.template or "notice", "title": message.title, "color": COLORS.get(message.color, "#3370FF"),
            "code": str(message.data.get("code", "")), "markdown": _body(message), "buttons": "[]",
            "forms": json.dumps(forms, ensure_ascii=False),
            "commands": "\n".join(f"{label}：{text}" for label, text in commands(message))}


def commands(message: Message) -> list[tuple[str, str]]:
    """(label, command to type) for what the card offers."""
    if message.template != "form":
        return []
    fields = message.data.get("fields") or []
    args = " ".join(f"{f['name']}=<{f['label']}>" for f in fields if f.get("required"))
    return [("提交", f"/{message.data['command']} {args}".strip())]


def _body(message: Message) -> str:
    parts = [message.body.replace("\n", "  \n")] if message.body else []
    parts += [f"- **{f.label}**：{f.value}" for f in message.fields]
    return "\n\n".join(parts)
