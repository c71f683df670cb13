"""Meetings of every stage: scheduled with an agenda, minuted with action items (会议纪要)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message, showing
from handlers import actions, common
from handlers.context import Context
from handlers.registry import Commands
from handlers.vocab import MEETING_KINDS, MEETING_LABEL, MEETING_STATUS
from scheduler import keys
from storage.models import Collaboration, Meeting

commands = Commands()


async def may_run_meetings(ctx: Context, c: Collaboration) -> bool:
    return await common.leads(ctx, c) or ctx.actor.id == c.initiator_id


@commands.command("meeting", ("会议", "开会"), "安排会议：类型、时间、参会部门、议程（提前1天发送）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("kind", "会议类型", Kind.CHOICE, choices=MEETING_KINDS, aliases=("类型",)),
                  Param("date", "日期", Kind.DATE, required=True, aliases=("日期",)),
                  Param("time", "时间", Kind.TIME, required=True, aliases=("时间",)),
                  Param("duration", "时长（分钟）", Kind.INT, min=5, max=480, aliases=("时长",)),
                  Param("depts", "参会部门", Kind.DEPTS, aliases=("部门",)),
                  Param("agenda", "议程（讨论主题、需决策事项）", Kind.TEXTAREA, required=True, aliases=("议程",)),
                  Param("title", "会议名称", aliases=("名称",)),
                  example="/meeting XZ-2026-0001 kind=周会 date=下周一 time=09:30 agenda=\"进度同步；设计稿延期决策\"",
                  default_sub=True, form=True)
async def schedule_meeting(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id)
    common.require(await may_run_meetings(ctx, c), "安排会议", "牵头部门负责人/对接人、发起人或协作管理办公室")
    starts = datetime.combine(v.date, v.time, tzinfo=ctx.zone)
    if starts <= ctx.now:
        raise UserError(f"会议时间 {v.date} {v.time:%H:%M} 已经过去")
    kind = v.kind or "other"
    duration = v.duration or (ctx.config.policy.weekly_sync_max_minutes if kind == "sync" else 60)
    if kind == "sync" and duration > ctx.config.policy.weekly_sync_max_minutes:
        raise UserError(f"进度同步会不超过 {ctx.config.policy.weekly_sync_max_minutes} 分钟")
    dept_ids = [d.id for d in await common.depts(ctx, v.depts)] if v.depts else await common.all_dept_ids(ctx, c)
    meeting = Meeting(collab_id=c.id, number=await common.next_number(ctx, c, "M"), kind=kind,
                      title=v.title or f"{MEETING_LABEL[kind]}：{c.name}", starts_at=starts, duration_min=duration,
                      agenda=v.agenda, dept_ids=dept_ids, owner_id=ctx.actor.id, status="scheduled")
    ctx.session.add(meeting)
    await ctx.session.flush()
    if kind == "kickoff":
        await ctx.withdraw(keys.kickoff(c.id))
    ctx.audit("meeting", c, meeting=f"M{meeting.number}", kind=kind, starts=starts)
    message = await meeting_message(ctx, c, meeting, f"会议通知：{meeting.title}")
    ctx.reply(message)
    await ctx.announce("meeting", message, c, concerned=dept_ids)


async def meeting_message(ctx: Context, c: Collaboration, m: Meeting, title: str, body: str = "") -> Message:
    local = m.starts_at.astimezone(ctx.zone)
    fields = (Field("编号", f"{c.code}/M{m.number}"), Field("类型", MEETING_LABEL[m.kind]),
              Field("时间", f"{local:%Y-%m-%d %H:%M}（{m.duration_min} 分钟）"),
              Field("参会部门", await common.names(ctx, m.dept_ids)), Field("议程", m.agenda),
              Field("状态", MEETING_STATUS[m.status]))
    return showing(Message(title, body, fields, template=CardKind.MEETING,
                           data={"code": c.code, "meeting": f"M{m.number}", "status": m.status},
                           color="blue" if m.status == "scheduled" else "grey"), "meeting", m.id)


@commands.item_view("meeting", Meeting)
async def _current_meeting(ctx: Context, c: Collaboration, m: Meeting) -> Message | None:
    return await meeting_message(ctx, c, m, f"{c.code} 会议 M{m.number}：{m.title}")


@commands.command("meeting cancel", ("取消", "cancel"), "取消会议",
                  Param("meeting", "会议编号", positional=True, required=True),
                  Param("reason", "原因", Kind.TEXTAREA, positional=True, rest=True),
                  example="/meeting cancel XZ-2026-0001/M2 改期")
async def cancel_meeting(ctx: Context, v: Values) -> None:
    c, m = await common.item(ctx, v.meeting, "M")
    common.require(ctx.actor.id == m.owner_id or await common.leads(ctx, c), "取消会议", "会议发起人、牵头部门或协作管理办公室")
    if m.status != "scheduled":
        raise UserError(f"M{m.number} 已{'取消' if m.status == 'cancelled' else '结束'}")
    m.status = "cancelled"
    await ctx.withdraw(keys.meeting(m.id))
    ctx.audit("meeting.cancel", c, meeting=f"M{m.number}", reason=v.reason)
    message = await meeting_message(ctx, c, m, f"会议取消：{m.title}", v.reason or "")
    ctx.reply(message)
    await ctx.announce("meeting_cancelled", message, c, concerned=m.dept_ids)



@commands.command("minutes", ("纪要", "会议纪要"), "记录会议纪要与行动项（会后2小时内）",
                  Param("meeting", "会议编号", positional=True, required=True),
                  Param("minutes", "纪要", Kind.TEXTAREA, positional=True, rest=True, aliases=("纪要", "内容")),
                  Param("decisions", "决议事项", Kind.TEXTAREA, aliases=("决议",)),
                  Param("action", "行动项（内容 @负责人 完成日期）", Kind.TEXTS, aliases=("行动项", "待办")),
                  example='/minutes XZ-2026-0001/M1 "各部门进度正常" decisions="设计稿延期2天" action="补充FAQ @王五 12-05"',
                  form=True)
async def record_minutes(ctx: Context, v: Values) -> None:
    c, m = await common.item(ctx, v.meeting, "M")
    common.require(ctx.actor.id == m.owner_id or await common.leads(ctx, c), "记录会议纪要",
                   "会议发起人、牵头部门或协作管理办公室")
    if m.status == "cancelled":
        raise UserError(f"M{m.number} 已取消")
    if ctx.now < m.starts_at:
        raise UserError(f"M{m.number} 将于 {m.starts_at.astimezone(ctx.zone):%Y-%m-%d %H:%M} 开始，会后再记录纪要")
    if not v.minutes and not v.decisions:
        raise UserError("纪要内容不能为空：写明讨论结论（minutes）或决议事项（decisions=）")
    items = [await actions.parse_item(ctx, text) for text in v.action]
    m.status, m.minutes, m.decisions, m.minutes_at = "done", v.minutes or "", v.decisions or "", ctx.now
    await ctx.withdraw(keys.meeting(m.id))
    rows = await actions.record(ctx, c, m, items)
    ctx.audit("minutes", c, meeting=f"M{m.number}", actions=[f"A{a.number}" for a in rows])
    lines = [f"• A{a.number} {a.text}（{owner.name}，{a.due_date}）" for a, (_, owner, _) in zip(rows, items)]
    body = f"纪要：{m.minutes or '—'}\n决议：{m.decisions or '—'}\n行动项：\n" + ("\n".join(lines) or "（无）")
    if rows:
        body += f"\n完成后负责人发送 /action done {c.code}/A{rows[0].number} 说明"
    message = await meeting_message(ctx, c, m, f"会议纪要：{m.title}", body)
    message = replace(message, mentions=ctx.mention(*(owner for _, owner, _ in items)))
    ctx.reply(message)
    await ctx.announce("minutes", message, c, concerned=m.dept_ids)
