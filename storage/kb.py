"""The knowledge base's index (docs/knowledge.md): what each kind of record contributes, how an
action marks its texts for indexing, how the indexer catches up, and the search.

An action never indexes: a flush that writes or changes an indexed text adds a `kb_pending` row in
the same transaction (`mark_texts`, an after_flush hook of every bot session, storage/db.py), and
the indexer (`bot.indexer`) turns pending rows into `kb_docs` right after the commit. SQLite
searches `kb_fts` (FTS5, bm25), PostgreSQL the `tsv` column (GIN, ts_rank); both hold the terms
`bot.segment` cut.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    delete,
    func,
    insert,
    inspect,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.segment import query_terms, terms
from storage import workflow
from storage.models import (
    Acceptance,
    ChangeRequest,
    Collaboration,
    Delivery,
    KbDoc,
    KbPending,
    Meeting,
    Person,
    Problem,
    Retrospective,
    Risk,
    Task,
)


@dataclass(frozen=True)
class Source:
    """A kind of record in the knowledge base: its table and the columns whose change re-indexes it."""

    model: type[Any]
    columns: tuple[str, ...]


#: Every indexed kind (migration f001 backfills the same list).
SOURCES: dict[str, Source] = {
    "request": Source(Collaboration, ("name", "goal", "background", "stage")),
    "retro": Source(Retrospective, ("went_well", "to_improve", "lessons")),
    "problem": Source(Problem, ("description", "cause", "measures", "verification", "status", "responsible_dept_id")),
    "risk": Source(Risk, ("description", "scope", "mitigation", "status")),
    "change": Source(ChangeRequest, ("description", "reason", "decision_note", "status")),
    "meeting": Source(Meeting, ("title", "agenda", "minutes", "decisions", "status")),
    "delivery": Source(Delivery, ("content",)),
    "acceptance": Source(Acceptance, ("comments", "result")),
}
_KIND_OF = {source.model: kind for kind, source in SOURCES.items()}


def mark_texts(session: Session, _context: Any) -> None:
    """Queue, in the flush's own transaction, every indexed row it added, changed or deleted."""
    marked = {(kind, obj.id) for obj in session.new if (kind := _KIND_OF.get(type(obj)))}
    marked |= {(kind, obj.id) for obj in session.deleted if (kind := _KIND_OF.get(type(obj)))}
    for obj in session.dirty:
        kind = _KIND_OF.get(type(obj))
        if kind and any(inspect(obj).attrs[c].history.has_changes() for c in SOURCES[kind].columns):
            marked.add((kind, obj.id))
    if marked:
        session.connection().execute(insert(KbPending), [{"kind": k, "row_id": i} for k, i in sorted(marked)])


# --- the indexer's side -------------------------------------------------------------------------

async def index_pending(session: AsyncSession, batch: int = 500) -> int:
    """Index up to `batch` pending rows (oldest first) and drop them; returns how many were taken.
    On PostgreSQL, rows another process is indexing are skipped."""
    query = select(KbPending.id, KbPending.kind, KbPending.row_id).order_by(KbPending.id).limit(batch)
    if _postgres(session):
        query = query.with_for_update(skip_locked=True)
    pending = (await session.execute(query)).all()
    if not pending:
        return 0
    wanted: dict[str, set[int]] = {}
    for _, kind, row_id in pending:
        wanted.setdefault(kind, set()).add(row_id)
    for kind, ids in wanted.items():
        await _reindex(session, kind, sorted(ids))
    await session.execute(delete(KbPending).where(KbPending.id.in_([p.id for p in pending])))
    return len(pending)


def _postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def pending_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(KbPending)) or 0


async def _reindex(session: AsyncSession, kind: str, ids: list[int]) -> None:
    docs = {d["row_id"]: d for d in await _documents(session, kind, ids)}
    existing = {d.row_id: d for d in (await session.scalars(
        select(KbDoc).where(KbDoc.kind == kind, KbDoc.row_id.in_(ids)))).all()}
    for row_id in ids:
        doc, old = docs.get(row_id), existing.get(row_id)
        if doc is None:
            if old is not None:
                await session.delete(old)
        elif old is None:
            session.add(KbDoc(**doc))
        else:
            for name, value in doc.items():
                setattr(old, name, value)
    await session.flush()


async def _documents(session: AsyncSession, kind: str, ids: list[int]) -> list[dict[str, Any]]:
    """The documents of these rows of `kind`, as KbDoc columns; a row gone or without text has none."""
    model = SOURCES[kind].model
    rows = (await session.scalars(select(model).where(model.id.in_(ids)))).all()
    of_tasks = kind in ("delivery", "acceptance")
    tasks: dict[int, Task] = {}
    if of_tasks:
        tasks = {t.id: t for t in (await session.scalars(
            select(Task).where(Task.id.in_({r.task_id for r in rows})))).all()}

    def collab_id(row: Any) -> int:
        return int(row.id if kind == "request" else tasks[row.task_id].collab_id if of_tasks else row.collab_id)
    collabs = {c.id: c for c in (await session.scalars(
        select(Collaboration).where(Collaboration.id.in_({collab_id(r) for r in rows})))).all()}
    owners = await _person_depts(session, {getattr(r, n) for r in rows for n in ("owner_id", "requested_by")
                                           if getattr(r, n, None)})
    out = []
    for row in rows:
        task = tasks[row.task_id] if of_tasks else None
        c = collabs[collab_id(row)]
        built = _BUILD[kind](row, c, task, owners)
        if built is None:
            continue
        title, body, dept_id, state, at, ref = built
        out.append({"kind": kind, "row_id": row.id, "collab_id": c.id, "dept_id": dept_id, "ref": ref,
                    "title": title[:200], "body": body, "terms": " ".join(terms(f"{title}\n{body}")),
                    "state": state, "at": at})
    return out


async def _person_depts(session: AsyncSession, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    return {p.id: p.dept_id for p in (await session.execute(
        select(Person.id, Person.dept_id).where(Person.id.in_(ids)))).all()}


Built = tuple[str, str, int | None, str, datetime, str] | None  # title, body, dept, state, date, ref


def _lines(*pairs: tuple[str, str]) -> str:
    return "\n".join(f"{label}：{value.strip()}" for label, value in pairs if value and value.strip())


def _request(r: Collaboration, c: Collaboration, _t: Task | None, _o: dict[int, int]) -> Built:
    return r.name, _lines(("目标", r.goal), ("背景", r.background)), r.initiator_dept_id, r.stage, r.submitted_at, r.code


def _retro(r: Retrospective, c: Collaboration, _t: Task | None, _o: dict[int, int]) -> Built:
    body = _lines(("可复用的经验", r.lessons), ("做得好的", r.went_well), ("待改进", r.to_improve), ("协作目标", c.goal))
    return f"{c.name} 复盘", body, c.lead_dept_id, "", r.written_at, c.code


def _problem(r: Problem, c: Collaboration, _t: Task | None, _o: dict[int, int]) -> Built:
    body = _lines(("问题描述", r.description), ("原因", r.cause), ("措施", r.measures), ("验收结果", r.verification))
    return r.description[:60], body, r.responsible_dept_id, r.status, r.reported_at, f"{c.code}/P{r.number}"


def _risk(r: Risk, c: Collaboration, _t: Task | None, owners: dict[int, int]) -> Built:
    body = _lines(("风险描述", r.description), ("影响范围", r.scope), ("应对措施", r.mitigation))
    dept = owners.get(r.owner_id) if r.owner_id else c.lead_dept_id
    return r.description[:60], body, dept, r.status, r.raised_at, f"{c.code}/R{r.number}"


def _change(r: ChangeRequest, c: Collaboration, _t: Task | None, owners: dict[int, int]) -> Built:
    body = _lines(("变更内容", r.description), ("变更原因", r.reason), ("审批意见", r.decision_note))
    return r.description[:60], body, owners.get(r.requested_by), r.status, r.requested_at, f"{c.code}/C{r.number}"


def _meeting(r: Meeting, c: Collaboration, _t: Task | None, owners: dict[int, int]) -> Built:
    body = _lines(("议程", r.agenda), ("会议纪要", r.minutes), ("决议", r.decisions))
    return r.title, body, owners.get(r.owner_id), r.status, r.starts_at, f"{c.code}/M{r.number}"


def _delivery(r: Delivery, c: Collaboration, t: Task | None, _o: dict[int, int]) -> Built:
    assert t is not None
    return f"T{t.number} {t.title} 交付物", _lines(("交付内容", r.content)), t.owner_dept_id, "", r.submitted_at, \
        f"{c.code}/T{t.number}"


def _acceptance(r: Acceptance, c: Collaboration, t: Task | None, _o: dict[int, int]) -> Built:
    assert t is not None
    if not r.comments.strip():
        return None
    return f"T{t.number} {t.title} 验收意见", _lines(("验收意见", r.comments)), t.owner_dept_id, r.result, \
        r.accepted_at, f"{c.code}/T{t.number}"


_BUILD: dict[str, Callable[[Any, Collaboration, Task | None, dict[int, int]], Built]] = {
    "request": _request, "retro": _retro, "problem": _problem, "risk": _risk, "change": _change,
    "meeting": _meeting, "delivery": _delivery, "acceptance": _acceptance,
}


# --- the search ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    kind: str
    row_id: int
    collab_id: int
    ref: str
    title: str
    body: str
    state: str
    at: datetime


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to; `reader` limits it to the collaborations a person may read
    (None: every collaboration, for the PMO, the leaders and `visibility = "all"`)."""

    kinds: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    dept_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    reader: Person | None = None
    exclude_collab: int | None = None


async def search(session: AsyncSession, query: str, filters: Filters = Filters(), limit: int = 10,
                 offset: int = 0) -> list[Hit]:
    """The best `limit` documents for `query`: those holding all its terms first, then (when these
    are fewer than wanted) those holding any of its telling terms, each group by relevance."""
    words, prefixes = query_terms(query)
    if not words and not prefixes:
        return []
    postgres = _postgres(session)
    found: dict[int, None] = {}
    stages = [(words, " AND ")]
    if len(words) + len(prefixes) > 1:
        common = await _common_terms(session, words, postgres)
        stages.append(([w for w in words if w not in common], " OR "))
    for terms_, joiner in stages:
        if len(found) >= offset + limit or not terms_ and not prefixes:
            break
        match = _pg_query(terms_, prefixes, joiner) if postgres else _fts_query(terms_, prefixes, joiner)
        ids = (await session.scalars(_ranked(match, postgres, filters, offset + limit - len(found), list(found)))).all()
        found.update(dict.fromkeys(ids))
    page = list(found)[offset:offset + limit]
    docs = {d.id: d for d in (await session.scalars(select(KbDoc).where(KbDoc.id.in_(page)))).all()}
    return [Hit(d.kind, d.row_id, d.collab_id, d.ref, d.title, d.body, d.state, d.at)
            for d in (docs[i] for i in page if i in docs)]


#: From this many documents on, a query's terms held by more than COMMON_SHARE of them are left out
#: of the any-term stage: they tell little and cost the most (docs/knowledge.md, "Ranking").
PRUNE_FROM, COMMON_SHARE = 5000, 0.02
_PG_STATS_SECONDS = 600.0
_pg_common: dict[str, tuple[float, frozenset[str]]] = {}


async def _common_terms(session: AsyncSession, words: list[str], postgres: bool) -> set[str]:
    """Which of `words` are in more than COMMON_SHARE of the documents. SQLite reads each term's
    document count from the index (kb_fts_vocab); PostgreSQL the most common lexemes its
    statistics keep for the tsv column, read at most every ten minutes."""
    if not words:
        return set()
    if not postgres:
        size = await session.scalar(select(func.max(KbDoc.id))) or 0
        if size < PRUNE_FROM:
            return set()
        vocab = table("kb_fts_vocab", column("term"), column("doc"))
        rows = await session.scalars(select(vocab.c.term).where(vocab.c.term.in_(words),
                                                                vocab.c.doc > size * COMMON_SHARE))
        return set(rows)
    key = str(session.get_bind().engine.url)
    cached = _pg_common.get(key)
    if cached is None or cached[0] < time.monotonic():
        row = (await session.execute(text(
            "SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs FROM pg_class c "
            "LEFT JOIN pg_stats s ON s.tablename = 'kb_docs' AND s.attname = 'tsv' AND s.schemaname = current_schema() "
            "WHERE c.oid = 'kb_docs'::regclass"))).one()
        size, elems, freqs = row
        common = frozenset(e for e, f in zip(elems or (), freqs or (), strict=False) if f > COMMON_SHARE) \
            if size >= PRUNE_FROM else frozenset()
        cached = _pg_common[key] = (time.monotonic() + _PG_STATS_SECONDS, common)
    return set(words) & cached[1]


def _fts_query(words: list[str], prefixes: list[str], joiner: str) -> str:
    return joiner.join([f'"{w}"' for w in words] + [f'"{p}"*' for p in prefixes])


def _pg_query(words: list[str], prefixes: list[str], joiner: str) -> str:
    op = " & " if joiner == " AND " else " | "
    return op.join([f"'{w}'" for w in words] + [f"'{p}':*" for p in prefixes])


_FTS = table("kb_fts", column("rowid"))  # SQLite's FTS5 table (migration f001)


def _ranked(match: str, postgres: bool, f: Filters, limit: int, skip: list[int]) -> Select[Any]:
    if postgres:
        q = func.to_tsquery(literal_column("'simple'"), match)
        tsv: ColumnElement[Any] = literal_column("kb_docs.tsv")
        query = select(KbDoc.id).where(tsv.op("@@")(q)).order_by(func.ts_rank(tsv, q).desc(), KbDoc.id.desc())
    else:
        query = (select(KbDoc.id).join(_FTS, _FTS.c.rowid == KbDoc.id)
                 .where(text("kb_fts MATCH :match").bindparams(match=match))
                 .order_by(text("bm25(kb_fts)"), KbDoc.id.desc()))
    for condition in _conditions(f, skip):
        query = query.where(condition)
    return query.limit(limit)


def _conditions(f: Filters, skip: list[int]) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.kinds:
        out.append(KbDoc.kind.in_(f.kinds))
    if f.states:
        out.append(KbDoc.state.in_(f.states))
    if f.dept_id is not None:
        out.append(KbDoc.dept_id == f.dept_id)
    if f.since is not None:
        out.append(KbDoc.at >= f.since)
    if f.until is not None:
        out.append(KbDoc.at < f.until)
    if f.exclude_collab is not None:
        out.append(KbDoc.collab_id != f.exclude_collab)
    if skip:
        out.append(KbDoc.id.not_in(skip))
    if f.reader is not None:  # the collaborations they take part in (handlers.common.may_see)
        out.append(KbDoc.collab_id.in_(select(Collaboration.id).where(workflow.involving(f.reader.dept_id,
                                                                                         f.reader.id))))
    return out


async def index_size(session: AsyncSession) -> int:
    """Bytes the index takes beyond the texts: SQLite's FTS5 tables, PostgreSQL's GIN index."""
    if _postgres(session):
        return await session.scalar(text("SELECT pg_relation_size('ix_kb_docs_tsv')")) or 0
    return await session.scalar(text("SELECT COALESCE(SUM(LENGTH(block)), 0) FROM kb_fts_data")) or 0

