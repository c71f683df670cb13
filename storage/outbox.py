"""The outbox: replies and notices queued in the action's transaction, sent by the dispatcher.

A row's `key` is unique, so queueing the same notice twice is a no-op. A claimed row gets
status `sending` and a lease (its `due_at` moves to the lease's end): if the process dies
mid-send, the lease runs out and another claim picks the row up again.

One chat's rows go out in `(scheduled_at, id)` order: a claim takes a chat's rows only from the
head of its queue, so a row waiting for a retry, or held by another process, holds back the rows
behind it. Scheduled notices that are due together in one chat are claimed as one group and sent
as one digest card. Every claimed row is stamped with its group's `group_key` (the first row's
key, which is also the platform idempotency key); a re-claim sends exactly that group again, so a
send whose acknowledgement was lost is deduplicated by the platform instead of re-grouped.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import org
from storage.db import changed
from storage.models import UNSENT_ROWS, OutboxMessage
from storage.upsert import insert_ignore

LEASE = timedelta(seconds=20)  # renewed while the chat's sends go out (Dispatcher._hold)
UNSENT = ("pending", "sending")
#: Rows of this kind (planner notices) merge into digests; replies and handler notices never do.
MERGEABLE = "scheduled"
#: Keys of the admins' "could not deliver" notes: a failed note never begets another.
NOTE_PREFIX = "admin:send-failed:"


async def enqueue(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Queue rows (key, platform, chat_id, kind, payload, due_at, created_at, ...); duplicates skipped."""
    for row in rows:
        row.setdefault("status", "pending")
        row.setdefault("attempts", 0)
        row.setdefault("error", "")
        row.setdefault("scheduled_at", row["due_at"])
    return await insert_ignore(session, OutboxMessage, rows, ["key"])


class Queued(NamedTuple):
    """An outbox row as the dispatcher claims and sends it (plain values: no ORM bookkeeping)."""

    id: int
    key: str
    platform: str
    chat_id: str
    kind: str
    reply_to: str | None
    payload: dict[str, Any]
    scheduled_at: datetime | None
    group_key: str | None  # the digest group it went out in, once claimed
    attempts: int


class Claim(NamedTuple):
    groups: list[list[Queued]]  # send groups, each chat's in its order, as stamped by the claim
    full: bool  # `limit` due rows were found: more may be waiting


# The dispatcher's statements, built once and in Core: it claims several times a second under
# load, and building a statement, or loading and flushing ORM objects, cost more than running it.
_OUTBOX = cast(Table, OutboxMessage.__table__)
_CLAIM = (select(*(_OUTBOX.c[name] for name in Queued._fields))
          .where(UNSENT_ROWS, _OUTBOX.c.due_at <= bindparam("now"))  # the partial index's own predicate
          .order_by(_OUTBOX.c.scheduled_at, _OUTBOX.c.id).limit(bindparam("limit"))
          .with_hint(_OUTBOX, "INDEXED BY ix_outbox_unsent", "sqlite"))
_CLAIM_LOCKED = _CLAIM.with_for_update(skip_locked=True)  # PostgreSQL: other processes skip these rows
#: Per chat, the unsent rows queued up to the last claimed one (`last`, `last_id`) in send order.
_QUEUES = (select(_OUTBOX.c.id, _OUTBOX.c.platform, _OUTBOX.c.chat_id)
           .where(_OUTBOX.c.status.in_(UNSENT),
                  or_(_OUTBOX.c.scheduled_at < bindparam("last"),
                      and_(_OUTBOX.c.scheduled_at == bindparam("last"), _OUTBOX.c.id <= bindparam("last_id"))),
                  tuple_(_OUTBOX.c.platform, _OUTBOX.c.chat_id).in_(bindparam("chats", expanding=True)))
           .order_by(_OUTBOX.c.scheduled_at, _OUTBOX.c.id))
_STAMP = (update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id"))
          .values(status="sending", due_at=bindparam("lease_end"), attempts=_OUTBOX.c.attempts + 1,
                  group_key=bindparam("stamp")))
_MARK_SENT = (update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id"))
              .values(status="sent", sent_at=bindparam("sent_at"), platform_message_id=bindparam("message_id"),
                      error=""))


async def claim(session: AsyncSession, now: datetime, limit: int, digest_max: int = 1,
                lease: timedelta = LEASE) -> Claim:
    """Take up to `limit` due rows for sending, as send groups in each chat's order.

    Other processes skip rows locked here (PostgreSQL); a chat whose queue head is locked,
    leased or backing off elsewhere is left alone, so no chat's messages overtake each other.
    """
    postgresql = session.bind is not None and session.bind.dialect.name == "postgresql"
    stmt = _CLAIM_LOCKED if postgresql else _CLAIM
    mine = {r.id: Queued(*r) for r in (await session.execute(stmt, {"now": now, "limit": limit})).all()}
    if not mine:
        return Claim([], full=False)
    taken = await _queue_heads(session, mine)
    groups = [[row._replace(attempts=row.attempts + 1, group_key=group[0].key) for row in group]
              for group in await _whole_groups(session, _group(taken, digest_max))]
    if groups:  # the group key is fixed from the first try: a retry re-sends the same content
        await session.execute(_STAMP, [{"row_id": row.id, "lease_end": now + lease, "stamp": row.group_key}
                                       for group in groups for row in group])
    return Claim(groups, full=len(mine) == limit)


async def _queue_heads(session: AsyncSession, mine: dict[int, Queued]) -> list[list[Queued]]:
    """Per chat, the claimed rows that form the head of that chat's queue of unsent rows."""
    chats = sorted({(r.platform, r.chat_id) for r in mine.values()})
    last, last_id = max((r.scheduled_at, r.id) for r in mine.values())
    queue = (await session.execute(_QUEUES, {"chats": chats, "last": last, "last_id": last_id})).all()
    heads: dict[tuple[str, str], list[Queued]] = {}
    blocked: set[tuple[str, str]] = set()
    for row_id, platform, chat_id in queue:
        chat = (platform, chat_id)
        if chat in blocked:
            continue
        if row_id in mine:
            heads.setdefault(chat, []).append(mine[row_id])
        else:
            blocked.add(chat)
    return list(heads.values())


def _group(chats: list[list[Queued]], digest_max: int) -> list[list[Queued]]:
    """Split each chat's rows into sends: a stamped group stays whole; runs of scheduled notices
    merge up to `digest_max`, except one with an artifact (a digest card carries none); everything
    else goes alone."""
    out: list[list[Queued]] = []
    for rows in chats:
        current: list[Queued] = []
        for row in rows:
            joins = current and (row.group_key is not None and row.group_key == current[0].group_key
                                 or row.group_key is None and current[0].group_key is None
                                 and _mergeable(row) and _mergeable(current[0]) and len(current) < digest_max)
            if not joins and current:
                out.append(current)
                current = []
            current.append(row)
        if current:
            out.append(current)
    return out


def _mergeable(row: Queued) -> bool:
    return row.kind == MERGEABLE and "artifact" not in row.payload


async def _whole_groups(session: AsyncSession, groups: list[list[Queued]]) -> list[list[Queued]]:
    """Drop a stamped group the batch limit cut short (and its chat's later rows): it must be
    re-sent exactly as first sent, under the same idempotency key."""
    stamped = [g[0].group_key for g in groups if g[0].group_key]
    if not stamped:
        return groups
    sizes = dict((await session.execute(select(OutboxMessage.group_key, func.count())
                                        .where(OutboxMessage.group_key.in_(stamped),
                                               OutboxMessage.status.in_(UNSENT))
                                        .group_by(OutboxMessage.group_key))).all())
    cut: set[tuple[str, str]] = set()
    out = []
    for g in groups:
        chat = (g[0].platform, g[0].chat_id)
        if chat in cut or (g[0].group_key and sizes.get(g[0].group_key, 0) != len(g)):
            cut.add(chat)
            continue
        out.append(g)
    return out


async def notify_pmo(session: AsyncSession, key_prefix: str, message: dict[str, Any], now: datetime,
                     skip: tuple[str, str] | None = None) -> None:
    """Queue `message` (a Message's JSON) to every group chat of the PMO departments, except
    `skip` (platform, chat id); each row's key is `key_prefix` + "platform:chat"."""
    chats = await org.chats_of(session, [d.id for d in await org.pmo_departments(session)])
    await enqueue(session, [{"key": f"{key_prefix}{c.platform}:{c.chat_id}", "platform": c.platform,
                             "chat_id": c.chat_id, "kind": "notice", "payload": message, "due_at": now,
                             "created_at": now} for c in chats if (c.platform, c.chat_id) != skip])


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[Sequence[int], str]], now: datetime) -> None:
    """Record many sends at once: (row ids, platform message id) each, one executemany."""
    await session.execute(_MARK_SENT, [{"row_id": i, "message_id": mid, "sent_at": now}
                                       for ids, mid in sent for i in ids])


async def keep_payload(session: AsyncSession, row_id: int, payload: dict[str, Any]) -> None:
    """Store what a row's message became before sending (its chart drawn): a retry sends that."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(payload=payload))


async def renew(session: AsyncSession, row_ids: Sequence[int], lease_end: datetime) -> None:
    """Extend the lease of rows still being sent: the chat stays this process's while it paces them."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(row_ids)),
                                                      OutboxMessage.status == "sending")
                          .values(due_at=lease_end))


async def retry_later(session: AsyncSession, row_ids: Sequence[int], when: datetime, error: str) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(row_ids)))
                          .values(status="pending", due_at=when, error=error[:2000]))


async def release(session: AsyncSession, row_ids: Sequence[int], now: datetime) -> None:
    """Hand back claimed rows that were not tried (an earlier row of their chat failed)."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(row_ids)))
                          .values(status="pending", due_at=now, attempts=OutboxMessage.attempts - 1))


async def give_up(session: AsyncSession, row_ids: Sequence[int], error: str) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(row_ids)))
                          .values(status="failed", error=error[:2000]))


async def withdraw(session: AsyncSession, key_prefix: str) -> int:
    """Cancel pending rows whose key starts with `key_prefix` (a plan change made them moot)."""
    result = await session.execute(update(OutboxMessage)
                                   .where(OutboxMessage.key.startswith(key_prefix, autoescape=True),
                                          OutboxMessage.status == "pending")
                                   .values(status="withdrawn"))
    return changed(result)


async def due_moments(session: AsyncSession, until: datetime) -> list[datetime]:
    """The distinct times unsent rows fall due up to `until` (a fast-forward visits each)."""
    return list((await session.scalars(select(OutboxMessage.due_at).distinct()
                                       .where(UNSENT_ROWS, OutboxMessage.due_at <= until)
                                       .order_by(OutboxMessage.due_at))).all())


async def depth(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(or_(OutboxMessage.status == "pending",
                                                OutboxMessage.status == "sending"))) or 0)


async def next_due(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(func.min(OutboxMessage.due_at))
                                .where(OutboxMessage.status.in_(("pending", "sending"))))

