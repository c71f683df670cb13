"""Words for the knowledge base's full-text index, and the snippet a hit is shown with.

Chinese is written without spaces, so a text is cut into overlapping pairs of Han characters
(支付接口 → 支付 付接 接口) and Latin letters and digits into lower-cased words. A query is cut
the same way, so any two adjacent characters it shares with a text match, with no dictionary to
load. docs/knowledge.md compares this with jieba's dictionary segmentation on real queries.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"([{_HAN}]+)|([A-Za-z0-9]+)")
MAX_QUERY_TERMS = 24  # a long query (a problem's description) is matched on its first terms


def terms(text: str) -> list[str]:
    """The index terms of `text`, in order, repeats kept (they weigh in the ranking)."""
    out: list[str] = []
    for han, word in _RUN.findall(text):
        if word:
            out.append(word.lower())
        elif len(han) == 1:
            out.append(han)
        else:
            out.extend(han[i:i + 2] for i in range(len(han) - 1))
    return out


def query_terms(text: str) -> tuple[list[str], list[str]]:
    """A query's distinct terms, and its lone Han characters, which match as prefixes (岗 finds
    岗位) since texts are indexed by pairs."""
    seen: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for han, word in _RUN.findall(text):
        if word:
            seen[word.lower()] = None
        elif len(han) == 1:
            prefixes[han] = None
        else:
            seen.update((han[i:i + 2], None) for i in range(len(han) - 1))
    return list(seen)[:MAX_QUERY_TERMS], list(prefixes)[:MAX_QUERY_TERMS]


def snippet(text: str, query: str, width: int = 60) -> str:
    """The part of `text` where the query's terms gather, about `width` characters, with every
    matched stretch in **bold**; the start of the text when nothing matches."""
    flat = " ".join(text.split())
    marks = _matches(flat, query)
    if not marks:
        return flat[:width] + ("…" if len(flat) > width else "")
    hits = [0]  # hits[i]: matched characters before position i
    for i in range(len(flat)):
        hits.append(hits[-1] + (i in marks))
    start = max(range(len(flat)), key=lambda i: (hits[min(len(flat), i + width)] - hits[i], -i))
    start = max(0, start - width // 4)
    end = min(len(flat), start + width)
    out = ["…" if start > 0 else ""]
    bold = False
    for i in range(start, end):
        if (i in marks) != bold:
            out.append("**")
            bold = not bold
        out.append(flat[i])
    if bold:
        out.append("**")
    out.append("…" if end < len(flat) else "")
    return "".join(out)


def _matches(text: str, query: str) -> set[int]:
    """The positions in `text` covered by a query term (case-insensitive)."""
    words, prefixes = query_terms(query)
    lowered = text.lower()
    marks: set[int] = set()
    for term in _longest_first(words + prefixes):
        for m in re.finditer(re.escape(term), lowered):
            marks.update(range(m.start(), m.end()))
    return marks


def _longest_first(items: Iterable[str]) -> list[str]:
    return sorted(set(items), key=len, reverse=True)
