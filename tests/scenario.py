"""Shared steps for scenario tests: play a collaboration up to a stage by typing commands.

The cast (demo org): 小张 of 市场部 raises the request (initiator, lead dept 市场部); 研发部 (head
李主管, contact 李工) and 设计部 (head 王主管, contact 王设计) collaborate; 周主任 is the PMO.
"""
from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import func, select

from bot.app import Bot
from bot.messages import Message
from bot.testkit import TestBot
from storage.models import Base

CODE = "XZ-2026-0001"
REQUEST = ('/request "Q4新品推广" goal="10-12月销量10万台" background="新品上市" depts=研发部,设计部 '
           'resources="研发2人，预算20万元" due=2026-12-31 priority=高')


def ok(replies: list[Message]) -> Message:
    """The single reply of a successful command (fails the test with the bot's words otherwise)."""
    assert replies, "the bot did not answer"
    assert not replies[0].is_error, replies[0].as_text()
    return replies[0]


def one_containing(texts: list[str], needle: str) -> str:
    """The single message among `texts` that contains `needle` (fails on none or several)."""
    found = [t for t in texts if needle in t]
    assert len(found) == 1, (needle, texts)
    return found[0]


def refused(replies: list[Message]) -> Message:
    assert replies and replies[0].is_error, replies[0].as_text() if replies else "no reply"
    return replies[0]


async def raise_request(tb: TestBot) -> None:
    ok(await tb.say("小张", "市场部", REQUEST))


async def evaluate_all(tb: TestBot) -> None:
    ok(await tb.say("李主管", "研发部", f'/evaluate {CODE} 接受 contact=@李工 resources="2名开发" date=12-01'))
    ok(await tb.say("王主管", "设计部", f"/evaluate {CODE} accept contact=@王设计 resources=1名设计师"))


async def approve(tb: TestBot) -> None:
    ok(await tb.say("周主任", "协作管理办公室", f"/approve {CODE}"))


async def plan(tb: TestBot) -> None:
    ok(await tb.say("小张", "市场部", f'/task add {CODE} 用户调研 dept=市场部 owner=@小张 deliverable=调研报告 '
                                      f'standard="样本≥500" start=11-24 due=11-27'))
    ok(await tb.say("李工", "研发部", f'/task add {CODE} 功能开发 dept=研发部 owner=@李工 deliverable=可用版本 '
                                      f'standard="覆盖100%需求" start=11-30 due=12-10 after=T1'))
    ok(await tb.say("王设计", "设计部", f'/task add {CODE} 视觉设计 dept=设计部 owner=@王设计 deliverable=设计稿 '
                                        f'standard=评审通过 start=11-30 due=12-04 after=T1 milestone=是'))


async def confirm(tb: TestBot) -> None:
    ok(await tb.say("张经理", "市场部", f"/confirm {CODE}"))
    ok(await tb.say("李主管", "研发部", f"/confirm {CODE}"))
    ok(await tb.say("王主管", "设计部", f"/confirm {CODE}"))


async def to_executing(tb: TestBot) -> None:
    await raise_request(tb)
    await evaluate_all(tb)
    await approve(tb)
    await plan(tb)
    await confirm(tb)
    tb.clear()


async def to_archived(tb: TestBot, lessons: str = "提前1周锁定资源", code: str = CODE) -> None:
    """From executing to archived: every task delivered and accepted, then the retrospective."""
    for user, dept, number in (("小张", "市场部", 1), ("王设计", "设计部", 3), ("李工", "研发部", 2)):
        ok(await tb.say(user, dept, f"/deliver {code}/T{number} https://docs.example.com/T{number}"))
        accepter = ("周主任", "协作管理办公室") if user == "小张" else ("小张", "市场部")  # never one's own delivery
        ok(await tb.say(*accepter, f"/accept {code}/T{number} 通过 {90 + number} 符合标准"))
    ok(await tb.say("张经理", "市场部", f'/retro {code} well="周会高效" improve="设计资源预留不足" lessons="{lessons}"'))
    tb.clear()


class HasBot(Protocol):
    """A test bot or a platform rig: anything running a bot whose database a test reads."""

    @property
    def bot(self) -> Bot: ...


async def count(tb: HasBot, model: type[Base], **where: Any) -> int:
    async with tb.bot.sessions() as session:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(await session.scalar(stmt) or 0)


async def one(tb: HasBot, model: type[Base], **where: Any) -> Any:
    async with tb.bot.sessions() as session:
        stmt = select(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return (await session.scalars(stmt)).one()


SKIP_IN_SNAPSHOT = {"inbox", "outbox"}


async def snapshot(tb: TestBot) -> dict[str, list[tuple[Any, ...]]]:
    """Every business table's rows: what a refused command must leave exactly as it was."""
    out = {}
    async with tb.bot.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in SKIP_IN_SNAPSHOT:
                continue
            rows = (await session.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
