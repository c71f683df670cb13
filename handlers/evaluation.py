"""Stage 2, 需求评估与立项: each invited dept answers; the PMO approves (立项) or returns."""
from __future__ import annotations

from dataclasses import replace

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message, showing
from handlers import common, plan_templates
from handlers.context import Context
from handlers.load import warn_conflicts
from handlers.registry import Commands
from handlers.request import request_fields, tell_pmo_when_complete
from handlers.vocab import DECISION_LABEL, DECISIONS, STAGES
from scheduler import keys
from storage import org, workflow
from storage.models import Collaboration, Stage

commands = Commands()


@commands.command("evaluate", ("评估", "答复"), "答复协作评估：接受 / 拒绝 / 需补充信息（部门资源确认函）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("decision", "评估结论", Kind.CHOICE, positional=True, required=True, choices=DECISIONS,
                        aliases=("结论",)),
                  Param("contact", "对接人", Kind.PERSON, aliases=("对接人",)),
                  Param("resources", "投入资源", Kind.TEXTAREA, aliases=("资源",)),
                  Param("date", "首个时间节点", Kind.DATE, aliases=("日期", "时间节点")),
                  Param("feasibility", "可行性", Kind.TEXTAREA),
                  Param("risk", "风险影响", Kind.TEXTAREA, aliases=("风险",)),
                  Param("comment", "意见说明", Kind.TEXTAREA, aliases=("意见", "原因", "reason")),
                  Param("dept", "部门", Kind.DEPT),
                  example="/evaluate XZ-2026-0001 接受 contact=@李四 resources=\"2名开发\" date=12-05", form=True)
async def evaluate(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=(Stage.EVALUATING,))
    common.require_stage(c, Stage.EVALUATING, action="答复评估")
    dept = await common.actor_dept(ctx, v.dept)
    common.require(common.is_head(ctx, dept.id) or common.is_admin(ctx), f"代表{dept.name}答复评估",
                   f"{dept.name}负责人或协作管理办公室")
    answer = await workflow.evaluation(ctx.session, c.id, dept.id, c.eval_round)
    if answer is None:
        raise UserError(f"{dept.name}不在 {c.code} 本轮的评估名单中")
    if v.decision == "accept" and not v.contact:
        raise UserError("接受时需指定本部门唯一对接人：contact=@对接人")
    if v.decision != "accept" and not v.comment:
        raise UserError(f"选择“{DECISION_LABEL[v.decision]}”时请写明原因：comment=…")
    contact = await common.person(ctx, v.contact) if v.contact else None
    if contact is not None:
        if contact.dept_id is None:
            contact.dept_id = dept.id
        elif contact.dept_id != dept.id:
            raise UserError(f"对接人 {contact.name} 不属于{dept.name}")
        part = await common.participant_or_error(ctx, c, dept)
        part.contact_id = contact.id
        if v.decision == "accept":
            await warn_conflicts(ctx, c, contact, ctx.today, max(c.expected_date, ctx.today), "对接人角色")
    answer.decision = v.decision
    answer.contact_id = contact.id if contact else None
    for key in ("resources", "feasibility", "risk", "comment"):
        setattr(answer, key, v[key] or "")
    answer.first_date = v.date
    answer.answered_by = ctx.actor.id
    answer.answered_at = ctx.now
    await ctx.withdraw(keys.evaluation(answer.id))
    ctx.audit("evaluate", c, dept=dept.name, decision=v.decision, contact=contact.name if contact else None)
    label = DECISION_LABEL[v.decision]
    fields = (Field("部门", dept.name), Field("结论", label), Field("对接人", contact.name if contact else "—"),
              Field("投入资源", v.resources or "—"), Field("首个时间节点", common.fmt_date(v.date)),
              Field("意见", v.comment or "—"))
    data = {"code": c.code, "dept": dept.name, "decision": v.decision, "by": ctx.actor.name}
    color = "green" if v.decision == "accept" else "red" if v.decision == "decline" else "yellow"
    ctx.reply(Message(f"{c.code} 评估已答复：{label}", f"{dept.name} {ctx.actor.name}", fields,
                      template=CardKind.EVALUATION_ANSWER, data=data, color=color))
    initiator = await org.person_by_id(ctx.session, c.initiator_id)
    await ctx.announce("evaluation_answer", Message(f"{c.code} {dept.name}评估结论：{label}", "", fields,
                                                    template=CardKind.EVALUATION_ANSWER,
                                                    data=data | {"ask_edit": v.decision == "need_info"},
                                                    mentions=ctx.mention(initiator), color=color), c)
    await tell_pmo_when_complete(ctx, c)


@commands.command("approve", ("立项", "批准立项"), "协作管理办公室批准立项，出具《协作立项确认函》",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("lead", "牵头部门", Kind.DEPT, aliases=("牵头",)),
                  example="/approve XZ-2026-0001 lead=研发部")
async def approve(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id, stages=(Stage.EVALUATING,))
    common.require(common.is_admin(ctx), "批准立项", "协作管理办公室")
    if ctx.config.policy.separate_duties and c.initiator_id == ctx.actor.id:
        raise UserError(f"不能批准自己发起的需求 {c.code}：请协作管理办公室的其他成员批准（职责分离，policy.separate_duties）")
    common.require_stage(c, Stage.EVALUATING, action="立项")
    answers = await workflow.evaluations(ctx.session, c.id, c.eval_round)
    waiting = [a for a in answers if a.decision != "accept"]
    if waiting:
        names = await common.names(ctx, [a.dept_id for a in waiting])
        raise UserError(f"尚有部门未接受（{names}）：全部接受后才能立项，否则请 /return {c.code} 原因")
    if v.lead:
        lead = await common.dept(ctx, v.lead)
        if lead.id not in await common.all_dept_ids(ctx, c):
            raise UserError(f"牵头部门须是参与部门，{lead.name}不在 {c.code} 中")
        c.lead_dept_id = lead.id
    c.stage = Stage.PLANNING
    c.approved_at = ctx.now
    ctx.audit("approve", c, lead=c.lead_dept_id)
    laid = await plan_templates.lay_down(ctx, c)
    charter = await charter_message(ctx, c)
    if laid:
        charter = replace(charter, body=f"{charter.body}\n{laid}")
    ctx.reply(charter)
    await ctx.announce("charter", charter, c)


async def charter_message(ctx: Context, c: Collaboration) -> Message:
    parts = await workflow.participants(ctx.session, c.id)
    contacts = await org.people_by_ids(ctx.session, [p.contact_id for p in parts if p.contact_id])
    lines = []
    for p in parts:
        contact = contacts.get(p.contact_id) if p.contact_id else None
        lines.append(f"{await common.names(ctx, [p.dept_id])}（对接人：{contact.name if contact else '待定'}）")
    hours = ctx.config.policy.kickoff_within_hours
    if c.stage == Stage.PLANNING:
        body = (f"已立项，进入方案制定阶段。请牵头部门在 {hours} 小时内组织启动会（/meeting {c.code} kind=启动会 …），"
                f"拆解任务（/task add {c.code} …），并请各部门负责人确认方案（/confirm {c.code}）。")
    else:
        body = ""  # the stage is a field; the planning steps are done
    return showing(Message(
        f"协作立项确认函：{c.code} {c.name}", body,
        (Field("项目名称", c.name), Field("编号", c.code), Field("牵头部门", await common.names(ctx, [c.lead_dept_id])),
         Field("参与部门", "；".join(lines)), Field("核心目标", c.goal),
         Field("时间节点", f"期望完成 {c.expected_date}"), Field("当前阶段", STAGES[c.stage])),
        template=CardKind.CHARTER, data={"code": c.code, "stage": c.stage}, color="green" if c.stage != Stage.ARCHIVED else "grey",
        mentions=ctx.mention(*contacts.values())), "collab", c.id)


@commands.view("collab")
async def _current_charter(ctx: Context, row_id: int) -> Message | None:
    c = await ctx.session.get(Collaboration, row_id)
    return await charter_message(ctx, c) if c is not None and c.approved_at is not None else None


@commands.command("return", ("退回",), "退回需求给发起部门修改，并说明原因",
                  Param("id", "协作编号", Kind.COLLAB, positional=True, required=True),
                  Param("reason", "退回原因", Kind.TEXTAREA, positional=True, required=True, rest=True, aliases=("原因",)),
                  example="/return XZ-2026-0001 设计部资源不足，请调整时间")
async def return_request(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id)
    common.require(common.is_admin(ctx), "退回需求", "协作管理办公室")
    common.require_stage(c, Stage.EVALUATING, action="退回")
    c.stage = Stage.RETURNED
    c.return_reason = v.reason
    ctx.audit("return", c, reason=v.reason)
    initiator = await org.person_by_id(ctx.session, c.initiator_id)
    message = Message(f"需求已退回：{c.code} {c.name}",
                      f"原因：{v.reason}\n\n请修改后重新提交：/request edit {c.code} … 然后 /request submit {c.code}",
                      await request_fields(ctx, c), template=CardKind.RETURNED, data={"code": c.code},
                      mentions=ctx.mention(initiator), color="red")
    ctx.reply(message)
    await ctx.announce("returned", message, c)
