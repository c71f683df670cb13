"""`xiezuo doctor [--config]`: checks a configured deployment before its first day and says, in
plain words, what is wrong and how to fix it (docs/deploy.md, "First day").

The database, its migrations, the holiday data and the departments are checked here; each
configured platform checks its own side (`bot.config.Platform.doctor`): credentials by fetching a
token, the bot's identity, how events reach it, and its group chats.
"""
from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Config


@dataclass(frozen=True)
class Finding:
    """One check's result: passed (True), failed (False) or worth a look (None), with the fix."""

    ok: bool | None
    what: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "!"}[self.ok]
        return f"{mark} {self.what}" + (f"\n    → {self.fix}" if self.fix else "")


async def run(config: Config) -> list[Finding]:
    findings = await _database(config)
    findings += _departments(config)
    for platform in config.platforms():
        if platform.doctor:
            module, _, name = platform.doctor.partition(":")
            findings += await getattr(importlib.import_module(module), name)(config)
    return findings


async def credentials(platform: str, app: str, base_url: str, fetch_token: Callable[[], Awaitable[Any]],
                      refused: type[Exception], fix: str) -> Finding:
    """A platform's credentials, tried by fetching a token: accepted, refused (with where to copy
    the right ones), or the platform out of reach."""
    from bot.platforms.http import Retryable

    try:
        await fetch_token()
    except refused as exc:
        return Finding(False, f"{platform} credentials: refused ({exc})", fix)
    except Retryable as exc:
        return Finding(False, f"{platform}: cannot reach {base_url} ({exc})", f"check the network and [{platform}] base_url")
    return Finding(True, f"{platform} credentials: app {app} gets a token")


def report(findings: list[Finding]) -> tuple[str, int]:
    """What to print, and the exit code: 1 when a check failed."""
    failed = sum(f.ok is False for f in findings)
    summary = f"{failed} problem(s) to fix" if failed else "nothing to fix"
    return "\n".join(f.line() for f in findings) + f"\n{summary}", 1 if failed else 0


async def _database(config: Config) -> list[Finding]:
    from scheduler.calendar import WorkCalendar
    from storage import migrate, schedule
    from storage.db import make_engine, make_sessionmaker, ping, shown_url

    shown = shown_url(config.database.url)
    engine = make_engine(config.database.url)
    try:
        try:
            await ping(engine)
        except Exception as exc:
            return [Finding(False, f"database {shown}: cannot open it ({exc.__class__.__name__}: {exc})",
                            "check [database] url (or XIEZUO_DATABASE_URL) and that the server is up")]
        out = [Finding(True, f"database {shown}: answers")]
        sqlite = engine.dialect.name == "sqlite"
        if await migrate.at_head(engine):
            out.append(Finding(True, f"database schema: at the newest migration ({migrate.HEAD})"))
        else:
            out.append(Finding(None if sqlite else False, "database schema: not at the newest migration",
                               "`serve` upgrades SQLite by itself" if sqlite else "run `xiezuo db upgrade` once"))
            return out
        async with make_sessionmaker(engine)() as session:
            stored = {o.day: o.workday for o in await schedule.overrides(session)}
    finally:
        await engine.dispose()
    calendar = WorkCalendar(config.calendar.overrides())
    calendar.use_stored_overrides(stored)
    year = datetime.now(timezone.utc).astimezone(ZoneInfo(config.policy.timezone)).year
    filled = {day.year for day in calendar.overrides}  # the admins' own /calendar entries count
    missing = [y for y in (year, year + 1) if not calendar.covers(y) and y not in filled]
    if missing:
        out.append(Finding(None, f"holiday data: none for {', '.join(map(str, missing))}; working days are estimated",
                           f"once the State Council announces {missing[0]}: /calendar add {missing[0]}-10-01 holiday "
                           f"国庆节 (and each 调休 workday), or [calendar] in the config"))
    else:
        out.append(Finding(True, f"holiday data: {year} and {year + 1} covered"))
    return out


def _departments(config: Config) -> list[Finding]:
    if not config.departments:
        return [Finding(False, "departments: none configured: the bot knows nobody",
                        "add [[departments]] with name, heads, members and each platform's group chats")]
    out = [Finding(True, f"departments: {len(config.departments)} configured")]
    for platform in config.platforms():
        if platform.name == "local":
            continue
        bare = [d.name for d in config.departments if not getattr(d, platform.chats)]
        if bare:
            out.append(Finding(None, f"{platform.name}: no group chat for {'、'.join(bare)}",
                               f"add {platform.chats} to the department, or send /bind <部门> in its group"))
    return out
