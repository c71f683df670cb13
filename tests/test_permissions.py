"""The permission matrix (README, “Using the bot”: who may run each command): each role × each
action, allowed or refused with who may.

Roles in the demo cast: PMO 周主任; initiator 小张 (市场部, also its 对接人 since 市场部 leads);
lead-dept head 张经理; dept head 李主管 (研发部); contact 李工 (研发部, owns T2); member 赵工
(研发部); outsider 陈专员 (销售部, not part of the collaboration).
"""
from __future__ import annotations

from datetime import timedelta

from bot.platforms.memory import PLATFORM
from bot.testkit import TestBot
from storage import org
from storage.models import AuditEntry
from tests.scenario import (
    CODE,
    approve,
    count,
    evaluate_all,
    ok,
    raise_request,
    snapshot,
    to_executing,
)

CHAT = {"周主任": "协作管理办公室", "小张": "市场部", "张经理": "市场部", "李主管": "研发部", "李工": "研发部",
        "赵工": "研发部", "陈专员": "销售部"}
EVERYONE = tuple(CHAT)


async def attempt(tb: TestBot, command: str, allowed: set[str], once: bool = False, by: str = "") -> None:
    """Everyone outside `allowed` is refused (naming who may) with nothing stored; the allowed succeed.

    For a one-shot action (`once`), only the first allowed person (or `by`) performs it, after all refusals.
    """
    for actor in (a for a in EVERYONE if a not in allowed):
        before = await snapshot(tb)
        replies = await tb.say(actor, CHAT[actor], command)
        assert replies and replies[0].is_error, f"{actor} should be refused: {command}"
        hidden = actor == "陈专员" and "没有编号为" in replies[0].body  # an outsider does not see it at all
        assert "只有" in replies[0].body or hidden, replies[0].body
        assert await snapshot(tb) == before, f"{actor}'s refused {command} changed the database"
    for actor in ([by] if by else [a for a in EVERYONE if a in allowed]):
        replies = await tb.say(actor, CHAT[actor], command)
        assert replies and not replies[0].is_error, f"{actor} should be allowed {command}: {replies[0].as_text()}"
        if once:
            break


async def test_evaluation_and_approval_rights(tb: TestBot) -> None:
    await raise_request(tb)
    # a second, identical edit changes nothing
    await attempt(tb, f"/request edit {CODE} background=补充背景", {"小张", "周主任"}, once=True)
    await attempt(tb, f"/evaluate {CODE} 接受 contact=@李工 dept=研发部", {"李主管", "周主任"})
    await attempt(tb, f"/evaluate {CODE} 接受 contact=@王设计 dept=设计部", {"周主任"})
    await attempt(tb, f"/approve {CODE}", {"周主任"}, once=True)


async def test_return_is_for_the_pmo(tb: TestBot) -> None:
    await raise_request(tb)
    await attempt(tb, f"/return {CODE} 目标不清", {"周主任"}, once=True)


async def test_planning_rights(tb: TestBot) -> None:
    await raise_request(tb)
    await evaluate_all(tb)
    await approve(tb)
    planners = {"周主任", "张经理", "小张", "李主管", "李工"}
    await attempt(tb, f"/task add {CODE} 接口开发 dept=研发部 owner=@赵工 deliverable=接口 standard=联调通过 "
                      "start=11-30 due=12-04", planners)
    await attempt(tb, f"/confirm {CODE} dept=研发部", {"李主管", "周主任"})
    await attempt(tb, "/bind 研发部", {"李主管", "周主任"}, once=True)


async def test_execution_rights(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("张经理", "市场部", f"/deliver {CODE}/T1 链接"))  # T2 may start once T1 is delivered
    updaters = {"周主任", "张经理", "小张", "李主管", "李工"}
    await attempt(tb, f"/status {CODE}/T2 进行中 30% 开发中", updaters)
    await attempt(tb, f'/progress {CODE} dept=研发部 done="接口设计" next="开发"', {"李主管", "李工", "周主任"})
    await attempt(tb, f"/problem {CODE} 测试环境不稳定 dept=研发部", set(EVERYONE))
    participants = {"周主任", "小张", "张经理", "李主管", "李工"}
    await attempt(tb, f"/risk {CODE} 人力紧张 level=中", participants)
    await attempt(tb, f"/change {CODE} kind=资源 reason=人力紧张 增加1名测试", participants)
    await attempt(tb, f"/change approve {CODE}/C1", {"周主任", "张经理"}, once=True)
    await attempt(tb, f"/meeting {CODE} kind=周会 date=下周一 time=09:30 agenda=进度同步", {"周主任", "张经理", "小张"})
    tb.clock.advance(timedelta(days=7, hours=1))  # after the meeting, its minutes
    await attempt(tb, f"/minutes {CODE}/M1 进度正常", {"周主任", "张经理", "小张"}, once=True)
    await attempt(tb, f"/problem escalate {CODE}/P1", {"周主任", "张经理", "小张"}, once=True)
    await attempt(tb, f"/deliver {CODE}/T2 https://git.example.com/v1", updaters, once=True, by="李工")
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T1 通过 90"))  # T2 is accepted after T1
    await attempt(tb, f"/accept {CODE}/T2 通过 90", {"小张", "周主任"}, once=True)
    for actor in EVERYONE:  # reading is for the collaboration's people and the PMO ([policy] visibility)
        ok(await tb.say(actor, CHAT[actor], "/mytasks"))
        for read in (f"/board {CODE}", f"/task list {CODE}", f"/action list {CODE}"):
            replies = await tb.say(actor, CHAT[actor], read)
            if actor == "陈专员":  # 销售部 takes no part: as if it did not exist
                assert replies[0].is_error and "没有编号为 XZ-2026-0001 的协作项目" in replies[0].body
            else:
                ok(replies)
    tb.bot.config.policy.visibility = "all"
    ok(await tb.say("陈专员", "销售部", f"/board {CODE}"))


async def test_closing_rights(tb: TestBot) -> None:
    await to_executing(tb)
    for user, chat, number in (("小张", "市场部", 1), ("李工", "研发部", 2), ("王设计", "设计部", 3)):
        ok(await tb.say(user, chat, f"/deliver {CODE}/T{number} 链接"))
        accepter = ("周主任", "协作管理办公室") if user == "小张" else ("小张", "市场部")  # not one's own delivery
        ok(await tb.say(*accepter, f"/accept {CODE}/T{number} 通过 90"))
    await attempt(tb, f"/rate {CODE} 研发部 5 4 5", {"小张", "周主任"})
    audits = await count(tb, AuditEntry)
    await attempt(tb, f'/retro {CODE} well=好 improve=改 lessons=经验', {"周主任", "张经理", "小张"}, once=True)
    assert await count(tb, AuditEntry) == audits + 1


async def test_a_head_cannot_take_another_departments_group(tb: TestBot) -> None:
    """研发部's head may bind a group to 研发部, but not move 市场部's group away from 市场部."""
    before = await snapshot(tb)
    [refused] = await tb.say("李主管", "市场部", "/bind 研发部")
    assert refused.is_error and "协作管理办公室" in refused.body and "市场部" in refused.body
    assert await snapshot(tb) == before
    [moved] = await tb.say("周主任", "市场部", "/bind 研发部")
    assert not moved.is_error and "研发部" in moved.title


async def test_separation_of_duties_is_a_policy_that_defaults_to_on(tb: TestBot) -> None:
    """Nobody approves their own request or accepts their own delivery, PMO included."""
    own = '/request "PMO自己的需求" goal="覆盖100%部门" depts=研发部 due=2026-12-31'
    ok(await tb.say("周主任", "协作管理办公室", own))
    ok(await tb.say("李主管", "研发部", "/evaluate XZ-2026-0001 接受 contact=@李工"))
    before = await snapshot(tb)
    [refused] = await tb.say("周主任", "协作管理办公室", "/approve XZ-2026-0001")
    assert refused.is_error and "自己发起" in refused.body and "separate_duties" in refused.body
    assert await snapshot(tb) == before
    tb.bot.config.policy.separate_duties = False
    ok(await tb.say("周主任", "协作管理办公室", "/approve XZ-2026-0001"))


async def test_nobody_accepts_their_own_delivery(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("小张", "市场部", f"/deliver {CODE}/T1 https://docs.example.com/survey 调研报告"))
    before = await snapshot(tb)
    [refused] = await tb.say("小张", "市场部", f"/accept {CODE}/T1 通过 90")
    assert refused.is_error and "自己提交" in refused.body
    assert await snapshot(tb) == before
    ok(await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 通过 90"))


async def test_enrolling_unknown_speakers_is_a_visible_policy(tb: TestBot) -> None:
    await tb.say("新同事", "研发部", "/help")
    tb.bot.config.policy.enrol_unknown_speakers = False
    await tb.say("访客", "研发部", "/help")
    async with tb.bot.sessions() as session:
        newcomer, visitor = [await org.person(session, PLATFORM, u) for u in ("新同事", "访客")]
        research = await org.dept_by_name(session, "研发部")
    assert newcomer is not None and research is not None and newcomer.dept_id == research.id
    assert visitor is not None and visitor.dept_id is None
