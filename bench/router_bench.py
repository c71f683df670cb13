"""Router benchmark: commands per second and p50/p99 latency through `Bot.handle` on SQLite.

The whole stack runs in-process on the memory platform (router → handler → storage → outbox,
with the outbox dispatcher sending in the background as in `xiezuo serve`). A set of
collaborations is first driven into the executing stage; then a mixed workload of reads,
writes and invalid commands is replayed

* open-loop at a fixed arrival rate (`--rate`, `--seconds`): latency is measured from each
  command's *scheduled* arrival, so a stall shows up as queueing instead of being hidden
  (no coordinated omission); and
* closed-loop with `--workers` concurrent senders, to find the maximum throughput.

Two baselines can be printed next to it:

* `engine floor` (always): one INSERT + COMMIT per command through the same engine and
  pragmas, the cheapest durable write a command can cost — the gap to it is router/handler work;
* `--baseline REV`: the same script and workload run against another git revision, checked out
  in a temporary `git worktree` and imported ahead of this checkout, to compare code versions.

`--driver` picks the SQLite driver: `inline` (sqlite3 on the loop's thread, storage/sqlite_inline.py,
what `xiezuo serve` uses), `aiosqlite` (a worker thread per connection), or `both`, one after the
other in the same run. A revision without the inline driver runs on aiosqlite. After warm-up the
bench freezes the start-up objects out of the garbage collector, as `xiezuo serve` does once it has
started (bot/gc_tuning.py), when the code under test has that step. `--repeat N` runs the open
loop N times, since one run's p99 rests on its 20 slowest commands.

`--phases N` instead runs N commands one at a time and prints where a command's time goes:
the router's steps (timed by wrapping them) and SQL statements per command, by command.

The `cpu ms` column is process CPU time per command over the run (router, handlers, dispatcher
and SQLite together): steadier than wall-clock figures on a shared machine.

Usage: python bench/router_bench.py [--rate 200] [--seconds 10] [--workers 4] [--repeat 3]
                                    [--driver inline|aiosqlite|both] [--baseline 80bc2ff]
       python bench/router_bench.py --phases 500
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event

from bot.events import Chat, Command, User
from bot.messages import Message
from bot.outbox import Dispatcher
from bot.platforms.memory import PLATFORM
from bot.router import Outcome, Router
from bot.testkit import TestBot, demo_config
from storage import inbox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import checkout  # noqa: E402

#: Monday 2026-11-23 10:00 in Shanghai, the same start as the test suite.
START = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TARGET_P99_MS = 20.0
#: (user, dept chat) that own the two tasks of every collaboration.
DEV = ("李工", "研发部")
DESIGN = ("王设计", "设计部")


@dataclass
class Sample:
    command: str
    ok: bool
    internal_error: bool
    service_s: float  # from the call to its return
    response_s: float  # from the scheduled arrival to the return (open-loop); = service closed-loop


@dataclass
class Result:
    name: str
    elapsed_s: float
    samples: list[Sample] = field(default_factory=list)
    unfinished: int = 0
    cpu_s: float = 0.0  # process CPU time over the run: router, handlers, dispatcher, SQLite

    def summary(self) -> dict[str, Any]:
        response = sorted(s.response_s for s in self.samples)
        service = sorted(s.service_s for s in self.samples)
        per_command = Counter(s.command for s in self.samples)
        ok = Counter(s.command for s in self.samples if s.ok)
        return {
            "name": self.name, "commands": len(self.samples), "elapsed_s": round(self.elapsed_s, 3),
            "per_second": round(len(self.samples) / self.elapsed_s, 1) if self.elapsed_s else 0.0,
            "cpu_ms": round(self.cpu_s / len(self.samples) * 1000, 2) if self.samples else None,
            "p50_ms": _ms(_pct(response, 50)), "p99_ms": _ms(_pct(response, 99)), "max_ms": _ms(response[-1:]),
            "service_p50_ms": _ms(_pct(service, 50)), "service_p99_ms": _ms(_pct(service, 99)),
            "internal_errors": sum(s.internal_error for s in self.samples), "unfinished": self.unfinished,
            "mix": {name: f"{ok[name]}/{n} ok" for name, n in sorted(per_command.items())},
        }


def _pct(values: list[float], p: float) -> list[float]:
    if not values:
        return []
    return [values[min(len(values) - 1, int(len(values) * p / 100))]]


def _ms(values: list[float]) -> float | None:
    return round(values[0] * 1000, 2) if values else None


async def prepare(tb: TestBot, collabs: int) -> list[str]:
    """Drive `collabs` collaborations to the executing stage, each with a dev task T1 and a design task T2."""
    codes = []
    for i in range(collabs):
        replies = await tb.say("小张", "市场部", f'/request "推广{i}" goal="销量10万台" depts=研发部,设计部 '
                                              'due=2026-12-31 priority=高')
        _ok(replies)
        code = replies[0].data["code"]
        _ok(await tb.say("李主管", "研发部", f"/evaluate {code} 接受 contact=@李工"))
        _ok(await tb.say("王主管", "设计部", f"/evaluate {code} 接受 contact=@王设计"))
        _ok(await tb.say("周主任", "协作管理办公室", f"/approve {code}"))
        for (user, dept), head, title in ((DEV, "李主管", "开发"), (DESIGN, "王主管", "设计")):
            # A card submission: the same binding as typed text, independent of how `/task` is spelt.
            outcome = await tb.click(head, dept, "task add", {
                "id": code, "title": title, "dept": dept, "owner": user, "deliverable": "交付物",
                "standard": "评审通过", "start": "2026-11-24", "due": "2026-12-18"})
            _ok(outcome.replies)
        for head, dept in (("张经理", "市场部"), ("李主管", "研发部"), ("王主管", "设计部")):
            _ok(await tb.say(head, dept, f"/confirm {code}"))
        codes.append(code)
    tb.clear()
    return codes


def _ok(replies: list[Message]) -> None:
    if not replies or replies[0].is_error:
        raise SystemExit(f"benchmark setup failed: {replies[0].as_text() if replies else 'no reply'}")


def workload(codes: list[str], seed: int = 7) -> Callable[[], tuple[str, str, str, str]]:
    """An endless weighted mix of (label, user, chat, text): mostly valid commands, some invalid."""
    rng = random.Random(seed)
    states = ["进行中", "延期", "阻塞", "进行中"]

    def status() -> tuple[str, str, str]:
        user, dept = rng.choice((DEV, DESIGN))
        task = "T1" if dept == DEV[1] else "T2"
        return user, dept, f"/status {rng.choice(codes)}/{task} {rng.choice(states)} {rng.randint(1, 99)} 按计划推进"

    mix: list[tuple[str, int, Callable[[], tuple[str, str, str]]]] = [
        ("status", 20, status),
        ("progress", 10, lambda: (*DEV, f"/progress {rng.choice(codes)} done=完成接口 next=联调 risks=无")),
        ("board", 15, lambda: (*DESIGN, f"/board {rng.choice(codes)}")),
        ("board-mine", 5, lambda: (*DEV, "/board")),
        ("mytasks", 10, lambda: (*rng.choice((DEV, DESIGN)), "/mytasks")),
        ("problem", 5, lambda: (*DEV, f"/problem {rng.choice(codes)} 接口文档延迟 impact=中")),
        ("help", 10, lambda: (*DESIGN, rng.choice(("/help", "/help status", "/帮助 progress")))),
        ("task-list", 10, lambda: (*DESIGN, f"/task list {rng.choice(codes)}")),
        ("invalid", 15, lambda: (*DEV, rng.choice((
            "/foo", "/statsu T1 进行中", f"/status {codes[0]}/T1 飞", "/status", f"/progress {codes[0]} colour=红",
            f"/problem {codes[0]}", '/request "x" goal="尽快" depts=研发部 due=2026-12-31', "/board XZ-2026-9999")))),
    ]
    labels = [m[0] for m in mix]
    weights = [m[1] for m in mix]
    makers = {m[0]: m[2] for m in mix}

    def next_command() -> tuple[str, str, str, str]:
        label = rng.choices(labels, weights)[0]
        return (label, *makers[label]())

    return next_command


class Driver:
    """Builds events with unique message ids and times `Bot.dispatch` on them."""

    def __init__(self, tb: TestBot, codes: list[str]) -> None:
        self.tb = tb
        self.next_command = workload(codes)
        self.ids = itertools.count(1)
        # `Bot.dispatch` since the one inbound pipeline; revisions before it (a --baseline) had `Bot.handle`.
        self.send: Callable[[Command], Awaitable[Outcome]] = getattr(tb.bot, "dispatch", None) or getattr(tb.bot, "handle")

    async def run_one(self, scheduled: float | None = None) -> Sample:
        label, user, chat, text = self.next_command()
        n = next(self.ids)
        if n % 100 == 0:  # a real platform keeps nothing of what was sent: nor should the heap the GC walks
            self.tb.clear()
        event = Command(Chat(PLATFORM, chat, is_group=True, title=chat), User(PLATFORM, user, user),
                        f"bench-{n}", text, TestBot._mentions(text))
        started = time.perf_counter()
        outcome = await self.send(event)
        done = time.perf_counter()
        internal = outcome.error and any(m.title == "处理失败" for m in outcome.replies)
        return Sample(label, not outcome.error, internal, done - started, done - (scheduled or started))


async def open_loop(driver: Driver, rate: float, seconds: float) -> Result:
    """Commands arrive at `rate` per second whatever the bot's speed; each runs as its own task."""
    total = int(rate * seconds)
    tasks: list[asyncio.Task[Sample]] = []
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(total):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(driver.run_one(scheduled)))
    done, pending = await asyncio.wait(tasks, timeout=max(30.0, seconds))
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - t0
    return Result(f"open-loop {rate:g}/s", elapsed, [t.result() for t in done], len(pending),
                  time.process_time() - cpu0)


async def closed_loop(driver: Driver, workers: int, seconds: float) -> Result:
    """`workers` senders each send the next command as soon as the previous one is answered."""
    samples: list[Sample] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            samples.append(await driver.run_one())

    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return Result(f"closed-loop x{workers}", time.perf_counter() - t0, samples, cpu_s=time.process_time() - cpu0)


async def engine_floor(tb: TestBot, count: int) -> Result:
    """One INSERT + COMMIT per command (an inbox claim) through the bot's own engine: the floor."""
    samples = []
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(count):
        started = time.perf_counter()
        async with tb.bot.sessions() as session, session.begin():
            await inbox.claim(session, "floor", f"floor-{i}", {}, tb.clock.now())
        took = time.perf_counter() - started
        samples.append(Sample("insert+commit", True, False, took, took))
    return Result("engine floor (insert+commit)", time.perf_counter() - t0, samples, cpu_s=time.process_time() - cpu0)


#: Steps timed by --phases, in print order; indented ones are parts of Router.process.
STEPS = {
    (Router, "process"): "Router.process: the command's transaction, inbox claim included",
    (Router, "_context"): "  of which Router._context: chat binding + person SELECTs",
    (Router, "_finish"): "  of which Router._finish: outbox INSERT + inbox UPDATE",
    (Router, "_fail"): "  of which Router._fail: error reply in its own transaction",
    (Dispatcher, "run_once"): "Dispatcher.run_once (drain): claim, send, mark each row sent",
}


async def phases(tb: TestBot, driver: Driver, count: int) -> None:
    """Run `count` commands one at a time and print time per router step and statements per command."""
    spent: defaultdict[str, float] = defaultdict(float)
    statements: list[int] = [0]
    originals = {key: getattr(*key) for key in STEPS if hasattr(*key)}  # a --baseline may lack a step

    def timed(key: tuple[type, str]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await originals[key](*args, **kwargs)
            finally:
                spent[STEPS[key]] += time.perf_counter() - started
        return wrapper

    def count_statement(*_: Any) -> None:
        statements[0] += 1

    per_command: dict[str, list[tuple[int, int]]] = {}
    event.listen(tb.bot.engine.sync_engine, "before_cursor_execute", count_statement)
    for key in originals:
        setattr(*key, timed(key))
    try:
        t0 = time.perf_counter()
        for _ in range(count):
            statements[0] = 0
            sample = await driver.run_one()
            in_router = statements[0]
            await tb.bot.dispatcher.drain()
            per_command.setdefault(sample.command, []).append((in_router, statements[0] - in_router))
        total = time.perf_counter() - t0
    finally:
        for key, original in originals.items():
            setattr(*key, original)
        event.remove(tb.bot.engine.sync_engine, "before_cursor_execute", count_statement)
    print(f"{count} commands one at a time: {total / count * 1e3:.2f} ms per command (router + dispatcher)")
    for step in STEPS.values():
        print(f"  {spent[step] / count * 1e3:7.2f} ms/command  {step}")
    print("SQL statements per command (median in router + in dispatcher):")
    for name, counts in sorted(per_command.items()):
        router = sorted(c[0] for c in counts)[len(counts) // 2]
        sent = sorted(c[1] for c in counts)[len(counts) // 2]
        print(f"  {name:12} {router:3} + {sent}")


SCHEMES = {"inline": "sqlite", "aiosqlite": "sqlite+aiosqlite"}


def start_checkpoints(tb: TestBot) -> asyncio.Future[Any]:
    """Background WAL checkpoints as `Bot.start` runs them, if the code under test has them."""
    try:
        from storage.wal_checkpoint import WalCheckpointer
    except ImportError:
        return asyncio.ensure_future(asyncio.sleep(0))
    return asyncio.ensure_future(WalCheckpointer(tb.bot.engine).run())


def freeze_startup_objects() -> None:
    """What `xiezuo serve` does once started, if the code under test (maybe a baseline) has it."""
    try:
        from bot.gc_tuning import freeze_startup_objects as freeze
    except ImportError:
        return
    freeze()


async def run(args: argparse.Namespace, driver_name: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="xiezuo-bench-") as tmp:
        tb = await TestBot.create(demo_config(f"{SCHEMES[driver_name]}:///{tmp}/bench.db"), START)
        codes = await prepare(tb, args.collabs)  # drains replies itself: no background dispatcher yet
        dispatcher = asyncio.create_task(tb.bot.dispatcher.run_forever())
        checkpoints = start_checkpoints(tb)  # Bot.start runs these two; TestBot does not start the bot
        try:
            driver = Driver(tb, codes)
            for _ in range(50):  # warm-up: imports, statement caches, connection pool
                await driver.run_one()
            freeze_startup_objects()
            if args.phases:
                dispatcher.cancel()
                await asyncio.gather(dispatcher, return_exceptions=True)
                await phases(tb, driver, args.phases)
                return []
            results = [await open_loop(driver, args.rate, args.seconds) for _ in range(args.repeat)]
            results += [await closed_loop(driver, args.workers, args.seconds),
                        await engine_floor(tb, int(args.rate * args.seconds))]
        finally:
            for task in (dispatcher, checkpoints):
                task.cancel()
            await asyncio.gather(dispatcher, checkpoints, return_exceptions=True)
            await tb.close()
    return [r.summary() for r in results]


def run_baseline(rev: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run this same script against `rev`, checked out beside this tree."""
    with checkout(rev) as tree:
        env = dict(os.environ, PYTHONPATH=str(tree))
        driver = "inline" if (tree / "storage" / "sqlite_inline.py").exists() else "aiosqlite"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--json", "--rate", str(args.rate),
               "--seconds", str(args.seconds), "--workers", str(args.workers), "--collabs", str(args.collabs),
               "--repeat", str(args.repeat), "--driver", driver]
        out = subprocess.run(cmd, env=env, cwd=tree, check=True, capture_output=True, text=True)
        return [dict(row, driver=driver) for row in json.loads(out.stdout.splitlines()[-1])]

def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n== {title}")
    print(f"{'run':32} {'cmds':>6} {'cmd/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'svc p99':>8} {'cpu ms':>7} {'500s':>5} {'late':>5}")
    for r in rows:
        print(f"{r['name']:32} {r['commands']:>6} {r['per_second']:>8} {r['p50_ms']!s:>8} {r['p99_ms']!s:>8} "
              f"{r['max_ms']!s:>8} {r['service_p99_ms']!s:>8} {r.get('cpu_ms')!s:>7} {r['internal_errors']:>5} "
              f"{r['unfinished']:>5}")
    print("mix (" + rows[0]["name"] + "): " + ", ".join(f"{k} {v}" for k, v in rows[0]["mix"].items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop arrivals per second (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each loop (default 10, max 120)")
    parser.add_argument("--workers", type=int, default=4, help="closed-loop concurrent senders (default 4)")
    parser.add_argument("--collabs", type=int, default=20, help="collaborations in the executing stage (default 20)")
    parser.add_argument("--repeat", type=int, default=1, help="open-loop runs (default 1)")
    parser.add_argument("--driver", choices=[*SCHEMES, "both"], default="inline",
                        help="SQLite driver: inline (default), aiosqlite, or both in turn")
    parser.add_argument("--baseline", metavar="REV", help="also run the workload against this git revision")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    parser.add_argument("--phases", type=int, metavar="N", help="time the router's steps over N sequential commands")
    args = parser.parse_args()
    if not 0 < args.seconds <= 120 or args.rate <= 0 or args.workers < 1 or args.repeat < 1:
        parser.error("need 0 < --seconds <= 120, --rate > 0, --workers >= 1, --repeat >= 1")
    import bot
    drivers = list(SCHEMES) if args.driver == "both" else [args.driver]
    if args.json or args.phases:
        rows = asyncio.run(run(args, drivers[0]))
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        return 0
    print(f"xiezuo router bench: SQLite, {args.collabs} executing collaborations, "
          f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}, code from {Path(bot.__file__).parent.parent}")
    verdicts = []
    for name in drivers:
        rows = asyncio.run(run(args, name))
        print_table(f"this checkout, {name} driver", rows)
        verdicts.append((name, verdict(rows[:args.repeat])))
    if args.baseline:
        rows = run_baseline(args.baseline, args)
        print_table(f"baseline {args.baseline}, {rows[0]['driver']} driver", rows)
    for name, text in verdicts:
        print(f"\ntarget p99 < {TARGET_P99_MS:g} ms at {args.rate:g}/s, {name} driver: {text}")
    return 0


def verdict(open_loops: list[dict[str, Any]]) -> str:
    """Met when the median open-loop run's p99 is under the target and nothing was left unfinished."""
    p99s = sorted(r["p99_ms"] if r["p99_ms"] is not None else float("inf") for r in open_loops)
    median = p99s[len(p99s) // 2]
    late = sum(r["unfinished"] for r in open_loops)
    met = median < TARGET_P99_MS and not late
    runs = ", ".join(f"{p:g}" for p in p99s)
    return f"{'met' if met else 'MISSED'} (median p99 {median:g} ms over {len(p99s)} run(s): {runs})"


if __name__ == "__main__":
    sys.exit(main())
