"""Each notice rule (docs/scheduler.md) on a fixed clock, over hand-made rows (no database).

`fired` walks the clock in steps as the planner would, and lists (local time, key) of every
notice the rule emits: each must fire once, at its time, on a working day.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import PolicyConfig
from scheduler import rules
from scheduler.calendar import WorkCalendar
from scheduler.rules import Facts, Notice
from storage.models import (
    Collaboration,
    Department,
    Evaluation,
    Meeting,
    Participant,
    Person,
    Problem,
    ProgressReport,
    Task,
)

SH = ZoneInfo("Asia/Shanghai")
DEV, DESIGN, PMO = 1, 2, 9
DEPTS = {DEV: Department(id=DEV, name="研发部", timezone="Asia/Shanghai", is_pmo=False),
         DESIGN: Department(id=DESIGN, name="设计部", timezone="Asia/Shanghai", is_pmo=False),
         PMO: Department(id=PMO, name="协作管理办公室", timezone="Asia/Shanghai", is_pmo=True)}


def _person(pid: int, name: str, dept: int, head: bool = False, admin: bool = False) -> Person:
    return Person(id=pid, platform="memory", user_id=name, name=name, dept_id=dept, is_head=head, is_admin=admin)


PEOPLE = {p.id: p for p in (_person(11, "李工", DEV), _person(12, "李主管", DEV, head=True),
                            _person(21, "王设计", DESIGN), _person(22, "王主管", DESIGN, head=True),
                            _person(91, "周主任", PMO, head=True, admin=True))}
COLLAB = Collaboration(id=100, code="XZ-2026-0001", name="推广", lead_dept_id=DESIGN, initiator_dept_id=DESIGN,
                       initiator_id=22, stage="executing", executing_at=datetime(2026, 9, 1, tzinfo=SH),
                       approved_at=datetime(2026, 8, 31, 10, tzinfo=SH))


def task(tid: int, due: date, dept: int = DEV, owner: int = 11, start: date | None = None, **kw: Any) -> Task:
    return Task(id=tid, collab_id=100, number=tid, title=f"任务{tid}", owner_dept_id=dept, owner_person_id=owner,
                start_date=start or due - timedelta(days=7), due_date=due, status=kw.pop("status", "doing"),
                progress=0, is_milestone=kw.pop("is_milestone", False), **kw)


def facts(since: datetime, now: datetime, calendar: WorkCalendar | None = None, **policy: Any) -> Facts:
    return Facts(calendar or WorkCalendar(), PolicyConfig(**policy), since, now, DEPTS, dict(PEOPLE), {100: COLLAB})


def fired(rule: Callable[[Facts], Sequence[Notice]], start: datetime, end: datetime,
          step: timedelta = timedelta(minutes=5), calendar: WorkCalendar | None = None,
          **policy: Any) -> list[tuple[str, str]]:
    """March the window from `start` to `end`; every notice as ("YYYY-MM-DD HH:MM" local, key)."""
    out, now = [], start
    while now < end:
        f = facts(now, now + step, calendar, **policy)
        out += [(n.fire_at.astimezone(SH).strftime("%Y-%m-%d %H:%M"), n.key) for n in rule(f)
                if n.expires_at is None or f.now < n.expires_at]
        now += step
    return out


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def test_due_soon_counts_working_days_across_national_day() -> None:
    # Due Friday 9 Oct: three working days before are 8 Oct, 30 Sep, 29 Sep (1–7 Oct are holidays).
    got = fired(lambda f: rules.due_soon([task(1, date(2026, 10, 9))], f), sh(2026, 9, 28), sh(2026, 10, 10))
    assert got == [("2026-09-29 09:30", "task:1:due-soon:2026-10-09")]


def test_milestone_has_its_own_warning_days() -> None:
    t = task(1, date(2026, 11, 27), is_milestone=True)
    got = fired(lambda f: rules.due_soon([t], f), sh(2026, 11, 16), sh(2026, 11, 28),
                milestone_warning_working_days=5)
    assert got == [("2026-11-20 09:30", "task:1:due-soon:2026-11-27")]


def test_due_today_on_a_make_up_saturday_and_before_a_sunday_deadline() -> None:
    tasks = [task(1, date(2026, 10, 10)), task(2, date(2026, 10, 11))]  # 调休 Saturday; Sunday
    got = fired(lambda f: rules.due_today(tasks, f), sh(2026, 10, 9), sh(2026, 10, 12))
    assert got == [("2026-10-10 09:30", "task:1:due-today:2026-10-10"),
                   ("2026-10-10 09:30", "task:2:due-today:2026-10-11")]


def test_due_soon_across_the_year_end_uses_estimates_and_overrides_for_2027() -> None:
    t = task(1, date(2027, 1, 4))
    plain = fired(lambda f: rules.due_soon([t], f), sh(2026, 12, 25), sh(2027, 1, 5))
    assert plain == [("2026-12-29 09:30", "task:1:due-soon:2027-01-04")]  # 元旦, estimated from the law, is off
    worked = WorkCalendar({date(2027, 1, 1): True})  # an admin's override wins over the estimate
    fixed = fired(lambda f: rules.due_soon([t], f), sh(2026, 12, 25), sh(2027, 1, 5), calendar=worked)
    assert fixed == [("2026-12-30 09:30", "task:1:due-soon:2027-01-04")]


def test_escalation_ladder_over_a_week_of_lag() -> None:
    t = task(1, date(2026, 11, 20))  # Friday
    got = fired(lambda f: rules.lag_ladder([t], {}, f), sh(2026, 11, 20), sh(2026, 11, 30), step=timedelta(hours=1))
    assert got == [("2026-11-25 09:30", "task:1:lag-report:2026-11-20"),  # lag 3 working days > 2
                   ("2026-11-26 09:30", "task:1:lag-alert:2026-11-20")]  # lag 4 > 3: 进度预警函
    f = facts(sh(2026, 11, 26, 9), sh(2026, 11, 26, 10))
    waiting = task(2, date(2026, 12, 4), dept=DESIGN, start=date(2026, 11, 23), status="todo")
    alert = rules.lag_ladder([t], {t.id: [waiting]}, f)[0]
    assert alert.dept_ids == (DESIGN, PMO)  # lead dept and PMO
    assert alert.message.template == "progress_alert"
    assert alert.message.data["late_days"] == 4 and "4 个工作日" in alert.message.body
    assert alert.message.data["held"] == [{"task": "T2", "title": "任务2", "dept": DEPTS[DESIGN].name,
                                           "start": "2026-11-23"}] and "影响下游 T2" in alert.message.body
    assert set(alert.message.mentions) == {"memory:王主管", "memory:李工"}
    report = rules.lag_ladder([t], {}, facts(sh(2026, 11, 25, 9), sh(2026, 11, 25, 10)))[0]
    assert report.dept_ids == (DEV,) and "memory:李主管" in report.message.mentions


def test_ladder_skips_the_holiday_week() -> None:
    got = fired(lambda f: rules.lag_ladder([task(1, date(2026, 9, 29))], {}, f), sh(2026, 9, 29), sh(2026, 10, 12),
                step=timedelta(hours=1))
    assert got == [("2026-10-09 09:30", "task:1:lag-report:2026-09-29"),  # 30 Sep, 8 Oct, 9 Oct
                   ("2026-10-10 09:30", "task:1:lag-alert:2026-09-29")]  # the 调休 Saturday counts


def test_upstream_late_computes_the_new_earliest_start_through_the_graph() -> None:
    t1 = task(1, date(2026, 11, 20), start=date(2026, 11, 16))
    t2 = task(2, date(2026, 11, 24), dept=DESIGN, owner=21, start=date(2026, 11, 23))
    t3 = task(3, date(2026, 11, 26), dept=DESIGN, owner=21, start=date(2026, 11, 25))
    graph = {2: {1}, 3: {2}}
    f = facts(sh(2026, 11, 23, 9), sh(2026, 11, 23, 10))  # Monday: T1 is one working day late
    got = rules.upstream_late([t1], [t1, t2, t3], graph, f)
    assert [(n.key, n.message.data["earliest"]) for n in got] == [
        ("task:1:upstream-late:2:2026-11-20", "2026-11-24"),  # T1 can finish today at best
        ("task:1:upstream-late:3:2026-11-20", "2026-11-26")]  # T2 keeps its 1-day length
    assert got[0].dept_ids == (DESIGN,) and got[0].message.mentions == ("memory:王设计",)


def test_rework_and_retrospective_due() -> None:
    t = task(1, date(2026, 11, 20), rework_due=date(2026, 11, 26))
    assert fired(lambda f: rules.rework_due([t], f), sh(2026, 11, 23), sh(2026, 11, 30)) == [
        ("2026-11-26 09:30", "task:1:rework-due:2026-11-26")]
    accepted = Collaboration(id=100, code="XZ-2026-0001", lead_dept_id=DESIGN, initiator_dept_id=DEV, initiator_id=11,
                             stage="accepted", accepted_at=sh(2026, 9, 28, 15))
    got = fired(lambda f: rules.retrospective_due([accepted], f), sh(2026, 9, 28), sh(2026, 10, 12),
                step=timedelta(hours=1))
    assert got == [("2026-10-10 09:30", "collab:100:retro-due:2026-10-10")]  # 29, 30 Sep, 8, 9, 10 Oct
    n = rules.retrospective_due([accepted], facts(sh(2026, 10, 10, 9), sh(2026, 10, 10, 10)))[0]
    assert n.dept_ids == (DESIGN, DEV) and "memory:李工" in n.message.mentions


def test_evaluation_reminder_and_overdue_to_pmo() -> None:
    e = Evaluation(id=5, collab_id=100, dept_id=DEV, round=1, decision="pending", answer_due=date(2026, 10, 8))
    got = fired(lambda f: rules.evaluation_sla([e], f), sh(2026, 9, 28), sh(2026, 10, 12), step=timedelta(hours=1))
    assert got == [("2026-09-30 09:30", "eval:5:remind:2026-10-08"), ("2026-10-09 09:30", "eval:5:overdue:2026-10-08")]
    overdue = rules.evaluation_sla([e], facts(sh(2026, 10, 9, 9), sh(2026, 10, 9, 10)))[0]
    assert overdue.dept_ids == (DEV, PMO) and "memory:周主任" in overdue.message.mentions


def test_kickoff_reminder_and_deadline() -> None:
    c = Collaboration(id=100, code="XZ-2026-0001", lead_dept_id=DESIGN, initiator_dept_id=DEV, initiator_id=11,
                      stage="planning", approved_at=sh(2026, 11, 23, 10, 3))
    got = fired(lambda f: rules.kickoff([c], {100: [DEV, DESIGN]}, f), sh(2026, 11, 23, 10), sh(2026, 11, 25))
    assert got == [("2026-11-24 09:30", "collab:100:kickoff:remind:20261123T0203"),
                   ("2026-11-24 10:03", "collab:100:kickoff:overdue:20261123T0203")]
    before_holiday = Collaboration(id=101, code="XZ-2026-0002", lead_dept_id=DESIGN, initiator_dept_id=DEV,
                                   initiator_id=11, stage="planning", approved_at=sh(2026, 9, 30, 16))
    got = fired(lambda f: rules.kickoff([before_holiday], {}, f), sh(2026, 9, 30, 15), sh(2026, 10, 9),
                step=timedelta(hours=1))
    assert got == [("2026-10-08 09:30", "collab:101:kickoff:remind:20260930T0800"),  # 1 Oct is a holiday
                   ("2026-10-08 16:00", "collab:101:kickoff:overdue:20260930T0800")]


def test_meeting_agenda_soon_minutes_due_and_overdue() -> None:
    m = Meeting(id=7, collab_id=100, number=1, kind="sync", title="周会", starts_at=sh(2026, 11, 30, 9, 30),
                duration_min=30, agenda="进度", dept_ids=[DEV, DESIGN], owner_id=22, status="scheduled")
    got = fired(lambda f: rules.meetings([m], f), sh(2026, 11, 28), sh(2026, 12, 1))
    assert got == [("2026-11-29 09:30", "meeting:7:agenda:20261130T0130"),
                   ("2026-11-30 09:15", "meeting:7:soon:20261130T0130"),
                   ("2026-11-30 10:00", "meeting:7:minutes-due:20261130T0130"),
                   ("2026-11-30 12:00", "meeting:7:minutes-overdue:20261130T0130")]
    late = rules.meetings([m], facts(sh(2026, 11, 30, 11, 55), sh(2026, 11, 30, 12, 0)))[0]
    assert late.dept_ids == (DESIGN,)  # the lead dept


def test_missed_agenda_is_not_sent_after_the_meeting_started() -> None:
    m = Meeting(id=7, collab_id=100, number=1, kind="sync", title="周会", starts_at=sh(2026, 11, 30, 9, 30),
                duration_min=30, agenda="", dept_ids=[DEV], owner_id=22, status="scheduled")
    f = facts(sh(2026, 11, 29), sh(2026, 11, 30, 9, 40))  # a catch-up after downtime
    live = [n.key for n in rules.meetings([m], f) if n.expires_at is None or f.now < n.expires_at]
    assert live == []  # agenda and "starts soon" expired; minutes are not due yet


def _pairs() -> list[tuple[Collaboration, Participant]]:
    return [(COLLAB, Participant(id=1, collab_id=100, dept_id=DEV, contact_id=11)),
            (COLLAB, Participant(id=2, collab_id=100, dept_id=DESIGN, contact_id=21))]


def test_weekly_prompt_chase_and_monday_escalation() -> None:
    reports = [ProgressReport(collab_id=100, dept_id=DESIGN, week=date(2026, 11, 23))]
    got = fired(lambda f: rules.weekly_reports(_pairs(), reports, f), sh(2026, 11, 27), sh(2026, 12, 1))
    assert got == [("2026-11-27 15:00", "report:100:1:2026-11-23:prompt"),
                   ("2026-11-27 17:00", "report:100:1:2026-11-23:missing"),
                   ("2026-11-30 09:00", "collab:100:report-escalate:2026-11-23")]
    f = facts(sh(2026, 11, 30, 8, 55), sh(2026, 11, 30, 9))
    escalation = rules.weekly_reports(_pairs(), reports, f)[0]
    assert escalation.dept_ids == (DESIGN,) and escalation.message.data["depts"] == ["研发部"]


def test_weekly_rhythm_around_national_day() -> None:
    got = fired(lambda f: rules.weekly_reports(_pairs()[:1], [], f), sh(2026, 9, 28, 10), sh(2026, 10, 13),
                step=timedelta(minutes=30))
    assert got == [("2026-09-30 15:00", "report:100:1:2026-09-28:prompt"),  # Friday 2 Oct is a holiday
                   ("2026-09-30 17:00", "report:100:1:2026-09-28:missing"),
                   ("2026-10-08 09:00", "collab:100:report-escalate:2026-09-28"),  # first working day
                   ("2026-10-09 15:00", "report:100:1:2026-10-05:prompt"),
                   ("2026-10-09 17:00", "report:100:1:2026-10-05:missing"),
                   ("2026-10-12 09:00", "collab:100:report-escalate:2026-10-05")]


def test_monday_sync_rolls_up_last_weeks_reports() -> None:
    reports = [ProgressReport(collab_id=100, dept_id=DESIGN, week=date(2026, 11, 23), done="海报3张", next_plan="终稿",
                              risks="无")]
    counts = {100: {"doing": 1, "todo": 1}}
    tasks = [task(1, date(2026, 11, 27), status="done", done_at=sh(2026, 11, 26, 15)), task(2, date(2026, 12, 4))]
    plans = rules.Plans({100: tasks}, {100: {1: date(2026, 11, 25)}})
    got = rules.weekly_sync([COLLAB], {100: [DESIGN, DEV]}, reports, counts, plans,
                            facts(sh(2026, 11, 30, 9), sh(2026, 11, 30, 10)))
    assert [n.key for n in got] == ["collab:100:sync:2026-11-30"]
    body = got[0].message.body
    assert "设计部：完成 海报3张" in body and "研发部：未提交" in body and "进行中 1" in body
    assert got[0].dept_ids == (DESIGN, DEV)
    chart = got[0].message.artifact  # the key chart: the plan's curve, drawn when the notice is sent
    assert chart is not None and chart.make == "progress_curve"
    _, days, planned, actual = chart.args
    point = days.index("2026-11-26")
    assert (planned[point], actual[point]) == (50, 50) and days[-1] == "2026-12-04" and actual[-1] is None


def test_the_pmos_weekly_digest_lists_every_executing_collaboration_most_urgent_first() -> None:
    calm = Collaboration(id=101, code="XZ-2026-0002", name="官网改版", lead_dept_id=DEV, stage="executing",
                         executing_at=datetime(2026, 9, 1, tzinfo=SH))
    tasks = {100: [task(1, date(2026, 11, 20)), task(2, date(2026, 11, 27), status="done",
                                                     done_at=sh(2026, 11, 24, 15))],
             101: [task(3, date(2026, 12, 20))]}
    plans = rules.Plans(tasks, {100: {}, 101: {}}, {100: [], 101: []}, {100: [], 101: []})
    got = fired(lambda f: rules.pmo_weekly([COLLAB, calm], plans, f), sh(2026, 11, 30, 9), sh(2026, 11, 30, 10))
    assert got == [("2026-11-30 09:30", "pmo:weekly:2026-11-30")]
    [notice] = rules.pmo_weekly([COLLAB, calm], plans, facts(sh(2026, 11, 30, 9), sh(2026, 11, 30, 10)))
    assert notice.dept_ids == (PMO,) and notice.message.title == "协作周报：2 个执行中的协作（红 1，绿 1）"
    first, second = notice.message.data["items"]
    assert (first["code"], first["status"], first["done"], first["week"], first["late"]) == \
        ("XZ-2026-0001", "红", "1/2", "1", "1")  # T1 late 6 working days; T2 accepted this week
    assert "T1 逾期 6 个工作日" in first["why"] and second["status"] == "绿"
    chart = notice.message.artifact
    assert chart is not None and chart.args[1] == ["XZ-2026-0001", "XZ-2026-0002"]
    assert chart.args[2] == {"计划完成": [100.0, 0.0], "实际完成": [50.0, 0.0]}
    assert rules.pmo_weekly([COLLAB], plans, facts(sh(2026, 11, 30, 9), sh(2026, 11, 30, 10),
                                                   pmo_weekly_digest=False)) == []


def test_problem_past_planned_date_climbs_to_pmo_then_leadership() -> None:
    p = Problem(id=3, collab_id=100, number=1, description="接口不通", responsible_dept_id=DEV, owner_id=11,
                planned_date=date(2026, 11, 20), status="open")
    got = fired(lambda f: rules.problems([p], f), sh(2026, 11, 20), sh(2026, 11, 27), step=timedelta(hours=1))
    assert got == [("2026-11-23 09:30", "problem:3:escalate-1:2026-11-20"),
                   ("2026-11-25 09:30", "problem:3:escalate-2:2026-11-20")]


def test_daily_digest_is_optional_and_skips_weekends() -> None:
    tasks = [task(1, date(2026, 11, 20)), task(2, date(2026, 11, 26)), task(3, date(2026, 12, 20))]
    assert fired(lambda f: rules.daily_digest(tasks, f), sh(2026, 11, 23), sh(2026, 11, 24)) == []
    got = fired(lambda f: rules.daily_digest(tasks, f), sh(2026, 11, 20, 12), sh(2026, 11, 24), daily_digest=True)
    assert got == [("2026-11-23 09:00", "dept:1:daily:2026-11-23")]
    digest = rules.daily_digest(tasks, facts(sh(2026, 11, 23, 8), sh(2026, 11, 23, 10), daily_digest=True))[0]
    assert digest.message.data["count"] == 2 and "逾期" in digest.message.body
    assert [(i["task"], i["overdue"]) for i in digest.message.data["items"]] == [("XZ-2026-0001/T1", True),
                                                                                  ("XZ-2026-0001/T2", False)]
    two_days = rules.daily_digest(tasks, facts(sh(2026, 11, 23, 8), sh(2026, 11, 24, 10), daily_digest=True))
    assert [n.key for n in two_days] == ["dept:1:daily:2026-11-23", "dept:1:daily:2026-11-24"]  # a window of days


def test_calendar_gap_tells_the_admins() -> None:
    n = rules.calendar_uncovered([2027], facts(sh(2026, 11, 23, 9), sh(2026, 11, 23, 10)))[0]
    assert n.key == "calendar:uncovered:2027" and n.dept_ids == () and n.private == (("memory", "周主任"),)
