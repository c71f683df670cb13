"""The platform-neutral card: a message's kind template turned into a list of blocks.

Each card kind (`bot.messages.CardKind`) has its own Jinja2 template in
`cards/templates/<kind>.j2`; there is no fallback, so a kind without one is a bug that fails
loudly. A template writes one JSON block per line, and every value it takes from the message
goes through `tojson`, so user text can never break out of its string. Blocks:

- `markdown {text}`, `note {text}`, `fields {items: [{label, value}]}`,
- `table {columns: [{key, label}], rows: [{key: text}]}`, `chart {kind, title, series: [{label, value}]}`,
- `image {url, alt}`,
- `buttons {buttons: [{label, command, values, style, form}]}`: `form` buttons open the command's
  form pre-filled with `values` instead of running it; `card_for` adds to each the command's
  required fields (`needs`: name → label) and whether it is a form command (`bare`),
- `form {command, fields: [{name, label, kind, required, choices, placeholder, value}],
  buttons: [{label, values, style}]}`: each submit button adds its `values` to the fields.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from jinja2 import Environment, PackageLoader

from bot.commands import CommandSpec
from bot.messages import CardKind, Message
from cards.actions import button, reminder_actions
from handlers.forms import form_fields

Block = dict[str, Any]
#: A bot's commands by name (`bot.commands.Registry.specs`): what a card's forms and buttons ask for.
Specs = Mapping[str, CommandSpec]
KNOWN_BLOCKS = frozenset({"markdown", "note", "fields", "table", "chart", "image", "buttons", "form"})


@dataclass(frozen=True)
class Card:
    kind: str
    title: str
    color: str
    blocks: tuple[Block, ...]
    mentions: tuple[str, ...] = ()
    code: str = ""

    def of_type(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b["type"] == kind]


def _fields(specs: Specs, command: str, *names: str, choices: dict[str, list[dict[str, Any]]] | None = None,
            **defaults: Any) -> list[dict[str, Any]]:
    """Form fields taken from the command's own params, so card and typed command validate alike;
    `choices` offers options to fields that have none of their own (e.g. the people of a dept)."""
    fields = form_fields(specs[command], names or None)
    for field in fields:
        if defaults.get(field["name"]) is not None:
            field["value"] = defaults[field["name"]]
        if not field["choices"] and (choices or {}).get(field["name"]):
            field["choices"] = list((choices or {})[field["name"]])
    return fields


_ENV = Environment(loader=PackageLoader("cards", "templates"), autoescape=False, trim_blocks=True,
                   lstrip_blocks=True)
_ENV.globals.update(button=button, reminder_actions=reminder_actions)
_ENV.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}


KINDS = frozenset(CardKind)


class CardError(ValueError):
    """A template produced something that is not a list of known blocks (a bug in a template)."""


def card_for(message: Message, specs: Specs) -> Card:
    """Describe `message` as a card through its kind's template; `specs` are the bot's commands."""
    kind = CardKind.ERROR if message.is_error else (message.template or CardKind.NOTICE)
    if kind not in KINDS:
        raise CardError(f"no card kind {kind!r}: declare it in bot.messages.CardKind and give it a template")
    template = _ENV.get_template(f"{kind}.j2")
    data = message.data or {}
    text = template.render(m=message, d=data, fields=[{"label": f.label, "value": f.value} for f in message.fields],
                           code=str(data.get("code", "")), fields_of=partial(_fields, specs))
    blocks = []
    for line in text.split("\n"):  # not splitlines(): U+2028 inside a JSON string is not a line break
        if not line.strip():
            continue
        try:
            block = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CardError(f"template {template.name} wrote a line that is not JSON: {line[:80]!r}") from exc
        if not isinstance(block, dict) or block.get("type") not in KNOWN_BLOCKS:
            raise CardError(f"template {template.name} wrote an unknown block: {line[:80]!r}")
        if block["type"] == "buttons":
            for b in block["buttons"]:
                if b.get("form"):
                    spec = specs[b["command"]]
                    b["needs"] = {f["name"]: f["label"] for f in form_fields(spec) if f["required"]}
                    b["bare"] = spec.form
        blocks.append(block)
    return Card(kind, message.title, message.color or "blue", tuple(blocks), tuple(message.mentions),
                str(data.get("code", "")))
