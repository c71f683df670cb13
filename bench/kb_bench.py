"""The knowledge base at scale (docs/knowledge.md, "Speed"): 10 000 archived collaborations,
about 110 000 searchable texts (a request, three problems, two risks, a change, minutes, a
retrospective, a deliverable and its acceptance comment each), on SQLite and PostgreSQL.

Prints, per database:
  backfill   indexing every text once (what the f001 upgrade's first start does), texts per second
  size       the database, the texts' documents (kb_docs) and the full-text index itself
  /kb        p50 and p95 of the whole command through the router (bench/kb_corpus.py's queries), for a
             member of one department (results limited to what they may read) and for the PMO;
             and of the search alone (storage.kb.search)
  lag        from an action's commit to its text being found by a search, the indexer running
  action     what queuing the text adds to the action's own transaction: /problem with and without
             the flush hook that writes its kb_pending row, alternated, median of each

usage: python bench/kb_bench.py [--collabs 10000] [--rounds 3] [--pg postgresql://…/bench]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_corpus import CLAUSES, DOCS, QUERIES  # noqa: E402
from sqlalchemy import event, func, insert, select, text  # noqa: E402

from bot.testkit import TestBot, demo_config, fresh_postgres  # noqa: E402
from storage import kb, org  # noqa: E402
from storage.db import BotSession  # noqa: E402
from storage.models import (  # noqa: E402
    Acceptance,
    ChangeRequest,
    Collaboration,
    Delivery,
    KbDoc,
    Meeting,
    Participant,
    Problem,
    Retrospective,
    Risk,
    Stage,
    Task,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SH)
LIVE = "XZ-2026-0001"  # an executing collaboration the lag and action figures log problems in


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def prose(rng: random.Random, clauses: int) -> str:
    return "；".join(rng.sample(CLAUSES, clauses))


async def seed(tb: TestBot, collabs: int) -> None:
    """`collabs` archived collaborations of the demo org with their texts, inserted in bulk (the
    texts are not queued: the backfill queues them all, as the upgrade does); the test set's texts
    planted among them."""
    rng = random.Random(11)
    async with tb.bot.sessions() as session, session.begin():
        depts = [d for d in await org.departments(session) if not d.is_pmo]
        heads = {d.id: (await org.heads_of(session, d.id))[0].id for d in depts}
        start = NOW - timedelta(days=730)
        rows: dict[type, list[dict[str, Any]]] = {m: [] for m in (Participant, Problem, Risk, ChangeRequest, Meeting,
                                                                 Retrospective, Task)}
        collab_rows = []
        for i in range(collabs):
            lead = depts[i % len(depts)]
            other = depts[(i * 7 + 3) % len(depts)]
            at = start + timedelta(minutes=i * 700_000 // collabs)
            collab_rows.append({"id": i + 1, "code": f"XZ-2024-{i + 1:05d}", "name": f"协作项目{i}：{CLAUSES[i % len(CLAUSES)]}",
                                "goal": f"目标{i % 97}：完成率100%；{prose(rng, 2)}", "background": prose(rng, 3),
                                "priority": "medium", "expected_date": at.date(), "initiator_id": heads[lead.id],
                                "initiator_dept_id": lead.id, "lead_dept_id": lead.id, "stage": Stage.ARCHIVED,
                                "eval_round": 1, "submitted_at": at, "approved_at": at, "executing_at": at,
                                "accepted_at": at, "archived_at": at})
            cid = i + 1
            for d in {lead.id, other.id}:
                rows[Participant].append({"collab_id": cid, "dept_id": d, "invited": d != lead.id, "contact_id": heads[d]})
            planted = DOCS[i // 10] if i % 10 == 0 and i // 10 < len(DOCS) else None
            for n in range(1, 4):
                description = planted if planted and n == 1 else prose(rng, 4)
                rows[Problem].append({"collab_id": cid, "number": n, "description": description, "impact": "medium",
                                      "responsible_dept_id": other.id, "cause": prose(rng, 2), "measures": prose(rng, 2),
                                      "verification": "已解决", "status": "resolved", "level": 0,
                                      "reported_by": heads[other.id], "reported_at": at})
            for n in range(1, 3):
                rows[Risk].append({"collab_id": cid, "number": n, "description": prose(rng, 3), "level": "medium",
                                   "scope": prose(rng, 1), "mitigation": prose(rng, 2), "status": "closed",
                                   "raised_by": heads[lead.id], "raised_at": at})
            rows[ChangeRequest].append({"collab_id": cid, "number": 1, "kind": "time", "description": prose(rng, 2),
                                        "reason": prose(rng, 2), "status": "approved", "requested_by": heads[other.id],
                                        "requested_at": at, "decision_note": "同意"})
            rows[Meeting].append({"collab_id": cid, "number": 1, "kind": "sync", "title": f"周同步会{i}", "starts_at": at,
                                  "duration_min": 30, "agenda": prose(rng, 1), "dept_ids": [lead.id, other.id],
                                  "owner_id": heads[lead.id], "status": "held", "minutes": prose(rng, 5),
                                  "decisions": prose(rng, 1), "minutes_at": at})
            rows[Retrospective].append({"collab_id": cid, "went_well": prose(rng, 2), "to_improve": prose(rng, 2),
                                        "lessons": prose(rng, 3), "written_by": heads[lead.id], "written_at": at})
            rows[Task].append({"id": cid, "collab_id": cid, "number": 1, "title": f"交付任务{i}", "owner_dept_id": other.id,
                               "owner_person_id": heads[other.id], "deliverable": "文档", "standard": "评审通过",
                               "start_date": at.date(), "due_date": at.date(), "status": "done", "progress": 100,
                               "updated_at": at, "done_at": at})
        await _bulk(session, Collaboration, collab_rows)
        for model, batch in rows.items():
            await _bulk(session, model, batch)
        await _bulk(session, Delivery, [{"id": t["id"], "task_id": t["id"], "content": f"https://docs.example.com/{t['id']} "
                                         + prose(rng, 2), "submitted_by": t["owner_person_id"], "submitted_at": t["updated_at"]}
                                        for t in rows[Task]])
        await _bulk(session, Acceptance, [{"task_id": t["id"], "delivery_id": t["id"], "result": "pass", "score": 90,
                                           "comments": prose(rng, 2), "accepted_by": heads[depts[0].id],
                                           "accepted_at": t["updated_at"]} for t in rows[Task]])
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            for table in ("collaborations", "tasks", "deliveries"):
                await session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                           f"(SELECT MAX(id) FROM {table}))"))


async def _bulk(session: Any, model: type, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), 2000):
        await session.execute(insert(model), rows[i:i + 2000])


async def backfill(tb: TestBot) -> tuple[int, float]:
    """Queue every text as migration f001 does, and index them all."""
    async with tb.bot.sessions() as session, session.begin():
        for kind, source in kb.SOURCES.items():
            await session.execute(text(f"INSERT INTO kb_pending (kind, row_id) SELECT '{kind}', id "
                                       f"FROM {source.model.__tablename__} ORDER BY id"))
    started = time.perf_counter()
    await tb.bot.indexer.catch_up()
    seconds = time.perf_counter() - started
    async with tb.bot.sessions() as session:
        docs = await session.scalar(select(func.count()).select_from(KbDoc)) or 0
    return docs, seconds


async def sizes(tb: TestBot, url: str) -> str:
    async with tb.bot.sessions() as session:
        index = await kb.index_size(session)
        if url.startswith("postgresql"):
            total = await session.scalar(text("SELECT pg_database_size(current_database())")) or 0
            docs = await session.scalar(text("SELECT pg_total_relation_size('kb_docs')")) or 0
        else:
            total = os.path.getsize(url.removeprefix("sqlite:///"))
            docs = await session.scalar(text("SELECT SUM(pgsize) FROM dbstat WHERE name = 'kb_docs'")) \
                if await _has_dbstat(session) else 0
    mb = 1024 * 1024
    return f"database {total / mb:.0f} MB, kb_docs {docs / mb:.0f} MB, index {index / mb:.0f} MB"


async def _has_dbstat(session: Any) -> bool:
    try:
        await session.execute(text("SELECT 1 FROM dbstat LIMIT 1"))
        return True
    except Exception:
        return False


async def searches(tb: TestBot, rounds: int) -> str:
    out = []
    for user, dept in (("李工", "研发部"), ("周主任", "协作管理办公室")):
        times, found = [], 0
        for _ in range(rounds):
            for query, want in QUERIES:
                started = time.perf_counter()
                replies = await tb.say(user, dept, f"/kb {query}")
                times.append((time.perf_counter() - started) * 1000)
                assert replies and not replies[0].is_error, replies[0].as_text() if replies else query
                found += planted(want) in [i["ref"] for i in replies[0].data["items"][:3]]
        seen = f", the test set's text in the top 3: {found / rounds}/{len(QUERIES)}" if user == "周主任" else ""
        out.append(f"/kb as {user} ({dept}): p50 {pct(times, 0.5):.1f} ms, p95 {pct(times, 0.95):.1f} ms{seen}")
    async with tb.bot.sessions() as session:
        reader = (await org.people_named(session, "李工"))[0]
        times = []
        for _ in range(rounds):
            for query, _want in QUERIES:
                started = time.perf_counter()
                await kb.search(session, query, kb.Filters(reader=reader), limit=6)
                times.append((time.perf_counter() - started) * 1000)
    out.append(f"storage.kb.search alone: p50 {pct(times, 0.5):.1f} ms, p95 {pct(times, 0.95):.1f} ms")
    return "\n  ".join(out)


def planted(index: int) -> str:
    """Where `seed` put the test set's text DOCS[index]: problem P1 of every tenth collaboration."""
    return f"XZ-2024-{index * 10 + 1:05d}/P1"


async def live_collaboration(tb: TestBot) -> None:
    """XZ-2026-0001, executing, for the lag and the action figures."""
    for user, dept, command in (
            ("小张", "市场部", '/request "压测专项" goal="峰值QPS提升到5000" depts=研发部 due=2027-06-30'),
            ("李主管", "研发部", f"/evaluate {LIVE} 接受 contact=@李工 date=2027-01-20"),
            ("周主任", "协作管理办公室", f"/approve {LIVE}")):
        replies = await tb.say(user, dept, command)
        assert replies and not replies[0].is_error, replies[0].as_text()


async def lag(tb: TestBot, samples: int) -> str:
    """Commit to searchable, with the indexer's loop running as in `serve`."""
    runner = asyncio.create_task(tb.bot.indexer.run_forever())
    waits = []
    try:
        for i in range(samples):
            await tb.bot.dispatch(tb.command("李工", "研发部", f"/problem {LIVE} 压测环境异常{i} impact=低"))
            committed = time.perf_counter()
            async with tb.bot.sessions() as session:
                row_id = await session.scalar(select(func.max(Problem.id)))
            while True:
                async with tb.bot.sessions() as session:
                    if await session.scalar(select(KbDoc.id).where(KbDoc.kind == "problem", KbDoc.row_id == row_id)):
                        break
                await asyncio.sleep(0.001)
            waits.append((time.perf_counter() - committed) * 1000)
    finally:
        runner.cancel()
    return f"lag: p50 {pct(waits, 0.5):.1f} ms, p95 {pct(waits, 0.95):.1f} ms, max {max(waits):.1f} ms"


async def action_cost(tb: TestBot, samples: int) -> str:
    """/problem with the kb_pending hook and without it, alternated."""
    timed: dict[bool, list[float]] = {True: [], False: []}
    for i in range(samples):
        hooked = i % 2 == 0
        if not hooked:
            event.remove(BotSession, "after_flush", kb.mark_texts)
        try:
            started = time.perf_counter()
            await tb.bot.dispatch(tb.command("李工", "研发部", f"/problem {LIVE} 压测脚本超时{i} impact=低"))
            timed[hooked].append((time.perf_counter() - started) * 1000)
        finally:
            if not hooked:
                event.listen(BotSession, "after_flush", kb.mark_texts)
        await tb.bot.indexer.catch_up()
        await tb.bot.dispatcher.drain()
    with_hook, without = statistics.median(timed[True]), statistics.median(timed[False])
    return (f"action /problem: median {with_hook:.2f} ms with the kb_pending row, {without:.2f} ms without "
            f"({with_hook - without:+.2f} ms)")


async def one_database(url: str, collabs: int, rounds: int) -> None:
    tb = await TestBot.create(demo_config(url), NOW)
    try:
        started = time.perf_counter()
        await seed(tb, collabs)
        print(f"  seeded {collabs} archived collaborations in {time.perf_counter() - started:.1f} s")
        docs, seconds = await backfill(tb)
        print(f"  backfill: {docs} texts indexed in {seconds:.1f} s ({docs / seconds:.0f} texts/s)")
        async with tb.bot.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        print(f"  size: {await sizes(tb, url)}")
        print(f"  {await searches(tb, rounds)}")
        await live_collaboration(tb)
        print(f"  {await lag(tb, 30)}")
        print(f"  {await action_cost(tb, 60)}")
    finally:
        await tb.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collabs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="times each query of bench/kb_corpus.py is run")
    parser.add_argument("--pg", default="", help="also on this PostgreSQL database (emptied first!)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite")
        await one_database(f"sqlite:///{Path(tmp) / 'kb.db'}", args.collabs, args.rounds)
    if args.pg:
        print("PostgreSQL")
        await fresh_postgres(args.pg)
        await one_database(args.pg, args.collabs, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
