"""Action items of the minutes (会议行动项): A1, A2 … within a collaboration, each with an owner and
a due date. The scheduler reminds the owner before the due date and chases it after
(scheduler.rules.action_items); the owner closes it. docs/workflow.md, "Closure"."""
from __future__ import annotations

from datetime import date
from typing import Any

from bot.commands import Kind, Param, UserError, Values
from bot.dates import DateError, parse_date
from bot.messages import CardKind, Field, Message, showing
from handlers import common
from handlers.context import Context
from handlers.registry import Commands
from scheduler import keys
from storage import org, workflow
from storage.models import ActionItem, Collaboration, Meeting, Person

commands = Commands()
commands.group("action", ("行动项",), "会议行动项：完成、查看、改派")

FORMAT = "内容 @负责人 完成日期，如 补充FAQ @王五 12-05"


async def parse_item(ctx: Context, text: str) -> tuple[str, Person, date]:
    """"内容 @负责人 日期": what is to be done, by whom, by when; all three are needed to track it."""
    words = text.split()
    due: date | None = None
    if len(words) > 1:
        try:
            due = parse_date(words[-1], ctx.today)
            words = words[:-1]
        except DateError:
            pass
    owner: Person | None = None
    if len(words) > 1 and words[-1].startswith(("@", "＠")):
        owner = await common.person(ctx, words[-1])
        words = words[:-1]
    if not words or owner is None or due is None:
        missing = "、".join(n for n, gone in (("内容", not words), ("负责人", owner is None), ("完成日期", due is None))
                           if gone)
        raise UserError(f"行动项“{text[:40]}”缺少{missing}；格式：{FORMAT}")
    if due < ctx.today:
        raise UserError(f"行动项“{text[:40]}”的完成日期 {due} 已经过去")
    return " ".join(words), owner, due


async def record(ctx: Context, c: Collaboration, m: Meeting, items: list[tuple[str, Person, date]]) -> list[ActionItem]:
    """The minutes' items as tracked rows, numbered on from the collaboration's last one."""
    rows = [ActionItem(collab_id=c.id, number=await common.next_number(ctx, c, "A"), meeting_id=m.id, text=text,
                       owner_id=owner.id, due_date=due) for text, owner, due in items]
    ctx.session.add_all(rows)
    return rows


def action_message(c: Collaboration, a: ActionItem, owner: Person | None, title: str, body: str = "") -> Message:
    status = "done" if a.done else "open"
    fields: tuple[Field, ...] = (Field("行动项", f"A{a.number} {a.text}"), Field("负责人", owner.name if owner else "—"),
              Field("完成日期", common.fmt_date(a.due_date)), Field("状态", "已完成" if a.done else "进行中"))
    if a.done:
        fields += (Field("完成说明", a.note or "—"),)
    return showing(Message(title, body, fields, template=CardKind.ACTION_ITEM,
                           data={"code": c.code, "action": f"A{a.number}", "status": status,
                                 "due": common.fmt_date(a.due_date)},
                           color="green" if a.done else "yellow"), "action", a.id)


@commands.item_view("action", ActionItem)
async def _current_action(ctx: Context, c: Collaboration, a: ActionItem) -> Message | None:
    owner = await org.person_by_id(ctx.session, a.owner_id) if a.owner_id else None
    return action_message(c, a, owner, f"{c.code} 行动项 A{a.number}")


@commands.command("action done", ("完成", "done", "关闭"), "关闭会议行动项（负责人、会议发起人或牵头部门）",
                  Param("action", "行动项编号", positional=True, required=True),
                  Param("note", "完成说明", Kind.TEXTAREA, positional=True, rest=True, aliases=("说明",)),
                  example="/action done XZ-2026-0001/A1 FAQ 已上线")
async def close_action(ctx: Context, v: Values) -> None:
    c, a = await common.item(ctx, v.action, "A")
    number = a.number
    meeting = await ctx.session.get(Meeting, a.meeting_id)
    allowed = ctx.actor.id in (a.owner_id, meeting.owner_id if meeting else None) or await common.leads(ctx, c)
    common.require(allowed, f"关闭行动项 A{number}", "行动项负责人、会议发起人、牵头部门或协作管理办公室")
    if a.done:
        closer = await org.person_by_id(ctx.session, a.done_by) if a.done_by else None
        raise UserError(f"A{number} 已于 {a.done_at.astimezone(ctx.zone):%Y-%m-%d} 由{closer.name if closer else '—'}完成"
                        if a.done_at else f"A{number} 已完成")
    a.done, a.done_at, a.done_by, a.note = True, ctx.now, ctx.actor.id, v.note or ""
    await ctx.withdraw(keys.action_item(a.id))
    ctx.audit("action.done", c, item=f"A{number}", note=a.note)
    owner = await org.person_by_id(ctx.session, a.owner_id) if a.owner_id else None
    message = action_message(c, a, owner, f"{c.code} 行动项 A{number} 已完成")
    ctx.reply(message)
    await ctx.announce("action_done", message, c, concerned=meeting.dept_ids if meeting else ())


@commands.command("action list", ("列表", "list"), "会议行动项（默认未完成的；all=是 含已完成）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("all", "含已完成", Kind.BOOL, aliases=("全部",)),
                  example="/action list XZ-2026-0001", mutates=False, default_sub=True)
async def list_actions(ctx: Context, v: Values) -> None:
    c = await common.visible_collab(ctx, v.id)
    items = [a for a in await workflow.action_items(ctx.session, c.id) if v.all or not a.done]
    people = await org.people_by_ids(ctx.session, [a.owner_id for a in items if a.owner_id])
    rows = [action_row(c, a, people.get(a.owner_id or 0), ctx.today) for a in items]
    lines = [f"{r['action']} {r['text']}｜{r['owner']}｜{r['state']}" for r in rows]
    what = "全部行动项" if v.all else "未完成的行动项"
    ctx.reply(Message(f"{c.code} {what}（{len(items)}）", "\n".join(lines) or "（无）", template=CardKind.ACTION_LIST,
                      data={"code": c.code, "items": rows}))


def action_row(c: Collaboration, a: ActionItem, owner: Person | None, today: date) -> dict[str, Any]:
    """One line of a list of action items (/action list, /board)."""
    late = "（已逾期）" if not a.done and a.due_date and a.due_date < today else ""
    return {"action": f"A{a.number}", "ref": f"{c.code}/A{a.number}", "text": a.text,
            "owner": owner.name if owner else "—", "done": a.done,
            "state": "已完成" if a.done else f"截止 {common.fmt_date(a.due_date)}{late}"}
