"""Stage 1, 需求发起: the 《跨部门协作需求申请表》 — raise, edit until approved, resubmit."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message
from handlers import common, plan_templates
from handlers.context import Context
from handlers.forms import person_choices, prefills
from handlers.kb import suggest
from handlers.registry import Commands
from handlers.vocab import ASKING, DECISION_LABEL, LEVEL_LABEL, PRIORITY, SUCCESS
from storage import counters, org, workflow
from storage.models import Collaboration, Evaluation, Participant, Stage

commands = Commands()

_NUMBER = re.compile(r"\d|百分之|[一二两三四五六七八九十百千万亿半]+\s*"
                     r"(?:%|％|个|名|人|项|次|万|元|天|周|月|倍|台|件|分|家|条|小时|成|季度|年)")
VAGUE = ("尽快", "提升体验", "提升用户体验", "大概", "尽量", "适当", "若干", "显著")

REQUEST_FIELDS = (
    Param("goal", "量化目标", Kind.TEXTAREA, aliases=("目标",), placeholder="如：将用户投诉率降低20%"),
    Param("background", "需求背景", Kind.TEXTAREA, aliases=("背景",)),
    Param("depts", "协作部门", Kind.DEPTS, aliases=("部门", "协作部门"), placeholder="研发部,设计部"),
    Param("resources", "所需资源", Kind.TEXTAREA, aliases=("资源",), placeholder="人力、预算、设备"),
    Param("due", "期望完成时间", Kind.DATE, aliases=("期望完成", "完成时间", "截止")),
    Param("priority", "优先级", Kind.CHOICE, aliases=("优先",), choices=PRIORITY),
    Param("lead", "牵头部门", Kind.DEPT, aliases=("牵头",)),
    Param("attachments", "附件链接", Kind.TEXT, aliases=("附件", "链接")),
)


def check_goal(goal: str) -> None:
    """The manuals' rule: a goal must be measurable, not "尽快" or "提升体验"."""
    if not _NUMBER.search(goal):
        vague = next((w for w in VAGUE if w in goal), None)
        why = f"“{vague}”这类模糊表述" if vague else "没有可衡量的数字"
        raise UserError(f"目标需要量化：{why}不能作为目标，请写成如“将用户投诉率降低20%”或“12月31日前上线3个功能”")


@commands.command("request", ("需求", "发起"), "发起跨部门协作需求（需求申请表）",
                  Param("name", "需求名称", positional=True, required=True, aliases=("名称",)),
                  *(Param(p.name, p.label, p.kind, required=p.name in ("goal", "depts", "due"), aliases=p.aliases,
                          choices=p.choices, placeholder=p.placeholder) for p in REQUEST_FIELDS),
                  Param("template", "复用方案模板", aliases=("模板",), placeholder="/template list 中的名称"),
                  Param("source", "参照以往协作的方案", Kind.COLLAB, aliases=("from", "参照")),
                  example='/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部,设计部 due=2026-12-31 priority=高',
                  form=True)
async def raise_request(ctx: Context, v: Values) -> None:
    check_goal(v.goal)
    if v.due < ctx.today:
        raise UserError(f"期望完成时间 {v.due} 已经过去")
    own = await common.actor_dept(ctx)
    invited = [d for d in await common.depts(ctx, v.depts) if d.id != own.id]
    if not invited:
        raise UserError("跨部门协作至少需要一个其他协作部门（depts=研发部,设计部）")
    lead = await common.dept(ctx, v.lead) if v.lead else own
    if lead.id != own.id and lead.id not in {d.id for d in invited}:
        invited.append(lead)
    blueprint = await plan_templates.chosen(ctx, v.template, v.source)
    year = ctx.today.year
    seq = await counters.next_value(ctx.session, f"XZ-{year}")
    c = Collaboration(code=f"XZ-{year}-{seq:04d}", name=v.name, background=v.background or "", goal=v.goal,
                      resources=v.resources or "", attachments=v.attachments or "", priority=v.priority or "medium",
                      expected_date=v.due, initiator_id=ctx.actor.id, initiator_dept_id=own.id,
                      lead_dept_id=lead.id, stage=Stage.EVALUATING, eval_round=1, submitted_at=ctx.now,
                      blueprint=blueprint.to_json() if blueprint else None)
    ctx.session.add(c)
    await ctx.session.flush()
    ctx.session.add(Participant(collab_id=c.id, dept_id=own.id, invited=False, contact_id=ctx.actor.id))
    ctx.session.add_all(Participant(collab_id=c.id, dept_id=d.id, invited=True) for d in invited)
    await open_evaluation_round(ctx, c, [d.id for d in invited])
    ctx.audit("request", c, name=c.name, depts=[d.name for d in invited])
    reuse = plan_templates.planned_note(blueprint, {own.id} | {d.id for d in invited}) if blueprint else ""
    ctx.reply(Message(f"需求已提交：{c.code}", "《跨部门协作需求申请表》已提交协作管理办公室，等待各协作部门评估。" + reuse,
                      await request_fields(ctx, c), template=CardKind.REQUEST, data={"code": c.code},
                      color=SUCCESS))
    await suggest(ctx, "以往相似协作的经验", f"{c.name} {c.goal} {c.background}", ("retro",))


async def open_evaluation_round(ctx: Context, c: Collaboration, dept_ids: list[int]) -> None:
    """Ask each invited department to evaluate within the policy SLA, and tell the PMO."""
    due = ctx.workdays_after(ctx.config.policy.evaluation_answer_working_days)
    convene = ctx.workdays_after(ctx.config.policy.evaluation_convene_working_days)
    ctx.session.add_all(Evaluation(collab_id=c.id, dept_id=d, round=c.eval_round, requested_at=ctx.now,
                                   answer_due=due) for d in dept_ids)
    fields = await request_fields(ctx, c)
    for dept_id in dept_ids:
        await ctx.notify([dept_id], await evaluation_card(ctx, c, dept_id, due, f"协作评估邀请：{c.code} {c.name}"), c)
    await ctx.announce("request_submitted", Message(
        f"新协作需求待评估：{c.code} {c.name}", f"请于 {convene} 前组织需求评估会（/meeting {c.code} kind=评估会 …）。",
        fields, template=CardKind.REQUEST, data={"code": c.code}, mentions=ctx.mention(*await org.admins(ctx.session))), c)


async def evaluation_card(ctx: Context, c: Collaboration, dept_id: int, due: date, title: str,
                          note: str = "") -> Message:
    """What a department is asked to evaluate, with the evaluation form and its 对接人 choices."""
    heads = await org.heads_of(ctx.session, dept_id)
    return Message(
        title, (f"{note}\n" if note else "") + f"请于 {due} 前从可行性、资源匹配度、风险影响三方面评估并答复，指定唯一对接人：\n"
        f"/evaluate {c.code} 接受 contact=@对接人 resources=… date=…（或 拒绝/需补充信息 comment=原因）",
        await request_fields(ctx, c), template=CardKind.EVALUATION_REQUEST,
        data={"code": c.code, "due": due.isoformat(), "contacts": person_choices(await org.members(ctx.session, dept_id))},
        mentions=ctx.mention(*heads), color=ASKING)


def _carried(answer: Evaluation, round_: int, now: datetime) -> Evaluation:
    """An acceptance kept into a new round (policy.reask_all_on_resubmit off)."""
    return Evaluation(collab_id=answer.collab_id, dept_id=answer.dept_id, round=round_, decision="accept",
                      contact_id=answer.contact_id, feasibility=answer.feasibility, resources=answer.resources,
                      risk=answer.risk, first_date=answer.first_date, comment=answer.comment, requested_at=now,
                      answer_due=answer.answer_due, answered_by=answer.answered_by, answered_at=answer.answered_at)


#: What `/request edit` can change in place, as the form shows it.
EDITABLE = ("name", "goal", "background", "resources", "due", "priority", "attachments")


FIELD_LABEL = {"name": "需求名称", "goal": "量化目标", "background": "需求背景", "resources": "所需资源",
               "due": "期望完成时间", "priority": "优先级", "attachments": "附件", "lead": "牵头部门", "depts": "协作部门"}


def _current(c: Collaboration) -> dict[str, Any]:
    return {"name": c.name, "goal": c.goal, "background": c.background, "resources": c.resources,
            "due": c.expected_date.isoformat(), "priority": c.priority, "attachments": c.attachments}


@prefills("request edit")
async def _current_request(session: AsyncSession, preset: Mapping[str, Any]) -> dict[str, Any]:
    c = await workflow.collab_by_code(session, str(preset.get("id", "")).upper())
    return _current(c) if c is not None else {}


async def tell_pmo_when_complete(ctx: Context, c: Collaboration) -> None:
    answers = await workflow.evaluations(ctx.session, c.id, c.eval_round)
    if any(a.decision == "pending" for a in answers):
        return
    names = {d.id: d.name for d in await org.departments(ctx.session)}
    summary = "\n".join(f"• {names[a.dept_id]}：{DECISION_LABEL[a.decision]}" + (f"（{a.comment}）" if a.comment else "")
                        for a in answers)
    if all(a.decision == "accept" for a in answers):
        next_step = f"全部接受，可立项：/approve {c.code}"
    else:
        next_step = f"存在未接受的部门，请退回发起部门：/return {c.code} 原因"
    await ctx.announce("evaluation_complete", Message(
        f"{c.code} 评估已全部答复", f"{summary}\n\n{next_step}", template=CardKind.EVALUATION_SUMMARY,
        data={"code": c.code, "all_accepted": all(a.decision == "accept" for a in answers)}), c)


async def request_fields(ctx: Context, c: Collaboration) -> tuple[Field, ...]:
    parts = await workflow.participants(ctx.session, c.id)
    initiator = await org.person_by_id(ctx.session, c.initiator_id)
    return (
        Field("需求名称", c.name), Field("编号", c.code),
        Field("发起部门", await common.names(ctx, [c.initiator_dept_id])),
        Field("发起人", initiator.name if initiator else "?"),
        Field("需求背景", c.background or "—"), Field("量化目标", c.goal),
        Field("协作部门", await common.names(ctx, [p.dept_id for p in parts if p.invited])),
        Field("牵头部门", await common.names(ctx, [c.lead_dept_id])),
        Field("所需资源", c.resources or "—"), Field("期望完成时间", c.expected_date.isoformat()),
        Field("优先级", LEVEL_LABEL[c.priority]), Field("附件", c.attachments or "—"),
    )


def _require_initiator(ctx: Context, c: Collaboration, action: str) -> None:
    common.require(ctx.actor.id == c.initiator_id or common.is_admin(ctx), action, "发起人或协作管理办公室")


@commands.command("request edit", ("修改", "编辑"), "修改需求（立项前）",
                  Param("id", "协作编号", Kind.COLLAB, positional=True, required=True),
                  Param("name", "需求名称", aliases=("名称",)), *REQUEST_FIELDS,
                  example="/request edit XZ-2026-0001 goal=\"投诉率降低30%\"")
async def edit_request(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id)
    _require_initiator(ctx, c, "修改需求")
    common.require_stage(c, Stage.EVALUATING, Stage.RETURNED, action="修改需求")
    before = _current(c)
    changed = {k: v[k] for k in (*EDITABLE, "lead", "depts") if v[k] not in (None, [])
               and str(v[k].isoformat() if k == "due" else v[k]) != str(before.get(k))}  # a pre-filled form repeats the rest
    if not changed:
        raise UserError("没有要修改的内容；例：/request edit XZ-2026-0001 goal=\"投诉率降低30%\"")
    if "goal" in changed:
        check_goal(v.goal)
        c.goal = v.goal
    if "due" in changed:
        if v.due < ctx.today:
            raise UserError(f"期望完成时间 {v.due} 已经过去")
        c.expected_date = v.due
    for key in ("name", "background", "resources", "priority", "attachments"):
        if key in changed:
            setattr(c, key, v[key])
    if "depts" in changed or "lead" in changed:
        common.require_stage(c, Stage.RETURNED, action="调整协作部门或牵头部门")
        await _reshape(ctx, c, v)
    reasked = await _tell_evaluators(ctx, c, changed) if c.stage == Stage.EVALUATING else []
    ctx.audit("request.edit", c, **changed, reasked=reasked)
    body = f"已请 {'、'.join(reasked)} 重新评估；其余部门的结论保留。" if reasked else ""
    ctx.reply(Message(f"需求已修改：{c.code}", body, await request_fields(ctx, c), template=CardKind.REQUEST,
                      data={"code": c.code}))


#: What every department's answer rests on: a change to one of them asks each answered dept again.
SUBSTANCE = ("goal", "background", "resources")


def _invalidated(answer: Evaluation, changed: Mapping[str, Any], c: Collaboration, reask_all: bool) -> bool:
    """Whether an edit voids a dept's answer: it asked for more information, the substance changed,
    or the new expected date is earlier than the date it committed to."""
    if reask_all or answer.decision == "need_info" or any(k in changed for k in SUBSTANCE):
        return True
    return "due" in changed and answer.first_date is not None and answer.first_date > c.expected_date


async def _tell_evaluators(ctx: Context, c: Collaboration, changed: Mapping[str, Any]) -> list[str]:
    """Every evaluator hears of an edit: those still to answer, and those whose answer it voids
    (reset to pending, with a new due date), get the evaluation form on the new content; the
    others keep their answers and are told so. Returns the names of the depts asked again."""
    what = "、".join(FIELD_LABEL[k] for k in changed)
    names = {d.id: d.name for d in await org.departments(ctx.session)}
    reasked = []
    for answer in await workflow.evaluations(ctx.session, c.id, c.eval_round):
        title = f"需求有更新：{c.code} {c.name}"
        if answer.decision == "pending":
            card = await evaluation_card(ctx, c, answer.dept_id, answer.answer_due, title, f"需求已修改（{what}）。")
        elif _invalidated(answer, changed, c, ctx.config.policy.reask_all_on_edit):
            before = DECISION_LABEL[answer.decision]
            answer.decision, answer.answered_by, answer.answered_at = "pending", None, None
            answer.answer_due = ctx.workdays_after(ctx.config.policy.evaluation_answer_working_days)
            reasked.append(names[answer.dept_id])
            card = await evaluation_card(ctx, c, answer.dept_id, answer.answer_due, f"需求有更新，请重新评估：{c.code} {c.name}",
                                         f"需求已修改（{what}），贵部门上次的结论（{before}）需要重新确认。")
        else:
            card = Message(title, f"需求已修改（{what}）。贵部门的结论（{DECISION_LABEL[answer.decision]}）保留，无需再次"
                                  f"答复；如需改变：/evaluate {c.code} …", await request_fields(ctx, c),
                           template=CardKind.REQUEST, data={"code": c.code})
        await ctx.notify([answer.dept_id], card, c)
    return reasked


async def _reshape(ctx: Context, c: Collaboration, v: Values) -> None:
    parts = await workflow.participants(ctx.session, c.id)
    wanted = {d.id for d in await common.depts(ctx, v.depts)} if v.depts else {p.dept_id for p in parts if p.invited}
    wanted.discard(c.initiator_dept_id)
    if v.lead:
        c.lead_dept_id = (await common.dept(ctx, v.lead)).id
        if c.lead_dept_id != c.initiator_dept_id:
            wanted.add(c.lead_dept_id)
    if not wanted:
        raise UserError("跨部门协作至少需要一个其他协作部门")
    current = {p.dept_id for p in parts if p.invited}
    await workflow.remove_participants(ctx.session, c.id, sorted(current - wanted))
    ctx.session.add_all(Participant(collab_id=c.id, dept_id=d, invited=True) for d in sorted(wanted - current))
    await ctx.session.flush()


@commands.command("request submit", ("重新提交", "提交", "resubmit"), "退回后重新提交需求评估",
                  Param("id", "协作编号", Kind.COLLAB, positional=True, required=True),
                  example="/request submit XZ-2026-0001")
async def resubmit(ctx: Context, v: Values) -> None:
    c = await common.collab(ctx, v.id)
    _require_initiator(ctx, c, "重新提交需求")
    common.require_stage(c, Stage.RETURNED, action="重新提交")
    previous = {a.dept_id: a for a in await workflow.evaluations(ctx.session, c.id, c.eval_round)}
    c.stage = Stage.EVALUATING
    c.eval_round += 1
    c.return_reason = ""
    c.submitted_at = ctx.now
    invited = [p.dept_id for p in await workflow.participants(ctx.session, c.id) if p.invited]
    keep = [] if ctx.config.policy.reask_all_on_resubmit else \
        [d for d in invited if d in previous and previous[d].decision == "accept"]
    await open_evaluation_round(ctx, c, [d for d in invited if d not in keep])
    for dept_id in keep:  # their acceptance stands: carried into the new round, and they are told
        ctx.session.add(_carried(previous[dept_id], c.eval_round, ctx.now))
        await ctx.notify([dept_id], Message(f"需求已重新提交：{c.code} {c.name}",
                                            f"第 {c.eval_round} 轮评估：贵部门上轮已接受，结论保留，无需再次答复；"
                                            f"如需改变结论：/evaluate {c.code} …", await request_fields(ctx, c),
                                            template=CardKind.REQUEST, data={"code": c.code}), c)
    ctx.audit("request.submit", c, round=c.eval_round, kept=len(keep))
    await tell_pmo_when_complete(ctx, c)  # every answer may stand already
    kept = f"；保留上轮接受的 {await common.names(ctx, keep)}" if keep else ""
    ctx.reply(Message(f"需求已重新提交：{c.code}", f"第 {c.eval_round} 轮评估已发起{kept}。", await request_fields(ctx, c),
                      template=CardKind.REQUEST, data={"code": c.code}))
