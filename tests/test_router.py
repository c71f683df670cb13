"""The router's guarantees: one effect per event, nothing lost on a crash, errors become replies."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.commands import CommandSpec, Values
from bot.events import Chat, Command, Mention, User
from bot.platforms.memory import PLATFORM
from bot.testkit import TestBot
from handlers.context import Context
from storage.models import (
    AuditEntry,
    Collaboration,
    InboxEvent,
    OutboxMessage,
    ProgressReport,
)
from tests.scenario import CODE, REQUEST, count, ok, to_executing


def _command(text: str, message_id: str = "m-1", user: str = "小张", chat: str = "市场部",
             mentions: tuple[Mention, ...] = ()) -> Command:
    return Command(Chat(PLATFORM, chat, True, chat), User(PLATFORM, user, user), message_id, text, mentions)


async def test_a_redelivered_message_has_one_effect(tb: TestBot) -> None:
    first = await tb.push(_command(REQUEST, "dup-1"))
    again = await tb.push(_command(REQUEST, "dup-1"))
    assert not first.duplicate and again.duplicate and again.replies == []
    assert await count(tb, Collaboration) == 1


async def test_concurrent_duplicates_have_one_effect(tb: TestBot) -> None:
    outcomes = await asyncio.gather(*(tb.bot.dispatch(_command(REQUEST, "dup-2")) for _ in range(5)))
    assert sum(not o.duplicate for o in outcomes) == 1
    await tb.bot.dispatcher.drain()
    assert await count(tb, Collaboration) == 1
    assert len([m for m in tb.pop("市场部") if m.title.startswith("需求已提交")]) == 1


@pytest.fixture
def broken_help(tb: TestBot) -> None:
    """/help raises once, as a bug or a lost database connection would (in this bot's registry)."""
    spec: CommandSpec = tb.bot.registry.specs["help"]
    original = spec.handler
    calls = {"n": 0}

    async def flaky(ctx: Context, values: Values) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        assert original is not None
        await original(ctx, values)

    spec.handler = flaky


async def test_an_internal_error_replies_and_releases_the_claim(tb: TestBot, broken_help: None) -> None:
    failed = await tb.push(_command("/help", "flaky-1"))
    assert failed.error and "内部出错" in failed.replies[0].body
    assert await count(tb, InboxEvent, event_key="msg:flaky-1") == 0  # released: a redelivery may retry
    retried = await tb.push(_command("/help", "flaky-1"))
    assert not retried.error and retried.replies[0].title.startswith("协作机器人")


async def test_acked_but_unfinished_events_resume_at_start(tb: TestBot) -> None:
    event = _command(REQUEST, "crash-1")
    assert (await tb.bot.router.claim_many([event])) == [True]  # stored and acked; then the process "died"
    assert await tb.bot.resume_unfinished() == 1
    await tb.bot.dispatcher.drain()
    assert await count(tb, Collaboration) == 1
    assert await count(tb, InboxEvent, status="done") == 1
    assert await tb.bot.resume_unfinished() == 0


async def test_the_bots_own_mention_is_stripped(tb: TestBot) -> None:
    bot = Mention(user_id="bot", name="协作机器人", text="@协作机器人", is_bot=True)
    outcome = await tb.push(_command("@协作机器人 /help request", "at-1", mentions=(bot,)))
    assert ok(outcome.replies).title == "/request 用法"


async def test_a_card_form_runs_the_same_handler_as_the_command(tb: TestBot) -> None:
    outcome = await tb.click("小张", "市场部", "request", {
        "name": "Q4新品推广", "goal": "销量10万台", "depts": ["研发部", "设计部"], "due": "2026-12-31", "priority": "高"})
    assert ok(outcome.replies).title == "需求已提交：XZ-2026-0001"
    bad = await tb.click("小张", "市场部", "request", {"name": "Q4", "goal": "尽快", "depts": ["研发部"],
                                                      "due": "2026-12-31"})
    assert bad.error and "量化" in bad.replies[0].body
    assert await count(tb, Collaboration) == 1


async def test_a_bare_form_command_answers_with_its_form(tb: TestBot) -> None:
    audits = await count(tb, AuditEntry)  # the config's roles, granted at start-up
    form = ok(await tb.say("小张", "市场部", "/request"))
    assert form.template == "form" and form.data["command"] == "request"
    assert {"name", "goal", "depts", "due"} <= {f["name"] for f in form.data["fields"] if f["required"]}
    assert await count(tb, AuditEntry) == audits, "opening a form changes nothing"


async def test_every_reply_and_notice_is_in_the_outbox_once(tb: TestBot) -> None:
    await tb.say("小张", "市场部", REQUEST)
    rows = await count(tb, OutboxMessage)
    assert rows == await count(tb, OutboxMessage, status="sent") == len(tb.sender.sent_keys)
    assert len(set(tb.sender.sent_keys)) == len(tb.sender.sent_keys)


async def test_two_people_of_one_dept_report_progress_at_once(tb: TestBot) -> None:
    await to_executing(tb)
    for week in range(6):  # each week is a fresh row to race for
        outcomes = await asyncio.gather(*(tb.bot.dispatch(_command(
            f'/progress {CODE} done="{who}写的" next=继续', f"race-{week}-{who}", user=who, chat="研发部"))
            for who in ("李工", "李主管")))
        assert not any(o.error for o in outcomes), [o.replies[0].as_text() for o in outcomes]
        tb.clock.advance(timedelta(days=7))
    assert await count(tb, ProgressReport) == 6
