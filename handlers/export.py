"""`/export <id|all>`: the manuals' tables of one collaboration (or, for the PMO and leaders, of
every one) as one .xlsx workbook, a sheet per table, sent as a file into the chat
(docs/workflow.md, "Export")."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.commands import Param, UserError, Values
from bot.messages import Artifact, CardKind, Message
from handlers import common
from handlers.audit_trail import summary
from handlers.context import Context
from handlers.registers import REGISTERS
from handlers.registry import Commands
from handlers.vocab import AUDIT_LABEL, LEVEL_LABEL, STAGES, TASK_LABEL
from storage import audit, org, workflow
from storage.models import (
    Collaboration,
    Meeting,
    ProgressReport,
    Rating,
    Retrospective,
)

commands = Commands()

#: Register columns holding dates (the registers show them as text; the workbook as dates).
DATE_KEYS = {"planned", "actual", "reviewed"}
RESULT = {"pass": "通过", "partial": "部分通过", "fail": "不通过"}


@commands.command("export", ("导出",), "导出 Excel：需求、分工、进度、问题、风险、变更、会议与行动项、验收、评价、复盘、审计记录",
                  Param("id", "协作编号，或 all（全部，管理办公室与领导）", positional=True),
                  example="/export XZ-2026-0001", mutates=False)
async def export(ctx: Context, v: Values) -> None:
    if (v.id or "").lower() in ("all", "全部"):
        common.require(common.oversees(ctx), "导出全部协作", "协作管理办公室或分管领导")
        collabs = list(await workflow.collabs_in(ctx.session, tuple(STAGES)))[::-1]
        name = f"协作台账-{ctx.today:%Y%m%d}.xlsx"
    else:
        collabs = [await common.visible_collab(ctx, v.id, stages=tuple(STAGES))]
        name = f"{collabs[0].code}.xlsx"
    if not collabs:
        raise UserError("还没有任何协作项目可导出")
    sheets = await sheets_of(ctx, collabs)
    ctx.audit("export", collabs[0] if len(collabs) == 1 else None, file=name, collabs=len(collabs))
    counts = "、".join(f"{sheet} {len(rows)}" for sheet, _, rows in sheets)
    ctx.reply(Message(f"导出：{name}", f"{len(sheets)} 张表（{counts}）。", template=CardKind.EXPORT,
                      data={"name": name, "sheets": [sheet for sheet, _, _ in sheets]}, color="green",
                      artifact=Artifact(name, "工作簿", "workbook", (sheets,))))  # written when it is sent


#: One table of the workbook: its name, column titles and rows (cards.workbook writes it).
Sheet = tuple[str, Sequence[str], list[Sequence[Any]]]


async def sheets_of(ctx: Context, collabs: Sequence[Collaboration]) -> list[Sheet]:
    """One sheet per manual table, each row led by the collaboration's code."""
    tables: dict[str, tuple[tuple[str, ...], list[Sequence[Any]]]] = {}

    def add(name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        tables.setdefault(name, (("协作编号", *columns), []))[1].extend(rows)

    for c in collabs:
        await asyncio.sleep(0)  # let other events run between collaborations (docs/performance.md, "Export")
        add("需求申请表", *await _request(ctx, c))
        add("任务分工表", *await _tasks(ctx, c))
        add("进度跟踪表", *await _progress(ctx, c))
        for reg in REGISTERS:
            title = "会议纪要" if reg.name == "meeting" else reg.title
            columns = [label for _, label in reg.columns]
            rows = []
            for item in await workflow.rows_of(ctx.session, reg.model, c.id):
                row, _ = await reg.row(ctx, c, item)
                rows.append([_cell(k, row[k]) for k, _ in reg.columns])
            add(title, columns, [[c.code, *r] for r in rows])
        add("行动项", *await _actions(ctx, c))
        add("任务验收反馈表", *await _acceptances(ctx, c))
        add("协作评价", *await _ratings(ctx, c))
        add("复盘报告", *await _retro(ctx, c))
        add("审计记录", *await _audit(ctx, c))
    return [(name, columns, rows) for name, (columns, rows) in tables.items()]


def _cell(key: str, value: str) -> Any:
    if key in DATE_KEYS and value != "—":
        return date.fromisoformat(value)
    return None if value == "—" else value


async def _request(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    parts = await workflow.participants(ctx.session, c.id)
    return (("需求名称", "发起部门", "发起人", "需求背景", "量化目标", "协作部门", "牵头部门", "所需资源", "期望完成时间",
             "优先级", "阶段"),
            [[c.code, c.name, await common.names(ctx, [c.initiator_dept_id]), await _person(ctx, c.initiator_id),
              c.background or None, c.goal, await common.names(ctx, [p.dept_id for p in parts if p.invited]),
              await common.names(ctx, [c.lead_dept_id]) if c.lead_dept_id else None, c.resources or None,
              c.expected_date, LEVEL_LABEL[c.priority], STAGES[c.stage]]])


async def _tasks(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    graph = await workflow.dependencies(ctx.session, c.id)
    tasks = await workflow.tasks(ctx.session, c.id)
    numbers = {t.id: t.number for t in tasks}
    rows = [[c.code, f"T{t.number}", t.title, await common.names(ctx, [t.owner_dept_id]),
             await _person(ctx, t.owner_person_id), t.deliverable, t.standard, t.start_date, t.due_date,
             "、".join(f"T{numbers[p]}" for p in sorted(graph.get(t.id, ())) if p in numbers) or None,
             "是" if t.is_milestone else None, TASK_LABEL[t.status], t.progress] for t in tasks]
    return ("任务", "描述", "负责部门", "第一责任人", "交付物", "验收标准", "开始日期", "完成日期", "前置任务", "里程碑",
            "状态", "进度%"), rows


async def _progress(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    reports = await workflow.rows_of(ctx.session, ProgressReport, c.id)
    return (("周（周一）", "部门", "本周完成", "未完成及原因", "下周计划", "风险提示", "提交人", "提交时间"),
            [[c.code, r.week, await common.names(ctx, [r.dept_id]), r.done, r.undone or None, r.next_plan or None,
              r.risks or None, await _person(ctx, r.submitted_by), r.submitted_at.astimezone(ctx.zone)]
             for r in sorted(reports, key=lambda r: (r.week, r.dept_id))])


async def _actions(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    items = await workflow.action_items(ctx.session, c.id)
    meetings = {m.id: m.number for m in await workflow.rows_of(ctx.session, Meeting, c.id)}
    return (("编号", "会议", "行动项", "负责人", "完成日期", "状态", "完成说明"),
            [[c.code, f"A{a.number}", f"M{meetings.get(a.meeting_id, '?')}", a.text, await _person(ctx, a.owner_id),
              a.due_date, "已完成" if a.done else "进行中", a.note or None] for a in items])


async def _acceptances(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    rows = await workflow.acceptance_records(ctx.session, c.id)
    return (("任务", "交付物", "提交时间", "验收结果", "评分", "验收意见", "验收人", "验收时间"),
            [[c.code, f"T{t.number} {t.title}", d.content, d.submitted_at.astimezone(ctx.zone), RESULT[a.result], a.score,
              a.comments or None, await _person(ctx, a.accepted_by), a.accepted_at.astimezone(ctx.zone)]
             for a, d, t in rows])


async def _ratings(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    ratings = await workflow.rows_of(ctx.session, Rating, c.id)
    return (("被评价部门", "响应及时性", "沟通效率", "交付质量", "评价", "评价人"),
            [[c.code, await common.names(ctx, [r.dept_id]), r.responsiveness, r.communication, r.quality,
              r.comment or None, await _person(ctx, r.rated_by)] for r in ratings])


async def _retro(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    retro = await workflow.retrospective(ctx.session, c.id)
    rows: list[Retrospective] = [retro] if retro else []
    return (("做得好的地方", "待改进点", "可复用的经验", "填写人", "归档时间"),
            [[c.code, r.went_well, r.to_improve, r.lessons, await _person(ctx, r.written_by),
              r.written_at.astimezone(ctx.zone)] for r in rows])


async def _audit(ctx: Context, c: Collaboration) -> tuple[tuple[str, ...], list[list[Any]]]:
    entries = await audit.entries(ctx.session, c.id)
    people = await org.people_by_ids(ctx.session, [e.actor_id for e in entries if e.actor_id])
    return (("时间", "操作人", "操作", "内容"),
            [[c.code, e.at.astimezone(ctx.zone), people[e.actor_id].name if e.actor_id in people else "系统",
              AUDIT_LABEL.get(e.action, e.action), summary(e.detail) or None] for e in entries])


async def _person(ctx: Context, person_id: int | None) -> str | None:
    person = await org.person_by_id(ctx.session, person_id) if person_id else None
    return person.name if person else None
