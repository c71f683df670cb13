"""The registers (台账): `/problem list`, `/risk list`, `/change list`, `/meeting list`, each a
table with the manual's columns, open items by default (`all=是` for every one), `dept=` to
narrow to one department, and a form to act on a row (docs/workflow.md, "Who sees what, the portfolio and the registers")."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.commands import Kind, Param, Values
from bot.messages import CardKind, Message
from handlers import common
from handlers.context import Context
from handlers.registry import Commands
from handlers.vocab import (
    CHANGE_LABEL,
    CHANGE_STATUS,
    ESCALATION,
    LEVEL_LABEL,
    MEETING_LABEL,
    MEETING_STATUS,
    RISK_LABEL,
)
from storage import org, workflow
from storage.models import ChangeRequest, Collaboration, Meeting, Problem, Risk, Task

commands = Commands()

Row = dict[str, str]


@dataclass(frozen=True)
class Register:
    """One register: its rows, which are open, which concern a dept, and the action on a row."""

    name: str  # the command root: "problem"
    prefix: str  # P, R, C, M
    title: str  # the manual's table
    model: type[Any]
    columns: tuple[tuple[str, str], ...]  # (row key, label)
    is_open: Callable[[Any], bool]
    row: Callable[[Context, Collaboration, Any], Awaitable[tuple[Row, set[int]]]]  # the row, and its depts
    action: tuple[str, str, tuple[str, ...]]  # (command, button label, the form's other fields)


def _date(value: Any) -> str:
    return value.isoformat() if value else "—"


async def _name(ctx: Context, person_id: int | None) -> str:
    person = await org.person_by_id(ctx.session, person_id) if person_id else None
    return person.name if person else "—"


async def _problem(ctx: Context, c: Collaboration, p: Problem) -> tuple[Row, set[int]]:
    return ({"ref": f"P{p.number}", "description": p.description, "impact": LEVEL_LABEL[p.impact],
             "dept": await common.names(ctx, [p.responsible_dept_id]), "cause": p.cause or "—",
             "measures": p.measures or "—", "owner": await _name(ctx, p.owner_id), "planned": _date(p.planned_date),
             "actual": _date(p.actual_date), "result": p.verification or "—",
             "state": "已解决" if p.status != "open" else f"未解决（{ESCALATION[p.level]}）"}, {p.responsible_dept_id})


async def _risk(ctx: Context, c: Collaboration, r: Risk) -> tuple[Row, set[int]]:
    owner = await org.person_by_id(ctx.session, r.owner_id) if r.owner_id else None
    return ({"ref": f"R{r.number}", "description": r.description, "level": LEVEL_LABEL[r.level],
             "scope": r.scope or "—", "mitigation": r.mitigation or "—", "owner": owner.name if owner else "—",
             "state": RISK_LABEL[r.status], "reviewed": _date(r.reviewed_at.date() if r.reviewed_at else None)},
            {owner.dept_id} if owner and owner.dept_id else set())


async def _change(ctx: Context, c: Collaboration, cr: ChangeRequest) -> tuple[Row, set[int]]:
    task = await ctx.session.get(Task, cr.task_id) if cr.task_id else None
    requester = await org.person_by_id(ctx.session, cr.requested_by)
    depts = {d for d in (task.owner_dept_id if task else None, requester.dept_id if requester else None) if d}
    return ({"ref": f"C{cr.number}", "kind": CHANGE_LABEL[cr.kind], "description": cr.description,
             "reason": cr.reason or "—", "task": f"T{task.number}" if task else "—",
             "by": requester.name if requester else "—", "state": CHANGE_STATUS[cr.status],
             "decided": f"{await _name(ctx, cr.decided_by)} {_date(cr.decided_at.date() if cr.decided_at else None)}"
             if cr.decided_by else "—"}, depts)


async def _meeting(ctx: Context, c: Collaboration, m: Meeting) -> tuple[Row, set[int]]:
    return ({"ref": f"M{m.number}", "kind": MEETING_LABEL[m.kind], "title": m.title,
             "time": f"{m.starts_at.astimezone(ctx.zone):%Y-%m-%d %H:%M}", "depts": await common.names(ctx, m.dept_ids),
             "state": MEETING_STATUS[m.status], "minutes": m.minutes or "—", "decisions": m.decisions or "—"},
            set(m.dept_ids))


REGISTERS = (
    Register("problem", "P", "问题记录与解决表", Problem,
             (("ref", "编号"), ("description", "问题描述"), ("impact", "影响程度"), ("dept", "责任部门"),
              ("cause", "原因"), ("measures", "解决措施"), ("owner", "负责人"), ("planned", "计划完成"),
              ("actual", "实际完成"), ("result", "验收结果"), ("state", "状态")),
             lambda p: p.status == "open", _problem, ("problem resolve", "登记解决", ("verification",))),
    Register("risk", "R", "风险问题跟踪表", Risk,
             (("ref", "编号"), ("description", "风险描述"), ("level", "风险等级"), ("scope", "影响范围"),
              ("mitigation", "应对措施"), ("owner", "负责人"), ("state", "状态"), ("reviewed", "复核时间")),
             lambda r: r.status == "open", _risk, ("risk update", "更新风险", ("level", "mitigation", "status", "reason"))),
    Register("change", "C", "变更申请", ChangeRequest,
             (("ref", "编号"), ("kind", "类型"), ("description", "变更内容"), ("reason", "原因"), ("task", "涉及任务"),
              ("by", "申请人"), ("state", "状态"), ("decided", "审批")),
             lambda cr: cr.status == "pending", _change, ("change approve", "批准变更", ("note",))),
    Register("meeting", "M", "会议", Meeting,
             (("ref", "编号"), ("kind", "类型"), ("title", "名称"), ("time", "时间"), ("depts", "参会部门"),
              ("state", "状态"), ("minutes", "纪要"), ("decisions", "决议")),
             lambda m: m.status == "scheduled", _meeting, ("minutes", "记录纪要", ("minutes", "decisions"))),
)


def _register(reg: Register) -> None:
    @commands.command(f"{reg.name} list", ("列表", "list", "台账"),
                      f"《{reg.title}》：默认未关闭的；all=是 全部，dept= 只看一个部门",
                      Param("id", "协作编号", Kind.COLLAB, positional=True),
                      Param("all", "含已关闭", Kind.BOOL, aliases=("全部",)),
                      Param("dept", "部门", Kind.DEPT, aliases=("部门",)),
                      example=f"/{reg.name} list XZ-2026-0001 dept=研发部", mutates=False)
    async def show(ctx: Context, v: Values) -> None:
        c = await common.visible_collab(ctx, v.id)
        dept = await common.dept(ctx, v.dept) if v.dept else None
        rows: list[Row] = []
        for item in await workflow.rows_of(ctx.session, reg.model, c.id):
            row, depts = await reg.row(ctx, c, item)
            if (v.all or reg.is_open(item)) and (dept is None or dept.id in depts):
                rows.append(row | {"open": "1" if reg.is_open(item) else ""})
        scope = "全部" if v.all else "未关闭"
        title = f"{c.code} 《{reg.title}》（{scope}{f'，{dept.name}' if dept else ''}，{len(rows)}）"
        lines = [" ｜ ".join(r[k] for k, _ in reg.columns[:4]) for r in rows]
        command, label, fields = reg.action
        ctx.reply(Message(title, "\n".join(lines) or "（无）", template=CardKind.REGISTER,
                          data={"code": c.code, "columns": [{"key": k, "label": lab} for k, lab in reg.columns],
                                "rows": rows, "action": {"command": command, "label": label, "key": reg.name,
                                                         "fields": list(fields)}}))


for _reg in REGISTERS:
    _register(_reg)
