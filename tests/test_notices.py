"""The notification matrix (bot/notices.py): overrides lay over the defaults, parties that act
stay, and docs/workflow.md shows the defaults the code has."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.notices import EVENTS, PARTIES, matrix

DOC = Path(__file__).resolve().parent.parent / "docs" / "workflow.md"
SHOWN = {"now": "at once", "digest": "digest", "off": "—"}


def test_an_override_changes_its_cell_and_nothing_else() -> None:
    table = matrix({"progress": {"pmo": "now"}, "rating": {"concerned": "off"}})
    assert table["progress"] == dict(EVENTS["progress"].defaults) | {"pmo": "now"}
    assert table["rating"]["concerned"] == "off" and table["rating"]["pmo"] == "digest"
    assert {e: t for e, t in table.items() if e not in ("progress", "rating")} == \
        {e: dict(s.defaults) for e, s in EVENTS.items() if e not in ("progress", "rating")}


@pytest.mark.parametrize("event", [e for e, s in EVENTS.items() if s.required])
def test_a_party_that_acts_cannot_be_moved_off_now(event: str) -> None:
    for party in EVENTS[event].required:
        assert matrix({event: {party: "now"}})[event][party] == "now"
        for when in ("digest", "off"):
            with pytest.raises(ValueError, match=f"{event}.{party} must stay"):
                matrix({event: {party: when}})


def test_every_event_tells_someone_by_default() -> None:
    assert all(any(w != "off" for w in s.defaults.values()) for s in EVENTS.values())


def test_the_docs_show_the_defaults() -> None:
    text = DOC.read_text(encoding="utf-8")
    for event, spec in EVENTS.items():
        cells = ["" if p == "concerned" and not spec.who else
                 "**acts**" if p in spec.required else SHOWN[spec.defaults[p]] for p in PARTIES]
        row = f"| {spec.label} | `{event}` | " + " | ".join(cells) + f" | {spec.who} |"
        assert row in text, row
