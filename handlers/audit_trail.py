"""`/audit <id>`: the latest entries of a collaboration's audit trail in chat — who decided
what, when (docs/workflow.md, "Who sees what…"). The whole trail goes into the export."""
from __future__ import annotations

from typing import Any

from bot.commands import Kind, Param, Values
from bot.messages import CardKind, Message
from handlers import common
from handlers.context import Context
from handlers.registry import Commands
from handlers.vocab import AUDIT_LABEL, STAGES
from storage import audit, org
from storage.models import AuditEntry

commands = Commands()


def summary(detail: dict[str, Any]) -> str:
    """An entry's detail in one line: its values, keys only where a value alone would not say."""
    parts = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(shown if key in ("task", "problem", "risk", "change", "meeting", "item") else f"{key}={shown}")
    return "；".join(parts)[:200]


async def rows(ctx: Context, entries: list[AuditEntry]) -> list[dict[str, str]]:
    people = await org.people_by_ids(ctx.session, [e.actor_id for e in entries if e.actor_id])
    return [{"at": f"{e.at.astimezone(ctx.zone):%m-%d %H:%M}",
             "who": people[e.actor_id].name if e.actor_id in people else "系统",
             "action": AUDIT_LABEL.get(e.action, e.action), "detail": summary(e.detail)} for e in entries]


@commands.command("audit", ("审计", "记录"), "审计记录：一个协作最近的操作（谁、何时、做了什么）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("n", "条数", Kind.INT, min=1, max=50, aliases=("条数",)),
                  example="/audit XZ-2026-0001 n=20", mutates=False)
async def show_audit(ctx: Context, v: Values) -> None:
    c = await common.visible_collab(ctx, v.id, stages=tuple(STAGES))
    entries = list(await audit.entries(ctx.session, c.id))
    latest = entries[-(v.n or 15):][::-1]
    shown = await rows(ctx, latest)
    lines = [f"{r['at']} {r['who']} {r['action']} {r['detail']}".strip() for r in shown]
    ctx.reply(Message(f"{c.code} 审计记录（最近 {len(shown)} / 共 {len(entries)} 条）", "\n".join(lines) or "（无）",
                      template=CardKind.AUDIT, data={"code": c.code, "rows": shown}))
