"""What the emulator page's script (bot/platforms/local/static/app.js) sends for a click, read from
the card HTML the bot rendered: a button's `data-command`/`data-values`; a form's `data-command`
with its inputs (chips as lists, `text*` as lines) and the submit button's `data-values` over them."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any


class _Card(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[dict[str, Any]] = []  # {label, command, values, form}
        self.forms: list[dict[str, Any]] = []  # {command, inputs: {name: (kind, value)}, chips}
        self._form: dict[str, Any] | None = None
        self._button: dict[str, Any] | None = None
        self._field: tuple[str, str, dict[str, Any]] | None = None  # (tag, name, attrs) collecting text
        self._chips: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"command": a.get("data-command", ""), "inputs": {}, "chips": {}}
            self.forms.append(self._form)
        elif tag == "button":
            self._button = {"label": "", "command": a.get("data-command"), "values": json.loads(a.get("data-values") or "{}"),
                            "form": self._form if a.get("type") == "submit" else None}
            self.buttons.append(self._button)
        elif self._form is not None and tag == "div" and "chips" in a.get("class", ""):
            self._chips = a.get("data-name", "")
            self._form["chips"][self._chips] = []
        elif self._form is not None and tag == "input" and self._chips:
            if "checked" in a:
                self._form["chips"][self._chips].append(a.get("value", ""))
        elif self._form is not None and tag == "input" and a.get("name"):
            self._form["inputs"][a["name"]] = (a.get("data-kind", ""), a.get("value", ""))
        elif self._form is not None and tag in ("textarea", "select") and a.get("name"):
            self._field = (tag, a["name"], {"kind": a.get("data-kind", ""), "text": "", "selected": ""})
            self._form["inputs"][a["name"]] = (a.get("data-kind", ""), "")
        elif tag == "option" and self._field is not None and "selected" in a:
            self._field[2]["selected"] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "button":
            self._button = None
        elif tag == "div" and self._chips:
            self._chips = ""
        elif self._field is not None and tag == self._field[0] and self._form is not None:
            _, name, got = self._field
            self._form["inputs"][name] = (got["kind"], got["text"] if tag == "textarea" else got["selected"])
            self._field = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["label"] += data.strip()
        if self._field is not None and self._field[0] == "textarea":
            self._field[2]["text"] += data


TOKEN = re.compile(r'<meta name="xiezuo-token" content="([^"]+)">')


def page_token(page: str) -> str:
    """The API token the emulator page carries for its script (`X-Xiezuo-Token`)."""
    found = TOKEN.search(page)
    assert found, "the page carries no token"
    return found.group(1)


def labels(html: str) -> list[str]:
    """The buttons the card shows."""
    card = _Card()
    card.feed(html)
    return [b["label"] for b in card.buttons]


def click(html: str, label: str, form: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `/api/action` body (without chat and user) that clicking `label` on this card posts."""
    card = _Card()
    card.feed(html)
    button = next((b for b in card.buttons if b["label"] == label), None)
    if button is None:
        raise AssertionError(f"no button {label!r}; the card has {[b['label'] for b in card.buttons]}")
    if button["form"] is None:
        assert not form, f"button {label!r} is not in a form"
        return {"command": button["command"], "values": button["values"], "form": False}
    shown = button["form"]
    unknown = set(form or {}) - set(shown["inputs"]) - set(shown["chips"])
    assert not unknown, f"{sorted(unknown)} are not inputs of this form"
    values: dict[str, Any] = {}
    for name, (kind, value) in shown["inputs"].items():
        value = str((form or {}).get(name, value)).strip()
        if value:
            values[name] = [s.strip() for s in value.split("\n") if s.strip()] if kind == "text*" else value
    for name, chosen in shown["chips"].items():
        chosen = (form or {}).get(name, chosen)
        if chosen:
            values[name] = list(chosen)
    return {"command": shown["command"], "values": values | button["values"], "form": True}
