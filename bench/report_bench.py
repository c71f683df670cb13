"""What a report and an export cost `xiezuo serve`: end-to-end time, the event loop's worst lag
while they are drawn and built, and the peak memory of `serve` and its render worker.

Plays ten collaborations of the emulator's demo organisation through the real handlers on a
shifted clock (one with 60 tasks, nine with 12; tasks started, delivered, accepted and failed,
problems and risks), then starts `xiezuo serve` on that database (the emulator, no platform),
waits until its chart worker is warm, and as the PMO types in the emulator:
- `/report XZ-2026-0001` (the 60-task collaboration): until its curve is in the chat;
- `/gantt XZ-2026-0001`: until the first 40 tasks' image is in the chat;
- `/export all`: until the ten collaborations' workbook is in the chat.
The event loop's worst lag while each runs is read from serve's own watch
(`xiezuo_event_loop_lag_seconds` in /metrics: the smallest bucket that holds every new
observation); a probe asking `/healthz` every 10 ms shows what a request waited, the database
included (SQLite has one connection: a request waits for an action's transaction). Peak memory is
VmHWM from /proc of `serve` and of each process under it (forkserver, render worker).

usage: python bench/report_bench.py [--rounds 3] [--tasks 60] [--baseline REV]
`--baseline REV` runs the same script against another git revision, checked out in a temporary
worktree, and prints its figures first (a revision without the loop-lag watch shows no lag).
Targets (issue "The project office's cockpit"): report under 3 s end to end, loop lag under 50 ms,
serve + worker under 250 MB.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import delete

from bot.app import Bot
from bot.clock import FixedClock
from bot.config import Config
from bot.events import Chat, Command, Mention, User
from bot.platforms.local.demo import seed_demo
from storage.models import OutboxMessage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import checkout, serving  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 10, 12, 10, 0, tzinfo=SH)  # a Monday, eight weeks before the bench's "today"
LAG_BUCKET = re.compile(r'xiezuo_event_loop_lag_seconds_bucket\{le="([^"]+)"\} ([0-9.e+]+)')
TOKEN = re.compile(r'<meta name="xiezuo-token" content="([^"]+)">')
OWNERS = (("研发部", "赵磊"), ("设计部", "林晓"), ("市场部", "王芳"))


class Player:
    """Types commands as people of the demo organisation, through the bot's router."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def say(self, user: str, dept: str, text: str) -> None:
        mentions = tuple(Mention(n, n, f"@{n}") for n in re.findall(r"@([^\s=@]+)", text))
        event = Command(Chat("local", dept, True, dept), User("local", user, user), uuid.uuid4().hex, text, mentions)
        outcome = await self.bot.router.handle(event)
        if outcome.error:
            raise RuntimeError(f"{text}: {outcome.replies[0].body if outcome.replies else '?'}")


async def play(url: str, collabs: int, big: int, small: int) -> None:
    """Ten collaborations through the handlers, days passing on the bot's clock."""
    config = Config()
    config.database.url = url
    config.scheduler.enabled = False
    seed_demo(config)
    clock = FixedClock(START)
    bot = Bot(config, clock=clock)
    await bot.prepare_database()
    p = Player(bot)
    for i in range(1, collabs + 1):
        code = f"XZ-2026-{i:04d}"
        tasks = big if i == 1 else small
        await p.say("张伟", "市场部", f'/request "项目{i}" goal="上线率100%" depts=研发部,设计部 due=2027-06-30 priority=中')
        await p.say("李强", "研发部", f"/evaluate {code} 接受 contact=@赵磊 resources=2人 date=2026-10-20")
        await p.say("陈晨", "设计部", f"/evaluate {code} 接受 contact=@林晓 resources=1人 date=2026-10-20")
        await p.say("周敏", "协作管理办公室", f"/approve {code}")
        for k in range(tasks):
            dept, owner = OWNERS[k % 3]
            start = START.date() + timedelta(days=2 * k // 3)
            due = start + timedelta(days=7 + k % 5)
            after = f" after=T{k - 2}" if k >= 3 and k % 4 == 0 else ""
            await p.say("周敏", "协作管理办公室", f"/task add {code} 任务{k + 1}：接口与页面联调 dept={dept} owner=@{owner} "
                                              f"deliverable=交付物{k + 1} standard=评审通过 start={start} due={due}{after}"
                                              f"{' milestone=是' if k % 10 == 9 else ''}")
        for head, dept in (("张伟", "市场部"), ("李强", "研发部"), ("陈晨", "设计部")):
            await p.say(head, dept, f"/confirm {code}")
        await p.say("赵磊", "研发部", f"/problem {code} 联调环境不稳定 impact=高 dept=研发部 due=2026-11-20")
        await p.say("张伟", "市场部", f"/risk {code} 设计资源紧张 level=高 mitigation=外包")
    for day in range(40):  # eight weeks of work: a third of the tasks accepted, some after rework
        clock.set(START + timedelta(days=day, hours=day % 3))
        for i in range(1, collabs + 1):
            code = f"XZ-2026-{i:04d}"
            tasks = big if i == 1 else small
            for k in range(tasks):
                dept, owner = OWNERS[k % 3]
                if k % 3 != 0 or 2 * k // 3 + 8 != day:
                    continue
                if k >= 3 and k % 4 == 0 and (k - 2) % 3 != 0:
                    continue  # its predecessor is never delivered: it stays waiting
                await p.say(owner, dept, f"/status {code}/T{k + 1} 进行中 50%")
                await p.say(owner, dept, f"/deliver {code}/T{k + 1} https://docs.example.com/{code}/T{k + 1}")
                result = "部分通过 70 缺少附录" if k % 2 else "通过 90"
                await p.say("张伟", "市场部", f"/accept {code}/T{k + 1} {result}")
    async with bot.sessions() as session, session.begin():
        await session.execute(delete(OutboxMessage))  # the play's notices: not the bench's business
    await bot.stop()


def memory(pid: int) -> dict[int, tuple[str, int]]:
    """pid → (name, VmHWM in MB) for `pid` and every process under it."""
    out: dict[int, tuple[str, int]] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            cmdline = Path(f"/proc/{current}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60]
        except OSError:
            continue
        hwm = next(int(line.split()[1]) // 1024 for line in status.splitlines() if line.startswith("VmHWM"))
        out[current] = (cmdline, hwm)
        todo += [int(c) for c in children]
    return out


class Emulator:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession()
        self.token = ""

    async def open(self) -> None:
        page = await (await self.http.get(self.base + "/")).text()
        found = TOKEN.search(page)
        assert found, "the emulator page carries no token"
        self.token = found.group(1)

    async def say(self, user: str, chat: str, text: str) -> None:
        async with self.http.post(self.base + "/api/say", json={"chat": chat, "user": user, "text": text},
                                  headers={"X-Xiezuo-Token": self.token}) as resp:
            assert resp.status == 200, await resp.text()

    async def arrives(self, ws: aiohttp.ClientWebSocketResponse, marker: str, timeout: float = 60) -> None:
        """Wait until the chat shows a bot message whose html holds `marker` (an image, a file)."""
        async with asyncio.timeout(timeout):
            async for msg in ws:
                event = msg.json()
                if marker in event.get("message", {}).get("html", ""):
                    return

    async def close(self) -> None:
        await self.http.close()


async def lag_buckets(http: aiohttp.ClientSession, base: str) -> dict[float, float]:
    """The loop-lag histogram's cumulative bucket counts, by upper bound (seconds)."""
    text = await (await http.get(base + "/metrics")).text()  # an older revision may have no such histogram
    return {float(m[1]): float(m[2]) for m in LAG_BUCKET.finditer(text)}


def worst_lag(before: dict[float, float], after: dict[float, float]) -> float | None:
    """The smallest bucket bound that holds every lag observed between two readings (None: the
    revision measured has no loop-lag watch)."""
    if not after:
        return None
    new = after[float("inf")] - before[float("inf")]
    return min(le for le in after if after[le] - before.get(le, 0) >= new)


async def probe(base: str, stop: asyncio.Event, worst: list[float]) -> None:
    """Ask /healthz every 10 ms; keep the slowest answer (seconds)."""
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            started = time.perf_counter()
            async with http.get(base + "/healthz") as resp:
                await resp.read()
            worst.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)


async def measure(base: str, rounds: int) -> dict[str, list[float]]:
    emulator = Emulator(base)
    await emulator.open()
    results: dict[str, list[Any]] = {}  # seconds; a lag is None where serve has no loop-lag watch
    try:
        async with emulator.http.ws_connect(base + "/ws", headers={"X-Xiezuo-Token": emulator.token}) as ws:
            for _ in range(rounds):
                for name, text, marker in (("report (60 tasks)", "/report XZ-2026-0001", '<img class="chart"'),
                                           ("gantt (40 of 60 tasks)", "/gantt XZ-2026-0001", '<img class="chart"'),
                                           ("export all (10 collaborations)", "/export all", 'class="file"')):
                    stop, waits = asyncio.Event(), []  # type: ignore[var-annotated]
                    prober = asyncio.create_task(probe(base, stop, waits))
                    await asyncio.sleep(0.2)
                    before = await lag_buckets(emulator.http, base)
                    started = time.perf_counter()
                    await emulator.say("周敏", "协作管理办公室", text)
                    await emulator.arrives(ws, marker)
                    took = time.perf_counter() - started
                    after = await lag_buckets(emulator.http, base)
                    stop.set()
                    await prober
                    results.setdefault(name, []).append(took)
                    results.setdefault(name + " lag", []).append(worst_lag(before, after))
                    results.setdefault(name + " wait", []).append(max(waits))
    finally:
        await emulator.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=60, help="tasks of the big collaboration")
    parser.add_argument("--baseline", metavar="REV", help="also run against this git revision")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line (for --baseline)")
    args = parser.parse_args()
    if args.baseline:
        show(f"baseline {args.baseline}", run_baseline(args.baseline, args))
    figures = run(args)
    if args.json:
        print(json.dumps(figures))
    else:
        show(f"this tree ({date.today()})", figures)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        asyncio.run(play(url, 10, args.tasks, 12))
        print(f"played 10 collaborations ({args.tasks} + 9 × 12 tasks) in {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)
        with serving(Path(tmp), f'[database]\nurl = "{url}"\n[scheduler]\nenabled = false') as (proc, base):
            time.sleep(5)  # the chart worker warms in the background after /healthz answers
            before = memory(proc.pid)
            results = asyncio.run(measure(base, args.rounds))
            after = memory(proc.pid)
    return {"rounds": args.rounds, "results": results,
            "memory": [[name, hwm, before.get(pid, ("", 0))[1]] for pid, (name, hwm) in after.items()]}


def show(title: str, figures: dict[str, Any]) -> None:
    results = figures["results"]
    print(f"== {title}, {figures['rounds']} rounds: median end to end (worst)")
    for name, values in results.items():
        if name.endswith((" lag", " wait")):
            continue
        lags = [lag for lag in results[name + " lag"] if lag is not None]
        lag = f"≤ {1000 * max(lags):.0f} ms" if lags else "n/a"
        print(f"  {name:32s} {statistics.median(values):5.2f} s ({max(values):.2f}); loop lag {lag}; "
              f"/healthz waited ≤ {1000 * max(results[name + ' wait']):.0f} ms")
    print("  peak memory (VmHWM), MB:")
    for name, hwm, at_start in figures["memory"]:
        print(f"    {hwm:4d} (at start {at_start:4d})  {name}")
    print(f"  serve + processes under it: {sum(hwm for _, hwm, _ in figures['memory'])} MB")


def run_baseline(rev: str, args: argparse.Namespace) -> dict[str, Any]:
    """This same script against `rev`, checked out beside this tree."""
    with checkout(rev) as tree:
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--json", "--rounds", str(args.rounds),
                              "--tasks", str(args.tasks)], env=dict(os.environ, PYTHONPATH=str(tree)), cwd=tree,
                             check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.splitlines()[-1]))

if __name__ == "__main__":
    main()
