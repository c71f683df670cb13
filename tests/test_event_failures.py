"""An acked event is never dropped: transient database failures are retried at once, an event
whose work still fails is kept as failed and retried later, and after `event_max_attempts` the
PMO is told, with what was asked."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import handlers.request as request_handlers
from bot.events import Chat, Command, User
from bot.platforms.memory import PLATFORM
from bot.testkit import TestBot
from storage.models import Collaboration, InboxEvent
from tests.scenario import REQUEST, count, one


def command(text_: str, message_id: str) -> Command:
    return Command(Chat(PLATFORM, "市场部", True, "市场部"), User(PLATFORM, "小张", "小张"), message_id, text_)


async def acked(tb: TestBot, event: Command) -> None:
    """As the Feishu and DingTalk adapters do: claim, ack (the platform will not resend), process."""
    assert (await tb.bot.router.claim_many([event])) == [True]
    await tb.bot.router.process(event)
    await tb.bot.dispatcher.drain()


async def test_a_dropped_database_connection_mid_event_is_retried(tb: TestBot, db_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The backend connection dies inside the event's transaction (PostgreSQL: terminated by the
    server; SQLite: the driver reports it gone); the transaction runs again and succeeds."""
    original = request_handlers.raise_request
    killed: list[bool] = []

    async def dies_once(ctx: Any, v: Any) -> None:
        if not killed:
            killed.append(True)
            if db_url.startswith("postgresql"):
                await ctx.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
            else:
                raise OperationalError("SELECT 1", {}, ConnectionError("connection lost"), connection_invalidated=True)
        await original(ctx, v)

    monkeypatch.setattr(tb.bot.registry.specs["request"], "handler", dies_once)
    await acked(tb, command(REQUEST, "m-drop"))
    assert killed and await count(tb, Collaboration) == 1
    assert (await one(tb, InboxEvent, event_key="msg:m-drop")).status == "done"
    assert any("需求已提交" in m.title for m in tb.pop("市场部"))


async def test_an_event_that_keeps_failing_is_kept_retried_and_finally_reported(tb: TestBot,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    tb.bot.config.scheduler.event_max_attempts = 3
    original = request_handlers.raise_request
    broken = [True]

    async def fails(ctx: Any, v: Any) -> None:
        if broken[0]:
            raise RuntimeError("a bug in the handler")
        await original(ctx, v)

    monkeypatch.setattr(tb.bot.registry.specs["request"], "handler", fails)
    await acked(tb, command(REQUEST, "m-fail"))
    row = await one(tb, InboxEvent, event_key="msg:m-fail")
    assert (row.status, row.payload["attempts"]) == ("failed", 1) and "a bug" in row.payload["error"]
    assert await tb.bot.resume_unfinished(("failed",)) == 1  # the retry loop's work
    assert (await one(tb, InboxEvent, event_key="msg:m-fail")).payload["attempts"] == 2
    broken[0] = False  # fixed (a deploy, the database back): the next retry goes through
    assert await tb.bot.resume_unfinished(("failed",)) == 1
    assert (await one(tb, InboxEvent, event_key="msg:m-fail")).status == "done"
    assert await count(tb, Collaboration) == 1

    broken[0] = True
    await acked(tb, command(REQUEST.replace("Q4新品推广", "另一个"), "m-dead"))
    for _ in range(2):
        await tb.bot.resume_unfinished(("failed",))
    await tb.bot.dispatcher.drain()
    assert (await one(tb, InboxEvent, event_key="msg:m-dead")).status == "dead"
    assert await tb.bot.resume_unfinished(("failed",)) == 0, "a dead event is not retried again"
    [note] = [m for m in tb.pop("协作管理办公室") if m.title == "消息处理失败"]
    assert "另一个" in note.body and "3 次" in note.body
