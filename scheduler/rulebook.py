"""Every proactive notice the planner plans (docs/scheduler.md), one `Rule` each, in one list.

A rule says what it loads in a tick's window (a `Reads` query, shared with the rules that read
the same rows) and which notices those rows make (a pure function of `scheduler.rules`, whom to
tell included). The planner loops over `RULES`: a new notice is one entry here plus its function
in `scheduler/rules.py`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from scheduler import rules
from scheduler.reads import Reads
from scheduler.rules import Facts, Notice

Rows = TypeVar("Rows")


@dataclass(frozen=True)
class Rule(Generic[Rows]):
    """One notice: `load` gives the rows that may fire in the window (empty or None: nothing to
    do), `fire` the notices they make."""

    name: str
    load: Callable[[Reads], Awaitable[Rows | None]]
    fire: Callable[[Rows, Facts], list[Notice]]


RULES: tuple[Rule[Any], ...] = (
    Rule("task due soon", Reads.tasks_due, rules.due_soon),
    Rule("task due today", Reads.tasks_due, rules.due_today),
    Rule("lag ladder", Reads.lagging, lambda x, f: rules.lag_ladder(x.tasks, x.held, f)),
    Rule("upstream late", Reads.upstream_late, lambda x, f: rules.upstream_late(x.late, x.plans, x.graph, f)),
    Rule("rework due", Reads.rework_due, rules.rework_due),
    Rule("action item due", Reads.actions_due, rules.action_items),
    Rule("evaluation SLA", Reads.evaluations_due, rules.evaluation_sla),
    Rule("kickoff", Reads.kickoffs, lambda x, f: rules.kickoff(x.collabs, x.dept_lists, f)),
    Rule("meetings", Reads.meetings, rules.meetings),
    Rule("weekly reports", Reads.weekly, lambda w, f: rules.weekly_reports(w.pairs, w.reports, f)),
    Rule("weekly sync", Reads.weekly,
         lambda w, f: rules.weekly_sync(w.collabs.values(), w.dept_lists, w.reports, w.counts, w.plans, f)),
    Rule("PMO weekly digest", Reads.weekly, lambda w, f: rules.pmo_weekly(w.collabs.values(), w.plans, f)),
    Rule("problem escalation", Reads.problems_due, rules.problems),
    Rule("retrospective due", Reads.retros_due, rules.retrospective_due),
    Rule("daily digest", Reads.digest, rules.daily_digest),
    Rule("holiday data missing", Reads.uncovered_years, rules.calendar_uncovered),
)
