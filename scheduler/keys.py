"""Notice keys (docs/scheduler.md, "Withdrawal"): the outbox key of every proactive notice names
its subject first (`task:42:due-soon:2026-11-24`), so a change of plan withdraws every pending
notice about a subject at once. One function per subject builds it, for the rules that make the
keys and the handlers that withdraw them alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Subject:
    """What some notices are about; their keys are `key(...)`, and all of them start `pending`."""

    name: str

    def key(self, *parts: object) -> str:
        return ":".join([self.name, *map(str, parts)])

    @property
    def pending(self) -> str:
        """The prefix every notice key of this subject starts with (and no other subject's)."""
        return f"{self.name}:"


def task(task_id: int) -> Subject:
    return Subject(f"task:{task_id}")


def evaluation(evaluation_id: int) -> Subject:
    return Subject(f"eval:{evaluation_id}")


def action_item(item_id: int) -> Subject:
    return Subject(f"action:{item_id}")


def problem(problem_id: int) -> Subject:
    return Subject(f"problem:{problem_id}")


def meeting(meeting_id: int) -> Subject:
    return Subject(f"meeting:{meeting_id}")


def kickoff(collab_id: int) -> Subject:
    return Subject(f"collab:{collab_id}:kickoff")


def retrospective_due(collab_id: int) -> Subject:
    return Subject(f"collab:{collab_id}:retro-due")


def report_escalation(collab_id: int) -> Subject:
    return Subject(f"collab:{collab_id}:report-escalate")


def weekly_sync(collab_id: int) -> Subject:
    return Subject(f"collab:{collab_id}:sync")


def weekly_report(collab_id: int, dept_id: int, week: date) -> Subject:
    """One department's report of one week: its prompt and its chase."""
    return Subject(f"report:{collab_id}:{dept_id}:{week}")


def pmo_weekly() -> Subject:
    return Subject("pmo:weekly")


def daily_digest(dept_id: int) -> Subject:
    return Subject(f"dept:{dept_id}:daily")


def calendar_uncovered() -> Subject:
    return Subject("calendar:uncovered")
