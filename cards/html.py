"""HTML for the local web emulator: the neutral card as markup with working forms and buttons.

Rendered by an autoescaping Jinja2 template, so user text can only ever be text; the values a
button sends back ride in `data-values` attributes written with `tojson`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from bot.messages import Message
from cards.model import Specs, card_for

_ENV = Environment(loader=PackageLoader("cards", "templates/html"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def bold(text: str) -> Markup:
    """A markdown block's **bold** (a search hit's matched words) as <strong>, the rest escaped:
    what Feishu's and DingTalk's markdown show."""
    return Markup(_BOLD.sub(r"<strong>\1</strong>", str(escape(text))))


_ENV.filters["bold"] = bold
_TEMPLATE = _ENV.get_template("card.html")


@dataclass(frozen=True)
class Directory:
    """Who and what the emulator's pickers offer: people as (name, department), department names."""

    people: tuple[tuple[str, str], ...] = ()
    depts: tuple[str, ...] = ()


def render_html(message: Message, specs: Specs, directory: Directory = Directory()) -> str:
    card = card_for(message, specs)
    peak = max((s["value"] for b in card.of_type("chart") for s in b["series"]), default=1) or 1
    return _TEMPLATE.render(card=card, directory=directory, peak=peak)
