"""A plan in time: the week a day belongs to, the dependency graph between tasks, and the dates
it projects when late predecessors push their successors. Pure functions, shared by the
handlers (checking and moving a plan) and the notice rules (who waits for a late task)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from scheduler.calendar import WorkCalendar
from storage.models import Task

#: task id → the ids of the tasks it waits for
Graph = dict[int, set[int]]


def week_of(day: date) -> date:
    """Monday of the week `day` falls in: the key of a weekly report."""
    return day - timedelta(days=day.weekday())


def depends_on(graph: Graph, task_id: int, pred_id: int) -> bool:
    """Whether `task_id` waits, directly or through others, for `pred_id` (itself: a cycle)."""
    stack, seen = list(graph.get(task_id, ())), set()
    while stack:
        node = stack.pop()
        if node == pred_id:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


def projected_schedule(tasks: Sequence[Task], graph: Graph, calendar: WorkCalendar) -> dict[int, tuple[date, date]]:
    """Task id → (earliest start, projected finish) when every task waits for its predecessors.

    A task keeps its planned dates unless a predecessor's projected finish pushes it: then it
    starts the next working day and keeps its length in working days.
    """
    by_id = {t.id: t for t in tasks}
    result: dict[int, tuple[date, date]] = {}

    def visit(task_id: int) -> tuple[date, date]:
        if task_id in result:
            return result[task_id]
        t = by_id[task_id]
        start, finish = t.start_date, t.due_date
        for pred in graph.get(task_id, ()):
            if pred in by_id:
                ready = calendar.add_workdays(visit(pred)[1], 1)
                if ready > start:
                    length = calendar.workdays_between(t.start_date, t.due_date)
                    start = ready
                    finish = max(finish, calendar.add_workdays(ready, length))
        result[task_id] = (start, finish)
        return result[task_id]

    for t in tasks:
        visit(t.id)
    return result
