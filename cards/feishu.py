"""The Feishu card codec: a neutral card → card JSON 2.0, and a `card.action.trigger` action back
to (command, values). The button and form contract exists here and nowhere else (docs/cards.md).

Encoding rules (docs/feishu.md, **card JSON 2.0**): `schema` "2.0" with `body.elements`; no `action`
module (buttons sit in the elements); forms only at the root, never holding a table; every form
element and button has a unique `name`; `config.update_multi` true (the only value 2.0 allows, and
what lets a callback or PATCH update the card for everyone); the request body that carries the
card stays under 30 KB. User text is either `plain_text` or escaped markdown, and the dict is
serialized by `json.dumps`.

The contract: every button carries its command and preset values twice, in its callback
`behaviors[].value` ({"command", "values"}) and in its `name` (`x<n>_<base32 of [command,
values]>`). Feishu echoes the value for plain buttons; whether it echoes it for a form's submit
button is not settled by the docs, but it always sends the clicked element's `name`, so decoding
works under either reading. Form inputs are named after the command's parameters, and their
answers arrive in `form_value`.
"""
from __future__ import annotations

import base64
import json
import re
from typing import Any

from bot.messages import Message, mentioned
from cards.model import Block, Card, Specs, card_for
from cards.text import clip, one_line

PLATFORM = "feishu"
LIMIT_BYTES = 30 * 1024
TITLE_CHARS = 100
TEXT_CHARS = 4000
FIELD_CHARS = 1000
TABLE_ROWS = 100
COLORS = {"red": "red", "yellow": "yellow", "green": "green", "blue": "blue", "grey": "grey"}
STYLES = {"primary": "primary_filled", "danger": "danger", "default": "default"}
#: Numeric character references, the escapes Feishu's card-markdown docs list for special characters.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "&<>*~`[]_#"}
_MD_RE = re.compile("[" + re.escape("".join(_MD_SPECIAL)) + "]")
_USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # open_id / user_id; anything else is not put in a tag
_TZ_SUFFIX = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{2}:\d{2}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}) [+-]\d{4}$")
_NAME = re.compile(r"^x\d+_([a-z2-7]+)$")
#: Answers that come in the action itself, outside a form (docs/feishu.md, **callback fields**).
_LOOSE_ANSWERS = ("input_value", "option", "options", "checked")


def md_escape(text: str) -> str:
    """User text inside a markdown element shows literally (no links, @all or styling)."""
    return _MD_RE.sub(lambda m: _MD_SPECIAL[m[0]], text)


def feishu_card(message: Message, specs: Specs) -> dict[str, Any]:
    """The card JSON for Feishu's `interactive` messages, callback answers and PATCH updates."""
    card = card_for(message, specs)
    scale = 1.0
    while True:
        built = _Builder(card, scale).build()
        if scale < 0.05 or body_bytes(built) <= LIMIT_BYTES:
            return built
        scale /= 2


def body_bytes(card: dict[str, Any]) -> int:
    """The size Feishu counts: the request body that carries the card as its `content` string."""
    content = json.dumps(card, ensure_ascii=False, separators=(",", ":"))
    return len(json.dumps({"content": content}, ensure_ascii=False, separators=(",", ":")).encode())


class BadAction(ValueError):
    """A card action that names no command of ours (not one of our buttons, or a mangled one)."""


def decode_action(action: dict[str, Any]) -> tuple[str, dict[str, Any], bool]:
    """A `card.action.trigger` action → (command, values, whether a form was submitted).

    The command and preset values come from the button's echoed `value` or, failing that, from
    its `name`; a form adds `form_value`, whose picker answers ("2024-04-01 +0800") lose their
    zone suffix; an input outside a form answers in `input_value`/`option`/`options`.
    """
    value = action.get("value")
    if isinstance(value, dict) and value.get("command"):
        command, values = str(value["command"]), value.get("values") or {}
    else:
        command, values = _from_name(str(action.get("name") or ""))
    if not isinstance(values, dict):
        raise BadAction("button values are not an object")
    values = dict(values)
    form = action.get("form_value")
    for key, item in (form.items() if isinstance(form, dict) else ()):
        values[str(key)] = _answer(item)
    for key in _LOOSE_ANSWERS:
        if action.get(key) not in (None, "") and action.get("name") and not isinstance(form, dict):
            values[str(action["name"])] = _answer(action[key])
    return command, values, isinstance(form, dict)


def _answer(item: Any) -> Any:
    if isinstance(item, str):
        return _TZ_SUFFIX.sub(r"\1", item)
    if isinstance(item, list):
        return [_answer(i) for i in item]
    return item


def button_name(index: int, command: str, values: dict[str, Any]) -> str:
    """A button's `name`: unique in the card (`index`) and carrying its command and values."""
    raw = json.dumps([command, values], ensure_ascii=False, separators=(",", ":")).encode()
    return f"x{index}_" + base64.b32encode(raw).decode().rstrip("=").lower()


def _from_name(name: str) -> tuple[str, Any]:
    match = _NAME.match(name)
    if match is None:
        raise BadAction(f"card action without a command (name {name[:40]!r})")
    code = match.group(1).upper()
    try:
        command, values = json.loads(base64.b32decode(code + "=" * (-len(code) % 8)))
    except (ValueError, TypeError) as exc:
        raise BadAction(f"unreadable button name {name[:40]!r}") from exc
    return str(command), values


class _Builder:
    """One card build; `scale` shrinks every text budget when the card came out too large."""

    def __init__(self, card: Card, scale: float) -> None:
        self.card = card
        self.scale = scale
        self.names = 0

    def limit(self, chars: int) -> int:
        return max(int(chars * self.scale), 40)

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}_{self.names}"

    def build(self) -> dict[str, Any]:
        elements: list[dict[str, Any]] = []
        for block in self.card.blocks:
            elements.extend(getattr(self, f"_{block['type']}")(block))
        mentions = [uid for uid, _ in mentioned(self.card.mentions, PLATFORM) if _USER_ID.match(uid)]
        if mentions:
            elements.append(_markdown(" ".join(f"<at id={uid}></at>" for uid in mentions)))
        return {
            "schema": "2.0",
            "config": {"update_multi": True},
            "header": {"title": _plain(clip(one_line(self.card.title), TITLE_CHARS)),
                       "template": COLORS.get(self.card.color, "blue")},
            "body": {"elements": elements},
        }

    def _markdown(self, block: Block) -> list[dict[str, Any]]:
        return [_markdown(md_escape(clip(block["text"], self.limit(TEXT_CHARS))))]

    def _note(self, block: Block) -> list[dict[str, Any]]:
        return [_markdown(md_escape(clip(block["text"], self.limit(FIELD_CHARS))), text_size="notation")]

    def _fields(self, block: Block) -> list[dict[str, Any]]:
        lines = [f"**{md_escape(clip(item['label'], 60))}**：{md_escape(clip(item['value'], self.limit(FIELD_CHARS)))}"
                 for item in block["items"]]
        return [_markdown("\n".join(lines))]

    def _table(self, block: Block) -> list[dict[str, Any]]:
        rows = block["rows"][:self.limit(TABLE_ROWS) if self.scale < 1 else TABLE_ROWS]
        return [{
            "tag": "table", "page_size": 10,
            "columns": [{"name": c["key"], "display_name": clip(c["label"], 40), "data_type": "text"}
                        for c in block["columns"]],
            "rows": [{c["key"]: clip(row.get(c["key"], ""), self.limit(200)) for c in block["columns"]}
                     for row in rows],
        }]

    def _chart(self, block: Block) -> list[dict[str, Any]]:
        values = [{"label": clip(s["label"], 40), "value": s["value"]} for s in block["series"]]
        if block.get("kind") == "pie":
            spec: dict[str, Any] = {"type": "pie", "data": {"values": values}, "categoryField": "label",
                                    "valueField": "value"}
        else:
            spec = {"type": "bar", "data": {"values": values}, "xField": "label", "yField": "value"}
        spec["title"] = {"text": clip(block.get("title", ""), 60)}
        return [{"tag": "chart", "chart_spec": spec}]

    def _image(self, block: Block) -> list[dict[str, Any]]:
        url, alt = str(block.get("url", "")), clip(block.get("alt", "图片"), 100)
        if url.startswith("img_"):
            return [{"tag": "img", "img_key": url, "alt": _plain(alt)}]
        return [_markdown(f"[{md_escape(alt)}]({url.replace(')', '%29')})")]

    def _buttons(self, block: Block) -> list[dict[str, Any]]:
        return [self._row([self._button(b["label"], b["command"], b["values"], b["style"]) for b in block["buttons"]])]

    def _form(self, block: Block) -> list[dict[str, Any]]:
        inner: list[dict[str, Any]] = []
        for field in block["fields"]:
            label = md_escape(clip(field["label"], 60)) + (" <font color='red'>*</font>" if field["required"] else "")
            inner.append(_markdown(f"**{label}**"))
            inner.append(self._input(field))
        buttons = [self._button(b["label"], block["command"], b["values"], b["style"], submit=True)
                   for b in block["buttons"]]
        inner.append(self._row(buttons))
        return [{"tag": "form", "name": self.name("form"), "elements": inner}]

    def _input(self, field: dict[str, Any]) -> dict[str, Any]:
        """One form input named after its parameter, so `form_value` is keyed by parameter."""
        kind, name, value = field["kind"], field["name"], field.get("value")
        base: dict[str, Any] = {"name": name, "required": bool(field["required"])}
        choices = field.get("choices") or ([{"value": "true", "label": "是"}, {"value": "false", "label": "否"}]
                                           if kind == "bool" else [])
        if kind in ("person", "people"):
            # Without `options` Feishu offers the members of the chat the card is in (docs/feishu.md, **person select**): the
            # department concerned when the card sits in its group.
            tag = "select_person" if kind == "person" else "multi_select_person"
            element = base | {"tag": tag, "placeholder": _plain(f"选择{clip(field['label'], 20)}")}
            options = [{"value": c["value"]} for c in choices if c.get("platform") == PLATFORM]
            if options:
                element["options"] = options
            if isinstance(value, str) and value in {o["value"] for o in options}:
                element["initial_option"] = value
            return element
        if choices:
            options = [{"text": _plain(clip(o["label"], 60)), "value": str(o["value"])} for o in choices]
            if kind in ("depts", "tasks"):
                element = base | {"tag": "multi_select_static", "placeholder": _plain("请选择"), "options": options}
                chosen = [str(v) for v in (value if isinstance(value, list) else str(value or "").split(",")) if v]
                if chosen:
                    element["selected_values"] = chosen
                return element
            element = base | {"tag": "select_static", "placeholder": _plain("请选择"), "options": options}
            if value not in (None, ""):
                element["initial_option"] = str(value)
            return element
        if kind == "date":
            element = base | {"tag": "date_picker", "placeholder": _plain("选择日期")}
            if value:
                element["initial_date"] = str(value)
            return element
        if kind == "time":
            element = base | {"tag": "picker_time", "placeholder": _plain("选择时间")}
            if value:
                element["initial_time"] = str(value)
            return element
        placeholder = _plain(clip(field.get("placeholder") or f"请填写{field['label']}", 100))
        element = base | {"tag": "input", "placeholder": placeholder, "max_length": 1000}
        if kind in ("textarea", "text*"):
            element |= {"input_type": "multiline_text", "rows": 3}
        if value not in (None, ""):
            element["default_value"] = clip(value if not isinstance(value, list) else ",".join(map(str, value)), 1000)
        return element

    def _button(self, label: str, command: str, values: dict[str, Any], style: str,
                submit: bool = False) -> dict[str, Any]:
        self.names += 1
        button: dict[str, Any] = {
            "tag": "button", "name": button_name(self.names, command, values), "text": _plain(clip(label, 40)),
            "type": STYLES.get(style, "default"),
            "behaviors": [{"type": "callback", "value": {"command": command, "values": values}}],
        }
        if submit:
            button["form_action_type"] = "submit"
        return button

    def _row(self, buttons: list[dict[str, Any]]) -> dict[str, Any]:
        return {"tag": "column_set", "flex_mode": "flow", "horizontal_spacing": "small",
                "columns": [{"tag": "column", "width": "auto", "elements": [b]} for b in buttons]}


def _plain(text: str) -> dict[str, str]:
    return {"tag": "plain_text", "content": text}


def _markdown(content: str, text_size: str = "normal") -> dict[str, Any]:
    element: dict[str, Any] = {"tag": "markdown", "content": content}
    if text_size != "normal":
        element["text_size"] = text_size
    return element
