"""Departments, their group chats, and people."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import NAME_CHARS, TITLE_CHARS, Department, DeptChat, Person
from storage.upsert import insert_ignore

T = TypeVar("T", Department, Person)


async def departments(session: AsyncSession) -> Sequence[Department]:
    return (await session.scalars(select(Department).order_by(Department.id))).all()


async def dept_by_name(session: AsyncSession, name: str) -> Department | None:
    return await session.scalar(select(Department).where(func.lower(Department.name) == name.strip().lower()))


async def dept_by_id(session: AsyncSession, dept_id: int) -> Department | None:
    return _held(session, await session.get(Department, dept_id))


async def pmo_departments(session: AsyncSession) -> Sequence[Department]:
    return (await session.scalars(select(Department).where(Department.is_pmo.is_(True)))).all()


async def ensure_department(session: AsyncSession, name: str, timezone: str, is_pmo: bool = False) -> Department:
    dept = await dept_by_name(session, name)
    if dept is None:
        dept = Department(name=name, timezone=timezone, is_pmo=is_pmo)
        session.add(dept)
        await session.flush()
    return dept


# Built once: the router runs these two for every event, and on SQLite building a statement
# costs about as much as running it.
_CHAT_DEPT = select(DeptChat.dept_id).where(DeptChat.platform == bindparam("platform"),
                                            DeptChat.chat_id == bindparam("chat_id"))
_PERSON = select(Person).where(Person.platform == bindparam("platform"), Person.user_id == bindparam("user_id"))


async def chat_dept(session: AsyncSession, platform: str, chat_id: str) -> int | None:
    """The id of the department a group chat is bound to, if any."""
    return await session.scalar(_CHAT_DEPT, {"platform": platform, "chat_id": chat_id})


async def bind_chat(session: AsyncSession, dept: Department, platform: str, chat_id: str, title: str = "") -> DeptChat:
    """Bind a chat to `dept`, moving it off any department it served before."""
    await session.execute(delete(DeptChat).where(DeptChat.platform == platform, DeptChat.chat_id == chat_id))
    chat = DeptChat(dept_id=dept.id, platform=platform, chat_id=chat_id, title=title[:TITLE_CHARS])
    session.add(chat)
    await session.flush()
    return chat


async def chats_of(session: AsyncSession, dept_ids: Sequence[int], lost: bool | None = False) -> Sequence[DeptChat]:
    """The departments' bound group chats the bot can post in (`lost`: those it no longer can;
    None: both)."""
    if not dept_ids:
        return []
    stmt = select(DeptChat).where(DeptChat.dept_id.in_(list(dept_ids)))
    if lost is not None:
        stmt = stmt.where(DeptChat.lost_at.is_not(None) if lost else DeptChat.lost_at.is_(None))
    return (await session.scalars(stmt.order_by(DeptChat.dept_id, DeptChat.id))).all()


async def mark_lost(session: AsyncSession, platform: str, chat_id: str, reason: str, now: datetime) -> DeptChat | None:
    """Record that the bot can no longer post in a bound group; the chat, when this is news."""
    chat = await session.scalar(select(DeptChat).where(DeptChat.platform == platform, DeptChat.chat_id == chat_id,
                                                       DeptChat.lost_at.is_(None)))
    if chat is not None:
        chat.lost_at, chat.lost_reason = now, reason[:200]
    return chat


async def person(session: AsyncSession, platform: str, user_id: str) -> Person | None:
    return await session.scalar(_PERSON, {"platform": platform, "user_id": user_id})


async def person_by_id(session: AsyncSession, person_id: int) -> Person | None:
    return _held(session, await session.get(Person, person_id))


def _held(session: AsyncSession, row: T | None) -> T | None:
    """Keep a looked-up department or person for the rest of the session: its identity map holds
    rows only while something else does, and a table naming the same people on every row would
    otherwise load each of them again (docs/performance.md, "Export")."""
    if row is not None:
        session.info.setdefault("held", set()).add(row)
    return row


async def people_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Person]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(ids)))).all()}


async def people_named(session: AsyncSession, name: str) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.name == name.strip()))).all()


async def heads_of(session: AsyncSession, dept_id: int) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.dept_id == dept_id, Person.is_head.is_(True))
                                  .order_by(Person.id))).all()


async def admins(session: AsyncSession) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.is_admin.is_(True)).order_by(Person.id))).all()


async def leaders(session: AsyncSession) -> Sequence[Person]:
    return (await session.scalars(select(Person).where(Person.is_leader.is_(True)).order_by(Person.id))).all()


async def ensure_person(session: AsyncSession, platform: str, user_id: str, name: str, now: datetime,
                        dept_id: int | None = None) -> Person:
    """The person behind (platform, user id); unknown users are registered as members. The name is
    what the platform shows, shortened to fit (never refused)."""
    name = name[:NAME_CHARS]
    found = await person(session, platform, user_id)
    if found is None:  # insert-or-nothing: two first messages of one person may run concurrently
        await insert_ignore(session, Person, [{
            "platform": platform, "user_id": user_id, "name": name or user_id, "dept_id": dept_id,
            "is_admin": False, "is_head": False, "created_at": now}], ["platform", "user_id"])
        found = await person(session, platform, user_id)
        assert found is not None
    elif name and found.name != name and found.name == found.user_id:
        found.name = name
    return found


async def members(session: AsyncSession, dept_id: int | None = None) -> Sequence[tuple[Person, str]]:
    """Everyone who belongs to a department (or to `dept_id`) and has not left, with its name,
    department by department."""
    stmt = (select(Person, Department.name).join(Department, Person.dept_id == Department.id)
            .where(Person.left_at.is_(None)).order_by(Department.id, Person.is_head.desc(), Person.id))
    if dept_id is not None:
        stmt = stmt.where(Person.dept_id == dept_id)
    return [(p, name) for p, name in (await session.execute(stmt)).all()]
