"""Text helpers shared by the renderers: truncation with a marker, and a button as a typed command."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MARKER = "…（已截断）"
PLACEHOLDER = "=<"  # how `command_text` marks a field still to fill: name=<label>
_QUOTE_NEEDED = (" ", "\t", "\n", '"', "“", "”", "=", "'")


def clip(text: Any, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with the truncation marker when cut."""
    value = "" if text is None else str(text)
    if len(value) <= limit:
        return value
    return value[:max(limit - len(MARKER), 0)] + MARKER


def one_line(text: Any) -> str:
    """Titles are one line on every platform."""
    return " ".join(("" if text is None else str(text)).split())


def quote(value: str) -> str:
    """A value as the command parser reads it back: quoted when it holds spaces or separators."""
    if value and not any(ch in value for ch in _QUOTE_NEEDED):
        return value
    if "“" not in value and "”" not in value:
        return f"“{value}”"
    return "「" + value.replace("」", "") + "」"


def command_text(command: str, values: Mapping[str, Any], placeholders: Mapping[str, str] | None = None) -> str:
    """The slash command a button or form stands for, e.g. `/evaluate id=XZ-2026-0001 decision=accept`.

    `placeholders` (field name → label) are shown as `name=<label>` for fields the user must fill.
    """
    words = [f"/{command}"]
    for key, value in values.items():
        if key.startswith("_") or value in (None, "", []):
            continue
        items = value if isinstance(value, list) else [value]
        words.append(f"{key}={quote(','.join(str(v) for v in items))}")
    for key, label in (placeholders or {}).items():
        if key not in values:
            words.append(f"{key}{PLACEHOLDER}{label}>")
    return " ".join(words)
