"""People change: someone leaves, and their open work is handed over (docs/workflow.md, "People
and groups change"). `/leave` records it and lists what the person held: open tasks, 对接人
roles, open action items, each with the button that reassigns it; every reassignment is audited
and the new holder told."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message
from handlers import common
from handlers.actions import action_message
from handlers.context import Context
from handlers.load import warn_conflicts
from handlers.plan import task_card
from handlers.registry import Commands
from handlers.vocab import ACTIVE_STAGES, OPEN_TASK_STATES, TASK_LABEL
from storage import org, workflow
from storage.models import Collaboration, Department, Meeting, Person, Stage, TaskState

commands = Commands()


async def active_person(ctx: Context, ref: str, dept: Department) -> Person:
    """Whom work is handed to: a current member of `dept`."""
    person = await common.person(ctx, ref)
    if person.left_at is not None:
        raise UserError(f"{person.name} 已离开组织，不能接手工作")
    if person.dept_id is None:
        person.dept_id = dept.id
    if person.dept_id != dept.id:
        raise UserError(f"{person.name} 不属于{dept.name}：请选择{dept.name}的成员")
    return person


@commands.command("leave", ("离职", "离岗"), "人员离开：登记并列出其未完成的任务、对接人角色和行动项，逐项改派",
                  Param("person", "离开的人", Kind.PERSON, positional=True, required=True),
                  Param("reason", "说明", Kind.TEXTAREA, positional=True, rest=True, aliases=("原因",)),
                  example="/leave @李工 调岗至其他事业部")
async def leave(ctx: Context, v: Values) -> None:
    person = await common.person(ctx, v.person)
    common.require(common.is_admin(ctx) or common.is_head(ctx, person.dept_id), f"登记{person.name}离开",
                   "其部门负责人或协作管理办公室")
    if person.left_at is not None:
        raise UserError(f"{person.name} 已于 {person.left_at.astimezone(ctx.zone):%Y-%m-%d} 登记离开")
    person.left_at = ctx.now
    held = await _held(ctx, person)
    ctx.audit("person.leave", person=person.name, reason=v.reason, held=[item["ref"] for item in held])
    lines = [f"{item['what']} {item['ref']} {item['title']}" for item in held]
    body = (f"{person.name} 已登记离开{f'（{v.reason}）' if v.reason else ''}。请逐项改派：\n" + "\n".join(lines)) if held \
        else f"{person.name} 已登记离开{f'（{v.reason}）' if v.reason else ''}，名下没有未完成的工作。"
    ctx.reply(Message(f"工作交接：{person.name}", body, template=CardKind.HANDOVER,
                      data={"person": person.name, "items": held}, color="yellow" if held else "green"))


async def _held(ctx: Context, person: Person) -> list[dict[str, Any]]:
    """What a person holds in active collaborations: each item with the form that hands it over."""
    held: list[dict[str, Any]] = []
    for task, code in await workflow.open_tasks_of(ctx.session, person.id, OPEN_TASK_STATES):
        ref = f"{code}/T{task.number}"
        held.append({"what": "任务", "ref": ref, "title": f"{task.title}（{TASK_LABEL[task.status]}）",
                     "command": "task assign", "values": {"task": ref}})
    for c, part in await workflow.contact_roles(ctx.session, person.id, ACTIVE_STAGES):
        part_dept = await org.dept_by_id(ctx.session, part.dept_id)
        name = part_dept.name if part_dept else ""
        held.append({"what": "对接人", "ref": c.code, "title": f"{c.name}（{name}）", "command": "contact",
                     "values": {"id": c.code, "dept": name}})
    for item, code in await workflow.open_actions_of(ctx.session, person.id):
        ref = f"{code}/A{item.number}"
        held.append({"what": "行动项", "ref": ref, "title": item.text, "command": "action assign",
                     "values": {"action": ref}})
    return held


@commands.command("task assign", ("改派", "assign"), "改派任务的第一责任人（同部门，执行中也可以）",
                  Param("task", "任务编号", Kind.TASK, positional=True, required=True),
                  Param("owner", "新的第一责任人", Kind.PERSON, required=True, aliases=("负责人", "责任人")),
                  Param("reason", "说明", Kind.TEXTAREA, positional=True, rest=True, aliases=("原因",)),
                  example="/task assign XZ-2026-0001/T2 owner=@赵工 李工调岗")
async def assign_task(ctx: Context, v: Values) -> None:
    c, task = await common.task(ctx, v.task)
    common.require_stage(c, Stage.PLANNING, Stage.EXECUTING, action="改派任务")
    if task.status == TaskState.DONE:
        raise UserError(f"T{task.number} 已验收通过，无需改派")
    dept = await org.dept_by_id(ctx.session, task.owner_dept_id)
    assert dept is not None
    common.require(await common.leads(ctx, c) or await common.speaks_for(ctx, c, dept.id), f"改派 T{task.number}",
                   f"{dept.name}负责人/对接人、牵头部门负责人/对接人或协作管理办公室")
    owner = await active_person(ctx, v.owner, dept)
    before = await org.person_by_id(ctx.session, task.owner_person_id)
    if before is not None and before.id == owner.id:
        raise UserError(f"T{task.number} 的第一责任人已是 {owner.name}")
    task.owner_person_id, task.updated_at = owner.id, ctx.now
    ctx.audit("task.reassign", c, task=f"T{task.number}", before=before.name if before else None, after=owner.name,
              reason=v.reason)
    await warn_conflicts(ctx, c, owner, task.start_date, task.due_date, f"T{task.number}",
                         skip=f"{c.code}/T{task.number}")
    note = f"第一责任人：{before.name if before else '—'} → {owner.name}" + (f"（{v.reason}）" if v.reason else "")
    card = await task_card(ctx, c, task, f"{c.code} T{task.number} 改派给 {owner.name}：{task.title}", note)
    ctx.reply(card)
    await announce_handover(ctx, c, card, dept.id, owner)


@commands.command("action assign", ("改派", "assign"), "改派行动项的负责人",
                  Param("action", "行动项编号", positional=True, required=True),
                  Param("owner", "新的负责人", Kind.PERSON, required=True, aliases=("负责人",)),
                  example="/action assign XZ-2026-0001/A1 owner=@赵工")
async def assign_action(ctx: Context, v: Values) -> None:
    c, a = await common.item(ctx, v.action, "A")
    meeting = await ctx.session.get(Meeting, a.meeting_id)
    before = await org.person_by_id(ctx.session, a.owner_id) if a.owner_id else None
    allowed = ctx.actor.id == (meeting.owner_id if meeting else None) or await common.leads(ctx, c) or \
        (before is not None and common.is_head(ctx, before.dept_id))
    common.require(allowed, f"改派行动项 A{a.number}", "会议发起人、原负责人的部门负责人、牵头部门或协作管理办公室")
    if a.done:
        raise UserError(f"A{a.number} 已完成，无需改派")
    dept_id = before.dept_id if before and before.dept_id else ctx.actor.dept_id
    dept = await org.dept_by_id(ctx.session, dept_id) if dept_id else None
    if dept is None:
        raise UserError("请先为原负责人或你自己指定部门")
    owner = await active_person(ctx, v.owner, dept)
    a.owner_id = owner.id
    ctx.audit("action.reassign", c, item=f"A{a.number}", before=before.name if before else None, after=owner.name)
    message = action_message(c, a, owner, f"{c.code} 行动项 A{a.number} 改派给 {owner.name}",
                             f"负责人：{before.name if before else '—'} → {owner.name}")
    ctx.reply(message)
    await announce_handover(ctx, c, message, dept.id, owner)


@commands.command("contact", ("对接人",), "更换本部门在某协作中的对接人（部门负责人或协作管理办公室）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("person", "新的对接人", Kind.PERSON, positional=True, required=True, aliases=("对接人",)),
                  Param("dept", "部门", Kind.DEPT, aliases=("部门",)),
                  example="/contact XZ-2026-0001 @赵工")
async def change_contact(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=ACTIVE_STAGES)
    dept = await common.actor_dept(ctx, v.dept)
    part = await common.participant_or_error(ctx, c, dept)
    common.require(common.is_admin(ctx) or common.is_head(ctx, dept.id), f"更换{dept.name}的对接人",
                   f"{dept.name}负责人或协作管理办公室")
    person = await active_person(ctx, v.person, dept)
    before = await org.person_by_id(ctx.session, part.contact_id) if part.contact_id else None
    part.contact_id = person.id
    ctx.audit("contact.change", c, dept=dept.name, before=before.name if before else None, after=person.name)
    message = Message(f"{c.code} {dept.name}对接人：{person.name}",
                      f"{dept.name}在 {c.code} {c.name} 的对接人：{before.name if before else '—'} → {person.name}。"
                      "周进度与会议通知将 @新的对接人。", (Field("协作", f"{c.code} {c.name}"), Field("部门", dept.name),
                                                          Field("对接人", person.name)),
                      template=CardKind.HANDOVER, data={"person": person.name, "items": []}, color="green")
    ctx.reply(message)
    await announce_handover(ctx, c, message, dept.id, person)


async def announce_handover(ctx: Context, c: Collaboration, message: Message, dept_id: int, holder: Person) -> None:
    """The new holder, @mentioned in their dept's group, and the lead dept hear of the handover."""
    await ctx.announce("handover", replace(message, mentions=ctx.mention(holder)), c, concerned=[dept_id])
