"""方案模板 (docs/knowledge.md, "Templates"): `/template save` keeps a collaboration's plan by name,
`/template list` shows the kept plans, and a request that names one (`template=`, or `from=` a
past collaboration) has its tasks laid down when it is approved, dates shifted to the new start
on the working-day calendar, each owner provisionally its department's 对接人 for the department
to name."""
from __future__ import annotations

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Message
from handlers import common
from handlers.context import Context
from handlers.registry import Commands
from handlers.vocab import STAGES
from scheduler.blueprint import Blueprint, lay, take
from storage import org, workflow
from storage.models import Collaboration, PlanTemplate, Stage, Task, TaskState

commands = Commands()
commands.group("template", ("模板",), "方案模板：保存成功协作的方案，发起需求时用 template= 或 from= 复用")


@commands.command("template save", ("保存", "save"), "把协作的任务方案保存为模板（部门、任务、交付物、标准、依赖、工期）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True, required=True),
                  Param("name", "模板名称", positional=True, required=True, rest=True, aliases=("名称",)),
                  example="/template save XZ-2026-0001 name=新品推广")
async def save(ctx: Context, v: Values) -> None:
    c = await common.visible_collab(ctx, v.id, stages=tuple(STAGES))
    common.require(await common.leads(ctx, c), "保存方案模板", "牵头部门负责人/对接人或协作管理办公室")
    name = v.name.strip()[:64]
    if await workflow.plan_template(ctx.session, name) is not None:
        raise UserError(f"已有名为「{name}」的模板；请换一个名称（/template list 查看已有模板）")
    blueprint = await blueprint_of(ctx, c)
    ctx.session.add(PlanTemplate(name=name, source_collab_id=c.id, blueprint=blueprint.to_json(), saved_by=ctx.actor.id,
                                 saved_at=ctx.now))
    ctx.audit("template.save", c, name=name, tasks=len(blueprint.steps))
    ctx.reply(Message(f"已保存方案模板「{name}」", f"来自 {c.code} {c.name}：{_summary(blueprint)}。发起需求时写 "
                      f"template={name} 即可复用，立项后自动生成任务。", template=CardKind.NOTICE, color="green"))


async def blueprint_of(ctx: Context, c: Collaboration) -> Blueprint:
    """A collaboration's plan as a blueprint; refused when it has no tasks yet."""
    tasks = await workflow.tasks(ctx.session, c.id)
    if not tasks:
        raise UserError(f"{c.code} 还没有任务，无法作为方案模板")
    numbers = {t.id: t.number for t in tasks}
    graph = await workflow.dependencies(ctx.session, c.id)
    after = {numbers[t]: [numbers[p] for p in preds] for t, preds in graph.items()}
    names = {d.id: d.name for d in await org.departments(ctx.session)}
    return take(c.code, tasks, after, names, ctx.calendar)


@commands.command("template list", ("列表", "查看", "list"), "已保存的方案模板", example="/template list", mutates=False,
                  default_sub=True)
async def list_templates(ctx: Context, v: Values) -> None:
    rows = []
    for t, code in await workflow.plan_templates(ctx.session):
        bp = Blueprint.from_json(t.blueprint)
        rows.append({"name": t.name, "source": code, "depts": "、".join(dict.fromkeys(s.dept for s in bp.steps)),
                     "tasks": len(bp.steps), "days": bp.working_days, "saved": t.saved_at.astimezone(ctx.zone).date().isoformat()})
    body = "" if rows else "还没有方案模板：协作方案确认后，牵头部门可用 /template save XZ-2026-0001 name=… 保存。"
    ctx.reply(Message(f"方案模板（{len(rows)}）", body, template=CardKind.TEMPLATE_LIST, data={"templates": rows}))


async def chosen(ctx: Context, name: str | None, source: str | None) -> Blueprint | None:
    """The plan a request reuses: a saved template by name, or a past collaboration's plan."""
    if name and source:
        raise UserError("template= 和 from= 只能选一个")
    if name:
        found = await workflow.plan_template(ctx.session, name)
        if found is None:
            names = "、".join(t.name for t, _ in (await workflow.plan_templates(ctx.session))[:10]) or "暂无"
            raise UserError(f"没有名为「{name[:40]}」的方案模板；已有：{names}")
        return Blueprint.from_json(found.blueprint)
    if source:
        return await blueprint_of(ctx, await common.visible_collab(ctx, source, stages=tuple(STAGES)))
    return None


def _summary(bp: Blueprint) -> str:
    depts = "、".join(dict.fromkeys(s.dept for s in bp.steps))
    return f"{len(bp.steps)} 项任务（{depts}），约 {bp.working_days} 个工作日"


def planned_note(bp: Blueprint, dept_ids: set[int]) -> str:
    """What a request's reply says of the plan it reuses: what will be laid down, and what not."""
    kept = [s for s in bp.steps if s.dept_id in dept_ids]
    left = [f"T{s.number} {s.title}（{s.dept}）" for s in bp.steps if s.dept_id not in dept_ids]
    note = f"立项后将按 {bp.source} 的方案生成 {len(kept)} 项任务，日期按新的开始日顺延（工作日）。"
    if left:
        note += f"以下任务的负责部门不在本需求中，不会生成：{'、'.join(left)}。"
    return note


async def lay_down(ctx: Context, c: Collaboration) -> str:
    """Create the reused plan's tasks at approval (the planning stage), starting today or on the
    next working day; each owner is its department's 对接人 (else its head) until the department
    names one. Returns what the charter says of it."""
    if c.blueprint is None or c.stage != Stage.PLANNING:
        return ""
    bp = Blueprint.from_json(c.blueprint)
    owners = {p.dept_id: p.contact_id for p in await workflow.participants(ctx.session, c.id) if p.contact_id}
    taking_part = set(await common.all_dept_ids(ctx, c))
    for dept_id in {s.dept_id for s in bp.steps} & taking_part - set(owners):
        if heads := await org.heads_of(ctx.session, dept_id):
            owners[dept_id] = heads[0].id
    made: dict[int, Task] = {}
    for step in bp.steps:
        if step.dept_id not in owners:
            continue
        start, due = lay(step, ctx.today, ctx.calendar)
        task = Task(collab_id=c.id, number=await common.next_number(ctx, c, "T"), title=step.title,
                    owner_dept_id=step.dept_id, owner_person_id=owners[step.dept_id], deliverable=step.deliverable,
                    standard=step.standard, start_date=start, due_date=due, is_milestone=step.milestone,
                    status=TaskState.TODO, progress=0, updated_at=ctx.now)
        ctx.session.add(task)
        made[step.number] = task
    await ctx.session.flush()
    for step in bp.steps:
        if step.number in made:
            await workflow.set_predecessors(ctx.session, made[step.number].id,
                                            [made[n].id for n in step.after if n in made])
    ctx.audit("template.apply", c, source=bp.source, tasks=len(made))
    if not made:
        return ""
    return (f"已按 {bp.source} 的方案生成 {len(made)} 项任务（T1–T{len(made)}），负责人暂定为各部门对接人："
            f"请各部门用 /task edit {c.code}/T1 owner=@… 指定，再确认方案。")
