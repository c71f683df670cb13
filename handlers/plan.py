"""Stage 3, 方案制定与分工: the 《任务分工表》 (WBS) and each department head's sign-off.

Every task has exactly one owner department and one owner person (第一责任人); predecessor
links may not form a cycle. Once every department has confirmed, the plan is fixed and date or
scope changes go through a change request.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message, showing
from handlers import common
from handlers.context import Context
from handlers.forms import prefills
from handlers.load import warn_conflicts
from handlers.registry import Commands
from handlers.vocab import TASK_COLOR, TASK_LABEL
from scheduler import keys
from scheduler.timeline import depends_on, projected_schedule
from storage import baselines, org, workflow
from storage.models import Collaboration, Department, Person, Stage, Task, TaskState

commands = Commands()

TASK_FIELDS = (
    Param("dept", "负责部门", Kind.DEPT, aliases=("部门", "责任部门")),
    Param("owner", "第一责任人", Kind.PERSON, aliases=("负责人", "责任人")),
    Param("deliverable", "交付物", Kind.TEXTAREA),
    Param("standard", "验收标准", Kind.TEXTAREA, aliases=("标准",)),
    Param("start", "开始日期", Kind.DATE, aliases=("开始",)),
    Param("due", "完成日期", Kind.DATE, aliases=("截止", "完成时间", "完成")),
    Param("after", "前置任务", Kind.TASKS, aliases=("前置", "依赖"), placeholder="T1,T2"),
    Param("milestone", "里程碑", Kind.BOOL),
    Param("resources", "资源/预算", Kind.TEXTAREA, aliases=("资源", "预算")),
)


commands.group("task", ("任务",), "任务分工表：新增、修改、查看任务")


@commands.command("task add", ("新增", "添加", "add"), "新增任务（任务分工表）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("title", "任务描述", positional=True, required=True, rest=True, aliases=("任务", "名称")),
                  *TASK_FIELDS,
                  example='/task add XZ-2026-0001 用户调研 dept=市场部 owner=@张三 deliverable="调研报告" '
                          'standard="样本≥500" start=12-01 due=12-10', form=True)
async def add_task(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id)
    common.require_stage(c, Stage.PLANNING, action="新增任务（执行阶段请用 /change 申请变更）")
    missing = [p.label for p in TASK_FIELDS if p.name in ("dept", "owner", "deliverable", "standard", "start", "due")
               and not v[p.name]]
    if missing:
        raise UserError(f"任务缺少：{'、'.join(missing)}（每个任务须有唯一负责部门和第一责任人、交付物、验收标准、起止日期）")
    dept = await _owner_dept(ctx, c, v.dept)
    await _require_planner(ctx, c, dept)
    owner = await _owner(ctx, v.owner, dept)
    number = await common.next_number(ctx, c, "T")
    task = Task(collab_id=c.id, number=number, title=v.title, owner_dept_id=dept.id, owner_person_id=owner.id,
                deliverable=v.deliverable, standard=v.standard, resources=v.resources or "", start_date=v.start,
                due_date=v.due, is_milestone=bool(v.milestone), status=TaskState.TODO, progress=0, updated_at=ctx.now)
    _check_dates(task)
    ctx.session.add(task)
    await ctx.session.flush()
    warnings = await _link(ctx, c, task, v.after)
    await _check_order(ctx, task)
    await _reset_confirmations(ctx, c)
    ctx.audit("task.add", c, task=f"T{number}", title=v.title, dept=dept.name, owner=owner.name)
    await warn_conflicts(ctx, c, owner, task.start_date, task.due_date, f"T{number}", skip=f"{c.code}/T{number}")
    ctx.reply(await task_card(ctx, c, task, f"已新增任务 T{number}：{task.title}", "\n".join(warnings)))
    card = await task_card(ctx, c, task, f"{c.code} 新任务分配给{dept.name}：T{number} {task.title}")
    await ctx.announce("task_assigned", replace(card, mentions=ctx.mention(owner)), c, concerned=[dept.id])


@commands.command("task edit", ("修改", "编辑", "edit"), "修改任务（方案确认前）",
                  Param("task", "任务编号", Kind.TASK, positional=True, required=True),
                  Param("title", "任务描述", aliases=("任务", "名称")), *TASK_FIELDS,
                  example="/task edit XZ-2026-0001/T2 due=12-20 after=T1")
async def edit_task(ctx: Context, v: Values) -> None:
    c, task = await common.task(ctx, v.task)
    common.require_stage(c, Stage.PLANNING, action="修改任务（执行阶段请用 /change 申请变更）")
    await _require_planner(ctx, c, await _dept(ctx, task.owner_dept_id))
    changes = {k: v[k] for k in ("title", "dept", "owner", "deliverable", "standard", "start", "due", "after",
                                 "milestone", "resources") if v[k] not in (None, [])}
    if not changes:
        raise UserError("没有要修改的内容；例：/task edit T2 due=12-20")
    if v.dept:
        dept = await _owner_dept(ctx, c, v.dept)
        await _require_planner(ctx, c, dept)
        task.owner_dept_id = dept.id
    dept = await _dept(ctx, task.owner_dept_id)
    if v.owner or v.dept:
        owner = await _owner(ctx, v.owner, dept) if v.owner else await org.person_by_id(ctx.session, task.owner_person_id)
        if owner is None or owner.dept_id != dept.id:
            raise UserError(f"第一责任人须属于{dept.name}：请同时指定 owner=@{dept.name}的成员")
        task.owner_person_id = owner.id
    for key, attr in (("title", "title"), ("deliverable", "deliverable"), ("standard", "standard"),
                      ("start", "start_date"), ("due", "due_date"), ("resources", "resources")):
        if v[key]:
            setattr(task, attr, v[key])
    if v.milestone is not None:
        task.is_milestone = v.milestone
    _check_dates(task)
    task.updated_at = ctx.now
    warnings = await _link(ctx, c, task, v.after) if v.after else []
    await _check_order(ctx, task)
    await _reset_confirmations(ctx, c)
    ctx.audit("task.edit", c, task=f"T{task.number}", **changes)
    if v.owner or v.start or v.due:
        owner = await org.person_by_id(ctx.session, task.owner_person_id)
        if owner is not None:
            await warn_conflicts(ctx, c, owner, task.start_date, task.due_date, f"T{task.number}",
                                 skip=f"{c.code}/T{task.number}")
    ctx.reply(await task_card(ctx, c, task, f"已修改任务 T{task.number}：{task.title}", "\n".join(warnings)))


@prefills("task edit")
async def _current_task_values(session: AsyncSession, preset: Mapping[str, Any]) -> dict[str, Any]:
    """The task's fields as they are, for its edit form (its ref is "XZ-2026-0001/T2")."""
    code, _, number = str(preset.get("task", "")).upper().partition("/T")
    c = await workflow.collab_by_code(session, code)
    task = await session.scalar(select(Task).where(Task.collab_id == c.id, Task.number == int(number))) \
        if c is not None and number.isdigit() else None
    if task is None:
        return {}
    dept = await session.get(Department, task.owner_dept_id)
    owner = await org.person_by_id(session, task.owner_person_id)
    return {"title": task.title, "dept": dept.name if dept else "", "owner": owner.name if owner else "",
            "deliverable": task.deliverable, "standard": task.standard, "resources": task.resources,
            "start": task.start_date.isoformat(), "due": task.due_date.isoformat()}


@commands.command("task list", ("列表", "list", "分工表"), "任务分工表",
                  Param("id", "协作编号", Kind.COLLAB, positional=True), example="/task list XZ-2026-0001",
                  mutates=False, default_sub=True)
async def list_tasks(ctx: Context, v: Values) -> None:
    c = await common.visible_collab(ctx, v.id)
    ctx.reply(await division_table(ctx, c))


async def division_table(ctx: Context, c: Collaboration) -> Message:
    tasks = await workflow.tasks(ctx.session, c.id)
    graph = await workflow.dependencies(ctx.session, c.id)
    numbers = {t.id: t.number for t in tasks}
    people = await org.people_by_ids(ctx.session, [t.owner_person_id for t in tasks])
    depts = {d.id: d.name for d in await org.departments(ctx.session)}
    rows: list[dict[str, Any]] = []
    for t in tasks:
        after = ",".join(f"T{numbers[p]}" for p in sorted(graph.get(t.id, ()), key=numbers.__getitem__))
        rows.append({"task": f"T{t.number}", "title": t.title, "dept": depts[t.owner_dept_id],
                     "owner": people[t.owner_person_id].name, "deliverable": t.deliverable, "standard": t.standard,
                     "start": t.start_date.isoformat(), "due": t.due_date.isoformat(), "after": after,
                     "status": TASK_LABEL[t.status], "progress": t.progress, "milestone": t.is_milestone})
    lines = [f"T{r['task'][1:]} {r['title']}｜{r['dept']} {r['owner']}｜{r['start']}→{r['due']}｜{r['status']}"
             + (f"｜前置 {r['after']}" if r["after"] else "") + ("｜◆里程碑" if r["milestone"] else "") for r in rows]
    return Message(f"任务分工表：{c.code} {c.name}", "\n".join(lines) or "还没有任务：/task add …",
                   template=CardKind.DIVISION_TABLE, data={"code": c.code, "rows": rows})


async def task_card(ctx: Context, c: Collaboration, task: Task, title: str, body: str = "") -> Message:
    """A task's card: its fields, and the buttons its collaboration's stage and its status allow."""
    return showing(Message(title, body, await task_fields(ctx, task), template=CardKind.TASK,
                           data={"code": c.code, "task": f"T{task.number}", "stage": c.stage, "status": task.status},
                           color="blue" if task.status == TaskState.TODO else TASK_COLOR[task.status]), "task", task.id)


@commands.item_view("task", Task)
async def _current_task(ctx: Context, c: Collaboration, task: Task) -> Message | None:
    return await task_card(ctx, c, task, f"{c.code} T{task.number} {task.title}")


async def predecessors(ctx: Context, task: Task) -> list[Task]:
    graph = await workflow.dependencies(ctx.session, task.collab_id)
    return [t for t in [await ctx.session.get(Task, p) for p in sorted(graph.get(task.id, ()))] if t is not None]


async def successors(ctx: Context, task: Task) -> list[Task]:
    graph = await workflow.dependencies(ctx.session, task.collab_id)
    return [t for t in [await ctx.session.get(Task, s) for s in sorted(s for s, ps in graph.items() if task.id in ps)]
            if t is not None]


#: The predecessor states that let a task start, by `policy.dependency_start` (docs/workflow.md, "Dependencies").
START_READY = {"delivered": (TaskState.REVIEW, TaskState.DONE), "accepted": (TaskState.DONE,), "off": tuple(TASK_LABEL)}
READY_WORD = {"delivered": "提交交付", "accepted": "验收通过", "off": ""}


async def require_start(ctx: Context, c: Collaboration, task: Task, force: bool = False) -> None:
    """A task starts once its predecessors are delivered (or accepted, by policy); the lead
    department or the PMO may start it earlier with `force`, which the audit records."""
    rule = ctx.config.policy.dependency_start
    waiting = [p for p in await predecessors(ctx, task) if p.status not in START_READY[rule]]
    if not waiting:
        return
    names = "、".join(f"T{p.number}（{TASK_LABEL[p.status]}）" for p in waiting)
    if not force:
        raise UserError(f"T{task.number} 的前置任务 {names} 尚未{READY_WORD[rule]}，还不能开始；确需提前开始，请牵头部门或"
                        f"协作管理办公室强制：/status {c.code}/T{task.number} 进行中 force=是")
    common.require(await common.leads(ctx, c), f"强制开始 T{task.number}", "牵头部门负责人/对接人或协作管理办公室")
    ctx.audit("task.force_start", c, task=f"T{task.number}", waiting=[f"T{p.number}" for p in waiting])
    ctx.warnings.append(f"T{task.number} 的前置任务 {names} 尚未{READY_WORD[rule]}：已由{ctx.actor.name}强制开始，已记入审计")


async def tell_ready_successors(ctx: Context, c: Collaboration, task: Task) -> None:
    """When `task` reaches the state its successors wait for, their owners hear they can start:
    once, on the first such state (delivered, then accepted, tells at delivery only)."""
    rule = ctx.config.policy.dependency_start
    if rule == "off" or task.status != START_READY[rule][0]:
        return
    for succ in await successors(ctx, task):
        if succ.status != TaskState.TODO or any(p.status not in START_READY[rule] for p in await predecessors(ctx, succ)):
            continue
        owner = await org.person_by_id(ctx.session, succ.owner_person_id)
        card = await task_card(ctx, c, succ, f"{c.code} 前置任务已{READY_WORD[rule]}：T{succ.number} {succ.title} 可以开始",
                               f"前置任务 T{task.number} {task.title} 已{READY_WORD[rule]}。开始时请更新状态："
                               f"/status {c.code}/T{succ.number} 进行中")
        await ctx.announce("task_ready", replace(card, mentions=ctx.mention(owner)), c, concerned=[succ.owner_dept_id])


async def task_fields(ctx: Context, task: Task) -> tuple[Field, ...]:
    owner = await org.person_by_id(ctx.session, task.owner_person_id)
    preds = await predecessors(ctx, task)
    return (Field("负责部门", await common.names(ctx, [task.owner_dept_id])),
            Field("第一责任人", owner.name if owner else "?"), Field("交付物", task.deliverable),
            Field("验收标准", task.standard), Field("起止", f"{task.start_date} → {task.due_date}"),
            Field("前置任务", ",".join(sorted(f"T{p.number}" for p in preds if p)) or "—"),
            Field("状态", f"{TASK_LABEL[task.status]} {task.progress}%"))


@commands.command("confirm", ("确认", "签字确认", "确认方案"), "部门负责人确认执行方案（签字确认）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True), Param("dept", "部门", Kind.DEPT),
                  example="/confirm XZ-2026-0001")
async def confirm_plan(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id)
    common.require_stage(c, Stage.PLANNING, action="确认方案")
    dept = await common.actor_dept(ctx, v.dept)
    common.require(common.is_head(ctx, dept.id) or common.is_admin(ctx), f"代表{dept.name}确认方案",
                   f"{dept.name}负责人或协作管理办公室")
    part = await common.participant_or_error(ctx, c, dept)
    tasks = await workflow.tasks(ctx.session, c.id)
    if not tasks:
        raise UserError(f"{c.code} 还没有任务，先拆解任务：/task add {c.code} …")
    part.plan_confirmed_by = ctx.actor.id
    part.plan_confirmed_at = ctx.now
    parts = await workflow.participants(ctx.session, c.id)
    waiting = [p.dept_id for p in parts if p.plan_confirmed_at is None]
    ctx.audit("confirm", c, dept=dept.name)
    if waiting:
        ctx.reply(Message(f"{dept.name}已确认 {c.code} 执行方案", f"等待确认：{await common.names(ctx, waiting)}",
                          template=CardKind.PLAN_CONFIRM, data={"code": c.code, "dept": dept.name}, color="green"))
        return
    c.stage = Stage.EXECUTING
    c.executing_at = ctx.now
    await baselines.snapshot(ctx.session, c.id, "方案确认", ctx.now)
    table = await division_table(ctx, c)
    done = Message(f"执行方案已确认：{c.code} {c.name}",
                   "各部门负责人均已签字确认，进入执行推进阶段。对接人请每周五 "
                   f"{ctx.config.policy.weekly_report_due_time} 前提交进度（/progress {c.code}）。\n\n{table.body}",
                   template=CardKind.PLAN_CONFIRMED, data=table.data, color="green")
    ctx.reply(done)
    await ctx.announce("plan_confirmed", done, c)


async def _owner_dept(ctx: Context, c: Collaboration, name: str) -> Department:
    dept = await common.dept(ctx, name)
    if dept.id not in await common.all_dept_ids(ctx, c):
        raise UserError(f"{dept.name}不是 {c.code} 的参与部门，不能承担任务")
    return dept


async def _dept(ctx: Context, dept_id: int) -> Department:
    dept = await org.dept_by_id(ctx.session, dept_id)
    assert dept is not None
    return dept


async def _owner(ctx: Context, ref: str, dept: Department) -> Person:
    owner = await common.person(ctx, ref)
    if owner.dept_id is None:
        owner.dept_id = dept.id
    if owner.dept_id != dept.id:
        raise UserError(f"第一责任人 {owner.name} 不属于{dept.name}")
    return owner


async def _require_planner(ctx: Context, c: Collaboration, dept: Department) -> None:
    allowed = await common.leads(ctx, c) or await common.speaks_for(ctx, c, dept.id)
    common.require(allowed, f"安排{dept.name}的任务", f"{dept.name}负责人/对接人、牵头部门负责人/对接人或协作管理办公室")


def _check_dates(task: Task) -> None:
    if task.due_date < task.start_date:
        raise UserError(f"完成日期 {task.due_date} 早于开始日期 {task.start_date}")


async def _check_order(ctx: Context, task: Task) -> None:
    """A task cannot be due before a task it waits for, nor after one that waits for it."""
    for pred in await predecessors(ctx, task):
        if task.due_date < pred.due_date:
            raise UserError(f"T{task.number} 的完成日期 {task.due_date} 早于前置任务 T{pred.number} 的完成日期 "
                            f"{pred.due_date}；请调整 due= 或 after=")
    for succ in await successors(ctx, task):
        if succ.due_date < task.due_date:
            raise UserError(f"T{task.number} 的完成日期 {task.due_date} 晚于后续任务 T{succ.number} 的完成日期 "
                            f"{succ.due_date}；请先调整 T{succ.number}")


async def _link(ctx: Context, c: Collaboration, task: Task, refs: list[str]) -> list[str]:
    """Set predecessors, refusing cycles; returns warnings about overlapping dates."""
    preds = await common.tasks_by_refs(ctx, c, refs)
    if any(p.id == task.id for p in preds):
        raise UserError(f"T{task.number} 不能依赖自己")
    graph = await workflow.dependencies(ctx.session, c.id)
    graph[task.id] = {p.id for p in preds}
    if depends_on(graph, task.id, task.id):
        raise UserError(f"前置依赖形成了循环（T{task.number} 间接依赖自己），请调整 after=")
    await workflow.set_predecessors(ctx.session, task.id, [p.id for p in preds])
    return [f"⚠️ T{task.number} 开始日期 {task.start_date} 早于前置任务 T{p.number} 的完成日期 {p.due_date}"
            for p in preds if p.due_date >= task.start_date]


async def _reset_confirmations(ctx: Context, c: Collaboration) -> None:
    """A changed plan needs fresh sign-off from every department."""
    for part in await workflow.participants(ctx.session, c.id):
        part.plan_confirmed_at = None
        part.plan_confirmed_by = None


async def shift_task(ctx: Context, c: Collaboration, task_id: int, start: date | None, due: date | None) -> str:
    """Move a task's dates (an approved change) and warn downstream owners of their new earliest start."""
    task = await ctx.session.get(Task, task_id)
    assert task is not None
    task.start_date = start or task.start_date
    task.due_date = due or task.due_date
    _check_dates(task)
    task.updated_at = ctx.now
    await ctx.withdraw(keys.task(task.id))
    tasks = list(await workflow.tasks(ctx.session, c.id))
    graph = await workflow.dependencies(ctx.session, c.id)
    projected = projected_schedule(tasks, graph, ctx.calendar)
    lines = [f"T{task.number} 新日期：{task.start_date} → {task.due_date}"]
    for t in tasks:
        earliest = projected[t.id][0]
        if t.id != task.id and t.status != TaskState.DONE and earliest > t.start_date:
            lines.append(f"下游 T{t.number} 最早可开始 {earliest}（原计划 {t.start_date}）")
            owner = await org.person_by_id(ctx.session, t.owner_person_id)
            await ctx.announce("upstream_slipped", Message(
                f"{c.code} 上游任务改期：T{t.number} 受影响",
                f"前置任务 T{task.number} 改为 {task.due_date} 完成，T{t.number} {t.title} 最早可于 {earliest} 开始"
                f"（原计划 {t.start_date}）。如需调整请 /change。", template=CardKind.UPSTREAM_SLIPPED,
                data={"code": c.code, "task": f"T{t.number}", "earliest": earliest.isoformat()},
                mentions=ctx.mention(owner), color="yellow"), c, concerned=[t.owner_dept_id])
    return "\n".join(lines)
