"""`/report <id>`: one collaboration's figures and its planned-vs-actual progress curve as an
image (docs/workflow.md, "Reports"). Figures come from the record: the confirmed plan
(baseline 1), each task's status history, the acceptances, problems and risks."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any


from bot.commands import Param, Values
from bot.messages import CardKind, Chart, Field, Message
from handlers import common
from handlers.context import Context
from handlers.registry import registry
from handlers.vocab import OPEN_TASK_STATES, STAGES, TASK_LABEL
from storage import baselines, org, workflow
from storage.models import Collaboration, Department, Task

MAX_POINTS = 60  # days on the curve; a longer span is sampled


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%（{part}/{whole}）" if whole else "—"


def curve(tasks: Sequence[Task], planned_due: dict[int, date], done_on: dict[int, date], start: date,
          today: date) -> tuple[list[str], list[float], list[float | None]]:
    """Per day from `start` to the plan's last due date (or today, if later): % of tasks due by
    then in the confirmed plan, and % done by then up to today (None after: no line)."""
    end = max([today, *(planned_due.get(t.id, t.due_date) for t in tasks)])
    span = max((end - start).days, 0)
    step = max(1, -(-span // MAX_POINTS))
    days = [start + timedelta(days=d) for d in range(0, span + 1, step)]
    if days[-1] != end:
        days.append(end)
    n = len(tasks) or 1
    planned = [100 * sum(planned_due.get(t.id, t.due_date) <= d for t in tasks) / n for d in days]
    actual: list[float | None] = [100 * sum(t.id in done_on and done_on[t.id] <= d for t in tasks) / n
                                  if d <= today else None for d in days]
    return [d.isoformat() for d in days], planned, actual


@registry.command("report", ("报表", "报告"), "进度报表（一个协作：完成率、按时率、逾期、验收、返工、未决事项，附进度曲线）；"
                  "部门名或 all：跨部门协作分析报告",
                  Param("id", "协作编号、部门名，或 all", positional=True), example="/report XZ-2026-0001", mutates=False)
async def report(ctx: Context, v: Values) -> None:
    ref = (v.id or "").strip()
    if ref.lower() in ("all", "全部"):
        await _analysis(ctx, None)
        return
    if ref and not common.CODE_RE.match(ref):
        await _analysis(ctx, await common.dept(ctx, ref))
        return
    c = await common.visible_collab(ctx, ref or None, stages=tuple(STAGES))
    tasks = list(await workflow.tasks(ctx.session, c.id))
    planned_due = await baselines.original_dues(ctx.session, c.id)
    done_on = {e.task_id: e.at.astimezone(ctx.zone).date() for e in await baselines.history(ctx.session, c.id)
               if e.status == "done"}
    done = [t for t in tasks if t.status == "done"]
    on_time = [t for t in done if done_on.get(t.id, ctx.today) <= planned_due.get(t.id, t.due_date)]
    late = [t for t in tasks if t.status in OPEN_TASK_STATES and t.due_date < ctx.today]
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
    chart = Chart(f"{c.code}-进度曲线.png", "进度曲线", "progress_curve",
                  (f"{c.code} 计划与实际进度", *curve(tasks, planned_due, done_on, start, ctx.today))) if tasks else None
    ctx.reply(Message(title, f"截至 {ctx.today}，{STAGES[c.stage]}。", fields, template=CardKind.REPORT,
                      data={"code": c.code, "tasks": len(tasks), "done": len(done), "on_time": len(on_time),
                            "late": len(late), "rework": rework},
                      color="red" if late else "green", chart=chart))


async def _acceptances(ctx: Context, c: Collaboration) -> tuple[dict[int, bool], list[int], int]:
    """Per accepted task whether its first acceptance passed; every score; fail/partial count."""
    rows = await workflow.acceptances(ctx.session, c.id)
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
             "late": t.status in OPEN_TASK_STATES and t.due_date < ctx.today,
             "after": [index[p] for p in sorted(graph.get(t.id, ())) if p in index]} for t in shown]
    suffix = f"（第 {page}/{pages} 页）" if pages > 1 else ""
    late = [f"T{t.number}" for t in shown if t.status in OPEN_TASK_STATES and t.due_date < ctx.today]
    body = f"{len(shown)} 个任务{suffix}；逾期：{'、'.join(late) or '无'}。"
    chart = Chart(f"{c.code}-甘特图{page if pages > 1 else ''}.png", "甘特图", "gantt",
                  (f"{c.code} {c.name} 甘特图{suffix}", rows, ctx.today.isoformat(), TASK_LABEL))
    ctx.reply(Message(f"{c.code} 甘特图{suffix}", body, template=CardKind.REPORT,
                      data={"code": c.code, "page": page, "pages": pages, "tasks": [r["label"] for r in rows]},
                      color="red" if late else "green", chart=chart))


RATING_AXES = ("响应及时性", "沟通效率", "交付质量")


async def _analysis(ctx: Context, dept: Department | None) -> None:
    """跨部门协作分析报告: per department, over every collaboration past evaluation, the tasks it
    owned and finished, on time against the confirmed plan, their average duration in working
    days (from the first change of status to acceptance), the average acceptance score and the three 1–5 ratings, each with its n; bars compare
    the departments, a radar shows the ratings."""
    if dept is None:
        common.require(common.is_admin(ctx) or ctx.actor.is_leader, "查看全部部门的分析报告", "协作管理办公室或分管领导")
        depts = [d for d in await org.departments(ctx.session) if not d.is_pmo]
    else:
        common.require(common.is_admin(ctx) or ctx.actor.is_leader or ctx.actor.dept_id == dept.id,
                       f"查看{dept.name}的分析报告", f"{dept.name}的成员、协作管理办公室或分管领导")
        depts = [dept]
    figures = [await _dept_figures(ctx, d) for d in depts]
    lines = [f"{f['name']}：完成 {_pct(f['done'], f['tasks'])}，按时 {_pct(f['on_time'], f['done'])}，"
             f"平均 {f['days']} 个工作日，验收均分 {f['score']}，评价 {f['ratings']}" for f in figures]
    scope = "全部部门" if dept is None else dept.name
    title = f"跨部门协作分析报告（{scope}）"
    names = [f["name"] for f in figures]
    bars = Chart(f"分析报告-{ctx.today:%Y%m%d}.png", "部门对比图", "dept_comparison",
                 (f"{title} 完成率与按时率", names,
                  {"完成率": [100 * f["done"] / f["tasks"] if f["tasks"] else 0 for f in figures],
                   "按时率": [100 * f["on_time"] / f["done"] if f["done"] else 0 for f in figures]}))
    ctx.reply(Message(title, f"截至 {ctx.today}。\n" + "\n".join(lines), template=CardKind.REPORT,
                      data={"depts": figures}, color="blue", chart=bars))
    rated = {f["name"]: f["axes"] for f in figures if f["rated"]}
    if rated:
        radar = Chart(f"协作评价-{ctx.today:%Y%m%d}.png", "雷达图", "ratings_radar",
                      ("协作评价（1–5 分）", RATING_AXES, rated))
        body = "、".join(f"{f['name']}（n={f['rated']}）" for f in figures if f["rated"])
        ctx.reply(Message(f"{title}：协作评价", body, template=CardKind.REPORT, data={}, color="blue", chart=radar))


async def _dept_figures(ctx: Context, d: Department) -> dict[str, Any]:
    tasks, scores, ratings = await workflow.dept_record(ctx.session, d.id, ("evaluating", "returned"))
    done_on: dict[int, date] = {}
    began: dict[int, date] = {}  # the first change of status: when work really started
    planned: dict[int, date] = {}
    for collab_id in {t.collab_id for t in tasks}:
        for e in await baselines.history(ctx.session, collab_id):
            day = e.at.astimezone(ctx.zone).date()
            began.setdefault(e.task_id, day)
            if e.status == "done":
                done_on[e.task_id] = day
        planned |= await baselines.original_dues(ctx.session, collab_id)
    done = [t for t in tasks if t.status == "done"]
    on_time = [t for t in done if done_on.get(t.id, ctx.today) <= planned.get(t.id, t.due_date)]
    days = [max(0, ctx.calendar.workdays_between(began.get(t.id, t.start_date), done_on.get(t.id, t.due_date)))
            for t in done]
    axes = [sum(getattr(r, k) for r in ratings) / len(ratings) if ratings else 0.0
            for k in ("responsiveness", "communication", "quality")]
    return {"name": d.name, "tasks": len(tasks), "done": len(done), "on_time": len(on_time),
            "days": f"{sum(days) / len(days):.1f}（n={len(days)}）" if days else "—",
            "score": f"{sum(scores) / len(scores):.1f}（n={len(scores)}）" if scores else "—",
            "ratings": "/".join(f"{a:.1f}" for a in axes) + f"（n={len(ratings)}）" if ratings else "—",
            "axes": axes, "rated": len(ratings)}
