"""The local web emulator's chats: message history, and who and which groups exist there."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Collaboration, Department, DeptChat, LocalMessage, Person

PLATFORM = "local"


async def add(session: AsyncSession, chat_id: str, author_id: str, author_name: str, now: datetime,
              text: str = "", payload: dict[str, Any] | None = None) -> LocalMessage:
    row = LocalMessage(chat_id=chat_id, author_id=author_id, author_name=author_name, text=text, payload=payload,
                       created_at=now)
    session.add(row)
    await session.flush()
    return row


async def replace_payload(session: AsyncSession, chat_id: str, message_id: int, payload: dict[str, Any],
                          now: datetime) -> LocalMessage | None:
    """A bot card updated in place after a click; None when that chat has no such card."""
    row = await session.get(LocalMessage, message_id)
    if row is None or row.chat_id != chat_id or row.payload is None:
        return None
    row.payload = payload
    row.updated_at = now
    return row


async def history(session: AsyncSession, chat_id: str, limit: int = 200) -> list[LocalMessage]:
    """The last `limit` messages of a chat, oldest first."""
    rows = (await session.scalars(select(LocalMessage).where(LocalMessage.chat_id == chat_id)
                                  .order_by(LocalMessage.id.desc()).limit(limit))).all()
    return list(reversed(rows))


async def people(session: AsyncSession) -> Sequence[tuple[Person, str]]:
    """Everyone known on the local platform with their department name ("" when none)."""
    stmt = (select(Person, Department.name).outerjoin(Department, Person.dept_id == Department.id)
            .where(Person.platform == PLATFORM).order_by(Department.id, Person.is_head.desc(), Person.id))
    return [(p, name or "") for p, name in (await session.execute(stmt)).all()]


async def group_chats(session: AsyncSession) -> Sequence[tuple[DeptChat, Department]]:
    stmt = (select(DeptChat, Department).join(Department, DeptChat.dept_id == Department.id)
            .where(DeptChat.platform == PLATFORM).order_by(Department.is_pmo.desc(), Department.id))
    return [(c, d) for c, d in (await session.execute(stmt)).all()]


async def department_names(session: AsyncSession) -> list[str]:
    """Every department, as the emulator's pickers offer them."""
    return list((await session.scalars(select(Department.name).order_by(Department.id))).all())


async def has_collaborations(session: AsyncSession) -> bool:
    """Whether any collaboration exists: the demo plays only into a database without one."""
    return await session.scalar(select(Collaboration.id).limit(1)) is not None
