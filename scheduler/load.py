"""A department's load (docs/knowledge.md, "Load and conflicts"): the open tasks each person holds,
week by week, and whether one more would take a person or a department over its limit.

A task occupies its owner from its start to its due date; a late task still open occupies them
until today, since the work is still theirs.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from storage.workflow import Held


def occupies(h: Held, start: date, end: date, today: date) -> bool:
    """Whether `h` occupies its owner on some day of [start, end]: from its start to its due date,
    or to today while it is late."""
    return h.start <= end and max(h.due, today) >= start


def mondays(today: date, weeks: int) -> list[date]:
    """This week's Monday and the `weeks - 1` after it."""
    first = today - timedelta(days=today.weekday())
    return [first + timedelta(weeks=w) for w in range(weeks)]


def by_week(held: Iterable[Held], weeks: Sequence[date], today: date) -> dict[int, list[int]]:
    """Person → how many open tasks they hold in each week (Monday to Sunday) of `weeks`."""
    out: dict[int, list[int]] = {}
    for h in held:
        row = out.setdefault(h.person_id, [0] * len(weeks))
        for i, monday in enumerate(weeks):
            if occupies(h, monday, monday + timedelta(days=6), today):
                row[i] += 1
    return out


def overlapping(held: Iterable[Held], start: date, end: date, today: date) -> list[Held]:
    return [h for h in held if occupies(h, start, end, today)]


def over(count: int, limit: int) -> bool:
    """Whether `count` tasks at once exceed `limit` (0: no limit)."""
    return limit > 0 and count > limit
