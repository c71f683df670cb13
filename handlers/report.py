"""`/report <id>`: one collaboration's figures and its planned-vs-actual progress curve as an
image (docs/workflow.md, "Reports"). Figures come from the record: the confirmed plan
(baseline 1), each task's status history, the acceptances, problems and risks."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.commands import Param, Values
from bot.messages import Attachment, CardKind, Field, Message
from cards import charts
from cards.render import render
from handlers import common
from handlers.context import Context
from handlers.registry import registry
from handlers.vocab import STAGES, TASK_LABEL
from storage import baselines, workflow
from storage.models import Acceptance, Collaboration, Task

OPEN = ("todo", "doing", "delayed", "blocked", "review")
MAX_POINTS = 60  # days on the curve; a longer span is sampled


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%（{part}/{whole}）" if whole else "—"


def curve(tasks: Sequence[Task], planned_due: dict[int, date], done_on: dict[int, date], start: date,
          today: date) -> tuple[list[str], list[float], list[float]]:
    """Per day from `start` to the plan's last due date (or today, if later): % of tasks due by
    then in the confirmed plan, and % done by then up to today (NaN after: no line)."""
    end = max([today, *(planned_due.get(t.id, t.due_date) for t in tasks)])
    span = max((end - start).days, 0)
    step = max(1, -(-span // MAX_POINTS))
    days = [start + timedelta(days=d) for d in range(0, span + 1, step)]
    if days[-1] != end:
        days.append(end)
    n = len(tasks) or 1
    planned = [100 * sum(planned_due.get(t.id, t.due_date) <= d for t in tasks) / n for d in days]
    actual = [100 * sum(t.id in done_on and done_on[t.id] <= d for t in tasks) / n if d <= today else math.nan
              for d in days]
    return [d.isoformat() for d in days], planned, actual


@registry.command("report", ("报表", "报告"), "进度报表：完成率、按时率、逾期、一次验收通过率、平均分、返工、未决问题与风险，附进度曲线图",
                  Param("id", "协作编号", "collab", positional=True), example="/report XZ-2026-0001", mutates=False)
async def report(ctx: Context, v: Values) -> None:
    c = await common.visible_collab(ctx, v.id, stages=tuple(STAGES))
    tasks = list(await workflow.tasks(ctx.session, c.id))
    planned_due = await baselines.original_dues(ctx.session, c.id)
    done_on = {e.task_id: e.at.astimezone(ctx.zone).date() for e in await baselines.history(ctx.session, c.id)
               if e.status == "done"}
    done = [t for t in tasks if t.status == "done"]
    on_time = [t for t in done if done_on.get(t.id, ctx.today) <= planned_due.get(t.id, t.due_date)]
    late = [t for t in tasks if t.status in OPEN and t.due_date < ctx.today]
    firsts, scores, rework = await _acceptances(ctx, c)
    problems = [p for p in await workflow.problems(ctx.session, c.id) if p.status == "open"]
    risks = [r for r in await workflow.risks(ctx.session, c.id) if r.status == "open"]
    fields = (Field("完成率", _pct(len(done), len(tasks))), Field("按时完成率", _pct(len(on_time), len(done))),
              Field("逾期任务", "、".join(f"T{t.number}" for t in late) or "无"),
              Field("一次验收通过率", _pct(sum(firsts.values()), len(firsts))),
              Field("平均验收分", f"{sum(scores) / len(scores):.1f}（{len(scores)} 次）" if scores else "—"),
              Field("返工次数", str(rework)),
              Field("未决问题", f"{len(problems)}（其中已升级 {sum(p.level >= 1 for p in problems)}）"),
              Field("未关闭风险", f"{len(risks)}（高 {sum(r.level == 'high' for r in risks)}）"))
    title = f"{c.code} 进度报表"
    start = min([(c.executing_at or c.approved_at or ctx.now).astimezone(ctx.zone).date(),
                 *(t.start_date for t in tasks)])
    attachment, note = await _chart(f"{c.code}-进度曲线.png", "进度曲线", charts.progress_curve,
                                    f"{c.code} 计划与实际进度", *curve(tasks, planned_due, done_on, start, ctx.today)) \
        if tasks else (None, "")
    ctx.reply(Message(title, f"截至 {ctx.today}，{STAGES[c.stage]}。{note}", fields, template=CardKind.REPORT,
                      data={"code": c.code, "tasks": len(tasks), "done": len(done), "on_time": len(on_time),
                            "late": len(late), "rework": rework},
                      color="red" if late else "green", attachment=attachment))


async def _chart(name: str, what: str, draw: Callable[..., bytes], *args: Any) -> tuple[Attachment | None, str]:
    """The chart `draw(*args)` as an image attachment, drawn in the render worker; without a CJK
    font, none, and a note saying why."""
    if charts.cjk_font() is None:
        return None, f"\n（服务器未安装中文字体，{what}从略；请管理员安装 fonts-wqy-microhei）"
    return Attachment(name, await render(draw, *args)), ""


async def _acceptances(ctx: Context, c: Collaboration) -> tuple[dict[int, bool], list[int], int]:
    """Per accepted task whether its first acceptance passed; every score; fail/partial count."""
    rows = (await ctx.session.scalars(select(Acceptance).join(Task, Task.id == Acceptance.task_id)
                                      .where(Task.collab_id == c.id).order_by(Acceptance.id))).all()
    firsts: dict[int, bool] = {}
    for a in rows:
        firsts.setdefault(a.task_id, a.result == "pass")
    return firsts, [a.score for a in rows], sum(a.result != "pass" for a in rows)



#: Tasks per Gantt image; a longer plan is sent as several.
GANTT_PAGE = 40


@registry.command("gantt", ("甘特图",), "任务甘特图：按负责部门、状态着色、完成度、依赖、里程碑、今日线、逾期标红",
                  Param("id", "协作编号", "collab", positional=True),
                  Param("page", "页码", "int", min=1, aliases=("页",)), example="/gantt XZ-2026-0001", mutates=False)
async def gantt(ctx: Context, v: Values) -> None:
    c = await common.visible_collab(ctx, v.id, stages=tuple(STAGES))
    tasks = sorted(await workflow.tasks(ctx.session, c.id), key=lambda t: (t.owner_dept_id, t.start_date, t.number))
    if not tasks:
        ctx.reply(Message(f"{c.code} 甘特图", "还没有任务：/task add …", template=CardKind.REPORT, data={"code": c.code}))
        return
    pages = -(-len(tasks) // GANTT_PAGE)
    page = min(v.page or 1, pages)
    shown = tasks[(page - 1) * GANTT_PAGE:page * GANTT_PAGE]
    graph = await workflow.dependencies(ctx.session, c.id)
    index = {t.id: i for i, t in enumerate(shown)}
    names = {d: await common.names(ctx, [d]) for d in {t.owner_dept_id for t in shown}}
    rows = [{"label": f"{names[t.owner_dept_id]} T{t.number} {t.title[:12]}", "start": t.start_date.isoformat(),
             "due": t.due_date.isoformat(), "status": t.status, "progress": t.progress, "milestone": t.is_milestone,
             "late": t.status in OPEN and t.due_date < ctx.today,
             "after": [index[p] for p in sorted(graph.get(t.id, ())) if p in index]} for t in shown]
    suffix = f"（第 {page}/{pages} 页）" if pages > 1 else ""
    late = [f"T{t.number}" for t in shown if t.status in OPEN and t.due_date < ctx.today]
    body = f"{len(shown)} 个任务{suffix}；逾期：{'、'.join(late) or '无'}。"
    attachment, note = await _chart(f"{c.code}-甘特图{page if pages > 1 else ''}.png", "甘特图", charts.gantt,
                                    f"{c.code} {c.name} 甘特图{suffix}", rows, ctx.today.isoformat(), TASK_LABEL)
    ctx.reply(Message(f"{c.code} 甘特图{suffix}", body + note, template=CardKind.REPORT,
                      data={"code": c.code, "page": page, "pages": pages, "tasks": [r["label"] for r in rows]},
                      color="red" if late else "green", attachment=attachment))
