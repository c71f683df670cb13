"""The outbox dispatcher: claims due rows and sends them through each platform's sender.

Senders raise `PermanentSendError` for failures that retrying cannot fix (bot removed from the
group); anything else is retried with exponential backoff. Chats are sent concurrently, one
chat's messages strictly in order: after a failure the rest of that chat's batch is handed back.
Each send carries an idempotency key (`OutboundItem.key`, the outbox key or the digest group's
first key) that adapters pass to the platform (Feishu's `uuid`), so a send repeated after a crash
between "sent" and "recorded" is dropped by the platform.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.aio import cancel_and_wait, woken
from bot.clock import Clock
from bot.messages import CardKind, Message, mention_ref
from bot.metrics import Metrics
from cards.render import made, working
from storage import copies, org, outbox
from storage.models import DeptChat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundItem:
    key: str  # idempotency key for the platform
    platform: str
    chat_id: str
    kind: str
    message: Message
    reply_to: str | None = None
    covers: tuple[str, ...] = ()  # the outbox keys this send delivers (several for a digest)
    resend: bool = False  # tried before: the platform may already have shown it (docs/reliability.md)
    age: timedelta = timedelta(0)  # since it was first due: how long ago the first try can have been


class Sender(Protocol):
    async def send(self, item: OutboundItem) -> str:
        """Deliver one message; returns the platform's message id."""
        ...

    def edit_window(self, item: OutboundItem, message_id: str) -> timedelta | None:
        """How long the platform lets the bot update this sent message in place; None: never
        (docs/cards.md, "Copies")."""
        ...


class PermanentSendError(Exception):
    """A send that must not be retried; `chat_gone` when the bot can no longer post in the chat at
    all (removed from the group, group dissolved): the chat is then marked lost (docs/workflow.md,
    "People and groups change")."""

    def __init__(self, message: str, chat_gone: bool = False) -> None:
        super().__init__(message)
        self.chat_gone = chat_gone


@dataclass(frozen=True)
class _Send:
    row_ids: tuple[int, ...]
    attempts: int
    item: OutboundItem


def digest(messages: list[Message]) -> Message:
    """Several notices due together in one chat, as one card (template "digest")."""
    colors = {m.color for m in messages}
    color = next((c for c in ("red", "yellow") if c in colors), "blue")
    body = "\n\n".join(f"【{m.title}】\n{m.body}".rstrip() for m in messages)
    return Message(f"提醒汇总（{len(messages)} 条）", body, template=CardKind.DIGEST,
                   data={"items": [m.to_json() for m in messages]},
                   mentions=tuple(dict.fromkeys(x for m in messages for x in m.mentions)), color=color)


def _as_send(group: list[outbox.Queued], now: datetime) -> _Send:
    first = group[0]
    messages = [Message.from_json(r.payload) for r in group]
    message = messages[0] if len(group) == 1 else digest(messages)
    attempts = max(r.attempts for r in group)  # counting this one
    due = min((r.scheduled_at for r in group if r.scheduled_at is not None), default=now)
    item = OutboundItem(first.key, first.platform, first.chat_id, first.kind, message, first.reply_to,
                        tuple(r.key for r in group), resend=attempts > 1, age=now - _aware(due, now))
    return _Send(tuple(r.id for r in group), attempts, item)


def _aware(moment: datetime, like: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; compare them with the clock's aware ones."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None and like.tzinfo else moment


Write = Callable[[AsyncSession], Awaitable[object]]


class _Sent(NamedTuple):
    row_ids: tuple[int, ...]
    message_id: str
    shown: copies.Shown | None


class GroupCommit:
    """Outcomes of concurrent sends, written together: one transaction per flush instead of per
    send. A caller resumes only once its outcome is committed, so each chat still records a send
    before making the next, while SQLite's single writer sees one commit for many chats."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self._pending: list[tuple[Write | _Sent, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, fn: Write) -> None:
        await self._add(fn)

    async def sent(self, row_ids: tuple[int, ...], message_id: str, shown: copies.Shown | None = None) -> None:
        """The common outcome: recorded with the others in one executemany; `shown` is the card
        copy the send made or updated, if it shows an object."""
        await self._add(_Sent(row_ids, message_id, shown))

    async def _add(self, outcome: Write | _Sent) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((outcome, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # let the other chats' outcomes join this commit
            batch, self._pending = self._pending, []
            sent = [o for o, _ in batch if isinstance(o, _Sent)]
            try:
                async with self.sessions() as session, session.begin():
                    for outcome, _ in batch:
                        if not isinstance(outcome, _Sent):
                            await outcome(session)
                    if sent:
                        now = self.clock.now()
                        await outbox.mark_sent(session, [(o.row_ids, o.message_id) for o in sent], now)
                        await copies.record(session, [o.shown for o in sent if o.shown is not None], now)
            except Exception as exc:
                for _, done in batch:
                    if not done.done():  # a cancelled caller no longer waits
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


class Dispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], senders: dict[str, Sender], clock: Clock,
                 metrics: Metrics, batch: int = 50, max_attempts: int = 8, poll_seconds: float = 1.0,
                 digest_max: int = 10, lease: timedelta = outbox.LEASE, settle_seconds: float = 0.0,
                 render_patience: float = 1.0) -> None:
        self.sessions = sessions
        self.senders = senders
        self.clock = clock
        self.metrics = metrics
        self.batch = batch
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.digest_max = digest_max
        self.lease = lease
        self.settle_seconds = settle_seconds
        self.render_patience = render_patience
        self._making: set[asyncio.Task[None]] = set()  # chats whose sends wait for an artifact
        self._wake = asyncio.Event()
        self._claiming = asyncio.Lock()  # one claimer per process: SQLite has a single writer
        self._commits = GroupCommit(sessions, clock)

    def wake(self) -> None:
        """Send now rather than at the next poll (a user is waiting for a reply)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Claim and send one batch; returns how many rows were handled."""
        handled, _ = await self._run_batch()
        return handled

    async def _run_batch(self) -> tuple[int, bool]:
        """`run_once`, also saying whether the batch was full (more may be due at once)."""
        async with self._claiming:
            async with self.sessions() as session, session.begin():
                now = self.clock.now()
                claimed = await outbox.claim(session, now, self.batch, self.digest_max, self.lease)
                sends = [_as_send(g, now) for g in claimed.groups]
            by_chat: dict[tuple[str, str], list[_Send]] = defaultdict(list)
            for send in sends:
                by_chat[(send.item.platform, send.item.chat_id)].append(send)
            quick = []
            for chat_sends in by_chat.values():
                if any(s.item.message.artifact is not None for s in chat_sends):
                    self._in_background(self._send_chat(chat_sends))  # its lease keeps the chat ours
                else:
                    quick.append(self._send_chat(chat_sends))
            await asyncio.gather(*quick)
        return sum(len(s.row_ids) for s in sends), claimed.full

    def _in_background(self, sending: Awaitable[None]) -> None:
        """A chat whose message has an artifact to make is sent beside the batches: making one
        takes hundreds of milliseconds, and other chats must not wait for it."""
        task = asyncio.ensure_future(sending)
        self._making.add(task)
        task.add_done_callback(self._made)

    def _made(self, task: asyncio.Task[None]) -> None:
        self._making.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sending an artifact failed", exc_info=task.exception())
        self.wake()  # the chat's later rows may be due

    async def drain(self) -> int:
        """Send everything that is due now (tests and shutdown), artifacts included."""
        total = 0
        while True:
            while n := await self.run_once():
                total += n
            if not self._making:
                return total
            await asyncio.gather(*self._making, return_exceptions=True)

    async def close(self) -> None:
        """Stop the chats still making artifacts: their rows stay leased and go out after a restart."""
        await cancel_and_wait(*self._making)

    async def run_forever(self) -> None:
        """Send a batch whenever woken, or every `poll_seconds` for rows falling due.

        After a wake it waits `settle_seconds`, so the replies of commands arriving together go
        out in one batch: under load each batch is a claim and a commit whatever its size.
        """
        while True:
            try:
                handled, full = await self._run_batch()
                if handled and full:
                    continue  # more may be due; a full batch of blocked chats waits like an empty one
            except Exception:
                log.exception("outbox dispatch failed")
            await woken(self._wake, self.poll_seconds)
            await asyncio.sleep(self.settle_seconds)

    async def _send_chat(self, sends: list[_Send]) -> None:
        """One chat's sends in order; stop at the first that did not go out.

        While they go out (a platform's pacing can hold them for minutes: DingTalk allows 20 a
        minute per group), their lease is renewed, so the chat stays this process's and no other
        process claims and sends its rows again (docs/reliability.md).
        """
        unsent = [row_id for send in sends for row_id in send.row_ids]
        keeper = asyncio.create_task(self._hold(unsent))
        try:
            for i, send in enumerate(sends):
                delivered = await self._deliver(send)
                del unsent[:len(send.row_ids)]
                if not delivered:
                    if unsent:
                        await self._record(outbox.release, list(unsent), self.clock.now())
                    return
        finally:
            await cancel_and_wait(keeper)

    async def _hold(self, unsent: list[int]) -> None:
        """Renew the lease of a chat's unsent rows a few times per lease, until cancelled."""
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            if unsent:
                await self._record(outbox.renew, list(unsent), self.clock.now() + self.lease)

    async def _deliver(self, send: _Send) -> bool:
        """Send one item; True when the chat may go on (sent, or given up for good)."""
        item = send.item
        sender = self.senders.get(item.platform)
        try:
            if sender is None:
                raise PermanentSendError(f"no sender for platform {item.platform!r}")
            message_id = await (self._send_made(send, sender) if item.message.artifact is not None
                                else sender.send(item))
        except PermanentSendError as exc:
            await self._give_up(send, f"permanent: {exc}", chat_gone=exc.chat_gone)
            return True
        except Exception as exc:  # transient: back off and retry
            if send.attempts >= self.max_attempts:
                await self._give_up(send, f"gave up after {send.attempts} attempts: {exc!r}")
                return True
            when = self.clock.now() + timedelta(seconds=min(2 ** send.attempts, 300))
            await self._record(outbox.retry_later, send.row_ids, when, repr(exc))
            self.metrics.sent.labels(item.platform, "retry").inc()
            return False
        await self._commits.sent(send.row_ids, message_id, self._shown(sender, item, message_id))
        self.metrics.sent.labels(item.platform, "sent").inc(len(send.row_ids))
        return True

    async def _send_made(self, send: _Send, sender: Sender) -> str:
        """Make the message's artifact (a chart, a workbook), keep its bytes in the row (a retry
        sends them without making them again), then send. Making that takes longer than
        `render_patience` s is announced: the message goes out at once saying what follows
        (「生成中…」), and is then updated in place with it where the platform can update it, or
        followed by the whole message where it cannot (docs/workflow.md, "Reports")."""
        item = send.item
        drawing = asyncio.ensure_future(made(item.message))
        try:
            async with asyncio.timeout(self.render_patience):  # not wait_for: see bot/aio.py
                await asyncio.shield(drawing)
        except TimeoutError:
            first = replace(item, message=working(item.message), key=f"{item.key}:working")
            working_id = await sender.send(first)
            if sender.edit_window(first, working_id) is not None:
                item = replace(item, kind="update", reply_to=working_id)
        message = await drawing
        await self._record(outbox.keep_payload, send.row_ids[0], message.to_json())
        return await sender.send(replace(item, message=message))

    def _shown(self, sender: Sender, item: OutboundItem, message_id: str) -> copies.Shown | None:
        """The card copy a send leaves in the chat, when its message shows an object, or when an
        update replaced a copy (its object may be gone: a form turned 「已提交」)."""
        obj = item.message.data.get("object")
        if obj is None and item.kind != "update":
            return None
        window = sender.edit_window(item, message_id)
        return copies.Shown(item.platform, item.chat_id, message_id, item.message.template,
                            str(obj) if obj is not None else None, str(item.message.data.get("state", "")),
                            self.clock.now() + window if window is not None else None)

    async def _give_up(self, send: _Send, error: str, chat_gone: bool = False) -> None:
        """Mark the rows failed and, unless this was itself such a note, tell the PMO groups; a
        group the bot can no longer post in is marked lost, and the PMO told once."""
        item = send.item
        log.warning("outbox %s gave up: %s", item.key, error)
        self.metrics.sent.labels(item.platform, "failed").inc(len(send.row_ids))

        async def write(session: AsyncSession) -> None:
            await outbox.give_up(session, send.row_ids, error)
            if chat_gone and await org.chat_dept(session, item.platform, item.chat_id) is not None:
                lost = await org.mark_lost(session, item.platform, item.chat_id, error, self.clock.now())
                if lost is not None:  # else it was known lost already: the PMO has been told
                    await tell_lost(session, lost, error, self.clock.now())
            elif item.kind == "update" and item.reply_to:  # the message stays as it was: clicks on it
                await copies.freeze(session, item.platform, item.reply_to)  # are answered from current state
            elif not item.key.startswith(outbox.NOTE_PREFIX):
                await self._note_failure(session, send, error)
        await self._commits.write(write)

    async def _note_failure(self, session: AsyncSession, send: _Send, error: str) -> None:
        item, now = send.item, self.clock.now()
        admins = await org.admins(session)
        note = Message("消息发送失败", f"发往 {item.platform}:{item.chat_id} 的消息“{item.message.title}”无法送达："
                       f"{error[:300]}\n请检查机器人是否仍在该群、群是否已解散，必要时重新 /bind。", template=CardKind.SEND_FAILED,
                       data={"platform": item.platform, "chat_id": item.chat_id, "key": item.key}, color="red",
                       mentions=tuple(mention_ref(p.platform, p.user_id, p.name) for p in admins))
        await outbox.notify_pmo(session, f"{outbox.NOTE_PREFIX}{send.row_ids[0]}|", note.to_json(), now,
                                skip=(item.platform, item.chat_id))

    async def _record(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        await self._commits.write(lambda session: fn(session, *args))


async def tell_lost(session: AsyncSession, chat: DeptChat, why: str, now: datetime) -> None:
    """Tell the PMO's groups (@admins) that a department's group can no longer be reached, and how
    to rebind it; the department shows as unreachable until then."""
    dept = await org.dept_by_id(session, chat.dept_id)
    name = dept.name if dept else "?"
    admins = await org.admins(session)
    note = Message(f"{name}的群已无法送达", f"机器人无法再向{name}的群（{chat.title or chat.chat_id}）发消息：{why[:200]}\n"
                   f"在该群恢复前，{name}收不到任何通知。请{name}负责人把机器人加回群（或另建部门群），"
                   f"在群里发送 /bind {name}。", template=CardKind.CHAT_LOST,
                   data={"dept": name, "platform": chat.platform, "chat_id": chat.chat_id}, color="red",
                   mentions=tuple(mention_ref(p.platform, p.user_id, p.name) for p in admins))
    await outbox.notify_pmo(session, f"{outbox.NOTE_PREFIX}lost:{chat.platform}:{chat.chat_id}:{now.isoformat()}|",
                            note.to_json(), now, skip=(chat.platform, chat.chat_id))
