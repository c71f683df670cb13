"""A plan kept for reuse (docs/knowledge.md, "Templates"): its tasks with their owner depts,
deliverables, standards and dependencies, and their dates as working-day offsets from the plan's
first start, so the plan can be laid down again at any start on the working-day calendar."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from scheduler.calendar import WorkCalendar


@dataclass(frozen=True)
class Step:
    """One task of a blueprint; `offset` working days after the plan's start, `days` long
    (a task starting and ending on one day is 1 day long)."""

    number: int
    title: str
    dept_id: int
    dept: str
    deliverable: str
    standard: str
    offset: int
    days: int
    after: tuple[int, ...] = ()
    milestone: bool = False


@dataclass(frozen=True)
class Blueprint:
    source: str  # the collaboration it was taken from
    steps: tuple[Step, ...]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "steps": [asdict(s) | {"after": list(s.after)} for s in self.steps]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Blueprint:
        return cls(data["source"], tuple(Step(**(s | {"after": tuple(s["after"])})) for s in data["steps"]))

    @property
    def dept_ids(self) -> list[int]:
        return list(dict.fromkeys(s.dept_id for s in self.steps))

    @property
    def working_days(self) -> int:
        """From the first start to the last due, in working days."""
        return max((s.offset + s.days for s in self.steps), default=0)


def take(source: str, tasks: Sequence[Any], after: Mapping[int, Sequence[int]], dept_names: Mapping[int, str],
         calendar: WorkCalendar) -> Blueprint:
    """The blueprint of a plan: `after` maps a task's number to its predecessors' numbers."""
    start = min(t.start_date for t in tasks)
    first = calendar.next_workday(start)
    steps = tuple(Step(t.number, t.title, t.owner_dept_id, dept_names.get(t.owner_dept_id, ""), t.deliverable, t.standard,
                       offset=max(0, calendar.workdays_between(first, t.start_date)),
                       days=max(1, calendar.workdays_between(t.start_date, t.due_date) +
                                (1 if calendar.is_workday(t.start_date) else 0)),
                       after=tuple(sorted(after.get(t.number, ()))), milestone=t.is_milestone)
                  for t in sorted(tasks, key=lambda t: t.number))
    return Blueprint(source, steps)


def lay(step: Step, start: date, calendar: WorkCalendar) -> tuple[date, date]:
    """A step's start and due when its plan starts on `start` (moved to a working day)."""
    begin = calendar.add_workdays(calendar.next_workday(start), step.offset)
    return begin, calendar.add_workdays(begin, step.days - 1)
