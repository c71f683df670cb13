"""Action items of the minutes (docs/workflow.md, "Closure"): numbered A1, A2 … in the
collaboration, each with an owner and a due date; reminded the working day before, chased the
working day after, listed on the board, closed by their owner, and open ones keep the
collaboration from the archive."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic import command
from sqlalchemy import select, text

from bot.messages import Message
from bot.testkit import TestBot, demo_config
from storage import migrate
from storage.db import make_engine
from storage.models import ActionItem, AuditEntry, Collaboration
from tests.conftest import MONDAY
from tests.lifetime import running
from tests.scenario import CODE, count, ok, one, refused, snapshot, to_executing

SH = ZoneInfo("Asia/Shanghai")
MINUTES = (f'/minutes {CODE}/M1 进度正常 action="补充FAQ @李工 11-27" action="确认上线窗口 @小张 12-02"')


async def minuted(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("张经理", "市场部", f"/meeting {CODE} kind=周会 date=2026-11-24 time=10:00 agenda=进度同步"))
    tb.clock.advance(timedelta(days=1, hours=1))  # Tuesday 11:00, the meeting is over
    assert await tb.bot.planner.tick() >= 0
    await tb.bot.dispatcher.drain()


async def tick_at(tb: TestBot, when: datetime) -> None:
    tb.clock.set(when)
    await tb.bot.planner.tick()
    await tb.bot.dispatcher.drain()


async def test_minutes_number_their_action_items_and_need_owner_and_date(tb: TestBot) -> None:
    await minuted(tb)
    before = await snapshot(tb)
    for bad, missing in (('action="补充FAQ 11-27"', "负责人"), ('action="补充FAQ @李工"', "完成日期"),
                         ('action="@李工 11-27"', "内容"), ('action="补充FAQ @李工 11-20"', "已经过去")):
        reply = refused(await tb.say("张经理", "市场部", f"/minutes {CODE}/M1 进度正常 {bad}"))
        assert missing in reply.body, reply.body
    assert await snapshot(tb) == before  # a refused minutes changes nothing
    card = ok(await tb.say("张经理", "市场部", MINUTES))
    assert "• A1 补充FAQ（李工，2026-11-27）" in card.body and "• A2 确认上线窗口（小张，2026-12-02）" in card.body
    assert [(a.number, a.text) for a in await _items(tb)] == [(1, "补充FAQ"), (2, "确认上线窗口")]


async def test_an_action_item_is_reminded_chased_and_closed_by_its_owner(tb: TestBot) -> None:
    await minuted(tb)
    ok(await tb.say("张经理", "市场部", MINUTES))
    tb.clear()
    await tick_at(tb, datetime(2026, 11, 26, 9, 31, tzinfo=SH))  # one working day before A1's date
    [soon] = [m for m in tb.pop("研发部") if m.template == "action_due"]  # alone in its chat at 09:30
    assert soon.title == f"{CODE} 行动项即将到期：A1 补充FAQ" and soon.mentions == ("memory:李工",)
    assert not [t for t in titles(tb.pop("市场部")) if "行动项" in t]  # the lead hears only when it is late
    await tick_at(tb, datetime(2026, 11, 30, 9, 31, tzinfo=SH))  # Monday, the working day after Friday the 27th
    for chat in ("研发部", "市场部"):  # the owner's dept and the lead dept (in its digest, with other notices)
        assert f"{CODE} 行动项逾期：A1 补充FAQ" in titles(tb.pop(chat)), chat

    board = ok(await tb.say("张经理", "市场部", f"/board {CODE}"))
    assert "A1 补充FAQ（李工，截止 2026-11-27（已逾期））" in board.as_text()
    refused(await tb.say("王设计", "设计部", f"/action done {CODE}/A1"))  # not its owner, nor the lead
    done = ok(await tb.say("李工", "研发部", f"/action done {CODE}/A1 FAQ 已上线"))
    assert done.title == f"{CODE} 行动项 A1 已完成" and ("完成说明", "FAQ 已上线") in [(f.label, f.value) for f in done.fields]
    assert "A1" not in ok(await tb.say("张经理", "市场部", f"/board {CODE}")).as_text().split("行动项")[-1]
    again = refused(await tb.say("李工", "研发部", f"/action done {CODE}/A1"))
    assert "A1 已于 2026-11-30 由李工完成" in again.body
    assert await count(tb, AuditEntry, action="action.done") == 1
    assert [m.title for m in tb.pop("市场部")] == [f"{CODE} 行动项 A1 已完成"]  # the lead hears it closed

    listed = ok(await tb.say("张经理", "市场部", f"/action list {CODE}"))
    assert [i["ref"] for i in listed.data["items"]] == [f"{CODE}/A2"]
    everything = ok(await tb.say("张经理", "市场部", f"/action list {CODE} all=是"))
    assert [(i["ref"], i["done"]) for i in everything.data["items"]] == [(f"{CODE}/A1", True), (f"{CODE}/A2", False)]


async def test_a_closed_action_item_is_not_chased(tb: TestBot) -> None:
    await minuted(tb)
    ok(await tb.say("张经理", "市场部", MINUTES))
    ok(await tb.say("小张", "市场部", f"/action done {CODE}/A2 已确认"))
    tb.clear()
    await tick_at(tb, datetime(2026, 12, 3, 9, 31, tzinfo=SH))  # past A2's date: nothing about A2
    assert not [t for chat in ("市场部", "研发部") for t in titles(tb.pop(chat)) if "A2" in t]


async def test_an_open_action_item_keeps_the_collaboration_from_the_archive(tb: TestBot) -> None:
    await minuted(tb)
    ok(await tb.say("张经理", "市场部", MINUTES))
    ok(await tb.say("李工", "研发部", f"/action done {CODE}/A1"))
    for user, chat, number in (("张经理", "市场部", 1), ("李工", "研发部", 2), ("王设计", "设计部", 3)):
        ok(await tb.say(user, chat, f"/deliver {CODE}/T{number} 链接"))
        ok(await tb.say("小张", "市场部", f"/accept {CODE}/T{number} 通过 90"))
    retro = f'/retro {CODE} well="周会高效" improve="资源预留" lessons="提前锁定"'
    blocked = refused(await tb.say("张经理", "市场部", retro))
    assert "行动项 A2" in blocked.body and "/action done" in blocked.body
    ok(await tb.say("小张", "市场部", f"/action done {CODE}/A2"))
    ok(await tb.say("张经理", "市场部", retro))
    assert (await one(tb, Collaboration, code=CODE)).stage == "archived"


def titles(messages: list[Message]) -> list[str]:
    """Each notice's title, a digest's items included."""
    return [i["title"] for m in messages for i in (m.data["items"] if m.template == "digest" else [{"title": m.title}])]


async def _items(tb: TestBot) -> list[ActionItem]:
    async with tb.bot.sessions() as session:
        return list((await session.scalars(select(ActionItem).order_by(ActionItem.number))).all())


async def test_items_minuted_before_numbering_are_numbered_at_upgrade(tmp_path: Path) -> None:
    """Migration a001 numbers the action items recorded before it, per collaboration in the order
    they were minuted, and the next minutes number on from them."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    async with running(TestBot.create(demo_config(url), MONDAY)) as tb:
        await minuted(tb)
        ok(await tb.say("张经理", "市场部", MINUTES))
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:  # back to the schema before numbering, and up again
            await conn.run_sync(lambda c: command.downgrade(migrate.alembic_config(c), "p001"))
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            rows = (await conn.execute(text("SELECT number, text FROM action_items ORDER BY id"))).all()
            counter = (await conn.execute(text("SELECT value FROM counters WHERE name = :n"), {"n": f"{CODE}:A"})).scalar()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "补充FAQ"), (2, "确认上线窗口")]
    assert counter == 2  # the next minutes take A3


async def test_closing_an_action_item_withdraws_the_reminder_still_waiting_to_be_sent(tb: TestBot) -> None:
    await minuted(tb)
    ok(await tb.say("张经理", "市场部", MINUTES))
    tb.clear()
    tb.clock.set(datetime(2026, 11, 26, 9, 31, tzinfo=SH))
    await tb.bot.planner.tick()  # A1's reminder is queued, not sent yet
    ok(await tb.say("李工", "研发部", f"/action done {CODE}/A1 已补充"))  # its transaction withdraws it
    assert [m.template for m in tb.pop("研发部") if m.template == "action_due"] == []
