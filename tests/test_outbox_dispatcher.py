"""The dispatcher: one chat in order, digests stable across crashes, retries, permanent
failures reported to the PMO, and a platform that fails 30 % of sends still gets each notice once."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.messages import Artifact, Message
from bot.metrics import Metrics
from bot.outbox import Dispatcher, OutboundItem
from bot.testkit import TestBot, seed_open_tasks
from cards.render import made
from storage import outbox
from storage.db import make_engine, make_sessionmaker
from storage.models import OutboxMessage
from tests.fake_platform import FakePlatform, HttpSender
from tests.waiting import stops_if_cancelled_as_woken, wait_until

SH = ZoneInfo("Asia/Shanghai")


def row(key: str, chat: str, now: datetime, kind: str = outbox.MERGEABLE, title: str = "") -> dict[str, Any]:
    return {"key": key, "platform": "memory", "chat_id": chat, "kind": kind,
            "payload": {"title": title or key, "body": "", "template": "due_today", "mentions": [f"memory:{key}"]},
            "due_at": now, "created_at": now}


async def put(tb: TestBot, *rows: dict[str, Any]) -> None:
    async with tb.bot.sessions() as session, session.begin():
        await outbox.enqueue(session, list(rows))


class FlakyOnce:
    """Fails the first send of the given keys, then delivers like the memory platform."""

    def __init__(self, tb: TestBot, fail: set[str]) -> None:
        self.inner, self.fail, self.items = tb.sender, set(fail), []  # type: ignore[var-annotated]

    async def send(self, item: OutboundItem) -> str:
        if item.key in self.fail:
            self.fail.discard(item.key)
            raise ConnectionError("reset by peer")
        self.items.append(item)
        return await self.inner.send(item)

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        return None


async def test_a_failed_send_holds_back_its_chat_but_not_others(tb: TestBot) -> None:
    now = tb.clock.now()
    await put(tb, row("a1", "研发部", now, kind="notice"), row("a2", "研发部", now, kind="notice"),
              row("a3", "研发部", now, kind="notice"), row("b1", "设计部", now, kind="notice"))
    flaky = FlakyOnce(tb, {"a1"})
    tb.bot.senders["memory"] = flaky
    await tb.bot.dispatcher.drain()
    assert [i.key for i in flaky.items] == ["b1"]  # a2, a3 wait behind a1's retry
    tb.clock.advance(timedelta(seconds=3))
    await tb.bot.dispatcher.drain()
    assert [i.key for i in flaky.items] == ["b1", "a1", "a2", "a3"]
    async with tb.bot.sessions() as session:
        attempts = dict((await session.execute(select(OutboxMessage.key, OutboxMessage.attempts)
                                               .where(OutboxMessage.key.in_(["a1", "a2", "a3"])))).all())
    assert attempts == {"a1": 2, "a2": 1, "a3": 1}  # released rows do not count a try


async def test_digest_group_survives_a_crash_between_claim_and_send(tb: TestBot) -> None:
    now = tb.clock.now()
    await put(tb, row("n1", "研发部", now), row("n2", "研发部", now), row("n3", "研发部", now))
    async with tb.bot.sessions() as session, session.begin():  # a process claims, then dies
        [group], full = await outbox.claim(session, now, 50, digest_max=10)
        assert [r.key for r in group] == ["n1", "n2", "n3"] and not full
    await put(tb, row("n4", "研发部", now + timedelta(seconds=1)))
    tb.clock.advance(outbox.LEASE + timedelta(seconds=2))
    await tb.bot.dispatcher.drain()
    sent = tb.sender.inbox["研发部"]
    assert [(i.key, i.covers) for i in sent] == [("n1", ("n1", "n2", "n3")), ("n4", ("n4",))]
    assert sent[0].message.template == "digest" and sent[0].message.mentions == ("memory:n1", "memory:n2", "memory:n3")


async def test_digests_cap_at_the_configured_size(tb: TestBot) -> None:
    now = tb.clock.now()
    await put(tb, *(row(f"k{i:02d}", "研发部", now) for i in range(23)))
    await tb.bot.dispatcher.drain()
    assert [len(i.covers) for i in tb.sender.inbox["研发部"]] == [10, 10, 3]


async def test_permanent_failure_is_reported_to_the_pmo_once(tb: TestBot) -> None:
    now = tb.clock.now()
    await put(tb, row("x1", "gone-chat", now, kind="notice", title="会议通知"),
              row(f"{outbox.NOTE_PREFIX}7|memory:gone-too", "gone-too", now, kind="notice"))
    platform = FakePlatform()
    http = HttpSender(await platform.start())
    try:
        tb.bot.senders["memory"] = http
        await tb.bot.dispatcher.drain()
    finally:
        await http.close()
        await platform.stop()
    async with tb.bot.sessions() as session:
        rows = {r.key: r for r in (await session.scalars(select(OutboxMessage))).all()}
    assert rows["x1"].status == "failed" and "bot not in chat" in rows["x1"].error
    notes = [r for k, r in rows.items() if k.startswith(outbox.NOTE_PREFIX)]
    assert sorted((n.chat_id, n.status) for n in notes) == [("gone-too", "failed"), ("协作管理办公室", "sent")]
    [sent] = [b for b in platform.accepted.values() if b["chat_id"] == "协作管理办公室"]
    assert sent["title"] == "消息发送失败"


async def test_thirty_percent_failures_still_deliver_each_notice_exactly_once(db_url: str) -> None:
    platform = FakePlatform(fail_rate=0.15, lost_ack_rate=0.15, seed=42)
    url = await platform.start()
    config = __import__("bot.testkit", fromlist=["demo_config"]).demo_config(db_url)
    config.scheduler.max_attempts = 40
    config.scheduler.digest_max_items = 3  # singles and digests: a retried digest must keep its content
    tb = await TestBot.create(config, datetime(2026, 11, 23, 9, 0, tzinfo=SH))
    http = HttpSender(url)
    try:
        await seed_open_tasks(tb.bot, 200, [date(2026, 11, 23)], tb.clock.now())
        tb.bot.senders["memory"] = http
        tb.clock.set(datetime(2026, 11, 23, 9, 31, tzinfo=SH))
        queued = await tb.bot.planner.tick()
        keys = await _keys(tb, "task:")
        assert queued >= 200 and len(keys) == 200
        for _ in range(200):
            await tb.bot.dispatcher.drain()
            if not await _unsent(tb):
                break
            tb.clock.advance(timedelta(seconds=301))
        assert await _unsent(tb) == 0
        delivered, received = platform.delivered(), platform.received()
        bad = {k: (delivered[k], received[k]) for k in keys if delivered[k] != 1}
        assert not bad, f"lost or shown twice: {bad}"
        raw = sum(received[k] for k in keys)
        assert platform.refused > 0 and raw > len(keys)  # the failures really happened
        print(f"\n30% failures [{db_url.split(':')[0]}]: {len(keys)} notices, {platform.refused} sends refused, "
              f"{raw} raw receipts (lost acks re-sent and dropped by dedup), each delivered once")
    finally:
        await http.close()
        await platform.stop()
        await tb.close()


async def _keys(tb: TestBot, prefix: str) -> list[str]:
    async with tb.bot.sessions() as session:
        return list((await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.startswith(prefix)))).all())


async def _unsent(tb: TestBot) -> int:
    async with tb.bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                        .where(OutboxMessage.status.in_(outbox.UNSENT))) or 0)


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows taken by each claim the dispatcher makes, in order."""
    taken: list[int] = []
    real_claim = outbox.claim

    async def counted(*args: Any, **kwargs: Any) -> outbox.Claim:
        claimed = await real_claim(*args, **kwargs)
        taken.append(sum(len(g) for g in claimed.groups))
        return claimed

    monkeypatch.setattr(outbox, "claim", counted)
    return taken


async def test_a_full_batch_is_followed_at_once_and_a_partial_one_waits_for_a_wake(
        tb: TestBot, claims: list[int]) -> None:
    """After a full batch more rows may be due, so the dispatcher claims again without waiting for
    the poll; after a partial one it waits (no empty claim after every batch)."""
    now = tb.clock.now()
    dispatcher = tb.bot.dispatcher
    dispatcher.batch, dispatcher.poll_seconds, dispatcher.settle_seconds = 2, 3600, 0
    runner = asyncio.create_task(dispatcher.run_forever())
    try:
        await asyncio.sleep(0.05)  # past the start-up claim, waiting for a wake
        await put(tb, *(row(f"r{i}", f"群{i}", now, kind="notice") for i in range(5)))
        dispatcher.wake()
        await wait_until(lambda: len(tb.sender.sent_keys) == 5, 10, "five sends")
        await asyncio.sleep(0.05)
        assert claims == [0, 2, 2, 1]  # start-up, then one wake: full, full, partial, and no empty claim
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def test_a_full_batch_of_blocked_chats_does_not_spin(tb: TestBot, claims: list[int]) -> None:
    """Rows due behind a head that backs off fill the batch but cannot go: wait for the poll."""
    now = tb.clock.now()
    await put(tb, *(row(f"a{i}", "研发部", now, kind="notice") for i in range(1, 4)))
    tb.bot.senders["memory"] = FlakyOnce(tb, {"a1"})  # a1 backs off; a2, a3 wait behind it
    dispatcher = tb.bot.dispatcher
    dispatcher.batch, dispatcher.poll_seconds, dispatcher.settle_seconds = 2, 3600, 0
    runner = asyncio.create_task(dispatcher.run_forever())
    try:
        await asyncio.sleep(0.3)
        assert claims == [2, 0]  # a1 + a2 (a1 fails, a2 released), then a2 + a3 found but blocked
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def test_replies_woken_within_the_settle_time_go_out_in_one_batch(tb: TestBot, claims: list[int]) -> None:
    now = tb.clock.now()
    dispatcher = tb.bot.dispatcher
    dispatcher.poll_seconds, dispatcher.settle_seconds = 3600, 0.3
    runner = asyncio.create_task(dispatcher.run_forever())
    try:
        await asyncio.sleep(0.05)  # past the start-up claim, waiting for a wake
        await put(tb, row("first", "研发部", now, kind="notice"))
        dispatcher.wake()
        await asyncio.sleep(0.1)
        assert tb.sender.sent_keys == []  # still settling
        await put(tb, row("second", "设计部", now, kind="notice"))
        dispatcher.wake()
        await wait_until(lambda: len(tb.sender.sent_keys) == 2, 10, "both sends")
        assert claims == [0, 2]  # both in the batch after the first wake
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def test_a_stop_as_it_is_woken_ends_the_dispatcher(tb: TestBot) -> None:
    """A cancel landing in the loop turn of a wake must still stop the loop. On Python 3.11
    `asyncio.wait_for` swallowed such a cancel, so the dispatcher ran on and shutdown hung."""
    dispatcher = tb.bot.dispatcher
    dispatcher.poll_seconds = 3600
    runner = asyncio.create_task(dispatcher.run_forever())
    await asyncio.sleep(0.05)  # past the start-up claim, waiting for a wake
    assert await stops_if_cancelled_as_woken(runner, dispatcher.wake)


async def test_concurrent_claims_never_split_a_chat(db_url: str, tb: TestBot) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks with SKIP LOCKED: PostgreSQL only (SQLite has one writer)")
    now = tb.clock.now()
    await put(tb, *(row(f"a{i}", "研发部", now, kind="notice") for i in range(4)), row("b0", "设计部", now, kind="notice"))
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as first, first.begin():
            held, full = await outbox.claim(first, now, 2)  # a0, a1 locked, not committed
            assert [g[0].key for g in held] == ["a0", "a1"] and full
            async with sessions() as second, second.begin():
                other, _ = await asyncio.wait_for(outbox.claim(second, now, 10), 5)
            assert [g[0].key for g in other] == ["b0"]  # a2, a3 must wait for a0, a1
    finally:
        await engine.dispose()


async def test_a_row_tried_before_is_sent_as_a_resend(tb: TestBot) -> None:
    """A claimed row whose process died before recording the send is claimed again after its
    lease: the sender is told it is a resend, and how old the row is."""
    await tb.say("小张", "市场部", "/help")
    tb.sender.inbox.clear()
    async with tb.bot.sessions() as session, session.begin():
        await outbox.enqueue(session, [{"key": "n:resend", "platform": "memory", "chat_id": "研发部", "kind": "notice",
                                        "payload": Message("提醒", "正文").to_json(), "due_at": tb.clock.now(),
                                        "created_at": tb.clock.now()}])
    async with tb.bot.sessions() as session, session.begin():  # a process claims it, then dies
        claimed = await outbox.claim(session, tb.clock.now(), 10)
    assert [r.key for g in claimed.groups for r in g] == ["n:resend"]
    tb.clock.advance(timedelta(minutes=2))  # past the lease
    await tb.bot.dispatcher.drain()
    [sent] = tb.sender.inbox["研发部"]
    assert sent.resend and sent.age == timedelta(minutes=2)


class Paced:
    """A platform that lets one chat's sends through slowly, like DingTalk's 20 a minute per group."""

    def __init__(self, seconds: float, sent: list[str]) -> None:
        self.seconds, self.sent = seconds, sent

    async def send(self, item: OutboundItem) -> str:
        await asyncio.sleep(self.seconds)
        self.sent.append(item.key)
        return f"m-{item.key}"

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        return None


async def test_a_chat_paced_past_its_lease_stays_with_the_process_sending_it(db_url: str, tb: TestBot) -> None:
    """Two processes (dispatchers on one database). The first claims a chat's six notices and its
    platform paces them out for longer than the lease; the second keeps claiming meanwhile. The
    first renews its lease while it sends, so the second never takes a row: each goes out once."""
    now = SystemClock().now()
    await put(tb, *(row(f"paced{i}", "研发部", now, kind="notice") for i in range(6)))
    sent: list[str] = []
    lease = timedelta(seconds=0.6)
    engine = make_engine(db_url)
    other_sessions = make_sessionmaker(engine) if db_url.startswith("postgresql") else tb.bot.sessions
    first = Dispatcher(tb.bot.sessions, {"memory": Paced(0.3, sent)}, SystemClock(), Metrics(), lease=lease)
    second = Dispatcher(other_sessions, {"memory": Paced(0.0, sent)}, SystemClock(), Metrics(), lease=lease)
    try:
        sending = asyncio.create_task(first.run_once())
        taken = 0
        while not sending.done():  # 1.8 s of pacing, three leases long
            await asyncio.sleep(0.1)
            taken += await second.run_once()
        assert await sending == 6
        assert taken == 0 and sorted(sent) == [f"paced{i}" for i in range(6)]
    finally:
        await engine.dispose()


def chart_row(key: str, chat: str, now: datetime) -> dict[str, Any]:
    """A reply carrying a chart still to be drawn (as `/report` queues it)."""
    chart = Message("进度报表", "截至今天", artifact=Artifact(f"{key}.png", "进度曲线", "progress_curve",
                                                      ("进度", ["2026-12-01", "2026-12-02"], [0, 100], [0, None])))
    return {"key": key, "platform": "memory", "chat_id": chat, "kind": "reply", "payload": chart.to_json(),
            "due_at": now, "created_at": now}


async def test_a_chart_being_drawn_holds_back_its_own_chat_only(tb: TestBot, monkeypatch: pytest.MonkeyPatch) -> None:
    release = asyncio.Event()

    async def slow(message: Message) -> Message:
        await release.wait()
        return await made(message)
    monkeypatch.setattr("bot.outbox.made", slow)
    tb.bot.dispatcher.render_patience = 60  # no 「生成中…」 card here: only the order is looked at
    now = tb.clock.now()
    await put(tb, chart_row("r1", "研发部", now), row("r2", "研发部", now, kind="notice"))
    async with asyncio.timeout(5):  # a batch that waited for the drawing would never end here
        await tb.bot.dispatcher.run_once()
        await put(tb, row("d1", "设计部", now, kind="notice"))
        await tb.bot.dispatcher.run_once()
    assert [m.title for m in tb.pop("设计部")] == ["d1"] and tb.pop("研发部") == []
    release.set()
    await tb.bot.dispatcher.drain()
    report, after = tb.pop("研发部")
    assert report.attachment is not None and report.attachment.name == "r1.png" and after.title == "r2"


async def test_a_drawn_chart_is_kept_in_its_row_and_not_drawn_again_for_a_retry(
        tb: TestBot, monkeypatch: pytest.MonkeyPatch) -> None:
    drawings: list[str] = []

    async def counted(message: Message) -> Message:
        drawings.append(message.artifact.name if message.artifact else "")
        return await made(message)
    monkeypatch.setattr("bot.outbox.made", counted)
    now = tb.clock.now()
    await put(tb, chart_row("r1", "研发部", now))
    flaky = FlakyOnce(tb, {"r1"})
    tb.bot.senders["memory"] = flaky
    await tb.bot.dispatcher.drain()
    async with tb.bot.sessions() as session:
        payload = await session.scalar(select(OutboxMessage.payload).where(OutboxMessage.key == "r1"))
    assert payload is not None
    kept = Message.from_json(payload)
    assert kept.artifact is None and kept.attachment is not None and kept.attachment.content[:4] == b"\x89PNG"
    tb.clock.advance(timedelta(seconds=3))
    await tb.bot.dispatcher.drain()
    assert drawings == ["r1.png"] and [i.message.attachment.content for i in flaky.items] == [kept.attachment.content]
