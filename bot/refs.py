"""References people type: a collaboration's code (XZ-2026-0001) and a numbered item in it (T3,
P1, R2, C1, M4, A2, or XZ-2026-0001/T3). One pattern per shape, used both by the command parser
(which word is which parameter) and by the handlers (which record is meant)."""
from __future__ import annotations

import re
from dataclasses import dataclass

CODE = re.compile(r"XZ-\d{4}-\d{4,}", re.IGNORECASE)
#: T task, P problem, R risk, C change request, M meeting, A action item.
PREFIXES = "TPRCMA"
ITEM = re.compile(rf"(?:({CODE.pattern})[/:：#])?([{PREFIXES}])(\d{{1,6}})", re.IGNORECASE)


@dataclass(frozen=True)
class ItemRef:
    """A numbered item: its collaboration's code when written (upper case), its prefix and number."""

    code: str | None
    prefix: str
    number: int

    def __str__(self) -> str:
        return f"{self.code}/{self.prefix}{self.number}" if self.code else f"{self.prefix}{self.number}"


def is_code(text: str) -> bool:
    return CODE.fullmatch(text.strip()) is not None


def item(text: str, prefix: str | None = None) -> ItemRef | None:
    """`text` as an item reference (of `prefix` only, when given); None when it is not one."""
    m = ITEM.fullmatch(text.strip())
    if m is None or prefix is not None and m[2].upper() != prefix:
        return None
    return ItemRef(m[1].upper() if m[1] else None, m[2].upper(), int(m[3]))
