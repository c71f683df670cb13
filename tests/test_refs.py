"""bot.refs: the shapes of a collaboration code and of a numbered item, as people type them."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import refs
from bot.refs import ItemRef


@pytest.mark.parametrize("text", ["XZ-2026-0001", "xz-2026-0042", " XZ-2026-12345 "])
def test_codes(text: str) -> None:
    assert refs.is_code(text)


@pytest.mark.parametrize("text", ["XZ-2026-001", "XZ-26-0001", "XZ-2026-0001/T3", "T3", ""])
def test_not_codes(text: str) -> None:
    assert not refs.is_code(text)


@pytest.mark.parametrize("text, expected", [
    ("T3", ItemRef(None, "T", 3)),
    ("p12", ItemRef(None, "P", 12)),
    ("XZ-2026-0001/T3", ItemRef("XZ-2026-0001", "T", 3)),
    ("xz-2026-0001：r2", ItemRef("XZ-2026-0001", "R", 2)),
    ("XZ-2026-0001#A7", ItemRef("XZ-2026-0001", "A", 7)),
])
def test_items(text: str, expected: ItemRef) -> None:
    assert refs.item(text) == expected


@pytest.mark.parametrize("text", ["T", "X3", "T1234567", "T3 extra", "XZ-2026-0001", "XZ-2026-0001 T3"])
def test_not_items(text: str) -> None:
    assert refs.item(text) is None


def test_item_of_one_prefix() -> None:
    assert refs.item("T3", "T") == ItemRef(None, "T", 3)
    assert refs.item("P3", "T") is None


@given(code=st.none() | st.from_regex(r"XZ-20\d\d-\d{4,6}", fullmatch=True),
       prefix=st.sampled_from(refs.PREFIXES), number=st.integers(0, 999_999))
def test_written_item_reads_back(code: str | None, prefix: str, number: int) -> None:
    ref = ItemRef(code, prefix, number)
    assert refs.item(str(ref)) == ref
    assert refs.item(str(ref).lower()) == ref
    assert refs.item(str(ref), prefix) == ref
