"""Start from a proven plan (docs/knowledge.md, "Templates"): a collaboration's plan kept by name,
reused by a new request, laid down at approval with its dates shifted on the working-day
calendar, its dependencies kept, and each owner its department's 对接人 until the department names one."""
from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.testkit import TestBot
from scheduler.blueprint import Blueprint, lay, take
from scheduler.calendar import WorkCalendar
from storage.models import Collaboration, Person, Task, TaskDependency
from tests.conftest import SHANGHAI
from tests.scenario import CODE, count, ok, one, refused, to_executing

SECOND = "XZ-2026-0002"
CALENDAR = WorkCalendar()


class T:
    def __init__(self, number: int, start: date, due: date) -> None:
        self.number, self.title, self.owner_dept_id, self.deliverable, self.standard = number, f"任务{number}", 1, "", ""
        self.start_date, self.due_date, self.is_milestone = start, due, False


@settings(max_examples=60)
@given(st.dates(date(2026, 1, 5), date(2026, 12, 1)), st.lists(st.tuples(st.integers(0, 30), st.integers(0, 20)),
                                                               min_size=1, max_size=6))
def test_laid_at_its_own_start_a_blueprint_gives_back_its_working_day_dates(first: date,
                                                                           spans: list[tuple[int, int]]) -> None:
    start = CALENDAR.next_workday(first)
    tasks = []
    for n, (offset, length) in enumerate(spans, 1):
        begin = CALENDAR.add_workdays(start, offset)
        tasks.append(T(n, begin, CALENDAR.add_workdays(begin, length)))
    bp = Blueprint.from_json(take("XZ-2026-0001", tasks, {}, {1: "研发部"}, CALENDAR).to_json())
    laid = [lay(s, min(t.start_date for t in tasks), CALENDAR) for s in bp.steps]
    assert laid == [(t.start_date, t.due_date) for t in tasks]
    later = [lay(s, date(2027, 9, 30), CALENDAR) for s in bp.steps]  # across the National Day holiday
    for (begin, due), (_, length) in zip(later, spans, strict=True):  # each length in working days is kept
        assert CALENDAR.workdays_between(begin, due) == length and CALENDAR.is_workday(begin)


async def plan_saved(tb: TestBot) -> None:
    await to_executing(tb)  # T1 市场部 11-24…11-27; T2 研发部 11-30…12-10 after T1; T3 设计部 11-30…12-04 after T1
    saved = ok(await tb.say("张经理", "市场部", f"/template save {CODE} name=新品推广"))
    assert "3 项任务（市场部、研发部、设计部），约 13 个工作日" in saved.body


async def approved_on(tb: TestBot, day: datetime, request: str) -> list[str]:
    replies = await tb.say("小马", "市场部", request)
    assert ok(replies).title == f"需求已提交：{SECOND}"
    ok(await tb.say("李主管", "研发部", f"/evaluate {SECOND} 接受 contact=@赵工 date=2027-01-20"))
    ok(await tb.say("王主管", "设计部", f"/evaluate {SECOND} 接受 contact=@王设计 date=2027-01-20"))
    tb.clock.set(day)
    return [ok(await tb.say("周主任", "协作管理办公室", f"/approve {SECOND}")).body, replies[0].body]


async def test_a_plan_is_reused_with_its_dates_shifted_on_working_days(tb: TestBot) -> None:
    await plan_saved(tb)
    listed = ok(await tb.say("李工", "研发部", "/template list"))
    assert [(r["name"], r["source"], r["tasks"], r["days"]) for r in listed.data["templates"]] == [("新品推广", CODE, 3, 13)]
    charter, request = await approved_on(tb, datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI),
                                         '/request "Q1新品推广" goal="1-3月销量5万台" depts=研发部,设计部 due=2027-03-31 '
                                         'template=新品推广')
    assert f"立项后将按 {CODE} 的方案生成 3 项任务" in request
    assert "已按 XZ-2026-0001 的方案生成 3 项任务（T1–T3）" in charter
    c = await one(tb, Collaboration, code=SECOND)
    tasks = {n: await one(tb, Task, collab_id=c.id, number=n) for n in (1, 2, 3)}
    people = {t.owner_person_id: (await one(tb, Person, id=t.owner_person_id)).name for t in tasks.values()}
    # 12-28 is a Monday; 2027-01-01 (元旦) is a holiday: T2 and T3 start on Monday 01-04
    assert [(t.start_date, t.due_date) for t in tasks.values()] == [
        (date(2026, 12, 28), date(2026, 12, 31)), (date(2027, 1, 4), date(2027, 1, 14)), (date(2027, 1, 4), date(2027, 1, 8))]
    assert [people[t.owner_person_id] for t in tasks.values()] == ["小马", "赵工", "王设计"]  # each dept's 对接人
    assert tasks[3].is_milestone and tasks[2].deliverable == "可用版本"
    assert await count(tb, TaskDependency, task_id=tasks[2].id, predecessor_id=tasks[1].id) == 1
    assert c.stage == "planning"
    ok(await tb.say("赵工", "研发部", f"/task edit {SECOND}/T2 owner=@李工"))  # the dept names its owner


async def test_a_past_collaboration_plan_is_reused_with_from_and_absent_depts_are_left_out(tb: TestBot) -> None:
    await to_executing(tb)
    charter, _ = await approved_on(tb, datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI),
                                   f'/request "新品推广二期" goal="销量再增5万台" depts=研发部,设计部 due=2027-03-31 from={CODE}')
    assert "已按 XZ-2026-0001 的方案生成 3 项任务" in charter
    third = ok(await tb.say("小马", "市场部", f'/request "研发专项" goal="缺陷数降低50%" depts=研发部 due=2027-03-31 '
                                              f'from={CODE}'))
    assert "生成 2 项任务" in third.body and "不会生成：T3 视觉设计（设计部）" in third.body
    ok(await tb.say("李主管", "研发部", "/evaluate XZ-2026-0003 接受 contact=@赵工 date=2027-01-20"))
    ok(await tb.say("周主任", "协作管理办公室", "/approve XZ-2026-0003"))
    c = await one(tb, Collaboration, code="XZ-2026-0003")
    assert await count(tb, Task, collab_id=c.id) == 2


async def test_bad_template_requests_are_refused_and_change_nothing(tb: TestBot) -> None:
    await plan_saved(tb)
    assert "已有名为「新品推广」的模板" in refused(await tb.say("张经理", "市场部", f"/template save {CODE} name=新品推广")).as_text()
    assert "保存方案模板" in refused(await tb.say("王设计", "设计部", f"/template save {CODE} name=设计模板")).as_text()
    assert "没有名为「不存在」的方案模板；已有：新品推广" in refused(await tb.say(
        "小马", "市场部", '/request "X" goal="销量5万台" depts=研发部 due=2027-03-31 template=不存在')).as_text()
    assert "只能选一个" in refused(await tb.say(
        "小马", "市场部", f'/request "X" goal="销量5万台" depts=研发部 due=2027-03-31 template=新品推广 from={CODE}')).as_text()
    assert await count(tb, Collaboration) == 1
