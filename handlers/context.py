"""What a handler works with: the transaction, the actor, the clock, and where to say things.

Handlers collect replies and notices here; the router writes them to the outbox in the same
transaction as the handler's changes, so an action and its messages commit or vanish together.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import notices
from bot.commands import Registry
from bot.config import Config
from bot.events import Event
from bot.messages import Address, Message, mention_ref
from scheduler import keys
from scheduler.calendar import WorkCalendar
from storage import audit, org, outbox, workflow
from storage.models import Collaboration, Person


@dataclass
class Outgoing:
    address: Address
    message: Message
    reply_to: str | None = None
    kind: str = "notice"
    collab_id: int | None = None
    personal: bool = False  # only for the actor: a shared card's click answers it in private
    due_at: datetime | None = None  # later than now: a notice for a digest (kind "scheduled")
    key: str | None = None  # its outbox key, when it must be findable (a copy's update); else the event's


@dataclass
class Context:
    session: AsyncSession
    actor: Person
    event: Event
    config: Config
    calendar: WorkCalendar
    now: datetime
    registry: Registry  # the bot's commands (for /help) and card views
    outgoing: list[Outgoing] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    audited: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.policy.timezone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def origin(self) -> Address:
        return Address(self.event.chat.platform, self.event.chat.chat_id)

    def reply(self, message: Message, personal: bool = False) -> None:
        """Answer the actor where they asked; `personal` marks content about the actor alone."""
        message_id = getattr(self.event, "message_id", None)
        self.outgoing.append(Outgoing(self.origin, message, reply_to=message_id, kind="reply", personal=personal))

    async def notify(self, dept_ids: Iterable[int], message: Message, collab: Collaboration | None = None,
                     skip_origin: bool = True, due_at: datetime | None = None) -> None:
        """Post `message` into every bound group chat of the given departments.

        A department without a bound chat cannot be reached: the actor is told so, instead of
        the notice vanishing silently.
        """
        await self._post({d: (message, due_at) for d in dept_ids}, collab, skip_origin)

    async def _post(self, plan: dict[int, tuple[Message, datetime | None]], collab: Collaboration | None,
                    skip_origin: bool = True) -> None:
        """Each department's message (and when it is due) into its bound group chats, with one
        lookup of the chats for them all."""
        chats = await org.chats_of(self.session, list(plan))
        reached = {c.dept_id for c in chats}
        unreached = [d for d in plan if d not in reached]
        lost = {c.dept_id for c in await org.chats_of(self.session, unreached, lost=True)} if unreached else set()
        for chat in chats:
            address = Address(chat.platform, chat.chat_id)
            if skip_origin and address == self.origin:
                continue
            message, due_at = plan[chat.dept_id]
            self.outgoing.append(Outgoing(address, message, collab_id=collab.id if collab else None,
                                          kind="scheduled" if due_at else "notice", due_at=due_at))
        for dept_id in unreached:
            if dept_id not in reached:
                dept = await org.dept_by_id(self.session, dept_id)
                name = dept.name if dept else str(dept_id)
                self.warnings.append(f"{name}的群已无法送达（机器人已被移出或群已解散），通知未送达；请{name}负责人"
                                     f"把机器人加回群后发送 /bind {name}" if dept_id in lost else
                                     f"{name}尚未绑定群聊，通知未送达；请{name}负责人在部门群里发送 /bind {name}")

    def tell_privately(self, person: Person, message: Message, collab: Collaboration | None = None) -> None:
        """Post `message` in the bot's private chat with `person` (a leader, someone named by role)."""
        self.outgoing.append(Outgoing(Address.private(person.platform, person.user_id), message,
                                      collab_id=collab.id if collab else None))

    async def announce(self, event: str, message: Message, collab: Collaboration,
                       concerned: Iterable[int | None] = ()) -> None:
        """Tell the parties of `event` (a key of bot.notices.EVENTS) as the notification matrix
        says: a party that must act at once with its @mentions, the others a copy for
        information, at once or in their next daily digest. A dept in several parties hears once,
        at the earliest."""
        spec = notices.EVENTS[event]
        when_of: dict[int, tuple[bool, bool]] = {}  # dept → (at once, must act)
        for party, when in notices.matrix(self.config.policy.notify)[event].items():
            if when == "off":
                continue
            for dept_id in await self._party(party, collab, concerned):
                now, acts = when_of.get(dept_id, (False, False))
                when_of[dept_id] = (now or when == "now", acts or party in spec.required)
        later = None if all(now for now, _ in when_of.values()) else \
            self.calendar.next_workday_at(self.now, time.fromisoformat(self.config.policy.daily_digest_time), self.zone)
        info = replace(message, mentions=())
        await self._post({d: (message if acts else info, None if now else later) for d, (now, acts) in when_of.items()},
                         collab)

    async def _party(self, party: str, c: Collaboration, concerned: Iterable[int | None]) -> list[int]:
        if party == "initiator":
            return [c.initiator_dept_id]
        if party == "lead":
            return [c.lead_dept_id] if c.lead_dept_id else []
        if party == "participants":
            return await workflow.dept_ids(self.session, c)
        if party == "concerned":
            return [d for d in concerned if d is not None]
        return [d.id for d in await org.pmo_departments(self.session)]

    def workdays_after(self, days: int) -> date:
        """The date `days` working days after today; a reply that shows it is told when it rests on
        estimated holidays (a year the State Council has not announced yet)."""
        due = self.calendar.add_workdays(self.today, days)
        if self.calendar.estimated(self.today, due):
            self.warnings.append(f"{due} 按估算的法定节假日计算：国务院尚未公布 {due.year} 年的放假安排，"
                                 "调休上班日无法估算；公布后请管理员用 /calendar 校正")
        return due

    async def withdraw(self, subject: keys.Subject) -> None:
        """Cancel the pending notices about `subject` that this action made moot (task done, date
        moved, meeting cancelled …); rows already being sent finish (docs/scheduler.md)."""
        await outbox.withdraw(self.session, subject.pending)

    def audit(self, action: str, collab: Collaboration | None = None, **detail: Any) -> None:
        audit.record(self.session, self.now, self.actor.id, action, collab.id if collab else None,
                     _plain(detail))
        self.audited = True

    def mention(self, *people: Person | None) -> tuple[str, ...]:
        return tuple(mention_ref(p.platform, p.user_id, p.name) for p in people if p is not None)


def _plain(value: Any) -> Any:
    """Make audit detail JSON-safe (dates and sets from handlers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
