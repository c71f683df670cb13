"""Bad input never crashes and never half-writes: a clear reply, usage where it helps, no change."""
from __future__ import annotations

import pytest

from bot.events import Chat, Command, Mention, User
from bot.platforms.memory import PLATFORM
from bot.testkit import TestBot
from storage.models import Collaboration, Person
from tests.scenario import (
    CODE,
    approve,
    evaluate_all,
    ok,
    one,
    plan,
    raise_request,
    snapshot,
    to_executing,
)

LONG = "长" * 2001

# (who, chat, command, words the reply must contain)
ANY_STAGE = [
    ("小张", "市场部", "/frobnicate", "未知命令"),
    ("小张", "市场部", "/requets 新品", "/request"),
    ("小张", "市场部", "/status", "缺少"),
    ("小张", "市场部", '/request "Q4" goal="尽快提升体验" depts=研发部 due=2026-12-31', "量化"),
    ("小张", "市场部", '/request "Q4" goal="销量10万台" depts=研发部 due=2026-02-30', "日期不存在"),
    ("小张", "市场部", '/request "Q4" goal="销量10万台" depts=研发部 due=下个月吧', "无法识别的日期"),
    ("小张", "市场部", '/request "Q4" goal="销量10万台" depts=研发部 due=2026-01-05', "已经过去"),
    ("小张", "市场部", '/request "Q4" goal="销量10万台" depts=法务部 due=2026-12-31', "没有部门"),
    ("小张", "市场部", '/request "Q4" goal="销量10万台" depts=市场部 due=2026-12-31', "其他协作部门"),
    ("小张", "市场部", f'/request "Q4" goal="{LONG}" depts=研发部 due=2026-12-31', "太长"),
    ("小张", "市场部", '/request "Q4" goal="销量10万台" depts=研发部 due=2026-12-31 priority=最高', "优先级只能是"),
    ("小张", "市场部", '/request "Q4" goal="销量10万台" depts=研发部 due=2026-12-31 colour=红', "没有参数"),
    ("小张", "市场部", '/request "Q4 goal=销量10万台', "引号"),
    ("小张", "市场部", "/board XZ-2026-9999", "没有编号"),
    ("小张", "市场部", "/board 0001", "格式不对"),
    ("小张", "p2p", "/bind 市场部", "私聊"),
    ("小张", "市场部", "/help nosuch", "没有命令"),
]

IN_PLANNING = [
    ("小张", "市场部", f"/task edit {CODE}/T9 due=12-20", "没有任务 T9"),
    ("小张", "市场部", f"/task edit {CODE}/T1 after=T1", "不能依赖自己"),
    ("小张", "市场部", f"/task edit {CODE}/T1 after=T2", "循环"),
    ("小张", "市场部", f"/task edit {CODE}/T1 start=12-20 due=12-01", "早于开始日期"),
    ("小张", "市场部", f"/task add {CODE} 活动 dept=市场部 owner=@李工 deliverable=a standard=b start=12-01 due=12-02",
     "不属于市场部"),
    ("小张", "市场部", f"/task add {CODE} 活动 dept=销售部 owner=@陈专员 deliverable=a standard=b start=12-01 due=12-02",
     "不是"),
    ("小张", "市场部", f"/task add {CODE} 活动 dept=市场部 owner=@小张", "任务缺少"),
    ("小张", "市场部", f"/task add {CODE} 活动 dept=市场部 owner=无名氏 deliverable=a standard=b start=12-01 due=12-02",
     "找不到"),
    ("小张", "市场部", f"/rate {CODE} 研发部 5 5 5", "阶段"),
    ("小张", "市场部", f"/status {CODE}/T1 进行中", "阶段"),
    ("周主任", "协作管理办公室", f"/approve {CODE}", "阶段"),
]

IN_EXECUTION = [
    ("小张", "市场部", f"/accept {CODE}/T1 通过 90", "还没有待验收的交付物"),
    ("小张", "市场部", f"/status {CODE}/T1 已完成", "/deliver"),
    ("小张", "市场部", f"/status {CODE}/T1 阻塞", "原因"),
    ("小张", "市场部", f"/status {CODE}/T1 进行中 150%", "0–100"),
    ("小张", "市场部", f"/status {CODE}/T1 睡觉", "状态只能是"),
    ("小张", "市场部", f"/deliver {CODE}/T1 a", "/accept"),  # delivered below: awaiting acceptance
    ("小张", "市场部", f"/status {CODE}/T1 进行中 50", "等待发起人验收"),
    ("小张", "市场部", f"/accept {CODE}/T1 通过 101", "0–100"),
    ("小张", "市场部", f"/accept {CODE}/T1 优秀 90", "验收结果只能是"),
    ("小张", "市场部", f"/retro {CODE} well=a improve=b lessons=c", "阶段"),
    ("小张", "市场部", f"/problem resolve {CODE}/P7 好了", "没有问题 P7"),
    ("小张", "市场部", f"/change {CODE} kind=时间 task=T1 reason=晚了", "新日期"),
    ("小张", "市场部", f"/meeting {CODE} date=2026-11-01 time=10:00 agenda=复盘", "已经过去"),
    ("小张", "市场部", f"/meeting {CODE} date=明天 time=25:00 agenda=复盘", "时间"),
    ("小张", "市场部", f"/minutes {CODE}/M1 内容", "没有会议 M1"),
]

AFTER_ACCEPTANCE = [  # of T1: only /accept moved it, nothing moves it back
    ("小张", "市场部", f"/status {CODE}/T1 进行中 50", "已验收通过"),
    ("小张", "市场部", f"/deliver {CODE}/T1 新版本", "已验收通过"),
]


async def _expect_clean_refusals(tb: TestBot, cases: list[tuple[str, str, str, str]]) -> None:
    for who, chat, command, words in cases:
        before = await snapshot(tb)
        replies = await tb.say(who, chat, command)
        assert replies and replies[0].is_error, f"{command!r} was not refused: {replies[0].as_text() if replies else ''}"
        assert words in replies[0].body, f"{command!r}: {replies[0].body!r} lacks {words!r}"
        assert await snapshot(tb) == before, f"{command!r} changed the database"


async def test_any_stage(tb: TestBot) -> None:
    await _expect_clean_refusals(tb, ANY_STAGE)


async def test_while_planning(tb: TestBot) -> None:
    await raise_request(tb)
    await evaluate_all(tb)
    await approve(tb)
    await plan(tb)
    await _expect_clean_refusals(tb, IN_PLANNING)


async def test_while_executing(tb: TestBot) -> None:
    await to_executing(tb)
    await _expect_clean_refusals(tb, IN_EXECUTION[:5])
    assert not (await tb.say("小张", "市场部", f"/deliver {CODE}/T1 https://docs.example.com/report"))[0].is_error
    await _expect_clean_refusals(tb, IN_EXECUTION[5:])
    # 小张 delivered T1 himself, so the PMO accepts it (separation of duties).
    assert not (await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 通过 90"))[0].is_error
    await _expect_clean_refusals(tb, AFTER_ACCEPTANCE)


@pytest.mark.parametrize("text", ["", "   ", "/", "／", "@", "=", "==", "帮助 帮助 帮助", "\x00", "👍"])
async def test_odd_messages_get_a_reply(tb: TestBot, text: str) -> None:
    before = await snapshot(tb)
    replies = await tb.say("小张", "市场部", text)
    assert replies and replies[0].body
    assert await snapshot(tb) == before


async def test_the_same_answers_on_both_databases_for_what_postgresql_cannot_store(tb: TestBot) -> None:
    """NUL characters, and names longer than the columns, used to be PostgreSQL-only internal
    errors. What people type that is too long is refused with the limit; what the platform sends
    (display names, mention names) is shortened; NULs are dropped."""
    reply = ok(await tb.say("小张", "市场部", '/request "新\x00品" goal="销量10万台" depts=研发部 due=2026-12-31'))
    assert "需求已提交" in reply.title and (await one(tb, Collaboration, code="XZ-2026-0001")).name == "新品"
    long_name = "很长的名字" * 30
    outcome = await tb.push(Command(Chat(PLATFORM, "研发部", True), User(PLATFORM, "newcomer", long_name), "m-long",
                                    "/help", (Mention("x" * 100, "提" * 200, "@" + "提" * 200),)))
    assert not outcome.error
    person = await one(tb, Person, user_id="newcomer")
    assert person.name == long_name[:64]
    assert not (await tb.push(Command(Chat(PLATFORM, "研发部", True), User(PLATFORM, "newcomer", long_name),
                                      "m-again", "/mytasks"))).error, "the same person goes on working"
    [refused] = await tb.say("周主任", "协作管理办公室", "/bind " + "部" * 80)
    assert refused.is_error and "最多 64 字" in refused.body
