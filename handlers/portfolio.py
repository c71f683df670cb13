"""The portfolio (`/board` with no id): every active collaboration the asker may see, one row each
with its stage, lead dept, tasks accepted, late tasks, open problems by level, high risks, the
next milestone and a 红/黄/绿 status (docs/workflow.md, "Who sees what, the portfolio and the
registers")."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.config import PolicyConfig
from handlers.vocab import OPEN_TASK_STATES
from scheduler.calendar import WorkCalendar
from storage.models import Collaboration, PlannedTask, Problem, Risk, Task, TaskState

RAG_LABEL = {"red": "红", "yellow": "黄", "green": "绿"}


@dataclass(frozen=True)
class Standing:
    """How one collaboration stands, and why its colour is what it is."""

    rag: str
    reasons: tuple[str, ...]


def standing(tasks: Sequence[PlannedTask], problems: Sequence[Problem], risks: Sequence[Risk], today: date,
             calendar: WorkCalendar, policy: PolicyConfig) -> Standing:
    """红: a task late beyond `lag_alert_working_days`, a problem escalated to the PMO or leadership,
    or a milestone past due. 黄: a task late, a high risk open, or a milestone due within
    `milestone_warning_working_days` with its task not started. 绿 otherwise."""
    late = [t for t in tasks if t.status in OPEN_TASK_STATES and t.due_date < today]
    red: list[str] = []
    yellow: list[str] = []
    for t in late:
        days = calendar.workdays_between(t.due_date, today)
        (red if days > policy.lag_alert_working_days else yellow).append(f"T{t.number} 逾期 {days} 个工作日")
        if t.is_milestone:
            red.append(f"里程碑 T{t.number} 已过期")
    red += [f"P{p.number} 已升级" for p in problems if p.status == "open" and p.level >= 1]
    yellow += [f"高风险 R{r.number}" for r in risks if r.status == "open" and r.level == "high"]
    soon = calendar.add_workdays(today, policy.milestone_warning_working_days)
    yellow += [f"里程碑 T{t.number} 将到期未启动" for t in tasks
               if t.is_milestone and t.status == TaskState.TODO and today <= t.due_date <= soon]
    rag = "red" if red else "yellow" if yellow else "green"
    return Standing(rag, tuple(red or yellow))


def row(c: Collaboration, lead: str, tasks: Sequence[Task], problems: Sequence[Problem], risks: Sequence[Risk],
        today: date, s: Standing, planned: Mapping[int, date], calendar: WorkCalendar) -> dict[str, Any]:
    """The portfolio's row of one collaboration, as the card's table shows it; `planned` holds each
    task's due date in the confirmed plan (its first baseline), for the milestone's slip."""
    done = sum(t.status == TaskState.DONE for t in tasks)
    late = sum(t.status in OPEN_TASK_STATES and t.due_date < today for t in tasks)
    levels = [sum(p.status == "open" and p.level == n for p in problems) for n in (0, 1, 2)]
    upcoming = sorted((t for t in tasks if t.is_milestone and t.status != TaskState.DONE), key=lambda t: t.due_date)
    milestone = f"T{upcoming[0].number} {upcoming[0].due_date:%m-%d}{_slip(upcoming[0], planned, calendar)}" \
        if upcoming else "—"
    return {"code": c.code, "name": c.name, "stage": c.stage, "lead": lead,
            "done": f"{round(100 * done / len(tasks))}%（{done}/{len(tasks)}）" if tasks else "—",
            "late": str(late), "problems": "/".join(map(str, levels)) if any(levels) else "0",
            "risks": str(sum(r.status == "open" and r.level == "high" for r in risks)), "milestone": milestone,
            "rag": s.rag, "status": RAG_LABEL[s.rag], "why": "；".join(s.reasons)}


def _slip(t: Task, planned: Mapping[int, date], calendar: WorkCalendar) -> str:
    """How far a task's due date moved from the confirmed plan, in working days."""
    was = planned.get(t.id)
    days = calendar.workdays_between(was, t.due_date) if was else 0
    return f"（推迟 {days} 个工作日）" if days > 0 else f"（提前 {-days} 个工作日）" if days < 0 else ""
