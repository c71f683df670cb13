"""Tell the admins when a message could not be delivered for good (bot removed, chat dissolved).

Platform-neutral: any adapter's sender calls `report` with the failed item; the notice goes to
the PMO group chats through the outbox like any other, once per failed item.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.messages import Message
from bot.outbox import OutboundItem, PermanentSendError
from storage import org, outbox

PREFIX = "sendfail:"
log = logging.getLogger(__name__)

#: Called once per permanently failed send, to tell the admins (never raises into the outbox).
FailureReport = Callable[[OutboundItem, PermanentSendError], Awaitable[None]]


async def reporting(item: OutboundItem, send: Callable[[], Awaitable[str]], report: FailureReport | None) -> str:
    """Run a sender's `send`; a permanent failure is reported, then re-raised for the outbox to record."""
    try:
        return await send()
    except PermanentSendError as exc:
        if report is not None:
            try:
                await report(item, exc)
            except Exception:
                log.exception("reporting failed send %s", item.key)
        raise


class FailureReporter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def report(self, item: OutboundItem, error: PermanentSendError) -> None:
        if item.key.startswith(PREFIX):  # a report that failed itself: do not report the report
            return
        notice = Message("消息未能送达", f"发往 {item.platform} 群 {item.chat_id} 的消息“{item.message.title}”"
                                         f"无法送达：{error}\n请检查机器人是否仍在该群中。", color="red")
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            pmo = [d.id for d in await org.pmo_departments(session)]
            chats = [c for c in await org.chats_of(session, pmo)
                     if (c.platform, c.chat_id) != (item.platform, item.chat_id)]
            await outbox.enqueue(session, [{
                "key": f"{PREFIX}{item.key}:{c.id}", "platform": c.platform, "chat_id": c.chat_id,
                "kind": "notice", "payload": notice.to_json(), "due_at": now, "created_at": now,
            } for c in chats])
