"""Drive the whole bot in-process: type as a person in a group, then read what the bot said where.

Used by the scenario tests and the benchmarks. `TestBot` runs the real router, handlers,
storage and outbox dispatcher on the `memory` platform; only the chat app is simulated.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert

from bot.app import Bot
from bot.clock import FixedClock
from bot.config import Config, DepartmentConfig, RolesConfig
from bot.events import CardAction, Chat, Command, Mention, User
from bot.messages import Message
from bot.platforms.memory import PLATFORM, MemorySender
from bot.router import Outcome
from storage import migrate, org
from storage.db import make_engine
from storage.models import Collaboration, Participant, Stage, Task, TaskState

#: The demo organisation of the manuals: PMO plus five departments, a head and members each.
DEMO_ORG: dict[str, tuple[str, list[str]]] = {
    "协作管理办公室": ("周主任", ["吴专员"]),
    "市场部": ("张经理", ["小张", "小马"]),
    "研发部": ("李主管", ["李工", "赵工"]),
    "设计部": ("王主管", ["王设计"]),
    "销售部": ("陈总监", ["陈专员"]),
    "客服部": ("刘主管", ["刘专员"]),
}


def demo_config(database_url: str) -> Config:
    """A config with the demo org bound to memory-platform group chats named after each dept."""
    config = Config()
    config.database.url = database_url
    config.local.enabled = False
    config.scheduler.render_patience_ms = 60_000  # a cold render worker is slow: 「生成中…」 is tested on its own
    config.roles = RolesConfig(admins=[f"{PLATFORM}:周主任"])
    config.departments = [
        DepartmentConfig(name=dept, heads=[f"{PLATFORM}:{head}"], members=[f"{PLATFORM}:{m}" for m in members],
                         is_pmo=dept == "协作管理办公室", local_chats=[])
        for dept, (head, members) in DEMO_ORG.items()
    ]
    return config


@dataclass
class Sent:
    chat: str
    message: Message


@dataclass
class TestBot:
    """A bot on the memory platform; chat ids are department names, "p2p:<user>" for private chats."""

    __test__ = False  # not a pytest test class

    bot: Bot
    sender: MemorySender
    clock: FixedClock
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    async def create(cls, config: Config, now: datetime) -> TestBot:
        clock = FixedClock(now)
        bot = Bot(config, clock=clock)
        sender = MemorySender()
        bot.add_sender(PLATFORM, sender)
        await bot.prepare_database()
        tb = cls(bot, sender, clock)
        await tb._bind_dept_chats(config)
        return tb

    async def _bind_dept_chats(self, config: Config) -> None:
        """Each department's group chat on the memory platform is named after the department."""
        async with self.bot.sessions() as session, session.begin():
            for dept_cfg in config.departments:
                dept = await org.dept_by_name(session, dept_cfg.name)
                assert dept is not None
                if await org.chat_dept(session, PLATFORM, dept.name) is None:
                    await org.bind_chat(session, dept, PLATFORM, dept.name, dept.name)

    async def close(self) -> None:
        await self.bot.stop()

    async def say(self, user: str, chat: str, text: str, mentions: tuple[Mention, ...] = ()) -> list[Message]:
        """`user` types `text` in group `chat` (or "p2p"); returns the bot's replies there.

        The replies are taken out of the chat, so `pop` afterwards shows only notices.
        """
        event = self.command(user, chat, text, mentions)
        await self.push(event)
        return self.sender.take_replies(event.chat.chat_id, event.message_id)

    def command(self, user: str, chat: str, text: str, mentions: tuple[Mention, ...] = ()) -> Command:
        """The event of `user` typing `text` in `chat`, as the platform delivers it."""
        return Command(self._chat(chat, user), User(PLATFORM, user, user), f"msg-{next(self._ids)}", text,
                       mentions or self._mentions(text))

    async def click(self, user: str, chat: str, command: str, values: dict[str, object]) -> Outcome:
        event = CardAction(self._chat(chat, user), User(PLATFORM, user, user), f"act-{next(self._ids)}", command,
                           dict(values))
        return await self.push(event)

    async def push(self, event: Command | CardAction) -> Outcome:
        outcome = await self.bot.dispatch(event)
        await self.bot.indexer.catch_up()  # the texts it wrote are searchable, as they are a moment after
        await self.bot.dispatcher.drain()
        return outcome

    def pop(self, chat: str) -> list[Message]:
        """Everything the bot has posted to `chat` since the last pop."""
        return self.sender.pop(chat)

    def pop_text(self, chat: str) -> str:
        return "\n---\n".join(m.as_text() for m in self.pop(chat))

    def clear(self) -> None:
        self.sender.inbox.clear()

    def _chat(self, chat: str, user: str) -> Chat:
        if chat == "p2p":
            return Chat(PLATFORM, f"p2p:{user}", is_group=False)
        return Chat(PLATFORM, chat, is_group=True, title=chat)

    @staticmethod
    def _mentions(text: str) -> tuple[Mention, ...]:
        """Every "@name" in the text as a platform mention, as Feishu and DingTalk deliver them."""
        out = []
        for word in text.replace("=", " ").split():
            if word.startswith("@") and len(word) > 1:
                name = word[1:].strip('"')
                out.append(Mention(user_id=name, name=name, text=f"@{name}"))
        return tuple(out)


async def seed_open_tasks(bot: Bot, count: int, due_dates: Sequence[date], now: datetime,
                          per_collab: int = 20) -> list[int]:
    """`count` open tasks in executing collaborations of the demo org, due dates cycled through
    `due_dates`, owned by each department's head: a large plan in seconds, for the scheduler's
    tests and benchmarks. Returns the collaboration ids."""
    async with bot.sessions() as session, session.begin():
        depts = [d for d in await org.departments(session) if not d.is_pmo]
        heads = {d.id: (await org.heads_of(session, d.id))[0] for d in depts}
        first = depts[0]
        collabs = [Collaboration(code=f"XZ-2026-{100000 + i}", name=f"批量项目{i}", goal="完成100%", priority="medium",
                                 expected_date=max(due_dates), initiator_id=heads[first.id].id,
                                 initiator_dept_id=first.id, lead_dept_id=depts[i % len(depts)].id, stage=Stage.EXECUTING,
                                 eval_round=1, submitted_at=now, approved_at=now, executing_at=now)
                   for i in range(-(-count // per_collab))]
        session.add_all(collabs)
        await session.flush()
        await session.execute(insert(Participant), [{"collab_id": c.id, "dept_id": d.id, "invited": d.id != first.id,
                                                     "contact_id": heads[d.id].id} for c in collabs for d in depts])
        rows = []
        for i in range(count):
            dept = depts[i % len(depts)]
            due = due_dates[i % len(due_dates)]
            rows.append({"collab_id": collabs[i // per_collab].id, "number": i % per_collab + 1, "title": f"任务{i}",
                         "owner_dept_id": dept.id, "owner_person_id": heads[dept.id].id, "start_date": due,
                         "due_date": due, "status": TaskState.DOING, "updated_at": now})
        for i in range(0, len(rows), 5000):
            await session.execute(insert(Task), rows[i:i + 5000])
    return [c.id for c in collabs]


async def fresh_postgres(url: str) -> None:
    """Empty a PostgreSQL test database (drops its public schema!) and migrate it to the newest."""
    engine = make_engine(url)
    await migrate.reset_postgres(engine)
    await engine.dispose()
