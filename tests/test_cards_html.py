"""The emulator's HTML: user text never becomes markup; buttons carry their values as JSON."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from bot.messages import Field, Message
from cards.html import Directory, render_html
from tests.cardkit import SPECS, every_kind, sample

WHERE = Directory(people=(("李强", "研发部"), ("张伟", "市场部")), depts=("市场部", "研发部"))


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


@pytest.mark.parametrize("message", every_kind(title="</script><script>alert(1)</script><img src=x onerror=y>",
                                               body="<b>bold</b> ' \" {{x}}"), ids=lambda m: m.template or "error")
def test_hostile_text_is_only_text(message: Message) -> None:
    tags = parsed(render_html(message, SPECS, WHERE))
    names = {tag for tag, _ in tags.tags}
    assert not names & {"script", "img", "b"}, names
    assert "</script><script>alert(1)</script><img src=x onerror=y>" in "".join(tags.text)
    for tag, attrs in tags.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        if "data-values" in attrs:
            assert isinstance(json.loads(attrs["data-values"] or ""), dict)


def test_buttons_and_forms_carry_commands_and_values() -> None:
    tags = parsed(render_html(sample("evaluation_request"), SPECS, WHERE)).tags
    form = next(attrs for tag, attrs in tags if tag == "form")
    assert form["data-command"] == "evaluate"
    submits = [json.loads(a["data-values"] or "") for t, a in tags if t == "button"]
    assert submits[0] == {"id": "XZ-2026-0001", "decision": "accept"}
    people = [a["value"] for t, a in tags if t == "option" and a.get("value")]
    assert people == ["李强", "张伟"], "the contact picker lists the directory"


def test_depts_are_chips_and_values_prefill() -> None:
    html = render_html(sample("form"), SPECS, WHERE)
    tags = parsed(html).tags
    chips = [a["value"] for t, a in tags if t == "input" and a.get("type") == "checkbox"]
    assert chips == ["市场部", "研发部"]
    name = next(a for t, a in tags if t == "input" and a.get("name") == "name")
    assert name["value"] == "Q4新品推广"


def test_chart_and_table() -> None:
    html = render_html(sample("board"), SPECS, WHERE)
    assert 'class="bar-fill" style="width: 100%"' in html
    html = render_html(Message("分工表", "", (Field("a", "b"),), template="division_table",
                               data={"code": "XZ-2026-0001", "rows": sample("division_table").data["rows"]}), SPECS, WHERE)
    assert parsed(html).tags.count(("tr", {})) == 4  # header + 3 tasks


def test_markdown_bold_is_strong_and_what_it_holds_stays_text() -> None:
    """A search hit's matched words are **bold** in Feishu's and DingTalk's markdown: so here."""
    html = render_html(Message("知识库", "原因：**签名**算法；**<img src=x onerror=y>**；单个**星号"), SPECS)
    tags = parsed(html)
    assert [t for t, _ in tags.tags].count("strong") == 2 and "img" not in {t for t, _ in tags.tags}
    assert "<strong>签名</strong>" in html and "单个**星号" in html
