"""Card copies: which sent messages show which object, and which objects an action changed.

A message built by `bot.messages.showing` names its object; once sent, the dispatcher records
the copy here (`record`). An action's transaction collects the tracked objects it modified
(`changed`), so the router can bring every copy of them up to date (docs/cards.md, "Copies").
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import event, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import ActionItem, CardCopy, ChangeRequest, Collaboration, Meeting, Problem, Risk, Task

#: The models whose rows have cards, by the object kind `bot.messages.showing` names.
TRACKED: dict[type, str] = {Collaboration: "collab", Task: "task", Problem: "problem", Risk: "risk",
                            ChangeRequest: "change", Meeting: "meeting", ActionItem: "action"}
_CHANGED = "xiezuo.changed_objects"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    """Remember the tracked rows each flush modified (new rows have no copies yet)."""
    found = {f"{TRACKED[type(obj)]}:{obj.id}" for obj in session.dirty
             if type(obj) in TRACKED and session.is_modified(obj, include_collections=False)}
    if found:
        session.info.setdefault(_CHANGED, set()).update(found)


async def changed(session: AsyncSession) -> set[str]:
    """The objects ("change:12") this transaction modified so far; flushes first."""
    await session.flush()
    return set(session.sync_session.info.pop(_CHANGED, set()))


async def editable_of(session: AsyncSession, objects: Iterable[str], now: datetime) -> list[CardCopy]:
    """The copies of these objects that the platform still lets the bot update."""
    wanted = sorted(set(objects))
    if not wanted:
        return []
    return list((await session.scalars(select(CardCopy).where(CardCopy.object.in_(wanted),
                                                              CardCopy.editable_until > now)
                                       .order_by(CardCopy.id))).all())


async def at(session: AsyncSession, platform: str, message_id: str) -> CardCopy | None:
    """The copy a clicked card is, if it shows an object. A platform's message ids are unique
    across its chats; a click names the chat its own way (a private chat's id, not `user:<id>`)."""
    return await session.scalar(select(CardCopy).where(CardCopy.platform == platform,
                                                       CardCopy.message_id == message_id))


class Shown(NamedTuple):
    """A message that went out (or was updated in place), as the dispatcher records it."""

    platform: str
    chat_id: str
    message_id: str
    kind: str
    object: str | None  # None: the message no longer shows an object (e.g. a form turned 「已提交」)
    state: str
    editable_until: datetime | None  # from the first send; an update keeps the copy's own


async def record(session: AsyncSession, shown: Sequence[Shown], now: datetime) -> None:
    """Insert or update the copies these sends show; drop the ones that no longer show an object."""
    if not shown:
        return
    keys = [(s.platform, s.message_id) for s in shown]
    known = {(c.platform, c.message_id): c for c in (await session.scalars(
        select(CardCopy).where(tuple_(CardCopy.platform, CardCopy.message_id).in_(keys)))).all()}
    for s in shown:
        copy = known.get((s.platform, s.message_id))
        if s.object is None:
            if copy is not None:
                await session.delete(copy)
            continue
        if copy is None:
            known[(s.platform, s.message_id)] = CardCopy(
                object=s.object, platform=s.platform, chat_id=s.chat_id, message_id=s.message_id, kind=s.kind,
                shown=s.state, queued=s.state, sent_at=now, editable_until=s.editable_until, updated_at=now)
            session.add(known[(s.platform, s.message_id)])
            continue
        if copy.object != s.object or copy.queued == copy.shown:  # else a newer update is still queued
            copy.object, copy.queued = s.object, s.state
        copy.kind, copy.shown, copy.updated_at = s.kind, s.state, now


async def freeze(session: AsyncSession, platform: str, message_id: str) -> None:
    """The platform refused to update this copy (too old, recalled): clicks on it are answered
    from current state from now on."""
    copy = await at(session, platform, message_id)
    if copy is not None:
        copy.editable_until = None



def editable(copy: CardCopy, now: datetime) -> bool:
    """Whether the platform still lets the bot update this copy in place."""
    return copy.editable_until is not None and copy.editable_until > now
