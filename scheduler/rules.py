"""The proactive notices (docs/scheduler.md) as pure functions: rows that may be due and the
window → the notices that fire in it.

Each rule takes rows the planner read from SQL and a `Facts` bundle (clock window, calendar,
policy, departments and people) and returns `Notice`s. No I/O here, so every rule is tested on
a fixed clock with hand-made rows. A notice's key is built by `scheduler.keys` and names its
subject first (`task:42:due-soon:2026-11-24`), so withdrawing `keys.task(42)` cancels everything
pending about task 42 when the plan changes, and the anchor date in the key re-arms it when a
date moves.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bot.config import PolicyConfig
from bot.messages import Artifact, CardKind, Field, Message, mention_ref
from handlers.figures import Period, Record, collab_figures, progress_chart
from handlers.portfolio import RAG_LABEL, standing
from handlers.vocab import ESCALATION, MEETING_LABEL, TASK_LABEL
from scheduler import keys
from scheduler.calendar import WorkCalendar
from scheduler.timeline import depends_on, projected_schedule, week_of
from storage.models import (
    ActionItem,
    Collaboration,
    Department,
    Evaluation,
    Meeting,
    Participant,
    Person,
    PlannedTask,
    Problem,
    ProgressReport,
    Risk,
    Task,
    TaskState,
)
from storage.schedule import CHASED_TASK_STATES


@dataclass(frozen=True)
class Notice:
    key: str
    fire_at: datetime
    dept_ids: tuple[int, ...]
    message: Message
    collab_id: int | None = None
    expires_at: datetime | None = None  # a catch-up after downtime skips it from then on
    private: tuple[tuple[str, str], ...] = ()  # (platform, user id): also to these people's private chats


@dataclass
class Facts:
    """What every rule may look at; the window is (since, now]."""

    calendar: WorkCalendar
    policy: PolicyConfig
    since: datetime
    now: datetime
    depts: dict[int, Department]
    people: dict[int, Person] = field(default_factory=dict)
    collabs: dict[int, Collaboration] = field(default_factory=dict)
    _handle_cache: dict[int, str] = field(default_factory=dict, repr=False)
    _heads_cache: dict[int, list[int]] | None = field(default=None, repr=False)
    _heads_size: int = field(default=0, repr=False)

    @property
    def default_zone(self) -> ZoneInfo:
        return ZoneInfo(self.policy.timezone)

    def zone(self, dept_id: int | None) -> ZoneInfo:
        dept = self.depts.get(dept_id) if dept_id is not None else None
        return ZoneInfo(dept.timezone) if dept and dept.timezone else self.default_zone

    def zones(self) -> list[ZoneInfo]:
        names = {d.timezone for d in self.depts.values() if d.timezone} | {self.policy.timezone}
        return [ZoneInfo(n) for n in sorted(names)]

    def in_window(self, instant: datetime) -> bool:
        return self.since < instant <= self.now

    def window_days(self) -> list[date]:
        """Local dates (in any department's zone) the window touches."""
        first = min(self.since.astimezone(z).date() for z in self.zones())
        last = max(self.now.astimezone(z).date() for z in self.zones())
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def fire_days(self, when: str) -> list[date]:
        """Days whose wall-clock time `when`, in some department's zone, lies in the window."""
        at = time.fromisoformat(when)
        return [d for d in self.window_days()
                if any(self.in_window(self.calendar.at(d, at, z)) for z in self.zones())]

    def anchor_ranges(self, offset: int, when: str) -> list[tuple[date, date]]:
        """Date ranges whose notices with this working-day offset fire at `when` in the window."""
        found = (self.calendar.anchors_firing_on(d, offset) for d in self.fire_days(when))
        return [r for r in found if r is not None]

    def day_fire(self, anchor: date, offset: int, dept_id: int | None, when: str) -> datetime:
        day = self.calendar.fire_day(anchor, offset)
        return self.calendar.at(day, time.fromisoformat(when), self.zone(dept_id))

    def pmo_ids(self) -> tuple[int, ...]:
        return tuple(d.id for d in self.depts.values() if d.is_pmo)

    def name(self, dept_id: int) -> str:
        dept = self.depts.get(dept_id)
        return dept.name if dept else str(dept_id)

    def code(self, collab_id: int) -> str:
        c = self.collabs.get(collab_id)
        return c.code if c else f"#{collab_id}"

    def mention(self, *person_ids: int | None) -> tuple[str, ...]:
        handles = self._handles()
        return tuple(dict.fromkeys(handles[i] for i in person_ids if i in handles))

    def heads(self, *dept_ids: int) -> tuple[int, ...]:
        by_dept = self._heads()
        return tuple(i for d in dept_ids for i in by_dept.get(d, ()))

    def admins(self) -> tuple[int, ...]:
        return tuple(p.id for p in self.people.values() if p.is_admin)

    def leaders(self) -> tuple[int, ...]:
        return tuple(p.id for p in self.people.values() if p.is_leader)

    def private(self, *person_ids: int) -> tuple[tuple[str, str], ...]:
        """The private chats of these people, as (platform, user id)."""
        return tuple((p.platform, p.user_id) for i in person_ids if (p := self.people.get(i)) is not None)

    def _handles(self) -> dict[int, str]:
        """person id → "platform:user_id", built once per tick (rules call this per notice)."""
        if len(self._handle_cache) != len(self.people):
            self._handle_cache = {p.id: mention_ref(p.platform, p.user_id, p.name) for p in self.people.values()}
        return self._handle_cache

    def _heads(self) -> dict[int, list[int]]:
        if self._heads_cache is None or self._heads_size != len(self.people):
            self._heads_cache, self._heads_size = defaultdict(list), len(self.people)
            for p in sorted(self.people.values(), key=lambda p: p.id):
                if p.is_head and p.dept_id is not None:
                    self._heads_cache[p.dept_id].append(p.id)
        return self._heads_cache

    def person_name(self, person_id: int | None) -> str:
        p = self.people.get(person_id) if person_id is not None else None
        return p.name if p else "待定"


def _task_data(f: Facts, t: Task, **extra: object) -> dict[str, object]:
    return {"code": f.code(t.collab_id), "task": f"T{t.number}", "due": t.due_date.isoformat(), **extra}


def _task_fields(f: Facts, t: Task) -> tuple[Field, ...]:
    return (Field("任务", f"T{t.number} {t.title}"), Field("负责部门", f.name(t.owner_dept_id)),
            Field("第一责任人", f.person_name(t.owner_person_id)), Field("完成日期", t.due_date.isoformat()),
            Field("状态", f"{TASK_LABEL.get(t.status, t.status)} {t.progress}%"))


def due_soon(tasks: Iterable[Task], f: Facts) -> list[Notice]:
    """Task (or milestone) due in N working days → owner dept, @owner."""
    out = []
    for t in tasks:
        days = f.policy.milestone_warning_working_days if t.is_milestone else f.policy.due_soon_working_days
        fire = f.day_fire(t.due_date, -days, t.owner_dept_id, f.policy.notice_time)
        if not f.in_window(fire):
            continue
        what = "里程碑" if t.is_milestone else "任务"
        msg = Message(f"{f.code(t.collab_id)} {what}即将到期：T{t.number} {t.title}",
                      f"还有 {days} 个工作日到期（{t.due_date}）。如有风险请尽早 /status 或 /problem。",
                      _task_fields(f, t), template=CardKind.DUE_SOON, data=_task_data(f, t, milestone=t.is_milestone),
                      mentions=f.mention(t.owner_person_id), color="yellow")
        out.append(Notice(keys.task(t.id).key("due-soon", t.due_date), fire, (t.owner_dept_id,), msg, t.collab_id))
    return out


def due_today(tasks: Iterable[Task], f: Facts) -> list[Notice]:
    """Task due today (or, when that is a holiday, on the last working day before) → owner dept."""
    out = []
    for t in tasks:
        fire = f.day_fire(t.due_date, 0, t.owner_dept_id, f.policy.notice_time)
        if not f.in_window(fire):
            continue
        msg = Message(f"{f.code(t.collab_id)} 今日到期：T{t.number} {t.title}",
                      f"完成日期 {t.due_date}。完成后请提交交付物：/deliver {f.code(t.collab_id)}/T{t.number} 链接或说明",
                      _task_fields(f, t), template=CardKind.DUE_TODAY, data=_task_data(f, t),
                      mentions=f.mention(t.owner_person_id), color="yellow")
        out.append(Notice(keys.task(t.id).key("due-today", t.due_date), fire, (t.owner_dept_id,), msg, t.collab_id))
    return out


def lag_ladder(tasks: Iterable[Task], held: Mapping[int, Sequence[Task]], f: Facts) -> list[Notice]:
    """Lag > report days → owner dept must report; > alert days → 进度预警函 to lead dept and PMO,
    naming the working days late and the open tasks it holds up (`held`: task id → its waiting tasks)."""
    out = []
    report_after = f.policy.lag_report_working_days + 1
    alert_after = f.policy.lag_alert_working_days + 1
    for t in tasks:
        code = f.code(t.collab_id)
        fire = f.day_fire(t.due_date, report_after, t.owner_dept_id, f.policy.notice_time)
        if f.in_window(fire):
            msg = Message(f"{code} 任务滞后：T{t.number} {t.title}",
                          f"已超过完成日期 {t.due_date} {report_after - 1} 个工作日以上。请{f.name(t.owner_dept_id)}主动说明进度"
                          f"和原因：/status {code}/T{t.number} 延期 原因，必要时 /change 申请调整。",
                          _task_fields(f, t), template=CardKind.OVERDUE, data=_task_data(f, t, level="report"),
                          mentions=f.mention(t.owner_person_id, *f.heads(t.owner_dept_id)), color="red")
            out.append(Notice(keys.task(t.id).key("lag-report", t.due_date), fire, (t.owner_dept_id,), msg, t.collab_id))
        collab = f.collabs.get(t.collab_id)
        lead = collab.lead_dept_id if collab else t.owner_dept_id
        fire = f.day_fire(t.due_date, alert_after, lead, f.policy.notice_time)
        if f.in_window(fire):
            late = f.calendar.workdays_between(t.due_date, fire.astimezone(f.zone(lead)).date())
            waiting = [{"task": f"T{w.number}", "title": w.title, "dept": f.name(w.owner_dept_id),
                        "start": w.start_date.isoformat()} for w in held.get(t.id, ())]
            blocks = f"，影响下游 {'、'.join(w['task'] for w in waiting)}" if waiting else ""
            msg = Message(f"进度预警函：{code} T{t.number} {t.title}",
                          f"T{t.number}（{f.name(t.owner_dept_id)}）已超过完成日期 {t.due_date} {late} 个工作日仍未完成{blocks}。"
                          "请牵头部门协调并督促整改；协作管理办公室跟踪。",
                          _task_fields(f, t), template=CardKind.PROGRESS_ALERT,
                          data=_task_data(f, t, level="alert", late_days=late, held=waiting),
                          mentions=f.mention(*f.heads(lead), t.owner_person_id), color="red")
            targets = tuple(dict.fromkeys((lead, *f.pmo_ids())))
            out.append(Notice(keys.task(t.id).key("lag-alert", t.due_date), fire, targets, msg, t.collab_id))
    return out


def upstream_late(late: Iterable[Task], plans: Sequence[Task], graph: dict[int, set[int]],
                  f: Facts) -> list[Notice]:
    """A predecessor missed its due date → each open downstream task's owner dept, with the new
    earliest start computed through the whole dependency graph (late tasks finish today at best)."""
    out = []
    by_collab: dict[int, list[Task]] = defaultdict(list)
    for t in plans:
        by_collab[t.collab_id].append(t)
    for pred in late:
        fire = f.day_fire(pred.due_date, 1, pred.owner_dept_id, f.policy.notice_time)
        if not f.in_window(fire):
            continue
        today = fire.astimezone(f.zone(pred.owner_dept_id)).date()
        tasks = by_collab[pred.collab_id]
        assumed = [_finishing_no_earlier_than(t, today) for t in tasks]
        projected = projected_schedule(assumed, graph, f.calendar)  # type: ignore[arg-type]
        code = f.code(pred.collab_id)
        for t in tasks:
            if t.status not in CHASED_TASK_STATES or not depends_on(graph, t.id, pred.id):
                continue
            earliest = projected[t.id][0]
            if earliest <= t.start_date:
                continue
            msg = Message(f"{code} 上游任务延误：T{t.number} 受影响",
                          f"前置任务 T{pred.number} {pred.title}（{f.name(pred.owner_dept_id)}）已超过完成日期 {pred.due_date}，"
                          f"T{t.number} {t.title} 最早可于 {earliest} 开始（原计划 {t.start_date}）。如需调整请 /change。",
                          template=CardKind.UPSTREAM_SLIPPED,
                          data={"code": code, "task": f"T{t.number}", "predecessor": f"T{pred.number}",
                                "earliest": earliest.isoformat()},
                          mentions=f.mention(t.owner_person_id), color="yellow")
            out.append(Notice(keys.task(pred.id).key("upstream-late", t.id, pred.due_date), fire, (t.owner_dept_id,), msg,
                              t.collab_id))
    return out


def _finishing_no_earlier_than(t: Task, today: date) -> SimpleNamespace:
    """A task as the projection sees it: an unfinished late task cannot finish before today."""
    due = t.due_date if t.status == TaskState.DONE or t.due_date >= today else today
    return SimpleNamespace(id=t.id, start_date=t.start_date, due_date=due)


def action_items(items: Iterable[ActionItem], f: Facts) -> list[Notice]:
    """Open action item due in N working days → its owner's dept, @owner; still open on the working
    day after its date → the owner's dept and the lead dept."""
    out = []
    for a in items:
        if a.due_date is None:
            continue
        owner = f.people.get(a.owner_id) if a.owner_id else None
        dept = owner.dept_id if owner else None
        collab = f.collabs.get(a.collab_id)
        code = f.code(a.collab_id)
        for late, offset in ((False, -f.policy.action_due_soon_working_days), (True, 1)):
            fire = f.day_fire(a.due_date, offset, dept, f.policy.notice_time)
            if not f.in_window(fire):
                continue
            depts = (dept, collab.lead_dept_id if collab else None) if late else (dept,)
            title = f"{code} 行动项{'逾期' if late else '即将到期'}：A{a.number} {a.text}"
            body = (f"完成日期 {a.due_date} 已过，请负责人完成后 /action done {code}/A{a.number}，或在群里说明原因。" if late
                    else f"完成日期 {a.due_date}。完成后请 /action done {code}/A{a.number} 完成说明")
            msg = Message(title, body, (Field("行动项", f"A{a.number} {a.text}"), Field("负责人", f.person_name(a.owner_id)),
                                        Field("完成日期", a.due_date.isoformat())),
                          template=CardKind.ACTION_DUE, data={"code": code, "action": f"A{a.number}",
                                                              "due": a.due_date.isoformat(), "late": late},
                          mentions=f.mention(a.owner_id), color="red" if late else "yellow")
            key = keys.action_item(a.id).key("overdue" if late else "due-soon", a.due_date)
            out.append(Notice(key, fire, tuple(d for d in dict.fromkeys(depts) if d is not None), msg, a.collab_id))
    return out


def rework_due(tasks: Iterable[Task], f: Facts) -> list[Notice]:
    """Rework after a fail / partial acceptance is due today → owner dept."""
    out = []
    for t in tasks:
        if t.rework_due is None:
            continue
        fire = f.day_fire(t.rework_due, 0, t.owner_dept_id, f.policy.notice_time)
        if not f.in_window(fire):
            continue
        code = f.code(t.collab_id)
        msg = Message(f"{code} 整改今日到期：T{t.number} {t.title}",
                      f"验收未通过的整改应于 {t.rework_due} 完成，请重新提交：/deliver {code}/T{t.number} 链接或说明",
                      _task_fields(f, t), template=CardKind.REWORK_DUE, data=_task_data(f, t, rework_due=t.rework_due.isoformat()),
                      mentions=f.mention(t.owner_person_id), color="yellow")
        out.append(Notice(keys.task(t.id).key("rework-due", t.rework_due), fire, (t.owner_dept_id,), msg, t.collab_id))
    return out


def evaluation_sla(evaluations: Iterable[Evaluation], f: Facts) -> list[Notice]:
    """Unanswered evaluation: reminder with N working days left; the day after the deadline → PMO."""
    out = []
    left = f.policy.evaluation_remind_working_days_left
    for e in evaluations:
        code = f.code(e.collab_id)
        body = f"请于 {e.answer_due} 前答复评估：/evaluate {code} 接受|拒绝|需补充信息 contact=@对接人"
        data = {"code": code, "dept": f.name(e.dept_id), "due": e.answer_due.isoformat()}
        fire = f.day_fire(e.answer_due, -left, e.dept_id, f.policy.notice_time)
        if left and f.in_window(fire):
            msg = Message(f"{code} 需求评估待答复（剩 {left} 个工作日）", body, template=CardKind.EVALUATION_REMINDER, data=data,
                          mentions=f.mention(*f.heads(e.dept_id)), color="yellow")
            out.append(Notice(keys.evaluation(e.id).key("remind", e.answer_due), fire, (e.dept_id,), msg, e.collab_id))
        fire = f.day_fire(e.answer_due, 1, e.dept_id, f.policy.notice_time)
        if f.in_window(fire):
            msg = Message(f"{code} 需求评估超时：{f.name(e.dept_id)}未答复",
                          f"答复期限 {e.answer_due} 已过。请协作管理办公室跟进。\n{body}", template=CardKind.EVALUATION_OVERDUE,
                          data=data, mentions=f.mention(*f.heads(e.dept_id), *f.admins()), color="red")
            out.append(Notice(keys.evaluation(e.id).key("overdue", e.answer_due), fire, (e.dept_id, *f.pmo_ids()), msg,
                              e.collab_id))
    return out


def kickoff(collabs: Iterable[Collaboration], dept_ids: dict[int, list[int]], f: Facts) -> list[Notice]:
    """Approved without a kickoff meeting: a reminder the next working morning, and at the deadline
    (24 h after approval, moved to a working day) → lead dept and PMO."""
    out = []
    hours = f.policy.kickoff_within_hours
    for c in collabs:
        if c.approved_at is None:
            continue
        zone = f.zone(c.lead_dept_id)
        due = c.approved_at + timedelta(hours=hours)
        deadline = f.calendar.next_workday_at(due, due.astimezone(zone).time(), zone)
        remind_at = f.calendar.next_workday_at(c.approved_at + timedelta(minutes=1),
                                               time.fromisoformat(f.policy.notice_time), zone)
        local = deadline.astimezone(zone)
        data = {"code": c.code, "deadline": local.isoformat(timespec="minutes")}
        if remind_at < deadline and f.in_window(remind_at):
            msg = Message(f"{c.code} 请在 {hours} 小时内召开启动会",
                          f"已立项。请牵头部门{f.name(c.lead_dept_id)}在 {local:%m-%d %H:%M} 前组织启动会："
                          f"/meeting {c.code} kind=启动会 date=… time=… agenda=…", template=CardKind.KICKOFF, data=data,
                          mentions=f.mention(*f.heads(c.lead_dept_id)), color="blue")
            out.append(Notice(keys.kickoff(c.id).key("remind", _stamp(c.approved_at)), remind_at,
                              tuple(dept_ids.get(c.id, [c.lead_dept_id])), msg, c.id, expires_at=deadline))
        if f.in_window(deadline):
            msg = Message(f"{c.code} 启动会逾期未安排", f"立项已超过 {hours} 小时仍未安排启动会，请牵头部门立即安排，"
                          "协作管理办公室跟进。", template=CardKind.KICKOFF, data=data | {"overdue": True},
                          mentions=f.mention(*f.heads(c.lead_dept_id), *f.admins()), color="red")
            out.append(Notice(keys.kickoff(c.id).key("overdue", _stamp(c.approved_at)), deadline,
                              (c.lead_dept_id, *f.pmo_ids()), msg, c.id))
    return out


def meetings(items: Iterable[Meeting], f: Facts) -> list[Notice]:
    """Agenda a day before, "starts soon", minutes due at the end, minutes overdue → lead dept."""
    out = []
    p = f.policy
    for m in items:
        code = f.code(m.collab_id)
        local = m.starts_at.astimezone(f.zone(m.dept_ids[0] if m.dept_ids else None))
        end = m.starts_at + timedelta(minutes=m.duration_min)
        data = {"code": code, "meeting": f"M{m.number}", "starts": local.isoformat(timespec="minutes")}
        fields = (Field("会议", f"{code}/M{m.number} {m.title}"), Field("类型", MEETING_LABEL.get(m.kind, m.kind)),
                  Field("时间", f"{local:%Y-%m-%d %H:%M}（{m.duration_min} 分钟）"), Field("议程", m.agenda or "—"))
        heads = f.heads(*m.dept_ids)
        agenda_at = m.starts_at - timedelta(days=p.agenda_days_before)
        if p.agenda_days_before and f.in_window(agenda_at):
            msg = Message(f"会议议程：{m.title}（{local:%m-%d %H:%M}）", "请参会部门提前准备需决策事项。", fields,
                          template=CardKind.MEETING_AGENDA, data=data, mentions=f.mention(*heads), color="blue")
            out.append(Notice(keys.meeting(m.id).key("agenda", _stamp(m.starts_at)), agenda_at, tuple(m.dept_ids), msg,
                              m.collab_id, expires_at=m.starts_at))
        soon_at = m.starts_at - timedelta(minutes=p.meeting_soon_minutes)
        if f.in_window(soon_at):
            msg = Message(f"会议 {p.meeting_soon_minutes} 分钟后开始：{m.title}", "", fields, template=CardKind.MEETING_SOON,
                          data=data, mentions=f.mention(*heads), color="blue")
            out.append(Notice(keys.meeting(m.id).key("soon", _stamp(m.starts_at)), soon_at, tuple(m.dept_ids), msg,
                              m.collab_id, expires_at=m.starts_at))
        owner = f.people.get(m.owner_id)
        owner_dept = owner.dept_id if owner and owner.dept_id else (m.dept_ids[0] if m.dept_ids else None)
        if owner_dept is not None and f.in_window(end):
            msg = Message(f"请在 {p.minutes_due_hours} 小时内提交会议纪要：{m.title}",
                          f"/minutes {code}/M{m.number} 纪要 decisions=决议 action=\"行动项 @负责人 日期\"", fields,
                          template=CardKind.MINUTES_DUE, data=data, mentions=f.mention(m.owner_id), color="blue")
            out.append(Notice(keys.meeting(m.id).key("minutes-due", _stamp(m.starts_at)), end, (owner_dept,), msg,
                              m.collab_id))
        overdue_at = end + timedelta(hours=p.minutes_due_hours)
        collab = f.collabs.get(m.collab_id)
        if collab is not None and f.in_window(overdue_at):
            msg = Message(f"会议纪要逾期：{m.title}", f"会后 {p.minutes_due_hours} 小时仍未提交纪要，请牵头部门督促。",
                          fields, template=CardKind.MINUTES_OVERDUE, data=data,
                          mentions=f.mention(m.owner_id, *f.heads(collab.lead_dept_id)), color="red")
            out.append(Notice(keys.meeting(m.id).key("minutes-overdue", _stamp(m.starts_at)), overdue_at,
                              (collab.lead_dept_id,), msg, m.collab_id))
    return out


def _stamp(instant: datetime) -> str:
    """An instant in a key: UTC, to the minute (a moved meeting gets new keys)."""
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M")


def report_day(calendar: WorkCalendar, week: date, weekday: int) -> date | None:
    """The report deadline day of a week: its Friday, or the last working day before it that week."""
    day = week + timedelta(days=weekday)
    while day >= week:
        if calendar.is_workday(day):
            return day
        day -= timedelta(days=1)
    return None


def sync_day(calendar: WorkCalendar, week: date, weekday: int) -> date | None:
    """The weekly sync day: its Monday, or the first working day after it that week."""
    day = week + timedelta(days=weekday)
    while day < week + timedelta(days=7):
        if calendar.is_workday(day):
            return day
        day += timedelta(days=1)
    return None


def weekly_days(f: Facts) -> tuple[list[date], list[date]]:
    """The window's report-deadline days and weekly-sync days."""
    p = f.policy
    days = f.window_days()
    return ([d for d in days if d == report_day(f.calendar, week_of(d), p.weekly_report_weekday)],
            [d for d in days if d == sync_day(f.calendar, week_of(d), p.weekly_sync_weekday)])


def weekly_reports(pairs: Sequence[tuple[Collaboration, Participant]], reports: Iterable[ProgressReport],
                   f: Facts) -> list[Notice]:
    """Friday prompt, Friday-evening chase of missing reports, and Monday escalation to the lead dept.

    `reports` must hold this week's and last week's reports of the collaborations in `pairs`.
    """
    p = f.policy
    have = {(r.collab_id, r.dept_id, r.week) for r in reports}
    out = []
    report_days, sync_days = weekly_days(f)
    parts_of: dict[int, list[Participant]] = defaultdict(list)
    for c, part in pairs:
        parts_of[c.id].append(part)
        for day in report_days:
            if (c.id, part.dept_id, week_of(day)) not in have:
                out += _report_prompts(c, part, day, week_of(day), f.zone(part.dept_id), f)
    for c_id, parts in parts_of.items():
        c = f.collabs[c_id]
        for day in sync_days:
            at = f.calendar.at(day, time.fromisoformat(p.weekly_report_escalate_time), f.zone(c.lead_dept_id))
            last = week_of(day) - timedelta(days=7)
            due_day = report_day(f.calendar, last, p.weekly_report_weekday)
            if not f.in_window(at) or due_day is None or (c.executing_at and c.executing_at.date() > due_day):
                continue
            missing = [x for x in parts if (c.id, x.dept_id, last) not in have]
            if not missing:
                continue
            names = "、".join(f.name(x.dept_id) for x in missing)
            msg = Message(f"{c.code} 周进度未提交：{names}",
                          f"{last} 这一周的进度跟踪表仍未提交，请牵头部门{f.name(c.lead_dept_id)}督促。",
                          template=CardKind.WEEKLY_ESCALATE, data={"code": c.code, "week": last.isoformat(),
                                                            "depts": [f.name(x.dept_id) for x in missing]},
                          mentions=f.mention(*f.heads(c.lead_dept_id), *(x.contact_id for x in missing)), color="red")
            out.append(Notice(keys.report_escalation(c.id).key(last), at, (c.lead_dept_id,), msg, c.id))
    return out


def _report_prompts(c: Collaboration, part: Participant, day: date, week: date, zone: ZoneInfo,
                    f: Facts) -> list[Notice]:
    p = f.policy
    prompt_at = f.calendar.at(day, time.fromisoformat(p.weekly_report_prompt_time), zone)
    due_at = f.calendar.at(day, time.fromisoformat(p.weekly_report_due_time), zone)
    who = f.mention(part.contact_id) if part.contact_id else f.mention(*f.heads(part.dept_id))
    data = {"code": c.code, "dept": f.name(part.dept_id), "week": week.isoformat()}
    form = f"/progress {c.code} done=本周完成 undone=未完成及原因 next=下周计划 risks=风险"
    out: list[Notice] = []
    if c.executing_at is None or c.executing_at > prompt_at:
        return out  # the plan was not in force yet when this week's prompt was due
    if f.in_window(prompt_at):
        msg = Message(f"{c.code} 请提交本周进度（{p.weekly_report_due_time} 前）", form, template=CardKind.WEEKLY_PROMPT,
                      data=data, mentions=who, color="blue")
        out.append(Notice(keys.weekly_report(c.id, part.dept_id, week).key("prompt"), prompt_at, (part.dept_id,), msg, c.id,
                          expires_at=due_at))
    if f.in_window(due_at):
        msg = Message(f"{c.code} 本周进度尚未提交", f"{f.name(part.dept_id)}的周进度已到截止时间，请尽快提交：\n{form}",
                      template=CardKind.WEEKLY_MISSING, data=data, mentions=who, color="yellow")
        out.append(Notice(keys.weekly_report(c.id, part.dept_id, week).key("missing"), due_at, (part.dept_id,), msg, c.id))
    return out


@dataclass(frozen=True)
class Plans:
    """The executing collaborations' plans as the weekly notices read them: tasks, each task's
    date in the confirmed plan, open problems and risks, by collaboration."""

    tasks: Mapping[int, Sequence[PlannedTask]] = field(default_factory=dict)
    planned: Mapping[int, Mapping[int, date]] = field(default_factory=dict)
    problems: Mapping[int, Sequence[Problem]] = field(default_factory=dict)
    risks: Mapping[int, Sequence[Risk]] = field(default_factory=dict)


def weekly_sync(collabs: Iterable[Collaboration], dept_ids: dict[int, list[int]], reports: Iterable[ProgressReport],
                counts: dict[int, dict[str, int]], plans: Plans, f: Facts) -> list[Notice]:
    """Monday sync reminder with last week's reports and task counts rolled up per collaboration,
    and its planned-vs-actual curve (the key chart: docs/scheduler.md)."""
    p = f.policy
    by_collab: dict[int, list[ProgressReport]] = defaultdict(list)
    for r in reports:
        by_collab[r.collab_id].append(r)
    out = []
    sync_days = weekly_days(f)[1]
    for c in collabs:
        zone = f.zone(c.lead_dept_id)
        for day in sync_days:
            week = week_of(day)
            at = f.calendar.at(day, time.fromisoformat(p.weekly_sync_time), zone)
            if not f.in_window(at) or c.executing_at is None or c.executing_at > at:
                continue
            depts = dept_ids.get(c.id, [c.lead_dept_id])
            got = {r.dept_id: r for r in by_collab[c.id]}
            lines = [f"• {f.name(d)}：" + (f"完成 {got[d].done}；下周 {got[d].next_plan}；风险 {got[d].risks}"
                                           if d in got else "未提交") for d in depts]
            status = "，".join(f"{TASK_LABEL.get(s, s)} {n}" for s, n in sorted(counts.get(c.id, {}).items()))
            began = (c.executing_at or at).astimezone(zone).date()
            chart = progress_chart(c.code, plans.tasks.get(c.id, ()), plans.planned.get(c.id, {}), began, day, zone)
            msg = Message(f"{c.code} 进度同步会提醒（{p.weekly_sync_max_minutes} 分钟内）",
                          "上周进度汇总：\n" + "\n".join(lines) + f"\n任务：{status or '—'}",
                          template=CardKind.WEEKLY_SYNC, data={"code": c.code, "week": (week - timedelta(days=7)).isoformat(),
                                                        "reported": sorted(f.name(d) for d in got)},
                          mentions=f.mention(*f.heads(*depts)), color="blue", artifact=chart)
            out.append(Notice(keys.weekly_sync(c.id).key(week), at, tuple(depts), msg, c.id))
    return out


RAG_ORDER = {"red": 0, "yellow": 1, "green": 2}
RAG_MARK = {"red": "🔴", "yellow": "🟡", "green": "🟢"}
#: Collaborations the PMO's weekly chart draws at most (the most urgent first); the card lists all.
PMO_CHART_MAX = 12


def pmo_weekly(collabs: Iterable[Collaboration], plans: Plans, f: Facts) -> list[Notice]:
    """The PMO's weekly digest, on the sync day at the sync time: every executing collaboration's
    红/黄/绿 standing with its reasons, tasks accepted and late and how that moved in the week,
    and a chart of planned against actual completion (docs/scheduler.md)."""
    p = f.policy
    if not p.pmo_weekly_digest:
        return []
    zone = f.default_zone
    out = []
    for day in weekly_days(f)[1]:
        at = f.calendar.at(day, time.fromisoformat(p.weekly_sync_time), zone)
        shown = [c for c in collabs if c.executing_at is not None and c.executing_at <= at]
        if not f.in_window(at) or not shown:
            continue
        rows = []
        for c in shown:
            tasks, planned = plans.tasks.get(c.id, ()), plans.planned.get(c.id, {})
            s = standing(tasks, plans.problems.get(c.id, ()), plans.risks.get(c.id, ()), day, f.calendar, p)
            record = Record(tasks, planned, (), (), (), zone)
            now, then = collab_figures(record, Period(None, day)), collab_figures(record, Period(None, day).before())
            due = sum(d <= day for d in (planned.get(t.id, t.due_date) for t in tasks))
            rows.append((s, c, now, then, 100 * due / len(tasks) if tasks else 0.0))
        rows.sort(key=lambda r: (RAG_ORDER[r[0].rag], -len(r[2].late), r[1].code))
        lines = [f"{RAG_MARK[s.rag]} {c.code} {c.name}｜完成 {now.done}/{now.tasks}（本周 +{now.done - then.done}）｜"
                 f"逾期 {len(now.late)}" + (f"｜{'；'.join(s.reasons)}" if s.reasons else "")
                 for s, c, now, then, _ in rows]
        tally = "，".join(f"{RAG_LABEL[rag]} {n}" for rag in ("red", "yellow", "green")
                         if (n := sum(r[0].rag == rag for r in rows)))
        drawn = rows[:PMO_CHART_MAX]
        chart = Artifact(f"协作周报-{day}.png", "计划与实际完成对比图", "dept_comparison",
                      (f"执行中的协作：计划与实际完成（{day}）", [c.code for _, c, _, _, _ in drawn],
                       {"计划完成": [planned for *_, planned in drawn],
                        "实际完成": [now.completion or 0.0 for _, _, now, _, _ in drawn]}))
        note = f"\n（图中为最需关注的 {PMO_CHART_MAX} 个）" if len(rows) > PMO_CHART_MAX else ""
        items = [{"status": RAG_LABEL[s.rag], "code": c.code, "name": c.name, "done": f"{now.done}/{now.tasks}",
                  "week": str(now.done - then.done), "late": str(len(now.late)), "why": "；".join(s.reasons)}
                 for s, c, now, then, _ in rows]
        msg = Message(f"协作周报：{len(rows)} 个执行中的协作（{tally}）", "\n".join(lines) + note,
                      template=CardKind.PMO_WEEKLY, data={"day": day.isoformat(), "count": len(rows), "items": items},
                      color="red" if rows[0][0].rag == "red" else "yellow" if rows[0][0].rag == "yellow" else "green",
                      artifact=chart)
        out.append(Notice(keys.pmo_weekly().key(week_of(day)), at, f.pmo_ids(), msg))
    return out


def problems(items: Iterable[Problem], f: Facts) -> list[Notice]:
    """Unresolved past its planned date → PMO; still unresolved later → leadership (专题决策会):
    the leaders are @mentioned and get it in their private chats."""
    out = []
    for pr in items:
        if pr.planned_date is None:
            continue
        code = f.code(pr.collab_id)
        collab = f.collabs.get(pr.collab_id)
        lead = collab.lead_dept_id if collab else pr.responsible_dept_id
        data = {"code": code, "problem": f"P{pr.number}", "planned": pr.planned_date.isoformat()}
        for level, days in ((1, f.policy.problem_pmo_working_days), (2, f.policy.problem_leadership_working_days)):
            fire = f.day_fire(pr.planned_date, days, lead, f.policy.notice_time)
            if not f.in_window(fire):
                continue
            step = "请协作管理办公室协调" if level == 1 else f"请协作管理办公室提请分管领导召开专题决策会：/meeting {code} kind=决策会 …"
            msg = Message(f"{code} 问题 P{pr.number} 逾期未解决 → {ESCALATION[level]}",
                          f"{pr.description}\n计划解决日期 {pr.planned_date} 已过。{step}", template=CardKind.PROBLEM_ESCALATION,
                          data=data | {"level": level},
                          mentions=f.mention(pr.owner_id, *f.heads(lead), *f.admins(),
                                             *(f.leaders() if level == 2 else ())), color="red")
            out.append(Notice(keys.problem(pr.id).key(f"escalate-{level}", pr.planned_date), fire,
                              (lead, pr.responsible_dept_id, *f.pmo_ids()), msg, pr.collab_id,
                              private=f.private(*f.leaders()) if level == 2 else ()))
    return out


def retrospective_due(collabs: Iterable[Collaboration], f: Facts) -> list[Notice]:
    """N working days after acceptance, no retrospective yet → lead dept and initiator."""
    out = []
    days = f.policy.retrospective_working_days
    for c in collabs:
        if c.accepted_at is None:
            continue
        accepted = c.accepted_at.astimezone(f.zone(c.lead_dept_id)).date()
        due = f.calendar.add_workdays(accepted, days)
        fire = f.day_fire(accepted, days, c.lead_dept_id, f.policy.notice_time)
        if not f.in_window(fire):
            continue
        msg = Message(f"{c.code} 复盘今日到期", f"验收后 {days} 个工作日内应完成复盘（{due}）：/retro {c.code}",
                      template=CardKind.RETRO_DUE, data={"code": c.code, "due": due.isoformat()},
                      mentions=f.mention(c.initiator_id, *f.heads(c.lead_dept_id)), color="yellow")
        out.append(Notice(keys.retrospective_due(c.id).key(due), fire,
                          tuple(dict.fromkeys((c.lead_dept_id, c.initiator_dept_id))), msg, c.id))
    return out


def daily_digest(tasks: Iterable[Task], f: Facts) -> list[Notice]:
    """Optional: on working days, one card per department with its overdue and soon-due tasks."""
    if not f.policy.daily_digest:
        return []
    by_dept: dict[int, list[Task]] = defaultdict(list)
    for t in tasks:
        by_dept[t.owner_dept_id].append(t)
    out = []
    for dept_id, items in sorted(by_dept.items()):
        zone = f.zone(dept_id)
        for day in f.window_days():
            at = f.calendar.at(day, time.fromisoformat(f.policy.daily_digest_time), zone)
            if not f.calendar.is_workday(day) or not f.in_window(at):
                continue
            horizon = f.calendar.add_workdays(day, f.policy.due_soon_working_days)
            due = [t for t in items if t.due_date <= horizon]
            if not due:
                continue
            lines = [f"{'⚠️ 逾期 ' if t.due_date < day else ''}{f.code(t.collab_id)}/T{t.number} {t.title}｜"
                     f"{f.person_name(t.owner_person_id)}｜{t.due_date}" for t in due]
            listed = [{"task": f"{f.code(t.collab_id)}/T{t.number}", "title": t.title,
                       "owner": f.person_name(t.owner_person_id), "due": t.due_date.isoformat(),
                       "overdue": t.due_date < day} for t in due]
            msg = Message(f"{f.name(dept_id)} 今日待办（{len(due)}）", "\n".join(lines), template=CardKind.DAILY_DIGEST,
                          data={"dept": f.name(dept_id), "day": day.isoformat(), "count": len(due), "items": listed},
                          mentions=f.mention(*dict.fromkeys(t.owner_person_id for t in due)), color="blue")
            out.append(Notice(keys.daily_digest(dept_id).key(day), at, (dept_id,), msg))
    return out


def calendar_uncovered(years: Iterable[int], f: Facts) -> list[Notice]:
    """Working days of a year the holiday data does not cover are estimated: a task for the admins,
    in their private chats (not the first thing the PMO's group shows)."""
    out = []
    for year in sorted(years):
        msg = Message(f"请补充 {year} 年节假日安排",
                      f"国务院公布 {year} 年放假安排后，请逐日补充：/calendar add {year}-10-01 holiday 国庆节；"
                      f"调休上班日：/calendar add {year}-09-26 workday 调休（或在配置 [calendar] 中填写）。"
                      "在此之前按法定节假日估算，没有调休上班日。",
                      template=CardKind.CALENDAR_UNCOVERED, data={"year": year}, color="blue")
        out.append(Notice(keys.calendar_uncovered().key(year), f.now, (), msg, private=f.private(*f.admins())))
    return out
