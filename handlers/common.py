"""Shared by every stage: resolving what the user named, and checking who may act.

A reference the user typed (XZ-2026-0001, T3, 研发部, @张三) becomes a row here or a UserError
that says what exists; a refusal names the roles that may do the thing.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import refs
from bot.commands import UserError
from handlers.context import Context
from handlers.vocab import ACTIVE_STAGES, STAGES
from storage import counters, org, workflow
from storage.models import (
    ActionItem,
    ChangeRequest,
    Collaboration,
    Department,
    Meeting,
    Participant,
    Person,
    Problem,
    Risk,
    Task,
)


async def collab(ctx: Context, ref: str | None, stages: Sequence[str] = ACTIVE_STAGES) -> Collaboration:
    """The named collaboration, or the actor's only active one when none is named."""
    if ref:
        if not refs.is_code(ref):
            raise UserError(f"协作编号“{ref[:40]}”格式不对，应形如 XZ-2026-0001")
        found = await workflow.collab_by_code(ctx.session, ref)
        if found is None:
            raise UserError(f"没有编号为 {ref.strip().upper()} 的协作项目；用 /board 查看你参与的项目")
        return found
    mine = await workflow.collabs_involving(ctx.session, ctx.actor.dept_id, ctx.actor.id, stages)
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise UserError("请写明协作编号（如 XZ-2026-0001）；你目前没有进行中的协作项目")
    codes = "、".join(c.code for c in mine[:8])
    raise UserError(f"你参与多个协作项目（{codes}），请写明编号")


async def visible_collab(ctx: Context, ref: str | None, stages: Sequence[str] = ACTIVE_STAGES) -> Collaboration:
    """A collaboration to show (a board, a list, a register): refused alike whether it does not
    exist or the actor may not read it, so its existence does not leak."""
    c = await collab(ctx, ref, stages)
    if not await may_see(ctx, c):
        raise UserError(f"没有编号为 {c.code} 的协作项目；用 /board 查看你参与的项目")
    return c


def oversees(ctx: Context) -> bool:
    """The PMO and the leaders: they see every collaboration and every department."""
    return ctx.actor.is_admin or ctx.actor.is_leader


def reads_everything(ctx: Context) -> bool:
    """Whether the actor may read every collaboration (`[policy] visibility`, `may_see`)."""
    return ctx.config.policy.visibility == "all" or oversees(ctx)


async def may_see(ctx: Context, c: Collaboration) -> bool:
    """Who reads a collaboration (`[policy] visibility`): its departments' people, its initiator,
    the PMO and the leaders; with "all", everyone. Acting on it is a matter of each command's role."""
    if reads_everything(ctx):
        return True
    return ctx.actor.id == c.initiator_id or ctx.actor.dept_id in await workflow.dept_ids(ctx.session, c)


def item_ref(ref: str, prefix: str) -> refs.ItemRef:
    """"XZ-2026-0001/T3" or "T3" as a reference; `prefix` is T, P, R, C, M or A."""
    found = refs.item(ref, prefix)
    if found is None:
        raise UserError(f"编号“{ref[:40]}”格式不对，应形如 {prefix}3 或 XZ-2026-0001/{prefix}3")
    return found


ITEMS: dict[str, tuple[type[Any], str]] = {
    "T": (Task, "任务"), "P": (Problem, "问题"), "R": (Risk, "风险"), "C": (ChangeRequest, "变更申请"),
    "M": (Meeting, "会议"), "A": (ActionItem, "行动项"),
}


async def item(ctx: Context, ref: str, prefix: str, collab_ref: str | None = None) -> tuple[Collaboration, Any]:
    """The collaboration and the numbered record (task T3, problem P1, …) that `ref` names."""
    named = item_ref(ref, prefix)
    found_collab = await collab(ctx, named.code or collab_ref, stages=tuple(STAGES))
    model, noun = ITEMS[prefix]
    found = await workflow.numbered(ctx.session, model, found_collab.id, named.number)
    if found is None:
        raise UserError(f"{found_collab.code} 没有{noun} {prefix}{named.number}")
    return found_collab, found


async def task(ctx: Context, ref: str, collab_ref: str | None = None) -> tuple[Collaboration, Task]:
    return await item(ctx, ref, "T", collab_ref)


async def tasks_by_refs(ctx: Context, c: Collaboration, refs: Sequence[str]) -> list[Task]:
    out = []
    for ref in refs:
        named = item_ref(ref, "T")
        if named.code and named.code != c.code:
            raise UserError(f"前置任务 {ref} 不属于 {c.code}")
        found = await workflow.numbered(ctx.session, Task, c.id, named.number)
        if found is None:
            raise UserError(f"{c.code} 没有任务 T{named.number}")
        out.append(found)
    return out


async def dept(ctx: Context, name: str) -> Department:
    found = await org.dept_by_name(ctx.session, name.lstrip("#＃"))
    if found is None:
        names = "、".join(d.name for d in await org.departments(ctx.session))
        raise UserError(f"没有部门“{name[:40]}”；已有部门：{names or '（无）'}")
    return found


async def depts(ctx: Context, names: Sequence[str]) -> list[Department]:
    found = [await dept(ctx, n) for n in names]
    return list({d.id: d for d in found}.values())


async def actor_dept(ctx: Context, name: str | None = None) -> Department:
    """The department the actor acts for: the one named, else their own."""
    if name:
        return await dept(ctx, name)
    if ctx.actor.dept_id is None:
        raise UserError("你还不属于任何部门：请写明 dept=部门名，或请管理员把你加入部门")
    found = await org.dept_by_id(ctx.session, ctx.actor.dept_id)
    assert found is not None
    return found


async def person(ctx: Context, ref: str) -> Person:
    """A person from "@张三", "张三" or a platform user id (what a card's person picker sends): the
    message's @mentions first, then ids, then names in the org."""
    name = ref.strip().lstrip("@＠")
    for m in getattr(ctx.event, "mentions", ()):
        if not m.is_bot and (m.text == ref.strip() or m.name == name or m.user_id == name):
            return await org.ensure_person(ctx.session, ctx.event.chat.platform, m.user_id, m.name, ctx.now)
    picked = await org.person(ctx.session, ctx.event.chat.platform, name)  # a card's person picker gives the id
    if picked is not None:
        return picked
    named = await org.people_named(ctx.session, name)
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UserError(f"有 {len(named)} 位同名的“{name[:20]}”，请用 @ 选择具体的人")
    raise UserError(f"找不到“{name[:40]}”；请用 @ 提及此人，或确认他已在部门群里与机器人说过话")


def is_admin(ctx: Context) -> bool:
    return ctx.actor.is_admin


def is_head(ctx: Context, dept_id: int | None) -> bool:
    return ctx.actor.is_head and dept_id is not None and ctx.actor.dept_id == dept_id


def is_contact_of(ctx: Context, part: Participant) -> bool:
    """The actor is the 对接人 this participant row names, and still in its department."""
    return ctx.actor.dept_id == part.dept_id and part.contact_id == ctx.actor.id


async def speaks_for(ctx: Context, c: Collaboration, dept_id: int | None) -> bool:
    """Head of the department, or its 对接人 in this collaboration."""
    if is_head(ctx, dept_id):
        return True
    if dept_id is None or ctx.actor.dept_id != dept_id:
        return False
    part = await workflow.participant(ctx.session, c.id, dept_id)
    return part is not None and is_contact_of(ctx, part)


def speaks_for_participant(ctx: Context, part: Participant) -> bool:
    """`speaks_for` the participant's department, when its row is loaded already."""
    return is_head(ctx, part.dept_id) or is_contact_of(ctx, part)


async def leads(ctx: Context, c: Collaboration) -> bool:
    """PMO, or head / 对接人 of the lead department."""
    return is_admin(ctx) or await speaks_for(ctx, c, c.lead_dept_id)


INVOLVED = "参与部门的负责人/对接人、发起人或协作管理办公室"


async def involved(ctx: Context, c: Collaboration) -> bool:
    """PMO, the initiator, or the head / 对接人 of any department taking part."""
    if is_admin(ctx) or ctx.actor.id == c.initiator_id:
        return True
    for dept_id in await all_dept_ids(ctx, c):
        if await speaks_for(ctx, c, dept_id):
            return True
    return False


def require(allowed: bool, action: str, who: str) -> None:
    if not allowed:
        raise UserError(f"你没有权限{action}：只有{who}可以这样做")


def require_stage(c: Collaboration, *stages: str, action: str) -> None:
    if c.stage not in stages:
        wanted = "或".join(f"“{STAGES[s]}”" for s in stages)
        raise UserError(f"{c.code} 当前处于“{STAGES[c.stage]}”阶段，{action}需要在{wanted}阶段进行")


async def next_number(ctx: Context, c: Collaboration, prefix: str) -> int:
    return await counters.next_value(ctx.session, f"{c.code}:{prefix}")


async def participant_or_error(ctx: Context, c: Collaboration, d: Department) -> Participant:
    part = await workflow.participant(ctx.session, c.id, d.id)
    if part is None:
        raise UserError(f"{d.name}不是 {c.code} 的参与部门")
    return part


async def all_dept_ids(ctx: Context, c: Collaboration) -> list[int]:
    """Every department of a collaboration: initiating, lead and participants."""
    return await workflow.dept_ids(ctx.session, c)


async def names(ctx: Context, dept_ids: Sequence[int]) -> str:
    result = []
    for dept_id in dept_ids:
        d = await org.dept_by_id(ctx.session, dept_id)
        result.append(d.name if d else "?")
    return "、".join(result)


def fmt_date(value: Any) -> str:
    return value.isoformat() if value else "—"
