"""Config → database: the config is the source of truth for roles, both ways, each change audited."""
from __future__ import annotations

from sqlalchemy import select

from bot.platforms.memory import PLATFORM
from bot.seed import apply_config
from bot.testkit import TestBot, demo_config
from storage import audit, org
from storage.models import Person
from tests.conftest import MONDAY


async def roles(tb: TestBot, user: str) -> tuple[bool, bool]:
    async with tb.bot.sessions() as session:
        person = await org.person(session, PLATFORM, user)
        assert person is not None
        return person.is_head, person.is_admin


async def test_a_role_removed_from_the_config_is_removed_from_the_database(tb: TestBot) -> None:
    assert await roles(tb, "李主管") == (True, False) and await roles(tb, "周主任") == (True, True)
    config = demo_config(tb.bot.config.database.url)
    rd = next(d for d in config.departments if d.name == "研发部")
    rd.heads, rd.members = [f"{PLATFORM}:李工"], [f"{PLATFORM}:李主管", f"{PLATFORM}:赵工"]  # 李工 takes over
    config.roles.admins = []
    async with tb.bot.sessions() as session, session.begin():
        await apply_config(session, config, MONDAY)
    assert await roles(tb, "李主管") == (False, False) and await roles(tb, "李工") == (True, False)
    assert await roles(tb, "周主任") == (True, False)
    async with tb.bot.sessions() as session:
        changes = [e.detail for e in await audit.entries(session) if e.action == "config role"]
        assert {(c["person"], c["role"], c["granted"]) for c in changes} >= {
            (f"{PLATFORM}:李主管", "head", False), (f"{PLATFORM}:李工", "head", True), (f"{PLATFORM}:周主任", "admin", False)}
    replies = await tb.say("李主管", "研发部", "/confirm XZ-2026-0001")
    assert replies and replies[0].is_error  # no longer a head: the refusal names who may


async def test_applying_the_same_config_again_changes_and_audits_nothing(tb: TestBot) -> None:
    async with tb.bot.sessions() as session:
        before = len(await audit.entries(session))
    async with tb.bot.sessions() as session, session.begin():
        await apply_config(session, tb.bot.config, MONDAY)
    async with tb.bot.sessions() as session:
        assert len(await audit.entries(session)) == before
        heads = (await session.scalars(select(Person.user_id).where(Person.is_head.is_(True)))).all()
    assert set(heads) == {"周主任", "张经理", "李主管", "王主管", "陈总监", "刘主管"}
