"""Stage 5, 问题解决与风险管控: 《问题记录与解决表》 with escalation, 《风险问题跟踪表》, 变更申请表."""
from __future__ import annotations

from dataclasses import replace

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message, showing
from handlers import common
from handlers.context import Context
from handlers.kb import suggest
from handlers.plan import shift_task
from handlers.registry import Commands
from handlers.vocab import (
    CHANGE_KINDS,
    CHANGE_LABEL,
    CHANGE_STATUS,
    ESCALATION,
    LEVEL_LABEL,
    LEVELS,
    PRIORITY_COLOR,
    RISK_LABEL,
    RISK_STATES,
)
from scheduler import keys
from storage import baselines, org
from storage.models import ChangeRequest, Collaboration, Problem, Risk, Stage, Task

commands = Commands()

WORKING = (Stage.PLANNING, Stage.EXECUTING)


@commands.command("problem", ("问题",), "记录问题（问题记录与解决表）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("description", "问题描述", Kind.TEXTAREA, positional=True, required=True, rest=True,
                        aliases=("描述", "desc")),
                  Param("impact", "影响程度", Kind.CHOICE, choices=LEVELS, aliases=("影响",)),
                  Param("dept", "责任部门", Kind.DEPT, aliases=("部门",)),
                  Param("cause", "原因分析", Kind.TEXTAREA, aliases=("原因",)),
                  Param("measures", "解决措施", Kind.TEXTAREA, aliases=("措施",)),
                  Param("owner", "负责人", Kind.PERSON),
                  Param("due", "计划完成时间", Kind.DATE, aliases=("计划完成",)),
                  example="/problem XZ-2026-0001 第三方支付接口调试失败 impact=高 dept=研发部 owner=@李四 due=12-05",
                  form=True)
async def log_problem(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=WORKING)
    common.require_stage(c, *WORKING, action="记录问题")
    dept = await common.dept(ctx, v.dept) if v.dept else await common.actor_dept(ctx)
    if dept.id not in await common.all_dept_ids(ctx, c):
        raise UserError(f"{dept.name}不是 {c.code} 的参与部门；请用 dept= 指定责任部门")
    owner = await common.person(ctx, v.owner) if v.owner else None
    problem = Problem(collab_id=c.id, number=await common.next_number(ctx, c, "P"), description=v.description,
                      impact=v.impact or "medium", responsible_dept_id=dept.id, cause=v.cause or "",
                      measures=v.measures or "", owner_id=owner.id if owner else None, planned_date=v.due,
                      status="open", level=0, reported_by=ctx.actor.id, reported_at=ctx.now)
    ctx.session.add(problem)
    await ctx.session.flush()
    ctx.audit("problem", c, problem=f"P{problem.number}", impact=problem.impact, dept=dept.name)
    message = await problem_message(ctx, c, problem, f"{c.code} 新问题 P{problem.number}")
    ctx.reply(message)
    await suggest(ctx, "相似问题的解决办法", f"{problem.description} {problem.cause}", ("problem",), ("resolved",))
    await ctx.announce("problem_high" if problem.impact == "high" else "problem", message, c, concerned=[dept.id])


async def problem_message(ctx: Context, c: Collaboration, p: Problem, title: str, body: str = "") -> Message:
    owner = await org.person_by_id(ctx.session, p.owner_id) if p.owner_id else None
    fields = (Field("问题描述", p.description), Field("影响程度", LEVEL_LABEL[p.impact]),
              Field("责任部门", await common.names(ctx, [p.responsible_dept_id])), Field("原因分析", p.cause or "—"),
              Field("解决措施", p.measures or "—"), Field("负责人", owner.name if owner else "—"),
              Field("计划完成", common.fmt_date(p.planned_date)), Field("实际完成", common.fmt_date(p.actual_date)),
              Field("验收结果", p.verification or "—"), Field("当前处理层级", ESCALATION[p.level]))
    return showing(Message(title, body, fields, template=CardKind.PROBLEM,
                           data={"code": c.code, "problem": f"P{p.number}", "status": p.status, "level": p.level},
                           mentions=ctx.mention(owner),
                           color=PRIORITY_COLOR[p.impact] if p.status == "open" else "green"), "problem", p.id)


@commands.item_view("problem", Problem)
async def _current_problem(ctx: Context, c: Collaboration, p: Problem) -> Message | None:
    return await problem_message(ctx, c, p, f"{c.code} 问题 P{p.number}")


@commands.command("problem resolve", ("解决", "resolve"), "登记问题已解决（实际完成时间与验收结果）",
                  Param("problem", "问题编号", positional=True, required=True),
                  Param("verification", "验收结果", Kind.TEXTAREA, positional=True, rest=True, aliases=("结果",)),
                  Param("actual", "实际完成时间", Kind.DATE, aliases=("实际完成",)),
                  example="/problem resolve XZ-2026-0001/P1 已通过测试")
async def resolve_problem(ctx: Context, v: Values) -> None:
    c, p = await common.item(ctx, v.problem, "P")
    if p.status != "open":
        raise UserError(f"P{p.number} 已经解决")
    allowed = ctx.actor.id in (p.owner_id, p.reported_by) or await common.speaks_for(ctx, c, p.responsible_dept_id) \
        or await common.leads(ctx, c)
    common.require(allowed, f"关闭问题 P{p.number}", "问题负责人、责任部门负责人/对接人、牵头部门或协作管理办公室")
    if not v.verification:
        raise UserError("请写明验收结果，例如：/problem resolve P1 已通过测试")
    p.status, p.verification, p.actual_date = "resolved", v.verification, v.actual or ctx.today
    await ctx.withdraw(keys.problem(p.id))
    ctx.audit("problem.resolve", c, problem=f"P{p.number}")
    message = await problem_message(ctx, c, p, f"{c.code} 问题 P{p.number} 已解决")
    ctx.reply(message)
    await ctx.announce("problem_resolved", message, c, concerned=[p.responsible_dept_id])


@commands.command("problem escalate", ("升级", "escalate"), "问题部门间无法解决：升级到协作管理办公室，再到分管领导",
                  Param("problem", "问题编号", positional=True, required=True),
                  Param("reason", "升级原因", Kind.TEXTAREA, positional=True, rest=True, aliases=("原因",)),
                  example="/problem escalate XZ-2026-0001/P1 接口方无响应")
async def escalate_problem(ctx: Context, v: Values) -> None:
    c, p = await common.item(ctx, v.problem, "P")
    if p.status != "open":
        raise UserError(f"P{p.number} 已经解决，无需升级")
    if p.level >= len(ESCALATION) - 1:
        raise UserError(f"P{p.number} 已升级到{ESCALATION[-1]}，请召开专题决策会：/meeting {c.code} kind=决策会 …")
    if p.level == 0:
        common.require(await common.leads(ctx, c), "把问题升级到协作管理办公室", "牵头部门负责人/对接人或协作管理办公室")
    else:
        common.require(common.is_admin(ctx), "把问题升级到分管领导", "协作管理办公室")
    p.level += 1
    ctx.audit("problem.escalate", c, problem=f"P{p.number}", level=p.level, reason=v.reason)
    body = f"升级原因：{v.reason or '部门间无法协调解决'}"
    if p.level == 2:
        body += f"\n请协作管理办公室组织分管领导召开专题决策会：/meeting {c.code} kind=决策会 …"
    message = await problem_message(ctx, c, p, f"{c.code} 问题 P{p.number} 升级至{ESCALATION[p.level]}", body)
    admins = await org.admins(ctx.session)
    leaders = await org.leaders(ctx.session) if p.level == 2 else []
    ctx.reply(message)
    await ctx.announce("problem_escalated", replace(message, mentions=ctx.mention(*admins, *leaders)), c,
                       concerned=[p.responsible_dept_id])
    for leader in leaders:  # the 专题决策会 is theirs to hold: each hears it in private too
        ctx.tell_privately(leader, replace(message, mentions=()), c)


@commands.command("risk", ("风险",), "登记风险（风险问题跟踪表）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("description", "风险描述", Kind.TEXTAREA, positional=True, required=True, rest=True,
                        aliases=("描述", "desc")),
                  Param("level", "风险等级", Kind.CHOICE, choices=LEVELS, aliases=("等级",)),
                  Param("scope", "影响范围", Kind.TEXTAREA, aliases=("范围",)),
                  Param("mitigation", "应对措施", Kind.TEXTAREA, aliases=("措施",)),
                  Param("owner", "负责人", Kind.PERSON),
                  example="/risk XZ-2026-0001 设计资源不足 level=中 scope=T2,T3 mitigation=\"申请外部设计师\"",
                  form=True)
async def log_risk(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=WORKING)
    common.require_stage(c, *WORKING, action="登记风险")
    common.require(await common.involved(ctx, c), "登记风险", common.INVOLVED)
    owner = await common.person(ctx, v.owner) if v.owner else None
    risk = Risk(collab_id=c.id, number=await common.next_number(ctx, c, "R"), description=v.description,
                level=v.level or "medium", scope=v.scope or "", mitigation=v.mitigation or "",
                owner_id=owner.id if owner else None, status="open", raised_by=ctx.actor.id, raised_at=ctx.now)
    ctx.session.add(risk)
    await ctx.session.flush()
    ctx.audit("risk", c, risk=f"R{risk.number}", level=risk.level)
    message = risk_message(c, risk, f"{c.code} 新风险 R{risk.number}", owner.name if owner else "—")
    ctx.reply(message)
    await ctx.announce("risk_high" if risk.level == "high" else "risk", message, c)


def risk_message(c: Collaboration, r: Risk, title: str, owner: str) -> Message:
    fields = (Field("风险描述", r.description), Field("风险等级", LEVEL_LABEL[r.level]), Field("影响范围", r.scope or "—"),
              Field("应对措施", r.mitigation or "—"), Field("负责人", owner),
              Field("状态", RISK_LABEL[r.status]))
    return showing(Message(title, "", fields, template=CardKind.RISK,
                           data={"code": c.code, "risk": f"R{r.number}", "status": r.status},
                           color=PRIORITY_COLOR[r.level] if r.status == "open" else "green"), "risk", r.id)


@commands.item_view("risk", Risk)
async def _current_risk(ctx: Context, c: Collaboration, r: Risk) -> Message | None:
    owner = await org.person_by_id(ctx.session, r.owner_id) if r.owner_id else None
    return risk_message(c, r, f"{c.code} 风险 R{r.number}", owner.name if owner else "—")


@commands.command("risk update", ("更新", "update"), "更新风险（每周复核）",
                  Param("risk", "风险编号", positional=True, required=True),
                  Param("level", "风险等级", Kind.CHOICE, choices=LEVELS, aliases=("等级",)),
                  Param("mitigation", "应对措施", Kind.TEXTAREA, aliases=("措施",)),
                  Param("scope", "影响范围", Kind.TEXTAREA, aliases=("范围",)),
                  Param("status", "状态", Kind.CHOICE, choices=RISK_STATES),
                  Param("reason", "接受风险的理由", Kind.TEXTAREA, aliases=("理由",)),
                  example="/risk update XZ-2026-0001/R1 level=低 status=关闭")
async def update_risk(ctx: Context, v: Values) -> None:
    c, r = await common.item(ctx, v.risk, "R")
    number = r.number
    allowed = ctx.actor.id in (r.owner_id, r.raised_by) or await common.leads(ctx, c)
    common.require(allowed, f"更新风险 R{number}", "风险负责人、登记人、牵头部门或协作管理办公室")
    changes = {k: v[k] for k in ("level", "mitigation", "scope", "status") if v[k]}
    if not changes:
        raise UserError("没有要更新的内容；例：/risk update R1 level=低 mitigation=…")
    if v.status == "accepted":  # 接受风险: living with it is a decision, and it is on record
        common.require(await common.leads(ctx, c), f"接受风险 R{number}", "牵头部门负责人/对接人或协作管理办公室")
        if not v.reason:
            raise UserError(f"接受风险 R{number} 时请写明理由：/risk update {c.code}/R{number} status=接受风险 reason=…")
        r.mitigation = f"{r.mitigation}\n接受风险：{v.reason}（{ctx.actor.name}）".strip()
    for key, value in changes.items():
        setattr(r, key, value)
    r.reviewed_at = ctx.now
    ctx.audit("risk.update", c, risk=f"R{number}", reason=v.reason, **changes)
    owner = await org.person_by_id(ctx.session, r.owner_id) if r.owner_id else None
    message = risk_message(c, r, f"{c.code} 风险 R{number} 已更新", owner.name if owner else "—")
    ctx.reply(message)
    if v.status == "accepted":
        await ctx.announce("risk_accepted", replace(message, title=f"{c.code} 接受风险 R{number}"), c)


@commands.command("change", ("变更",), "提出变更申请（目标、范围、时间、资源）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("description", "变更内容", Kind.TEXTAREA, positional=True, rest=True, aliases=("内容", "desc")),
                  Param("kind", "变更类型", Kind.CHOICE, required=True, choices=CHANGE_KINDS, aliases=("类型",)),
                  Param("task", "涉及任务", Kind.TASK, aliases=("任务",)),
                  Param("start", "新开始日期", Kind.DATE, aliases=("开始",)),
                  Param("due", "新完成日期", Kind.DATE, aliases=("截止", "完成")),
                  Param("reason", "变更原因", Kind.TEXTAREA, aliases=("原因",)),
                  example="/change XZ-2026-0001 kind=时间 task=T3 due=12-20 reason=\"接口方延期\"", form=True)
async def raise_change(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=WORKING)
    common.require_stage(c, *WORKING, action="提出变更")
    task = None
    if v.task:
        _, task = await common.task(ctx, v.task, c.code)
    if v.kind == "dates" and (task is None or not (v.start or v.due)):
        raise UserError("时间变更需指明任务和新日期：task=T3 due=12-20")
    if not v.reason:
        raise UserError("请写明变更原因：reason=…")
    common.require(await common.involved(ctx, c), "提出变更", common.INVOLVED)
    description = v.description or _describe(v, task)
    cr = ChangeRequest(collab_id=c.id, number=await common.next_number(ctx, c, "C"), kind=v.kind,
                       description=description, reason=v.reason, task_id=task.id if task else None,
                       new_start=v.start, new_due=v.due, status="pending", requested_by=ctx.actor.id,
                       requested_at=ctx.now)
    ctx.session.add(cr)
    await ctx.session.flush()
    ctx.audit("change", c, change=f"C{cr.number}", kind=v.kind, task=f"T{task.number}" if task else None)
    message = change_message(c, cr, f"{c.code} 变更申请 C{cr.number}",
                             f"审批：/change approve {c.code}/C{cr.number} 或 /change reject {c.code}/C{cr.number} 原因")
    ctx.reply(message)
    await ctx.announce("change_requested", message, c, concerned=[task.owner_dept_id if task else None])


def _describe(v: Values, task: Task | None) -> str:
    parts = [f"{CHANGE_LABEL[v.kind]}变更"]
    if task is not None:
        parts.append(f"T{task.number}")
    if v.start:
        parts.append(f"开始日期 原 {task.start_date} → 新 {v.start}" if task else f"开始日期 → {v.start}")
    if v.due:
        parts.append(f"完成日期 原 {task.due_date} → 新 {v.due}" if task else f"完成日期 → {v.due}")
    return " ".join(parts)


def change_message(c: Collaboration, cr: ChangeRequest, title: str, body: str = "") -> Message:
    fields: tuple[Field, ...] = (Field("类型", CHANGE_LABEL[cr.kind]), Field("内容", cr.description),
                                 Field("原因", cr.reason), Field("状态", CHANGE_STATUS[cr.status]))
    if cr.decision_note:
        fields += (Field("审批意见", cr.decision_note),)
    return showing(Message(title, body, fields, template=CardKind.CHANGE,
                           data={"code": c.code, "change": f"C{cr.number}", "status": cr.status},
                           color={"pending": "yellow", "approved": "green", "rejected": "red"}[cr.status]),
                   "change", cr.id)


@commands.item_view("change", ChangeRequest)
async def _current_change(ctx: Context, c: Collaboration, cr: ChangeRequest) -> Message | None:
    return change_message(c, cr, f"{c.code} 变更申请 C{cr.number}")


async def _decide(ctx: Context, ref: str) -> tuple[Collaboration, ChangeRequest]:
    c, cr = await common.item(ctx, ref, "C")
    number = cr.number
    if cr.status != "pending":
        raise UserError(f"C{number} {CHANGE_STATUS[cr.status]}")
    owner_dept = None
    if cr.task_id:
        task = await ctx.session.get(Task, cr.task_id)
        owner_dept = task.owner_dept_id if task else None
    allowed = common.is_admin(ctx) or common.is_head(ctx, c.lead_dept_id) or common.is_head(ctx, owner_dept)
    common.require(allowed, f"审批变更 C{number}", "协作管理办公室、牵头部门负责人或涉及任务的部门负责人")
    return c, cr


@commands.command("change approve", ("批准", "approve", "同意"), "批准变更申请并更新计划",
                  Param("change", "变更编号", positional=True, required=True),
                  Param("note", "审批意见", Kind.TEXTAREA, positional=True, rest=True, aliases=("意见",)),
                  example="/change approve XZ-2026-0001/C1")
async def approve_change(ctx: Context, v: Values) -> None:
    c, cr = await _decide(ctx, v.change)
    cr.status, cr.decided_by, cr.decided_at, cr.decision_note = "approved", ctx.actor.id, ctx.now, v.note or ""
    body = ""
    if cr.task_id and (cr.new_start or cr.new_due):
        body = await shift_task(ctx, c, cr.task_id, cr.new_start, cr.new_due)
        if c.stage == Stage.EXECUTING:  # after the confirmed plan (baseline 1), each approved move is a version
            await baselines.snapshot(ctx.session, c.id, f"变更 C{cr.number}", ctx.now)
    ctx.audit("change.approve", c, change=f"C{cr.number}")
    message = change_message(c, cr, f"{c.code} 变更 C{cr.number} 已批准", body)
    ctx.reply(message)
    await ctx.announce("change_approved", message, c)


@commands.command("change reject", ("驳回", "reject", "拒绝"), "驳回变更申请",
                  Param("change", "变更编号", positional=True, required=True),
                  Param("note", "驳回原因", Kind.TEXTAREA, positional=True, required=True, rest=True, aliases=("原因",)),
                  example="/change reject XZ-2026-0001/C1 影响上线节点")
async def reject_change(ctx: Context, v: Values) -> None:
    c, cr = await _decide(ctx, v.change)
    cr.status, cr.decided_by, cr.decided_at, cr.decision_note = "rejected", ctx.actor.id, ctx.now, v.note
    ctx.audit("change.reject", c, change=f"C{cr.number}", note=v.note)
    message = change_message(c, cr, f"{c.code} 变更 C{cr.number} 已驳回")
    ctx.reply(message)
    requester = await org.person_by_id(ctx.session, cr.requested_by)
    await ctx.announce("change_rejected", message, c, concerned=[requester.dept_id if requester else None])
