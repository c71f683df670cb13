"""handlers/figures.py: the reports' counting, on hand-made rows and a fixed calendar."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.figures import Period, Record, changes, collab_figures, curve, said
from storage.models import Acceptance, Problem, Task

SH = ZoneInfo("Asia/Shanghai")


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00+08:00")


def test_the_period_compared_is_a_week_or_a_whole_period_earlier() -> None:
    assert Period(None, date(2026, 12, 9)).before() == Period(None, date(2026, 12, 2))
    this_week = Period(date(2026, 12, 7), date(2026, 12, 9), 7)  # a Wednesday: not over yet
    assert this_week.before() == Period(date(2026, 11, 30), date(2026, 12, 2), 7) and this_week.compared == "较上周"
    month = Period(date(2026, 11, 1), date(2026, 11, 30), 30)
    assert month.before() == Period(date(2026, 10, 2), date(2026, 10, 31), 30) and month.compared == "较上期"


def record() -> Record:
    tasks = [Task(id=1, number=1, due_date=date(2026, 11, 27), status="done", done_at=at("2026-11-26")),
             Task(id=2, number=2, due_date=date(2026, 12, 4), status="done", done_at=at("2026-12-08")),
             Task(id=3, number=3, due_date=date(2026, 12, 4), status="doing", done_at=None)]
    acceptances = [Acceptance(id=1, task_id=1, result="pass", score=90, accepted_at=at("2026-11-26")),
                   Acceptance(id=2, task_id=2, result="fail", score=40, accepted_at=at("2026-12-07")),
                   Acceptance(id=3, task_id=2, result="pass", score=80, accepted_at=at("2026-12-08"))]
    problems = [Problem(id=1, reported_at=at("2026-12-01"), actual_date=date(2026, 12, 8), level=1),
                Problem(id=2, reported_at=at("2026-12-08"), actual_date=None, level=0)]
    return Record(tasks, {2: date(2026, 12, 3)}, acceptances, problems, [], SH)


def test_a_period_counts_what_happened_in_it_and_how_things_stood_at_its_end() -> None:
    week = collab_figures(record(), Period(date(2026, 12, 7), date(2026, 12, 9), 7))
    assert (week.tasks, week.done, week.done_in, week.on_time) == (3, 2, 1, 0)  # T2 later than its planned 12-03
    assert week.late == (3,) and (week.first_pass, week.first_tried) == (0, 1) and week.scores == (40, 80)
    assert week.rework == 1 and (week.problems, week.escalated, week.problems_raised) == (1, 0, 1)
    before = collab_figures(record(), Period(date(2026, 11, 30), date(2026, 12, 2), 7))
    assert before.done == 1 and before.done_in == 0 and before.late == () and before.problems == 1
    moved = changes(week, before)
    assert moved == {"完成率": 33.3, "逾期任务": 1, "返工次数": 1, "未决问题": 0}  # rates without n are left out
    assert said(moved) == "完成率 +33.3 个百分点，逾期任务 +1，返工次数 +1"


def test_since_the_beginning_a_task_accepted_later_was_open_before() -> None:
    then = collab_figures(record(), Period(None, date(2026, 12, 5)))
    assert then.done == 1 and then.late == (2, 3) and then.first_tried == 1  # T2 open and late on 12-05
    assert said(changes(then, then)) == "无变化"


def test_the_curve_counts_tasks_due_and_done_by_each_day() -> None:
    tasks = record().tasks
    days, planned, actual = curve(tasks, {2: date(2026, 12, 3)}, {1: date(2026, 11, 26), 2: date(2026, 12, 8)},
                                  date(2026, 11, 25), today=date(2026, 12, 7))
    assert days[0] == "2026-11-25" and days[-1] == "2026-12-07"  # the plan ends 12-04: the line runs to today
    by_day = dict(zip(days, zip(planned, actual, strict=True), strict=True))
    third = 100 / 3
    assert by_day["2026-11-25"] == (0, 0)
    assert by_day["2026-11-27"] == (third, third)  # T1 due 11-27, done 11-26
    assert by_day["2026-12-03"] == (2 * third, third)  # T2 planned for 12-03 (its first baseline), not 12-04
    assert by_day["2026-12-07"] == (100, third)  # T2 done 12-08: after today, so not yet


def test_the_curve_stops_the_actual_line_at_today() -> None:
    days, planned, actual = curve(record().tasks, {}, {}, date(2026, 11, 25), today=date(2026, 11, 30))
    assert days[-1] == "2026-12-04" and planned[-1] == 100
    assert [a is None for a in actual] == [d > "2026-11-30" for d in days]
