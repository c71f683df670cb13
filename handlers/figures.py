"""The reports' figures as pure functions of the record (docs/workflow.md, "Reports"): what a
collaboration or a department did in a period and how it stood at the period's end, the same
for the period it is compared with, and the planned-vs-actual curve. No I/O: the report
handler and the notice rules read the rows, these count them.

A period is (start, end), both days included; a start of None means "since the beginning". The
period it is compared with is a week earlier when it has no start (how things stood a week ago),
else the one a whole period earlier: 上周 for 上周's week before, and for 本周 on a Wednesday
last Monday to last Wednesday (a period not over yet is compared with as many days).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.messages import Artifact
from scheduler.calendar import WorkCalendar
from storage.models import Acceptance, PlannedTask, Problem, Rating, Risk, Task

MAX_POINTS = 60  # days on the curve; a longer span is sampled


@dataclass(frozen=True)
class Period:
    start: date | None  # None: since the beginning
    end: date  # today at the latest
    days: int = 7  # the whole period's length, also when it is not over yet

    def before(self) -> Period:
        """The period this one is compared with."""
        back = timedelta(days=self.days)
        return Period(None if self.start is None else self.start - back, self.end - back, self.days)

    def holds(self, day: date | None) -> bool:
        return day is not None and (self.start is None or self.start <= day) and day <= self.end

    @property
    def compared(self) -> str:
        """How the comparison is named: 较上周 for a week, 较上期 for any other period."""
        return "较上周" if self.days == 7 else "较上期"

    def label(self) -> str:
        return f"截至 {self.end}" if self.start is None else f"{self.start}～{self.end}"


def day_of(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


@dataclass(frozen=True)
class Record:
    """One collaboration's rows that its figures are counted from."""

    tasks: Sequence[PlannedTask]
    planned: Mapping[int, date]  # each task's due date in the confirmed plan (baseline 1)
    acceptances: Sequence[Acceptance]
    problems: Sequence[Problem]
    risks: Sequence[Risk]
    zone: ZoneInfo


@dataclass(frozen=True)
class Figures:
    """A collaboration's figures for one period: the state at its end, what happened in it."""

    tasks: int
    done: int  # accepted by the period's end
    done_in: int  # accepted within the period
    on_time: int  # of those accepted within the period, by their date in the confirmed plan
    late: tuple[int, ...]  # numbers of the tasks open past their due date at the period's end
    first_pass: int  # tasks whose first acceptance in the period passed
    first_tried: int  # tasks whose first acceptance fell in the period
    scores: tuple[int, ...]  # every acceptance in the period
    rework: int  # 不通过 and 部分通过 in the period
    problems: int  # open at the period's end
    escalated: int  # of those, escalated beyond the lead dept (its level now)
    risks_raised: int  # in the period
    problems_raised: int  # in the period

    @property
    def completion(self) -> float | None:
        return 100 * self.done / self.tasks if self.tasks else None

    @property
    def on_time_rate(self) -> float | None:
        return 100 * self.on_time / self.done_in if self.done_in else None

    @property
    def first_pass_rate(self) -> float | None:
        return 100 * self.first_pass / self.first_tried if self.first_tried else None

    @property
    def average_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None


def collab_figures(r: Record, p: Period) -> Figures:
    """Tasks count as done on the day they were accepted; a task open at the period's end is late
    against its due date as the plan has it now; a problem is open until its actual date."""
    done_on = {t.id: day_of(t.done_at, r.zone) for t in r.tasks}
    done = [t for t in r.tasks if done_on[t.id] is not None and done_on[t.id] <= p.end]  # type: ignore[operator]
    done_in = [t for t in done if p.holds(done_on[t.id])]
    on_time = [t for t in done_in if done_on[t.id] <= r.planned.get(t.id, t.due_date)]  # type: ignore[operator]
    finished = {t.id for t in done}
    late = tuple(t.number for t in r.tasks if t.id not in finished and t.due_date < p.end)
    in_period = [a for a in r.acceptances if p.holds(day_of(a.accepted_at, r.zone))]
    first: dict[int, Acceptance] = {}
    for a in sorted(r.acceptances, key=lambda a: (a.accepted_at, a.id)):
        first.setdefault(a.task_id, a)
    firsts = [a for a in first.values() if p.holds(day_of(a.accepted_at, r.zone))]
    open_problems = [x for x in r.problems if day_of(x.reported_at, r.zone) <= p.end  # type: ignore[operator]
                     and (x.actual_date is None or x.actual_date > p.end)]
    return Figures(
        tasks=len(r.tasks), done=len(done), done_in=len(done_in), on_time=len(on_time), late=late,
        first_pass=sum(a.result == "pass" for a in firsts), first_tried=len(firsts),
        scores=tuple(a.score for a in in_period), rework=sum(a.result != "pass" for a in in_period),
        problems=len(open_problems), escalated=sum(x.level >= 1 for x in open_problems),
        risks_raised=sum(p.holds(day_of(x.raised_at, r.zone)) for x in r.risks),
        problems_raised=sum(p.holds(day_of(x.reported_at, r.zone)) for x in r.problems))


def changes(now: Figures, then: Figures) -> dict[str, float]:
    """What moved between two periods' figures: rates in percentage points, counts as counts;
    a rate that had no n on either side is left out."""
    out: dict[str, float] = {}
    for name, rate in (("完成率", "completion"), ("按时完成率", "on_time_rate"),
                       ("一次验收通过率", "first_pass_rate"), ("平均验收分", "average_score")):
        a, b = getattr(now, rate), getattr(then, rate)
        if a is not None and b is not None:
            out[name] = round(a - b, 1)
    out["逾期任务"] = len(now.late) - len(then.late)
    out["返工次数"] = now.rework - then.rework
    out["未决问题"] = now.problems - then.problems
    return out


POINTS = {"完成率", "按时完成率", "一次验收通过率", "按时率"}


def said(moved: Mapping[str, float]) -> str:
    """The changes in words, only those that moved: 「完成率 +33 个百分点，逾期任务 +1」."""
    parts = []
    for name, delta in moved.items():
        if delta == 0:
            continue
        number = f"{delta:+.0f}" if float(delta).is_integer() else f"{delta:+.1f}"
        parts.append(f"{name} {number}{' 个百分点' if name in POINTS else ''}")
    return "，".join(parts) or "无变化"


def curve(tasks: Sequence[PlannedTask], planned_due: Mapping[int, date], done_on: Mapping[int, date], start: date,
          today: date) -> tuple[list[str], list[float], list[float | None]]:
    """Per day from `start` to the plan's last due date (or today, if later): % of tasks due by
    then in the confirmed plan, and % done by then up to today (None after: no line)."""
    end = max([today, *(planned_due.get(t.id, t.due_date) for t in tasks)])
    span = max((end - start).days, 0)
    step = max(1, -(-span // MAX_POINTS))
    days = [start + timedelta(days=d) for d in range(0, span + 1, step)]
    if days[-1] != end:
        days.append(end)
    n = len(tasks) or 1
    dues = sorted(planned_due.get(t.id, t.due_date) for t in tasks)
    done = sorted(done_on[t.id] for t in tasks if t.id in done_on)
    planned = [100 * bisect_right(dues, d) / n for d in days]
    actual: list[float | None] = [100 * bisect_right(done, d) / n if d <= today else None for d in days]
    return [d.isoformat() for d in days], planned, actual


def progress_chart(code: str, tasks: Sequence[PlannedTask], planned: Mapping[int, date], start: date, today: date,
                   zone: ZoneInfo) -> Artifact | None:
    """The planned-vs-actual curve of a collaboration's plan, to be drawn (None: no tasks yet);
    `start` is when it began executing, or its first task's start if earlier."""
    if not tasks:
        return None
    done_on = {t.id: d for t in tasks if (d := day_of(t.done_at, zone)) is not None}
    first = min([start, *(t.start_date for t in tasks)])
    return Artifact(f"{code}-进度曲线.png", "进度曲线", "progress_curve",
                 (f"{code} 计划与实际进度", *curve(tasks, planned, done_on, first, today)))


@dataclass(frozen=True)
class DeptFigures:
    """A department's figures over the collaborations it took part in, for one period."""

    name: str
    tasks: int
    done: int  # accepted within the period
    on_time: int
    days: tuple[int, ...]  # working days from the first change of status to acceptance, per task done
    scores: tuple[int, ...]
    ratings: tuple[tuple[int, int, int], ...]  # (响应, 沟通, 质量) per rating in the period

    @property
    def axes(self) -> list[float]:
        n = len(self.ratings)
        return [sum(r[k] for r in self.ratings) / n if n else 0.0 for k in range(3)]


def dept_figures(name: str, tasks: Sequence[Task], began: Mapping[int, date], acceptances: Sequence[Acceptance],
                 ratings: Sequence[Rating], p: Period, zone: ZoneInfo, planned: Mapping[int, date],
                 calendar: WorkCalendar) -> DeptFigures:
    """`began`: the day each task's status first changed (when work really started)."""
    done_on = {t.id: day_of(t.done_at, zone) for t in tasks}
    done = [t for t in tasks if p.holds(done_on[t.id])]
    return DeptFigures(
        name=name, tasks=len(tasks), done=len(done),
        on_time=sum(done_on[t.id] <= planned.get(t.id, t.due_date) for t in done),  # type: ignore[operator]
        days=tuple(max(0, calendar.workdays_between(began.get(t.id, t.start_date), done_on[t.id]))  # type: ignore[arg-type]
                   for t in done),
        scores=tuple(a.score for a in acceptances if p.holds(day_of(a.accepted_at, zone))),
        ratings=tuple((r.responsiveness, r.communication, r.quality) for r in ratings
                      if p.holds(day_of(r.rated_at, zone))))
