"""The demo organisation `xiezuo serve` starts with when nothing is configured.

A PMO (协作管理办公室) and six departments, each with a head and members, each bound to a local
group chat named after it, so a new user can run the whole workflow in the emulator at once.
"""
from __future__ import annotations

from bot.config import Config, DepartmentConfig

PLATFORM = "local"

#: department → (head, members); the PMO's people are the admins.
DEMO_ORG: dict[str, tuple[str, tuple[str, ...]]] = {
    "协作管理办公室": ("周敏", ("吴静",)),
    "市场部": ("张伟", ("王芳", "刘洋")),
    "研发部": ("李强", ("赵磊", "孙浩")),
    "设计部": ("陈晨", ("林晓",)),
    "销售部": ("黄涛", ("郭颖",)),
    "客服部": ("何丽", ("马骏",)),
    "财务部": ("郑爽", ("冯宇",)),
}
PMO = "协作管理办公室"


def wants_demo(config: Config) -> bool:
    return config.demo


def seed_demo(config: Config) -> None:
    """Fill an empty config with the demo organisation on the local platform."""
    config.departments = [
        DepartmentConfig(name=dept, heads=[f"{PLATFORM}:{head}"], members=[f"{PLATFORM}:{m}" for m in members],
                         is_pmo=dept == PMO, local_chats=[dept])
        for dept, (head, members) in DEMO_ORG.items()
    ]
    head, members = DEMO_ORG[PMO]
    config.roles.admins = [*config.roles.admins, *(f"{PLATFORM}:{p}" for p in (head, *members))]
