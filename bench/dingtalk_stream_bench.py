"""DingTalk stream path and notice fan-out, against the fake DingTalk in another process.

1. Stream: the fake gateway (its own process) pushes bot-message frames to the bot's real
   stream client; the bot claims each in the inbox, acks, runs `/help` and replies through the
   session webhook. Printed: ack rate and end-to-end events/s with all frames pushed at once, and
   ack latency percentiles at a steady rate (latency = gateway push → ack received, measured in
   the gateway process).
2. Fan-out: 600 notices to 120 department groups (5 each) through the outbox dispatcher and the
   DingTalk sender, with the configured limits (`app_rate_per_second`, `group_rate_per_minute`);
   the fake enforces the same limits and counts anything it had to throttle.

Usage: python bench/dingtalk_stream_bench.py [--events 1000] [--rate 50] [--seconds 10] [--db URL]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bot.app import Bot  # noqa: E402
from bot.config import Config, DingTalkConfig  # noqa: E402
from bot.messages import Message  # noqa: E402
from bot.platforms.dingtalk.adapter import DingTalkAdapter  # noqa: E402
from storage import outbox  # noqa: E402
from storage.models import InboxEvent, OutboxMessage  # noqa: E402

GROUPS = [f"cidBench{i:03d}==" for i in range(120)]


# ------------------------------------------------------------------ the gateway process
def gateway(conn: Any, app_qps: int, group_per_minute: int) -> None:
    from tests.fakes.dingtalk import FakeDingTalk

    fake = FakeDingTalk(app_qps=app_qps, group_limit_per_minute=group_per_minute).start()
    for cid in GROUPS:
        fake.add_group(cid, cid)
    conn.send(fake.port)
    while True:
        command, *args = conn.recv()
        if command == "push":
            conn.send(asyncio.run(_push(fake, *args)))
        elif command == "stats":
            conn.send({"throttled": fake.throttled,
                       "robot_sends": sum(p.endswith("groupMessages/send") for p, _ in fake.requests),
                       "seen": sum(len(fake.messages(c)) for c in GROUPS)})
        elif command == "stop":
            fake.stop()
            conn.send(True)
            return


async def _push(fake: Any, count: int, rate: float) -> dict[str, Any]:
    """Push `count` frames (all at once when `rate` is 0), wait for every ack; latencies in ms."""
    fake.ack_latency.clear()
    started = time.monotonic()
    ids = []
    for i in range(count):
        if rate:
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        frame = await fake.push_message(f"staff{i % 50}", "/help", GROUPS[i % len(GROUPS)])
        ids.append(frame["headers"]["messageId"])
    pushed = time.monotonic() - started
    while not all(i in fake.acks for i in ids):
        await asyncio.sleep(0.005)
    return {"pushed_s": pushed, "acked_s": time.monotonic() - started,
            "latency_ms": [x * 1000 for x in fake.ack_latency]}


# ------------------------------------------------------------------ the bot process
def bot_config(db_url: str, base_url: str, **dingtalk: Any) -> Config:
    config = Config()
    config.database.url = db_url
    config.local.enabled = False
    config.dingtalk = DingTalkConfig(client_id="ding-app", client_secret="ding-secret", base_url=base_url,
                                     **dingtalk)
    return config


async def count(bot: Bot, model: Any, *where: Any) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def wait_for(bot: Bot, model: Any, want: int, *where: Any) -> float:
    started = time.monotonic()
    while await count(bot, model, *where) < want:
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def stream_bench(conn: Any, db_url: str, base_url: str, events: int, rate: float, seconds: float) -> None:
    bot = Bot(bot_config(db_url, base_url))
    await bot.prepare_database(upgrade=True)
    adapter = DingTalkAdapter(bot)
    dispatcher = asyncio.create_task(bot.dispatcher.run_forever())
    await adapter.start()
    await asyncio.wait_for(adapter.stream.connected.wait(), 10)
    try:
        conn.send(("push", events, 0.0))
        started = time.monotonic()
        burst = await asyncio.to_thread(conn.recv)
        await wait_for(bot, InboxEvent, events, InboxEvent.status == "done")
        await wait_for(bot, OutboxMessage, events, OutboxMessage.status == "sent")
        done = time.monotonic() - started
        print(f"stream burst: {events} frames pushed at once in {burst['pushed_s']:.2f}s; "
              f"all acked after {burst['acked_s']:.2f}s = {events / burst['acked_s']:.0f} acks/s; "
              f"all handled and replied after {done:.2f}s = {events / done:.0f} events/s end to end; "
              f"ack latency under the burst p50 {pct(burst['latency_ms'], 50):.0f} ms, "
              f"p99 {pct(burst['latency_ms'], 99):.0f} ms")
        steady_n = int(rate * seconds)
        conn.send(("push", steady_n, rate))
        steady = await asyncio.to_thread(conn.recv)
        await wait_for(bot, OutboxMessage, events + steady_n, OutboxMessage.status == "sent")
        lat = steady["latency_ms"]
        print(f"stream steady: {steady_n} frames at {rate:.0f}/s; ack latency p50 {pct(lat, 50):.1f} ms, "
              f"p90 {pct(lat, 90):.1f} ms, p99 {pct(lat, 99):.1f} ms, max {max(lat):.1f} ms "
              f"(mean {statistics.fmean(lat):.1f} ms)")
    finally:
        await adapter.stop()
        dispatcher.cancel()
        await bot.stop()


async def fanout_bench(conn: Any, db_url: str, base_url: str) -> None:
    config = bot_config(db_url, base_url)
    bot = Bot(config)
    await bot.prepare_database(upgrade=True)
    DingTalkAdapter(bot)  # registers the sender; no stream needed for sending
    sender_api = bot.senders["dingtalk"].api  # type: ignore[attr-defined]
    now = bot.clock.now()
    async with bot.sessions() as session, session.begin():
        await outbox.enqueue(session, [
            {"key": f"bench-{i}", "platform": "dingtalk", "chat_id": GROUPS[i % len(GROUPS)],
             "kind": "notice", "payload": Message(f"提醒 {i}", "任务将在 3 个工作日内到期").to_json(),
             "due_at": now, "created_at": now} for i in range(600)])
    conn.send(("stats",))
    before = await asyncio.to_thread(conn.recv)
    started = time.monotonic()
    await bot.dispatcher.drain()
    elapsed = time.monotonic() - started
    conn.send(("stats",))
    after = await asyncio.to_thread(conn.recv)
    sent = await count(bot, OutboxMessage, OutboxMessage.status == "sent")
    sends = after["robot_sends"] - before["robot_sends"]
    print(f"fan-out: 600 notices to 120 groups: {sent} rows sent in {sends} robot "
          f"messages in {elapsed:.1f}s ({sends / elapsed:.1f} sends/s; limits {config.dingtalk.app_rate_per_second}/s "
          f"per app, {config.dingtalk.group_rate_per_minute}/min per group); throttled by DingTalk: "
          f"{after['throttled'] - before['throttled']}")
    await sender_api.close()
    await bot.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", default="", help="an empty database's URL (default: fresh SQLite files)")
    args = parser.parse_args()
    defaults = DingTalkConfig()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=gateway, args=(child, defaults.app_rate_per_second, defaults.group_rate_per_minute))
    proc.start()
    port = parent.recv()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        def db(name: str) -> str:
            return args.db or f"sqlite:///{os.path.join(tmp, name)}"
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
              f"database {'given' if args.db else 'SQLite'}")
        try:
            asyncio.run(stream_bench(parent, db("stream.db"), base_url, args.events, args.rate, args.seconds))
            asyncio.run(fanout_bench(parent, db("fanout.db"), base_url))
        finally:
            parent.send(("stop",))
            parent.recv()
            proc.join(10)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
