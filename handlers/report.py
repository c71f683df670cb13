"""`/report [id|dept|all] [period]`: a collaboration's figures with its planned-vs-actual curve,
or the 跨部门协作分析报告 with bars and a radar, each compared with the week (or period) before;
`/gantt <id>`: the plan as an image (docs/workflow.md, "Reports"). The counting is in
handlers.figures; here the rows are read and the cards written."""
from __future__ import annotations

from datetime import date
from typing import Any

from bot import refs
from bot.commands import Kind, Param, UserError, Values
from bot.dates import DateError, parse_period
from bot.messages import Artifact, CardKind, Field, Message
from handlers import common
from handlers.context import Context
from handlers.figures import (
    DeptFigures,
    Period,
    Record,
    changes,
    collab_figures,
    day_of,
    dept_figures,
    progress_chart,
    said,
)
from handlers.registry import Commands
from handlers.vocab import OPEN_TASK_STATES, STAGES, TASK_LABEL
from storage import baselines, org, workflow
from storage.models import Collaboration, Department, Stage

commands = Commands()


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%（{part}/{whole}）" if whole else "—"


@commands.command("report", ("报表", "报告"), "进度报表（一个协作：完成率、按时率、逾期、验收、返工、未决事项，附进度曲线）；"
                  "部门名或 all：跨部门协作分析报告；可加时间段，与上周（上期）相比",
                  Param("id", "协作编号、部门名，或 all", positional=True),
                  Param("period", "时间段", Kind.PERIOD, positional=True, aliases=("期间", "周期")),
                  example="/report XZ-2026-0001 上周", mutates=False)
async def report(ctx: Context, v: Values) -> None:
    ref, period = (v.id or "").strip(), _period(ctx, v.period)
    if ref and not refs.is_code(ref) and v.period is None and (found := _as_period(ctx, ref)) is not None:
        ref, period = "", found  # "/report 上周": the period of the one collaboration one is in
    if ref.lower() in ("all", "全部"):
        await _analysis(ctx, None, period)
    elif ref and not refs.is_code(ref):
        await _analysis(ctx, await common.dept(ctx, ref), period)
    else:
        await _collab_report(ctx, await common.visible_collab(ctx, ref or None, stages=tuple(STAGES)), period,
                             given=v.period is not None or period.start is not None)


def _listed(numbers: tuple[int, ...], most: int = 10) -> str:
    """Task numbers for a card's field: the first `most`, then how many in all."""
    shown = "、".join(f"T{n}" for n in numbers[:most])
    return f"{shown} 等 {len(numbers)} 个" if len(numbers) > most else shown or "无"


def _period(ctx: Context, given: tuple[date, date] | None) -> Period:
    if given is None:
        return Period(None, ctx.today)
    start, end = given
    if start > ctx.today:
        raise UserError(f"时间段 {start}～{end} 还没有开始", usage="/report XZ-2026-0001 上周")
    return Period(start, min(end, ctx.today), (end - start).days + 1)


def _as_period(ctx: Context, word: str) -> Period | None:
    try:
        return _period(ctx, parse_period(word, ctx.today))
    except DateError:
        return None


async def _collab_report(ctx: Context, c: Collaboration, p: Period, given: bool) -> None:
    tasks = list(await workflow.tasks(ctx.session, c.id))
    record = Record(tasks, await baselines.original_dues(ctx.session, c.id), await workflow.acceptances(ctx.session, c.id),
                    await workflow.problems(ctx.session, c.id), await workflow.risks(ctx.session, c.id), ctx.zone)
    now, then = collab_figures(record, p), collab_figures(record, p.before())
    moved = changes(now, then)
    risks = [r for r in record.risks if r.status == "open"]
    fields = [Field("完成率", _pct(now.done, now.tasks)), Field("按时完成率", _pct(now.on_time, now.done_in)),
              Field("逾期任务", _listed(now.late)),
              Field("一次验收通过率", _pct(now.first_pass, now.first_tried)),
              Field("平均验收分", f"{now.average_score:.1f}（{len(now.scores)} 次）" if now.scores else "—"),
              Field("返工次数", str(now.rework)), Field("未决问题", f"{now.problems}（其中已升级 {now.escalated}）"),
              Field("未关闭风险", f"{len(risks)}（高 {sum(r.level == 'high' for r in risks)}）")]
    if given:
        fields += [Field("本期完成", f"{now.done_in} 个任务"),
                   Field("本期新增", f"问题 {now.problems_raised}，风险 {now.risks_raised}")]
    fields.append(Field(p.compared, said(moved)))
    suffix = f"（{p.label()}）" if given else ""
    began = day_of(c.executing_at or c.approved_at or ctx.now, ctx.zone) or ctx.today
    chart = progress_chart(c.code, tasks, record.planned, began, p.end, ctx.zone)
    when = f"截至 {p.end}" if p.start is None else f"{p.start}～{p.end}"
    ctx.reply(Message(f"{c.code} 进度报表{suffix}", f"{when}，{STAGES[c.stage]}。", tuple(fields),
                      template=CardKind.REPORT,
                      data={"code": c.code, "tasks": now.tasks, "done": now.done, "on_time": now.on_time,
                            "late": len(now.late), "rework": now.rework, "period": p.label(), "changes": moved},
                      color="red" if now.late else "green", artifact=chart))


#: Tasks per Gantt image; a longer plan is sent as several.
GANTT_PAGE = 40


@commands.command("gantt", ("甘特图",), "任务甘特图：按负责部门、状态着色、完成度、依赖、里程碑、今日线、逾期标红",
                  Param("id", "协作编号", Kind.COLLAB, positional=True),
                  Param("page", "页码", Kind.INT, min=1, aliases=("页",)), example="/gantt XZ-2026-0001", mutates=False)
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
    chart = Artifact(f"{c.code}-甘特图{page if pages > 1 else ''}.png", "甘特图", "gantt",
                  (f"{c.code} {c.name} 甘特图{suffix}", rows, ctx.today.isoformat(), TASK_LABEL))
    ctx.reply(Message(f"{c.code} 甘特图{suffix}", body, template=CardKind.REPORT,
                      data={"code": c.code, "page": page, "pages": pages, "tasks": [r["label"] for r in rows]},
                      color="red" if late else "green", artifact=chart))


RATING_AXES = ("响应及时性", "沟通效率", "交付质量")


async def _analysis(ctx: Context, dept: Department | None, p: Period) -> None:
    """跨部门协作分析报告: per department, over every collaboration past evaluation, the tasks it
    owned and finished in the period, on time against the confirmed plan, their average duration
    in working days (from the first change of status to acceptance), the average acceptance score
    and the three 1–5 ratings, each with its n and its change against the period before; bars
    compare the departments, a radar shows the ratings."""
    if dept is None:
        common.require(common.oversees(ctx), "查看全部部门的分析报告", "协作管理办公室或分管领导")
        depts = [d for d in await org.departments(ctx.session) if not d.is_pmo]
    else:
        common.require(common.oversees(ctx) or ctx.actor.dept_id == dept.id,
                       f"查看{dept.name}的分析报告", f"{dept.name}的成员、协作管理办公室或分管领导")
        depts = [dept]
    pairs = [await _dept_figures(ctx, d, p) for d in depts]
    figures = [_shown(now, then) for now, then in pairs]
    lines = [f"{f['name']}：完成 {_pct(f['done'], f['tasks'])}，按时 {_pct(f['on_time'], f['done'])}，"
             f"平均 {f['days']} 个工作日，验收均分 {f['score']}，评价 {f['ratings']}；{p.compared}：{f['changes']}"
             for f in figures]
    scope = "全部部门" if dept is None else dept.name
    title = f"跨部门协作分析报告（{scope}）" + (f"（{p.label()}）" if p.start is not None else "")
    names = [f["name"] for f in figures]
    bars = Artifact(f"分析报告-{ctx.today:%Y%m%d}.png", "部门对比图", "dept_comparison",
                 (f"{title} 完成率与按时率", names,
                  {"完成率": [100 * f["done"] / f["tasks"] if f["tasks"] else 0 for f in figures],
                   "按时率": [100 * f["on_time"] / f["done"] if f["done"] else 0 for f in figures]}))
    ctx.reply(Message(title, f"{p.label()}。\n" + "\n".join(lines), template=CardKind.REPORT,
                      data={"depts": figures}, color="blue", artifact=bars))
    rated = {now.name: now.axes for now, _ in pairs if now.ratings}
    if rated:
        radar = Artifact(f"协作评价-{ctx.today:%Y%m%d}.png", "雷达图", "ratings_radar",
                      ("协作评价（1–5 分）", RATING_AXES, rated))
        body = "、".join(f"{now.name}（n={len(now.ratings)}）" for now, _ in pairs if now.ratings)
        ctx.reply(Message(f"{title}：协作评价", body, template=CardKind.REPORT, data={}, color="blue", artifact=radar))


async def _dept_figures(ctx: Context, d: Department, p: Period) -> tuple[DeptFigures, DeptFigures]:
    """A department's figures for the period and for the one it is compared with."""
    tasks, acceptances, ratings = await workflow.dept_record(ctx.session, d.id, (Stage.EVALUATING, Stage.RETURNED))
    began: dict[int, date] = {}  # the first change of status: when work really started
    planned: dict[int, date] = {}
    for collab_id in {t.collab_id for t in tasks}:
        for e in await baselines.history(ctx.session, collab_id):
            began.setdefault(e.task_id, e.at.astimezone(ctx.zone).date())
        planned |= await baselines.original_dues(ctx.session, collab_id)
    return tuple(dept_figures(d.name, tasks, began, acceptances, ratings, period, ctx.zone, planned, ctx.calendar)
                 for period in (p, p.before()))  # type: ignore[return-value]


def _shown(now: DeptFigures, then: DeptFigures) -> dict[str, Any]:
    """A department's row of the report: its figures as the card says them, with their n."""
    def mean(values: tuple[int, ...]) -> float | None:
        return sum(values) / len(values) if values else None
    moved: dict[str, float] = {"完成": now.done - then.done}
    for name, a, b in (("按时率", now.on_time / now.done if now.done else None,
                        then.on_time / then.done if then.done else None),
                       ("验收均分", mean(now.scores), mean(then.scores))):
        if a is not None and b is not None:
            moved[name] = round(100 * (a - b) if name == "按时率" else a - b, 1)
    axes = now.axes
    return {"name": now.name, "tasks": now.tasks, "done": now.done, "on_time": now.on_time,
            "days": f"{sum(now.days) / len(now.days):.1f}（n={len(now.days)}）" if now.days else "—",
            "score": f"{mean(now.scores):.1f}（n={len(now.scores)}）" if now.scores else "—",
            "ratings": "/".join(f"{a:.1f}" for a in axes) + f"（n={len(now.ratings)}）" if now.ratings else "—",
            "changes": said(moved)}
