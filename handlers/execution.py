"""Stage 4, 执行推进与进度跟踪: task status, weekly 《进度跟踪表》, the board and my tasks."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message
from handlers import common
from handlers.actions import action_row
from handlers.context import Context
from handlers.load import hot_spots
from handlers.plan import require_start
from handlers.portfolio import RAG_LABEL, row, standing
from handlers.registry import Commands
from handlers.vocab import (
    ACTIVE_STAGES,
    DECISION_LABEL,
    OPEN_TASK_STATES,
    STAGES,
    SUCCESS,
    TASK_COLOR,
    TASK_LABEL,
    TASK_STATES,
)
from scheduler import keys
from scheduler.timeline import week_of
from storage import baselines, org, workflow
from storage.models import Collaboration, Problem, Risk, Stage, Task, TaskState

commands = Commands()


async def may_update_task(ctx: Context, c: Collaboration, task: Task) -> bool:
    """The owner, the owner dept's head or 对接人, the lead dept, or the PMO."""
    return (ctx.actor.id == task.owner_person_id or await common.speaks_for(ctx, c, task.owner_dept_id)
            or await common.leads(ctx, c))


TASK_UPDATERS = "任务第一责任人、负责部门负责人/对接人、牵头部门或协作管理办公室"


async def changeable_task(ctx: Context, ref: str, action: str) -> tuple[Collaboration, Task]:
    """The task `ref` names, if the actor may still change it: the collaboration is executing, the
    actor is one of its updaters, and it is neither waiting for acceptance nor accepted (from then
    on only /accept moves it). `action` says what was tried, e.g. "更新任务状态"."""
    c, task = await common.task(ctx, ref)
    common.require_stage(c, Stage.EXECUTING, action=action)
    common.require(await may_update_task(ctx, c, task), f"{action}（T{task.number}）", TASK_UPDATERS)
    if task.status == TaskState.REVIEW:
        raise UserError(f"T{task.number} 已提交验收，等待发起人验收（/accept {c.code}/T{task.number}）")
    if task.status == TaskState.DONE:
        raise UserError(f"T{task.number} 已验收通过，不能再{action}")
    return c, task


@commands.command("status", ("状态", "更新"), "更新任务状态和进度",
                  Param("task", "任务编号", Kind.TASK, positional=True, required=True),
                  Param("state", "状态", Kind.CHOICE, positional=True, required=True, choices=TASK_STATES),
                  Param("progress", "进度%", Kind.INT, positional=True, min=0, max=100, aliases=("进度",)),
                  Param("note", "说明", Kind.TEXTAREA, positional=True, rest=True, aliases=("备注", "原因")),
                  Param("force", "强制开始（前置任务未完成时，牵头部门或协作管理办公室）", Kind.BOOL, aliases=("强制",)),
                  example="/status XZ-2026-0001/T3 进行中 60% 接口联调中")
async def update_status(ctx: Context, v: Values) -> None:
    c, task = await changeable_task(ctx, v.task, "更新任务状态")
    if v.state == TaskState.DONE:
        raise UserError(f"任务完成需经验收：请提交交付物 /deliver {c.code}/T{task.number} 链接或说明")
    if v.state in (TaskState.BLOCKED, TaskState.DELAYED) and not v.note:
        raise UserError(f"标记“{TASK_LABEL[v.state]}”时请写明原因：/status T{task.number} {TASK_LABEL[v.state]} 原因")
    if task.status == TaskState.TODO and v.state == TaskState.DOING:
        await require_start(ctx, c, task, force=bool(v.force))
    before = task.status
    task.status = v.state
    if v.progress is not None:
        task.progress = v.progress
    if v.note:
        task.note = v.note
    task.updated_at = ctx.now
    ctx.audit("status", c, task=f"T{task.number}", state=v.state, before=before, progress=task.progress, note=v.note)
    fields = (Field("任务", f"T{task.number} {task.title}"), Field("状态", f"{TASK_LABEL[before]} → {TASK_LABEL[v.state]}"),
              Field("进度", f"{task.progress}%"), Field("说明", v.note or "—"))
    data = {"code": c.code, "task": f"T{task.number}", "state": v.state, "progress": task.progress}
    ctx.reply(Message(f"{c.code} T{task.number} 状态已更新", "", fields, template=CardKind.TASK_STATUS, data=data,
                      color=TASK_COLOR[v.state]))
    if v.state in (TaskState.BLOCKED, TaskState.DELAYED):
        await ctx.announce("task_blocked", Message(f"{c.code} T{task.number} {TASK_LABEL[v.state]}",
                                                   "请牵头部门协调；跨部门无法解决时用 /problem 记录并升级。", fields,
                                                   template=CardKind.TASK_STATUS, data=data, color="red"), c)


@commands.command("progress", ("进度", "周报"), "提交本部门本周进度（进度跟踪表）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("done", "本周完成工作", Kind.TEXTAREA, aliases=("完成", "本周完成")),
                  Param("undone", "未完成工作及原因", Kind.TEXTAREA, aliases=("未完成",)),
                  Param("next", "下周计划", Kind.TEXTAREA, aliases=("计划", "下周")),
                  Param("risks", "风险提示", Kind.TEXTAREA, aliases=("风险",)),
                  Param("dept", "部门", Kind.DEPT),
                  example='/progress XZ-2026-0001 done="完成海报初稿3张" undone="无" next="海报终稿" risks="无"',
                  form=True)
async def submit_progress(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=(Stage.EXECUTING,))
    common.require_stage(c, Stage.EXECUTING, action="提交周进度")
    dept = await common.actor_dept(ctx, v.dept)
    part = await common.participant_or_error(ctx, c, dept)
    common.require(common.speaks_for_participant(ctx, part) or common.is_admin(ctx), f"提交{dept.name}的周进度",
                   f"{dept.name}对接人或负责人")
    if not v.done or not v.next:
        raise UserError("周进度至少要写本周完成（done=）和下周计划（next=）")
    week = week_of(ctx.today)
    report = await workflow.weekly_report(ctx.session, c.id, dept.id, week, ctx.actor.id, ctx.now)
    report.done, report.undone, report.next_plan, report.risks = v.done, v.undone or "无", v.next, v.risks or "无"
    report.submitted_by, report.submitted_at = ctx.actor.id, ctx.now
    await ctx.withdraw(keys.weekly_report(c.id, dept.id, week))
    ctx.audit("progress", c, dept=dept.name, week=week)
    fields = (Field("部门", dept.name), Field("周", f"{week} 起"), Field("本周完成", report.done),
              Field("未完成及原因", report.undone), Field("下周计划", report.next_plan), Field("风险提示", report.risks))
    message = Message(f"{c.code} 进度跟踪表：{dept.name}", "", fields, template=CardKind.PROGRESS,
                      data={"code": c.code, "dept": dept.name, "week": week.isoformat()},
                      color="yellow" if report.risks not in ("无", "") else "green")
    ctx.reply(message)
    await ctx.announce("progress", message, c)


@commands.command("board", ("看板",), "协作项目看板：一个项目的状态；不写编号：项目组合（管理办公室、领导看全部）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("page", "页码", Kind.INT, min=1, aliases=("页",)), example="/board XZ-2026-0001", mutates=False)
async def board(ctx: Context, v: Values) -> None:
    if v.id:
        ctx.reply(await board_message(ctx, await common.visible_collab(ctx, v.id)))
        return
    everything = common.oversees(ctx)
    shown = await workflow.collabs_in(ctx.session, ACTIVE_STAGES) if everything else \
        await workflow.collabs_involving(ctx.session, ctx.actor.dept_id, ctx.actor.id, ACTIVE_STAGES)
    title = "协作项目组合" if everything else "我的协作项目"
    if not shown:
        ctx.reply(Message(title, "目前没有进行中的协作项目。发起新需求：/request", template=CardKind.BOARD_LIST),
                  personal=True)
        return
    pages = -(-len(shown) // PAGE)
    page = min(v.page or 1, pages)
    rows = await _portfolio_rows(ctx, shown[(page - 1) * PAGE:page * PAGE])
    lines = [f"{r['status']}｜{r['code']} {r['name']}｜{STAGES[r['stage']]}｜完成 {r['done']}｜逾期 {r['late']}"
             + (f"｜{r['why']}" if r["why"] else "") for r in rows]
    counts = {rag: sum(r["rag"] == rag for r in rows) for rag in RAG_LABEL}
    summary = "　".join(f"{RAG_LABEL[k]} {n}" for k, n in counts.items())
    ctx.reply(Message(f"{title}（{len(shown)}）" + (f" 第 {page}/{pages} 页" if pages > 1 else ""),
                      f"{summary}\n" + "\n".join(lines), template=CardKind.BOARD_LIST,
                      data={"items": rows, "page": page, "pages": pages,
                            "hot": await hot_spots(ctx) if everything else ""},
                      color="red" if counts["red"] else "yellow" if counts["yellow"] else SUCCESS),
              personal=not everything)


#: Collaborations per portfolio card; `/board page=2` shows the next ones.
PAGE = 10


async def _portfolio_rows(ctx: Context, page: Sequence[Collaboration]) -> list[dict[str, Any]]:
    """The rows of one page of the portfolio, with one query per kind of record for the page."""
    ids = [c.id for c in page]
    tasks = await workflow.rows_by_collab(ctx.session, Task, ids)
    problems = await workflow.rows_by_collab(ctx.session, Problem, ids)
    risks = await workflow.rows_by_collab(ctx.session, Risk, ids)
    planned = await baselines.original_dues_of(ctx.session, ids)
    names = {d.id: d.name for d in await org.departments(ctx.session)}
    return [row(c, names.get(c.lead_dept_id, "—"), tasks[c.id], problems[c.id], risks[c.id], ctx.today,
                standing(tasks[c.id], problems[c.id], risks[c.id], ctx.today, ctx.calendar, ctx.config.policy),
                planned[c.id], ctx.calendar) for c in page]


async def board_message(ctx: Context, c: Collaboration) -> Message:
    tasks = await workflow.tasks(ctx.session, c.id)
    counts: dict[str, int] = {}
    for t in tasks:
        counts[t.status] = counts.get(t.status, 0) + 1
    overdue = [t for t in tasks if t.status in OPEN_TASK_STATES and t.due_date < ctx.today]
    opens = await workflow.open_counts(ctx.session, c.id)
    fields = [Field("阶段", STAGES[c.stage]), Field("牵头部门", await common.names(ctx, [c.lead_dept_id])),
              Field("量化目标", c.goal), Field("期望完成", c.expected_date.isoformat())]
    if c.stage == Stage.EVALUATING:
        answers = await workflow.evaluations(ctx.session, c.id, c.eval_round)
        names = {d.id: d.name for d in await org.departments(ctx.session)}
        fields.append(Field("评估", "；".join(f"{names[a.dept_id]} {DECISION_LABEL[a.decision]}" for a in answers)))
    if c.stage == Stage.RETURNED:
        fields.append(Field("退回原因", c.return_reason))
    if tasks:
        done = counts.get("done", 0)
        others = "，".join(f"{TASK_LABEL[s]} {n}" for s, n in counts.items() if s != "done")
        fields.append(Field("任务", f"{done}/{len(tasks)} 已完成" + (f"；{others}" if others else "")))
    if overdue:
        fields.append(Field("逾期", "、".join(f"T{t.number}（{t.due_date}）" for t in overdue)))
    fields.append(Field("未决", f"问题 {opens['problems']}｜风险 {opens['risks']}｜变更待批 {opens['changes']}"))
    unreachable = await _unreachable(ctx, c)
    if unreachable:
        fields.append(Field("无法送达", f"{unreachable}的群（机器人已被移出或群已解散），重新 /bind 前收不到通知"))
    actions = [a for a in await workflow.action_items(ctx.session, c.id) if not a.done]
    if actions:
        people = await org.people_by_ids(ctx.session, [a.owner_id for a in actions if a.owner_id])
        fields.append(Field("行动项", "\n".join(r["action"] + f" {r['text']}（{r['owner']}，{r['state']}）"
                                                for r in (action_row(c, a, people.get(a.owner_id or 0), ctx.today)
                                                          for a in actions))))
    color = "red" if overdue or counts.get(TaskState.BLOCKED) else "yellow" if counts.get(TaskState.DELAYED) else SUCCESS
    return Message(f"看板：{c.code} {c.name}", "", tuple(fields), template=CardKind.BOARD,
                   data={"code": c.code, "stage": c.stage, "counts": counts, "overdue": [t.number for t in overdue]},
                   color=color)


async def _unreachable(ctx: Context, c: Collaboration) -> str:
    """The collaboration's departments whose every bound group is lost."""
    chats = await org.chats_of(ctx.session, await common.all_dept_ids(ctx, c), lost=None)
    reachable = {chat.dept_id for chat in chats if chat.lost_at is None}
    lost = [d for d in dict.fromkeys(chat.dept_id for chat in chats if chat.lost_at is not None) if d not in reachable]
    return await common.names(ctx, lost) if lost else ""


@commands.command("mytasks", ("我的任务",), "我负责的未完成任务，按截止日期排序", mutates=False)
async def my_tasks(ctx: Context, v: Values) -> None:
    rows = await workflow.open_tasks_of(ctx.session, ctx.actor.id, OPEN_TASK_STATES)
    if not rows:
        ctx.reply(Message("我的任务", "你目前没有未完成的任务。", template=CardKind.MY_TASKS), personal=True)
        return
    lines = []
    for task, code in rows:
        late = "（已逾期）" if task.due_date < ctx.today else ""
        lines.append(f"{code}/T{task.number} {task.title}｜{TASK_LABEL[task.status]} {task.progress}%｜"
                     f"截止 {task.due_date}{late}")
    ctx.reply(Message(f"我的任务（{len(rows)}）", "\n".join(lines), template=CardKind.MY_TASKS,
                      data={"items": [{"task": f"{code}/T{t.number}", "title": t.title, "due": t.due_date.isoformat(),
                                       "status": t.status} for t, code in rows]}), personal=True)
