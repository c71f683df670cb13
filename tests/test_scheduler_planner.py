"""The planner end to end on SQLite and PostgreSQL: real commands build the plan, the fixed
clock moves, ticks queue notices by key, the dispatcher delivers them to the memory platform."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from sqlalchemy import delete, select, update

from bot.testkit import TestBot
from storage.models import OutboxMessage, SchedulerState
from tests.scenario import count, to_executing

SH = ZoneInfo("Asia/Shanghai")
CODE = "XZ-2026-0001"


async def plan(tb: TestBot) -> None:
    """市场部 asks 研发部 (lead) and 设计部; T1 (研发部, 李工) due Fri 27 Nov; T2 (设计部) after T1."""
    steps = [("张经理", "市场部", '/request "推广" goal="销量10万台" depts=研发部,设计部 due=2026-12-31'),
             ("李主管", "研发部", f"/evaluate {CODE} 接受 contact=@李工"),
             ("王主管", "设计部", f"/evaluate {CODE} 接受 contact=@王设计"),
             ("周主任", "协作管理办公室", f"/approve {CODE} lead=研发部"),
             ("李主管", "研发部", f"/task add {CODE} 开发 dept=研发部 owner=@李工 deliverable=代码 standard=测试通过 "
                               "start=11-24 due=11-27"),
             ("李主管", "研发部", f"/task add {CODE} 设计 dept=设计部 owner=@王设计 deliverable=稿 standard=评审 "
                               "start=11-30 due=12-02 after=T1"),
             ("张经理", "市场部", f"/confirm {CODE}"), ("李主管", "研发部", f"/confirm {CODE}"),
             ("王主管", "设计部", f"/confirm {CODE}")]
    for user, chat, text in steps:
        replies = await tb.say(user, chat, text)
        assert replies and not replies[0].is_error, (text, replies)
    assert await tb.bot.planner.tick() >= 0  # start the planner's window now
    await tb.bot.dispatcher.drain()
    tb.clear()


async def tick_at(tb: TestBot, when: datetime) -> int:
    tb.clock.set(when)
    queued = await tb.bot.planner.tick()
    await tb.bot.dispatcher.drain()
    return queued


async def outbox_rows(tb: TestBot, prefix: str) -> list[OutboxMessage]:
    async with tb.bot.sessions() as session:
        return list((await session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
                                           .order_by(OutboxMessage.id))).all())


async def test_due_notices_for_one_chat_merge_into_one_digest(tb: TestBot) -> None:
    await plan(tb)
    await tick_at(tb, datetime(2026, 11, 26, 9, 0, tzinfo=SH))
    tb.clear()
    # Down from Thursday 09:00 to Friday 15:01: the catch-up tick finds two notices per chat.
    assert await tick_at(tb, datetime(2026, 11, 27, 15, 1, tzinfo=SH)) == 5  # 市场部 only gets the prompt
    [card] = tb.pop("研发部")
    assert card.template == "digest" and card.title == "提醒汇总（2 条）"
    assert [item["template"] for item in card.data["items"]] == ["due_today", "weekly_prompt"]
    assert card.mentions == ("memory:李工",)
    [other] = tb.pop("设计部")
    assert [item["template"] for item in other.data["items"]] == ["due_soon", "weekly_prompt"]
    assert [m.template for m in tb.pop("市场部")] == ["weekly_prompt"]
    [row] = await outbox_rows(tb, "task:1:due-today")
    assert row.status == "sent" and row.group_key and row.platform_message_id


async def test_catch_up_is_bounded(tb: TestBot) -> None:
    await plan(tb)
    # Four days later: Tuesday's due-soon lies beyond the 72 h catch-up and is not sent late.
    assert await tick_at(tb, datetime(2026, 11, 27, 9, 31, tzinfo=SH)) == 2
    assert [m.template for m in tb.pop("研发部")] == ["due_today"]


async def test_repeated_ticks_and_a_lost_state_never_queue_twice(tb: TestBot) -> None:
    await plan(tb)
    when = datetime(2026, 11, 24, 9, 31, tzinfo=SH)
    assert await tick_at(tb, when) == 1
    assert await tick_at(tb, when) == 0
    async with tb.bot.sessions() as session, session.begin():  # as if another process never saw the tick
        await session.execute(update(SchedulerState).values(last_run_at=when - timedelta(days=2)))
    assert await tick_at(tb, when) == 0
    assert tb.sender.sent_keys.count("task:1:due-soon:2026-11-27|memory:研发部") == 1


async def test_escalation_ladder_and_upstream_slip_over_a_week(tb: TestBot) -> None:
    await plan(tb)
    tb.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=SH))
    await tb.bot.planner.tick()
    await tb.bot.dispatcher.drain()
    tb.clear()
    await tb.bot.scheduler.advance_to(datetime(2026, 12, 4, 10, 0, tzinfo=SH))
    keys = [k.split("|")[0] for k in tb.sender.sent_keys]
    assert keys.count("task:1:upstream-late:2:2026-11-27") == 1  # Mon 30 Nov → 设计部
    assert keys.count("task:1:lag-report:2026-11-27") == 1  # Wed 2 Dec → 研发部
    assert keys.count("task:1:lag-alert:2026-11-27") == 2  # Thu 3 Dec → lead (研发部) and PMO
    texts = tb.pop_text("设计部")
    assert "最早可于 2026-12-01 开始" in texts
    pmo = tb.pop("协作管理办公室")
    assert any(m.template == "progress_alert" or "进度预警函" in m.as_text() for m in pmo)


async def test_delivering_withdraws_pending_reminders(tb: TestBot) -> None:
    await plan(tb)
    tb.clock.set(datetime(2026, 11, 27, 9, 31, tzinfo=SH))
    assert await tb.bot.planner.tick() == 2  # queued, not yet sent
    await tb.say("李工", "研发部", f"/deliver {CODE}/T1 https://example.com/code 已完成")
    assert {r.status for r in await outbox_rows(tb, "task:1:")} == {"withdrawn"}
    assert all(m.template not in ("due_today", "digest") for m in tb.pop("研发部"))


async def test_cancelling_a_meeting_withdraws_its_reminder(tb: TestBot) -> None:
    await plan(tb)
    replies = await tb.say("李主管", "研发部", f'/meeting {CODE} kind=周会 date=2026-11-25 time=10:00 agenda="进度"')
    assert not replies[0].is_error
    tb.clear()
    tb.clock.set(datetime(2026, 11, 25, 9, 46, tzinfo=SH))
    await tb.bot.planner.tick()  # the agenda (missed yesterday, still before the start) and "starts soon"
    assert {r.key.split("|")[0] for r in await outbox_rows(tb, "meeting:")} == {
        "meeting:1:agenda:20261125T0200", "meeting:1:soon:20261125T0200"}
    await tb.say("李主管", "研发部", f"/meeting cancel {CODE}/M1 改期")
    assert {r.status for r in await outbox_rows(tb, "meeting:")} == {"withdrawn"}
    assert all(m.template != "meeting_soon" for m in tb.pop("设计部"))


async def test_weekly_prompt_and_report_withdraw_the_chase(tb: TestBot) -> None:
    await plan(tb)
    await tick_at(tb, datetime(2026, 11, 27, 9, 31, tzinfo=SH))
    tb.clear()
    await tick_at(tb, datetime(2026, 11, 27, 15, 1, tzinfo=SH))
    prompts = tb.pop("设计部")
    assert [m.template for m in prompts] == ["weekly_prompt"] and prompts[0].mentions == ("memory:王设计",)
    await tb.say("王设计", "设计部", f'/progress {CODE} done="初稿" next="终稿"')
    tb.clear()
    await tick_at(tb, datetime(2026, 11, 27, 17, 1, tzinfo=SH))
    assert [m.template for m in tb.pop("研发部")] == ["weekly_missing"]
    assert tb.pop("设计部") == []  # reported: no chase
    await tick_at(tb, datetime(2026, 11, 30, 9, 31, tzinfo=SH))
    escalate, sync = tb.pop("研发部")  # the sync reminder carries its curve: a digest card cannot
    assert (escalate.template, sync.template) == ("weekly_escalate", "weekly_sync")
    assert "研发部" in escalate.data["depts"] and "设计部：完成 初稿" in sync.body
    assert sync.attachment is not None and sync.attachment.name == f"{CODE}-进度曲线.png"
    [weekly] = [m for m in tb.pop("协作管理办公室") if m.template == "pmo_weekly"]
    assert weekly.data["items"][0]["code"] == CODE and weekly.attachment is not None  # the PMO's weekly digest


async def test_calendar_command_changes_the_working_days(tb: TestBot) -> None:
    # 2027-01-08 is a Friday the estimate leaves a working day; the admins make it a holiday.
    refused = await tb.say("李主管", "研发部", "/calendar add 2027-01-08 holiday 调休")
    assert refused[0].is_error and "协作管理办公室" in refused[0].body
    ok = await tb.say("周主任", "协作管理办公室", "/calendar add 2027-01-08 休息日 调休")
    assert not ok[0].is_error and not tb.bot.calendar.is_workday(datetime(2027, 1, 8).date())
    listed = await tb.say("周主任", "协作管理办公室", "/calendar list 2027")
    assert "2027-01-08 休息日 调休" in listed[0].body and listed[0].data["covered"] is False
    bad = await tb.say("周主任", "协作管理办公室", "/calendar add 2027-13-01 holiday")
    assert bad[0].is_error
    gone = await tb.say("周主任", "协作管理办公室", "/calendar remove 2027-01-08")
    assert not gone[0].is_error and tb.bot.calendar.is_workday(datetime(2027, 1, 8).date())
    again = await tb.say("周主任", "协作管理办公室", "/calendar remove 2027-01-08")
    assert again[0].is_error


async def test_admins_hear_once_about_a_year_without_holiday_data(tb: TestBot) -> None:
    await tick_at(tb, datetime(2026, 11, 23, 10, 1, tzinfo=SH))  # 45 days ahead is 2027
    await tick_at(tb, datetime(2026, 11, 24, 10, 1, tzinfo=SH))
    assert not [m for m in tb.pop("协作管理办公室") if m.template == "calendar_uncovered"]  # not in the group
    notes = [m for m in tb.pop("user:周主任") if m.template == "calendar_uncovered"]
    assert len(notes) == 1 and notes[0].data["year"] == 2027 and notes[0].title == "请补充 2027 年节假日安排"
    assert "/calendar add 2027-10-01 holiday 国庆节" in notes[0].body


async def test_bot_start_registers_the_jobs_and_stop_ends_them(tb: TestBot) -> None:
    await tb.bot.start()
    jobs = {j.id: j for j in tb.bot.scheduler.aps.get_jobs()}
    assert {"planner", "weekly:report-prompt", "weekly:report-due", "weekly:report-escalate", "weekly:sync",
            "daily:notices"} <= set(jobs)
    assert all(j.coalesce and j.misfire_grace_time == 300 for j in jobs.values())
    assert str(jobs["weekly:report-prompt"].trigger).startswith("cron[day_of_week='fri', hour='15', minute='0'")
    await tb.bot.stop()
    assert not tb.bot.scheduler.aps.running



async def test_kickoff_reminder_then_only_the_collaboration_without_a_kickoff_is_overdue(tb: TestBot) -> None:
    for code in (CODE, "XZ-2026-0002"):
        for user, chat, text in [("张经理", "市场部", '/request "推广" goal="销量10万台" depts=研发部,设计部 due=2026-12-31'),
                                 ("李主管", "研发部", f"/evaluate {code} 接受 contact=@李工"),
                                 ("王主管", "设计部", f"/evaluate {code} 接受 contact=@王设计"),
                                 ("周主任", "协作管理办公室", f"/approve {code} lead=研发部")]:
            assert not (await tb.say(user, chat, text))[0].is_error, text
    await tb.bot.planner.tick()
    tb.clear()
    await tick_at(tb, datetime(2026, 11, 24, 9, 31, tzinfo=SH))
    for chat in ("市场部", "研发部", "设计部"):
        [digest] = tb.pop(chat)  # one reminder per collaboration, merged
        assert [i["template"] for i in digest.data["items"]] == ["kickoff", "kickoff"], chat
    await tb.say("李主管", "研发部", f'/meeting {CODE} kind=启动会 date=2026-11-24 time=14:00 agenda="分工"')
    tb.clear()
    await tick_at(tb, datetime(2026, 11, 24, 10, 1, tzinfo=SH))
    [overdue] = tb.pop("协作管理办公室")
    assert overdue.template == "kickoff" and overdue.data == {"code": "XZ-2026-0002", "deadline": "2026-11-24T10:00+08:00",
                                                              "overdue": True}


async def test_fast_forward_delivers_what_waiting_would(tb: TestBot) -> None:
    await plan(tb)
    await tb.say("李主管", "研发部", f'/meeting {CODE} kind=周会 date=2026-11-25 time=10:00 agenda="进度"')
    await tb.say("王设计", "设计部", f'/progress {CODE} done="初稿" next="终稿"')
    start, end = tb.clock.now(), datetime(2026, 12, 1, 12, 0, tzinfo=SH)

    tb.sender.inbox.clear()
    now = start
    while now < end:  # waiting: a tick every 15 minutes (the shortest notice lifetime)
        now = min(now + timedelta(minutes=15), end)
        await tick_at(tb, now)
    waited = {chat: [item.covers for item in items] for chat, items in tb.sender.inbox.items()}
    assert sum(len(v) for v in waited.values()) > 10

    async with tb.bot.sessions() as session, session.begin():  # rewind: same plan, nothing sent yet
        planned = OutboxMessage.kind == "scheduled"
        digest = OutboxMessage.key.startswith("memory:")  # the PMO's digest copies of the actions above
        await session.execute(delete(OutboxMessage).where(planned, ~digest))
        await session.execute(update(OutboxMessage).where(planned, digest)
                              .values(status="pending", sent_at=None, group_key=None, attempts=0))
        await session.execute(update(SchedulerState).values(last_run_at=start))
    tb.clock.set(start)
    tb.sender.inbox.clear()
    await tb.bot.scheduler.advance_to(end)
    forwarded = {chat: [item.covers for item in items] for chat, items in tb.sender.inbox.items()}
    assert forwarded == waited
    assert tb.clock.now() == end


async def test_missed_and_failed_jobs_are_logged(tb: TestBot, caplog: pytest.LogCaptureFixture) -> None:
    when = tb.clock.now()
    with caplog.at_level(logging.WARNING, logger="scheduler.service"):
        tb.bot.scheduler._on_trouble(JobExecutionEvent(EVENT_JOB_MISSED, "weekly:sync", None, when))
        tb.bot.scheduler._on_trouble(JobExecutionEvent(EVENT_JOB_ERROR, "planner", None, when,
                                                       exception=RuntimeError("db down")))
    messages = [r.getMessage() for r in caplog.records]
    assert any("weekly:sync missed" in m for m in messages) and any("planner failed" in m for m in messages)


async def test_upcoming_lists_what_the_ticks_will_send_and_queues_nothing(tb: TestBot) -> None:
    """The emulator's 即将发送 panel: the next seven days' notices, planned without being queued."""
    await to_executing(tb)  # T1 due 11-27, T2 12-10, milestone T3 12-04; the clock: Monday 11-23 10:00
    queued = await count(tb, OutboxMessage)
    now = tb.clock.now()
    soon = await tb.bot.planner.upcoming(now + timedelta(days=7), now)
    assert soon and all(now < u.at <= now + timedelta(days=7) for u in soon)
    assert [u.at for u in soon] == sorted(u.at for u in soon)
    assert any("T1" in u.title and "市场部" in u.to for u in soon), [(u.at, u.to, u.title) for u in soon]
    assert await count(tb, OutboxMessage) == queued, "nothing queued"
    assert await tb.bot.planner.tick() >= 0  # and the ticks still plan them when they fall due
