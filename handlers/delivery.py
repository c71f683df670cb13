"""Stage 6, 成果交付与验收, 复盘归档: deliver, accept (pass / partial / fail), rate, retrospective."""
from __future__ import annotations

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message
from handlers import common
from handlers.context import Context
from handlers.execution import changeable_task
from handlers.plan import predecessors, require_start, tell_ready_successors
from handlers.registry import Commands
from handlers.vocab import RESULT_LABEL, RESULTS, TASK_LABEL
from scheduler import keys
from storage import org, workflow
from storage.models import Acceptance, Collaboration, Delivery, Rating, Retrospective, Stage, TaskState

commands = Commands()


@commands.command("deliver", ("交付", "提交交付"), "提交任务交付物供验收（成果交付清单）",
                  Param("task", "任务编号", Kind.TASK, positional=True, required=True),
                  Param("content", "交付物（链接或说明）", Kind.TEXTAREA, positional=True, rest=True, required=True,
                        aliases=("交付物", "链接")),
                  example="/deliver XZ-2026-0001/T2 https://docs.example.com/report 用户需求分析文档", form=True)
async def deliver(ctx: Context, v: Values) -> None:
    c, task = await changeable_task(ctx, v.task, "提交交付物")
    if task.status == TaskState.TODO:  # never started: delivering starts it, under the same rule
        await require_start(ctx, c, task)
    delivery = Delivery(task_id=task.id, content=v.content, submitted_by=ctx.actor.id, submitted_at=ctx.now)
    ctx.session.add(delivery)
    task.status, task.progress, task.updated_at = TaskState.REVIEW, 100, ctx.now
    await ctx.withdraw(keys.task(task.id))
    await ctx.session.flush()
    ctx.audit("deliver", c, task=f"T{task.number}")
    initiator = await org.person_by_id(ctx.session, c.initiator_id)
    message = Message(f"{c.code} T{task.number} 已提交验收", f"请发起人对照验收标准验收：/accept {c.code}/T{task.number} "
                      "通过|部分通过|不通过 score=分数 comment=意见",
                      (Field("任务", f"T{task.number} {task.title}"), Field("交付物", v.content),
                       Field("验收标准", task.standard), Field("提交人", ctx.actor.name)),
                      template=CardKind.DELIVERY, data={"code": c.code, "task": f"T{task.number}"},
                      mentions=ctx.mention(initiator))
    ctx.reply(message)
    await ctx.announce("delivered", message, c)
    await tell_ready_successors(ctx, c, task)


@commands.command("accept", ("验收",), "验收交付物：通过 / 部分通过 / 不通过，评分0-100（任务验收反馈表）",
                  Param("task", "任务编号", Kind.TASK, positional=True, required=True),
                  Param("result", "验收结果", Kind.CHOICE, positional=True, required=True, choices=RESULTS,
                        aliases=("结果",)),
                  Param("score", "评分", Kind.INT, positional=True, required=True, min=0, max=100, aliases=("分数",)),
                  Param("comment", "验收意见", Kind.TEXTAREA, positional=True, rest=True, aliases=("意见",)),
                  example="/accept XZ-2026-0001/T2 通过 92 符合预期", form=True)
async def accept(ctx: Context, v: Values) -> None:
    c, task = await common.task(ctx, v.task)
    common.require_stage(c, Stage.EXECUTING, action="验收")
    common.require(ctx.actor.id == c.initiator_id or common.is_admin(ctx), "验收", "发起人或协作管理办公室")
    delivery = await workflow.latest_delivery(ctx.session, task.id)
    if task.status != TaskState.REVIEW or delivery is None or await workflow.acceptance_of(ctx.session, delivery.id):
        raise UserError(f"T{task.number} 还没有待验收的交付物：请负责部门先 /deliver")
    if ctx.config.policy.separate_duties and delivery.submitted_by == ctx.actor.id:
        raise UserError(f"不能验收自己提交的交付物 T{task.number}：请发起人或协作管理办公室的其他成员验收"
                        "（职责分离，policy.separate_duties）")
    if v.result != "pass" and not v.comment:
        raise UserError(f"“{RESULT_LABEL[v.result]}”时请写明需整改的内容")
    if v.result == "pass" and (waiting := [p for p in await predecessors(ctx, task) if p.status != TaskState.DONE]):
        names = "、".join(f"T{p.number}（{TASK_LABEL[p.status]}）" for p in waiting)
        raise UserError(f"T{task.number} 的前置任务 {names} 尚未验收通过：请先验收前置任务，再验收 T{task.number}")
    rework_due = None
    if v.result == "pass":
        task.status, task.done_at, task.rework_due, task.updated_at = "done", ctx.now, None, ctx.now
        await ctx.withdraw(keys.task(task.id))
    else:
        rework_due = ctx.workdays_after(ctx.config.policy.rework_working_days)
        task.status, task.progress, task.rework_due = TaskState.DOING, min(task.progress, 90), rework_due
        task.updated_at = ctx.now
    task.updated_at = ctx.now
    ctx.session.add(Acceptance(task_id=task.id, delivery_id=delivery.id, result=v.result, score=v.score,
                               comments=v.comment or "", accepted_by=ctx.actor.id, accepted_at=ctx.now,
                               rework_due=rework_due))
    ctx.audit("accept", c, task=f"T{task.number}", result=v.result, score=v.score)
    label = RESULT_LABEL[v.result]
    body = f"请于 {rework_due} 前完成整改并重新提交（/deliver）" if rework_due else ""
    message = Message(f"{c.code} T{task.number} 验收{label}（{v.score} 分）", body,
                      (Field("任务", f"T{task.number} {task.title}"), Field("验收结果", label),
                       Field("评分", str(v.score)), Field("验收意见", v.comment or "—"), Field("验收人", ctx.actor.name)),
                      template=CardKind.ACCEPTANCE, data={"code": c.code, "task": f"T{task.number}", "result": v.result,
                                                   "score": v.score},
                      mentions=ctx.mention(await org.person_by_id(ctx.session, task.owner_person_id)),
                      color={"pass": "green", "partial": "yellow", "fail": "red"}[v.result])
    ctx.reply(message)
    await ctx.announce("acceptance", message, c, concerned=[task.owner_dept_id])
    await tell_ready_successors(ctx, c, task)
    if all(t.status == TaskState.DONE for t in await workflow.tasks(ctx.session, c.id)):
        await _all_accepted(ctx, c)


async def _all_accepted(ctx: Context, c: Collaboration) -> None:
    c.stage, c.accepted_at = Stage.ACCEPTED, ctx.now
    retro_due = ctx.workdays_after(ctx.config.policy.retrospective_working_days)
    scores = [a.score for a in await workflow.acceptances(ctx.session, c.id) if a.result == "pass"]
    message = Message(f"成果验收确认：{c.code} {c.name}",
                      f"全部任务验收通过（平均 {sum(scores) / len(scores):.0f} 分）。\n"
                      f"请发起人为各部门评价（/rate {c.code} 部门 响应及时性 沟通效率 交付质量，各1-5分），"
                      f"牵头部门于 {retro_due} 前完成复盘（/retro {c.code}）。",
                      template=CardKind.ACCEPTED, data={"code": c.code, "retro_due": retro_due.isoformat()}, color="green")
    ctx.reply(message)
    await ctx.announce("all_accepted", message, c)


@commands.command("rate", ("评价", "打分"), "验收后为协作部门评分：响应及时性、沟通效率、交付质量（1-5）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("dept", "部门", Kind.DEPT, positional=True, required=True),
                  Param("responsiveness", "响应及时性", Kind.INT, positional=True, required=True, min=1, max=5,
                        aliases=("响应",)),
                  Param("communication", "沟通效率", Kind.INT, positional=True, required=True, min=1, max=5,
                        aliases=("沟通",)),
                  Param("quality", "交付质量", Kind.INT, positional=True, required=True, min=1, max=5, aliases=("质量",)),
                  Param("comment", "评价", Kind.TEXTAREA, positional=True, rest=True, aliases=("建议",)),
                  example="/rate XZ-2026-0001 研发部 5 5 4 建议增加短视频素材", form=True)
async def rate(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=(Stage.ACCEPTED, Stage.ARCHIVED))
    common.require_stage(c, Stage.ACCEPTED, Stage.ARCHIVED, action="评价（验收完成后）")
    common.require(ctx.actor.id == c.initiator_id or common.is_admin(ctx), "评价部门", "发起人或协作管理办公室")
    dept = await common.dept(ctx, v.dept)
    await common.participant_or_error(ctx, c, dept)
    existing = await workflow.rating(ctx.session, c.id, dept.id, ctx.actor.id)
    r = existing or Rating(collab_id=c.id, dept_id=dept.id, rated_by=ctx.actor.id, rated_at=ctx.now,
                           responsiveness=0, communication=0, quality=0)
    r.responsiveness, r.communication, r.quality = v.responsiveness, v.communication, v.quality
    r.comment, r.rated_at = v.comment or "", ctx.now
    if existing is None:
        ctx.session.add(r)
    ctx.audit("rate", c, dept=dept.name, scores=[v.responsiveness, v.communication, v.quality])
    rated = Message(f"{c.code} 协作评价：{dept.name}", "",
                    (Field("响应及时性", f"{v.responsiveness}/5"), Field("沟通效率", f"{v.communication}/5"),
                     Field("交付质量", f"{v.quality}/5"), Field("评价", v.comment or "—")),
                    template=CardKind.RATING, data={"code": c.code, "dept": dept.name}, color="green")
    ctx.reply(rated)
    await ctx.announce("rating", rated, c, concerned=[dept.id])


async def _require_closed(ctx: Context, c: Collaboration, override: str | None) -> None:
    """Archiving closes the record: every problem resolved, every risk closed or accepted and every
    action item done, unless the PMO archives anyway, with a reason the audit keeps."""
    problems, risks, actions = await workflow.unclosed(ctx.session, c.id)
    if not problems and not risks and not actions:
        return
    items = "、".join([*(f"问题 P{p.number}" for p in problems), *(f"风险 R{r.number}" for r in risks),
                      *(f"行动项 A{a.number}" for a in actions)])
    if not override:
        raise UserError(f"{c.code} 还有未关闭的事项：{items}。请先解决问题（/problem resolve）、关闭或接受风险"
                        f"（/risk update … status=关闭|接受风险 reason=…）、完成行动项（/action done）；"
                        f"协作管理办公室可写明理由仍归档：override=…")
    common.require(common.is_admin(ctx), "带未关闭事项归档", "协作管理办公室")
    ctx.audit("retro.override", c, unclosed=items, reason=override)
    ctx.warnings.append(f"归档时仍未关闭：{items}（理由：{override}，已记入审计）")


@commands.command("retro", ("复盘",), "复盘报告：做得好的、待改进的、可复用的经验；提交后归档",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("well", "做得好的地方", Kind.TEXTAREA, required=True, aliases=("做得好",)),
                  Param("improve", "待改进点", Kind.TEXTAREA, required=True, aliases=("待改进", "改进")),
                  Param("lessons", "可复用的经验", Kind.TEXTAREA, required=True, aliases=("经验",)),
                  Param("override", "未关闭事项仍归档的理由（协作管理办公室）", Kind.TEXTAREA, aliases=("强制归档",)),
                  example='/retro XZ-2026-0001 well="周会高效" improve="设计资源预留不足" lessons="提前1周锁定资源"',
                  form=True)
async def retrospective(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=(Stage.ACCEPTED,))
    common.require_stage(c, Stage.ACCEPTED, action="复盘")
    common.require(await common.leads(ctx, c) or ctx.actor.id == c.initiator_id, "提交复盘",
                   "牵头部门负责人/对接人、发起人或协作管理办公室")
    await _require_closed(ctx, c, v.override)
    await ctx.withdraw(keys.retrospective_due(c.id))
    retro = Retrospective(collab_id=c.id, went_well=v.well, to_improve=v.improve, lessons=v.lessons,
                          written_by=ctx.actor.id, written_at=ctx.now)
    ctx.session.add(retro)
    c.stage, c.archived_at = Stage.ARCHIVED, ctx.now
    ctx.audit("retro", c)
    message = await retrospective_message(ctx, c, retro, f"复盘报告已归档：{c.code} {c.name}")
    ctx.reply(message)
    await ctx.announce("archived", message, c)


async def retrospective_message(ctx: Context, c: Collaboration, r: Retrospective, title: str) -> Message:
    tasks = await workflow.tasks(ctx.session, c.id)
    archive = ["《跨部门协作需求申请表》", "《协作立项确认函》", f"《任务分工表》（{len(tasks)} 项任务）",
               "《进度跟踪表》", "《问题记录与解决表》", "《风险问题跟踪表》", "《成果交付清单》", "《任务验收反馈表》",
               "《协作评价》", "《跨部门协作复盘报告》"]
    return Message(title, "归档清单：" + "、".join(archive),
                   (Field("做得好的地方", r.went_well), Field("待改进点", r.to_improve), Field("可复用的经验", r.lessons)),
                   template=CardKind.RETROSPECTIVE, data={"code": c.code}, color="grey")


@commands.item_view("retro", Retrospective)
async def _current_retrospective(ctx: Context, c: Collaboration, r: Retrospective) -> Message | None:
    return await retrospective_message(ctx, c, r, f"复盘报告：{c.code} {c.name}")
