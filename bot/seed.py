"""Config → database: departments, their chats, heads, members and admins from the TOML file."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import PLATFORMS, Config
from storage import audit, org, schedule


async def apply_config(session: AsyncSession, config: Config, now: datetime) -> None:
    """Idempotent: running it on every start keeps the org in step with the config file.

    Roles come only from the config, so it is their source of truth both ways: a head or admin
    it no longer lists loses the role. Every change of role has an audit entry.
    """
    heads = {ref for item in config.departments for ref in item.heads}
    admins, leaders = set(config.roles.admins), set(config.roles.leaders)
    for item in config.departments:
        dept = await org.ensure_department(session, item.name, item.timezone or config.policy.timezone, item.is_pmo)
        dept.is_pmo = item.is_pmo
        dept.timezone = item.timezone or config.policy.timezone
        for chats_of in PLATFORMS:
            for chat_id in getattr(item, chats_of.chats):
                if await org.chat_dept(session, chats_of.name, chat_id) != dept.id:
                    await org.bind_chat(session, dept, chats_of.name, chat_id, item.name)
        for ref in item.heads + item.members:
            platform, _, user_id = ref.partition(":")
            person = await org.ensure_person(session, platform, user_id, "", now, dept_id=dept.id)
            person.dept_id = dept.id
    people = {f"{p.platform}:{p.user_id}": p for p in await schedule.heads_and_admins(session)}
    for ref in admins | leaders | heads:
        platform, _, user_id = ref.partition(":")
        people[ref] = await org.ensure_person(session, platform, user_id, "", now)
    for ref, person in people.items():
        for role, listed in (("is_head", ref in heads), ("is_admin", ref in admins), ("is_leader", ref in leaders)):
            if getattr(person, role) != listed:
                setattr(person, role, listed)
                audit.record(session, now, None, "config role", detail={"person": ref, "role": role[3:],
                                                                         "granted": listed})
