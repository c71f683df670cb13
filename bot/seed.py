"""Config → database: departments, their chats, heads, members and admins from the TOML file."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Config
from storage import org


async def apply_config(session: AsyncSession, config: Config, now: datetime) -> None:
    """Idempotent: running it on every start keeps the org in step with the config file."""
    for item in config.departments:
        dept = await org.ensure_department(session, item.name, item.timezone or config.policy.timezone, item.is_pmo)
        dept.is_pmo = item.is_pmo
        dept.timezone = item.timezone or config.policy.timezone
        for platform, chats in (("feishu", item.feishu_chats), ("dingtalk", item.dingtalk_chats),
                                ("local", item.local_chats)):
            for chat_id in chats:
                if await org.chat_dept(session, platform, chat_id) != dept.id:
                    await org.bind_chat(session, dept, platform, chat_id, item.name)
        for ref, head in [(r, True) for r in item.heads] + [(r, False) for r in item.members]:
            platform, _, user_id = ref.partition(":")
            person = await org.ensure_person(session, platform, user_id, "", now, dept_id=dept.id)
            person.dept_id = dept.id
            person.is_head = person.is_head or head
    for ref in config.roles.admins:
        platform, _, user_id = ref.partition(":")
        person = await org.ensure_person(session, platform, user_id, "", now)
        person.is_admin = True
