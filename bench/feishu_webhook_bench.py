"""Feishu webhook and fan-out benchmark: prints figures, asserts nothing.

1. Webhook ack path: signed + AES-encrypted message events POSTed to three servers side by side,
   round after round (on a shared machine only ratios from neighbouring runs are fair):
   - a bare aiohttp handler that only returns 200 (this machine's ceiling);
   - lark-oapi's own webhook path: `EventDispatcherHandler.do` (verify, decrypt, parse) with a
     no-op handler, in aiohttp's executor (the SDK has no aiohttp handler of its own);
   - xiezuo's /feishu/events: durable claim before the 200, then every event processed and its
     reply sent to a fake Feishu in a third process (checked: every event is processed).
   The load generator runs in a second process: closed loop for throughput, open loop at a
   fixed rate for p50/p99 ack latency. Targets (issue "One inbound pipeline"): xiezuo's p99 at
   200 events/s at most 2x the SDK path's, its throughput at least 50 % of the bare ceiling,
   each as the median of the rounds' ratios.
2. Fan-out: 600 notices to 120 chats through the outbox and the Feishu sender against the fake
   Feishu's enforced limits (50/s per app, 5/s per chat): time against the limit-imposed
   minimum, and the number of 429s.

    .venv/bin/python bench/feishu_webhook_bench.py [--db-url URL] [--rate 200] [--seconds 10] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

ENCRYPT_KEY = "bench-encrypt-key"
TOKEN = "bench-token"
CHAT = "oc_bench"


# ---------------------------------------------------------------- load generator (second process)
def make_bodies(count: int) -> list[tuple[dict[str, str], bytes]]:
    from tests.fakes.feishu import message_event, signed_request

    bodies = []
    for i in range(count):
        event = message_event(f"{CHAT}{i % 400}", f"ou_user{i % 50}", "@_user_1 /help", [("ou_bot", "协作机器人")],
                              message_id=f"om_bench_{os.getpid()}_{i}", token=TOKEN)
        bodies.append(signed_request(event, ENCRYPT_KEY))
    return bodies


async def closed_loop(url: str, bodies: list[tuple[dict[str, str], bytes]], concurrency: int) -> dict:
    import aiohttp

    queue = iter(bodies)
    errors = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for headers, body in queue:
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                errors += resp.status != 200

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {"count": len(bodies), "seconds": seconds, "rps": len(bodies) / seconds, "errors": errors}


async def open_loop(url: str, bodies: list[tuple[dict[str, str], bytes]], rate: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    errors = 0

    async def one(session: aiohttp.ClientSession, headers: dict[str, str], body: bytes) -> None:
        nonlocal errors
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            errors += resp.status != 200
        latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:
        tasks = []
        started = time.perf_counter()
        for i, (headers, body) in enumerate(bodies):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(session, headers, body)))
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - started
    latencies.sort()
    return {"count": len(bodies), "rate": len(bodies) / seconds, "errors": errors,
            "p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * latencies[int(0.99 * len(latencies))],
            "max_ms": 1000 * latencies[-1]}


def loadgen_main(args: list[str]) -> None:
    mode, url, count, param = args[0], args[1], int(args[2]), float(args[3])
    bodies = make_bodies(count)
    result = asyncio.run(closed_loop(url, bodies, int(param)) if mode == "closed" else open_loop(url, bodies, param))
    print(json.dumps(result))


def fake_main() -> None:
    """The fake Feishu in a process of its own: prints its URL, serves until stdin closes."""
    from tests.fakes.feishu import FakeFeishu

    async def serve_fake() -> None:
        fake = FakeFeishu()
        print(await fake.start(), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await fake.stop()

    asyncio.run(serve_fake())


def start_fake_process() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, __file__, "--fake"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def stop_fake_process(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def run_loadgen(mode: str, url: str, count: int, param: float) -> dict:
    out = subprocess.run([sys.executable, __file__, "--loadgen", mode, url, str(count), str(param)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- servers (this process)
async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def bare_app() -> web.Application:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"msg": "success"})

    app = web.Application()
    app.router.add_post("/feishu/events", ok)
    return app


def sdk_app() -> web.Application:
    """lark-oapi's webhook handling with a handler that does nothing: what the SDK costs."""
    import lark_oapi as lark
    from lark_oapi.core.model import RawRequest

    handler = (lark.EventDispatcherHandler.builder(ENCRYPT_KEY, TOKEN)
               .register_p2_im_message_receive_v1(lambda data: None).build())

    async def do(request: web.Request) -> web.Response:
        raw = RawRequest()
        raw.uri, raw.body, raw.headers = request.path, await request.read(), dict(request.headers)
        answer = await asyncio.get_running_loop().run_in_executor(None, handler.do, raw)
        return web.Response(status=answer.status_code, body=answer.content, content_type="application/json")

    app = web.Application()
    app.router.add_post("/feishu/events", do)
    return app


async def make_bot(db_url: str, fake_url: str, workers: int = 0):  # type: ignore[no-untyped-def]
    from bot.app import Bot
    from bot.config import Config, DepartmentConfig, FeishuConfig, RolesConfig
    from bot.platforms.feishu.adapter import FeishuAdapter
    from tests.fakes.feishu import APP_ID, APP_SECRET, BOT_OPEN_ID

    config = Config()
    config.database.url = db_url
    config.local.enabled = False
    config.feishu = FeishuConfig(app_id=APP_ID, app_secret=APP_SECRET, mode="webhook", encrypt_key=ENCRYPT_KEY,
                                 verification_token=TOKEN, base_url=fake_url, bot_open_id=BOT_OPEN_ID)
    if workers:
        config.scheduler.event_workers = workers
    config.roles = RolesConfig(admins=["feishu:ou_admin"])
    config.departments = [DepartmentConfig(name="协作管理办公室", heads=["feishu:ou_admin"], is_pmo=True,
                                           feishu_chats=[CHAT])]
    bot = Bot(config)
    await bot.prepare_database(upgrade=True)
    return bot, FeishuAdapter(bot)


async def settle(adapter) -> None:  # type: ignore[no-untyped-def]
    """Let the bot finish processing what it acked (the replies keep going out at 50/s)."""
    await adapter.bot.pipeline.drain()


async def processed(bot) -> int:  # type: ignore[no-untyped-def]
    """Bench events the bot has finished (their inbox rows are done)."""
    from sqlalchemy import func, select

    from storage.models import InboxEvent

    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxEvent).where(
            InboxEvent.event_key.startswith("msg:om_bench_"), InboxEvent.status == "done")) or 0)


async def webhook_bench(db_url: str, rate: float, seconds: float, workers: int, rounds: int) -> None:
    from bot.gc_tuning import freeze_startup_objects
    from bot.server import make_app
    from storage import outbox

    # Feishu's servers are not on the bot's machine: the fake runs in a process of its own, so
    # that answering the bot's replies does not take the bot's CPU.
    fake, fake_url = start_fake_process()
    bot, adapter = await make_bot(db_url, fake_url, workers)
    await bot.start()
    await adapter.start()
    bot_runner, bot_url = await serve(make_app(bot, [adapter]))
    bare_runner, bare_url = await serve(await bare_app())
    sdk_runner, sdk_url = await serve(sdk_app())
    freeze_startup_objects()  # as `xiezuo serve` does once started
    loop = asyncio.get_running_loop()
    try:
        count = int(rate * seconds)
        servers = (("bare aiohttp 200 (ceiling)", bare_url), ("lark-oapi webhook, no-op", sdk_url),
                   ("xiezuo /feishu/events", bot_url))
        for _, url in servers:
            await loop.run_in_executor(None, run_loadgen, "closed", url + "/feishu/events", 200, 8)  # warm-up
        await settle(adapter)
        closed: dict[str, list[dict]] = {name: [] for name, _ in servers}
        opened: dict[str, list[dict]] = {name: [] for name, _ in servers}
        sent = 200
        for _ in range(rounds):
            for name, url in servers:
                closed[name].append(await loop.run_in_executor(None, run_loadgen, "closed", url + "/feishu/events",
                                                               3000, 128))
                await settle(adapter)  # each run starts from an idle bot
            for name, url in servers:
                opened[name].append(await loop.run_in_executor(None, run_loadgen, "open", url + "/feishu/events",
                                                               count, rate))
                await settle(adapter)
            sent += 3000 + count
        done = await processed(bot)
        print(f"\nWebhook ack path ({bot.engine.dialect.name}; signed + encrypted im.message.receive_v1; "
              f"{bot.config.scheduler.event_workers} event worker(s); {rounds} rounds; the bot processed "
              f"{done} of the {sent} events it was sent)")
        print(f"{'server':28} {'max events/s by round':>24} {'p50 ms by round':>22} {'p99 ms by round':>24} "
              f"{'errors':>7}")
        for name, _ in servers:
            errors = sum(r["errors"] for r in closed[name] + opened[name])
            rps = " ".join(f"{r['rps']:7.0f}" for r in closed[name])
            p50 = " ".join(f"{r['p50_ms']:6.1f}" for r in opened[name])
            p99 = " ".join(f"{r['p99_ms']:7.1f}" for r in opened[name])
            print(f"{name:28} {rps:>24} {p50:>22} {p99:>24} {errors:7d}")
        bare, sdk, ours = (name for name, _ in servers)
        throughput = sorted(x["rps"] / b["rps"] for b, x in zip(closed[bare], closed[ours]))
        tail = sorted(x["p99_ms"] / s["p99_ms"] for s, x in zip(opened[sdk], opened[ours]))
        against_sdk = sorted(x["rps"] / s["rps"] for s, x in zip(closed[sdk], closed[ours]))
        print(f"xiezuo / bare throughput by round: {', '.join(f'{r:.0%}' for r in throughput)}; median "
              f"{statistics.median(throughput):.0%} (target >= 50 %: "
              f"{'met' if statistics.median(throughput) >= 0.5 else 'MISSED'})")
        print(f"xiezuo / SDK p99 at {rate:.0f}/s by round: {', '.join(f'{r:.2f}' for r in tail)}; median "
              f"{statistics.median(tail):.2f} (target <= 2: {'met' if statistics.median(tail) <= 2 else 'MISSED'})")
        print(f"xiezuo / SDK throughput by round: {', '.join(f'{r:.0%}' for r in against_sdk)}; median "
              f"{statistics.median(against_sdk):.0%}")
    finally:
        await bot.stop_sending()  # as `xiezuo serve` stops: no send may race the clients' shutdown
        await bot_runner.cleanup()
        await bare_runner.cleanup()
        await sdk_runner.cleanup()
        async with bot.sessions() as session, session.begin():  # the replies still queued are moot
            await outbox.withdraw(session, "feishu:msg:om_bench_")
        await adapter.stop()
        await bot.stop()
        stop_fake_process(fake)


async def fanout_bench(db_url: str, notices: int = 600, chats: int = 120) -> None:
    from bot.messages import Message
    from storage import outbox
    from tests.fakes.feishu import FakeFeishu

    fake = FakeFeishu()
    fake_url = await fake.start()
    bot, adapter = await make_bot(db_url, fake_url)
    try:
        now = bot.clock.now()
        run = time.time_ns()  # keys unique per run: a reused database must not swallow them
        async with bot.sessions() as session, session.begin():
            await outbox.enqueue(session, [{
                "key": f"fanout-{run}-{i}", "platform": "feishu", "chat_id": f"oc_fan{i % chats}", "kind": "notice",
                "payload": Message(f"通知 {i}", "周报提醒").to_json(), "due_at": now, "created_at": now}
                for i in range(notices)])
        await adapter.api.token()  # the token fetch is not part of the fan-out
        started = time.perf_counter()
        sent = await bot.dispatcher.drain()
        seconds = time.perf_counter() - started
        # Feishu counts in 1 s windows: 50 go at once, the last 50 at the start of window n/50.
        minimum = max(math.ceil(notices / 50) - 1, math.ceil(notices / chats / 5) - 1) * 1.0
        delivered = len(fake.sent_order)
        print(f"\nFan-out through the outbox ({bot.engine.dialect.name}): {notices} notices to {chats} chats")
        print(f"rows handled {sent}, delivered {delivered}, time {seconds:.2f} s, limit-imposed minimum "
              f"{minimum:.2f} s, over minimum {seconds / minimum - 1:+.1%}, HTTP 429s {fake.rejected_429}")
    finally:
        await adapter.stop()
        await bot.stop()
        await fake.stop()


def main() -> None:
    if sys.argv[1:2] == ["--loadgen"]:
        loadgen_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["--fake"]:
        fake_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop events per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="open-loop duration")
    parser.add_argument("--workers", type=int, default=0, help="[scheduler] event_workers (default: the config's)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three servers side by side (default 3)")
    parser.add_argument("--only", choices=["webhook", "fanout"], help="run one part only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for part, bench in (("fanout", fanout_bench),
                            ("webhook", lambda url: webhook_bench(url, args.rate, args.seconds, args.workers,
                                                                 args.rounds))):
            if args.only and part != args.only:
                continue
            url = args.db_url or f"sqlite:///{tmp}/{part}.db"
            asyncio.run(bench(url))


if __name__ == "__main__":
    main()
