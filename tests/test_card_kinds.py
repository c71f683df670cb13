"""Card kinds are declared once (`bot.messages.CardKind`), each with a template of its own, and
every message the handlers, rules, router and dispatcher build names one of them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.messages import CardKind, Message
from bot.testkit import DEMO_ORG
from cards.actions import REMINDERS
from cards.model import card_for
from tests import gallery
from tests.cardkit import SPECS, TEMPLATES, sample
from tests.local_rig import LocalRig

ROOT = Path(__file__).resolve().parent.parent
PRODUCERS = [p for d in ("handlers", "scheduler", "bot", "storage") for p in sorted((ROOT / d).rglob("*.py"))]


def test_every_kind_has_its_own_template_and_every_template_a_kind() -> None:
    templates = {p.stem for p in TEMPLATES.glob("*.j2") if not p.stem.startswith("_") and p.stem != "base"}
    assert templates == {k.value for k in CardKind}


def _message_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in PRODUCERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Message":
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def test_every_message_the_code_builds_names_a_declared_kind() -> None:
    """No message falls back to a generic card: each sets `template=CardKind.X` (or is an error)."""
    calls = _message_calls()
    assert len(calls) > 40
    for where, call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        if "is_error" in keywords:
            continue
        kind = keywords.get("template")
        assert isinstance(kind, ast.Attribute) and isinstance(kind.value, ast.Name) and kind.value.id == "CardKind", \
            f"{where}: a Message without template=CardKind.…"
        assert kind.attr in CardKind.__members__, f"{where}: CardKind.{kind.attr} is not declared"


def test_the_kinds_the_code_produces_are_all_declared_and_used() -> None:
    used = {k.value.attr for _, call in _message_calls() for k in call.keywords
            if k.arg == "template" and isinstance(k.value, ast.Attribute)}
    assert used | {"ERROR"} == set(CardKind.__members__), "a declared kind nothing sends, or the reverse"


@pytest.mark.parametrize("kind", sorted(REMINDERS))
def test_every_reminder_offers_the_action_it_asks_for(kind: str) -> None:
    card = card_for(sample(kind, code="XZ-2026-0001"), SPECS)
    buttons = [b for block in card.of_type("buttons") for b in block["buttons"]]
    assert buttons and buttons[0]["label"] == REMINDERS[kind](sample(kind).data)[0]["label"]


def test_the_progress_alert_names_days_late_and_the_tasks_it_holds_up() -> None:
    held = [{"task": "T3", "title": "联调", "dept": "设计部", "start": "2026-12-08"}]
    card = card_for(sample("progress_alert", late_days=4, held=held), SPECS)
    assert "进度预警函 · 滞后 4 个工作日" in [b["text"] for b in card.of_type("note")]
    assert card.of_type("table")[0]["rows"] == held
    assert [b["label"] for b in card.of_type("buttons")[0]["buttons"]] == ["说明原因", "申请变更", "查看看板"]


def test_a_digest_groups_its_items_by_collaboration_each_with_its_own_button() -> None:
    items = [sample("due_today", title="A 今日到期", code="XZ-2026-0001").to_json(),
             sample("weekly_prompt", title="B 请提交本周进度", code="XZ-2026-0002").to_json(),
             sample("minutes_due", title="C 纪要", code="XZ-2026-0001").to_json()]
    card = card_for(Message("提醒汇总（3 条）", template=CardKind.DIGEST, data={"items": items}), SPECS)
    kinds = [b["type"] for b in card.blocks]
    assert [b["text"] for b in card.of_type("note")] == ["XZ-2026-0001", "XZ-2026-0002"]
    assert kinds == ["note", "markdown", "buttons", "markdown", "buttons", "note", "markdown", "buttons"]
    assert [blk["buttons"][0]["label"] for blk in card.of_type("buttons")] == ["提交交付物", "记录纪要", "提交周进度"]


async def test_the_gallery_play_provokes_every_kind_but_the_staged_ones(tmp_path: Path) -> None:
    """The gallery (docs/gallery) shows real cards: its play makes every kind the bot sends, except
    the few it stages, so a kind that stops being produced, or a new one nobody plays, shows up."""
    rig = await LocalRig.create(f"sqlite:///{tmp_path / 'gallery.db'}", org=DEMO_ORG)
    try:
        await gallery.play(rig)
        made = await gallery.newest_by_kind(rig)
    finally:
        await rig.close()
    assert set(CardKind) - set(made) == set(gallery.STAGED)
