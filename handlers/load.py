"""资源统筹: `/load [dept]` shows a department's people and the open tasks each holds across
collaborations, week by week; `warn_conflicts` gives the 冲突预警 when an assignment or a named
contact would take a person or a department over its limit (docs/knowledge.md, "Load and
conflicts"). A warning advises; it never blocks."""
from __future__ import annotations

from datetime import date, timedelta

from bot.commands import Kind, Param, UserError, Values
from bot.messages import Artifact, CardKind, Message
from handlers import common
from handlers.context import Context
from handlers.registry import Commands
from handlers.vocab import OPEN_TASK_STATES
from scheduler.load import by_week, mondays, over, overlapping
from storage import org, workflow
from storage.models import Collaboration, Person

commands = Commands()
WEEKS = 6


@commands.command("load", ("负载", "资源"), "部门负载：每人跨协作的未完成任务，按周（冲突预警）",
                  Param("dept", "部门", Kind.DEPT, positional=True),
                  example="/load 研发部", mutates=False)
async def show_load(ctx: Context, v: Values) -> None:
    dept = await common.dept(ctx, v.dept) if v.dept else await common.actor_dept(ctx)
    if dept.id != ctx.actor.dept_id and not common.oversees(ctx):
        raise UserError(f"只能查看本部门的负载；{dept.name}的负载请该部门或协作管理办公室查看")
    weeks = mondays(ctx.today, WEEKS)
    held = await workflow.held(ctx.session, OPEN_TASK_STATES, dept_id=dept.id)
    counts = by_week(held, weeks, ctx.today)
    limit = ctx.config.policy.max_open_tasks_per_person
    people = [p for p, _ in await org.members(ctx.session, dept.id)]
    labels = [f"{m:%m-%d}" for m in weeks]
    rows, hot = [], []
    for p in people:
        row = counts.get(p.id, [0] * WEEKS)
        rows.append({"person": p.name, **{f"w{i}": n for i, n in enumerate(row)},
                     "total": sum(h.person_id == p.id for h in held)})
        busiest = max(row)
        if over(busiest, limit):
            hot.append(f"{p.name}：{labels[row.index(busiest)]} 那周 {busiest} 项（上限 {limit}）")
    dept_row = [sum(r[i] for r in counts.values()) for i in range(WEEKS)]
    body = ("冲突预警：" + "；".join(hot)) if hot else f"没有人超过每人 {limit} 项同时进行的上限。" if limit else ""
    if over(max(dept_row, default=0), ctx.config.policy.max_open_tasks_per_dept):
        body += f"\n部门合计最多 {max(dept_row)} 项，超过上限 {ctx.config.policy.max_open_tasks_per_dept}。"
    chart = Artifact(f"{dept.name}负载-{ctx.today:%Y%m%d}.png", "负载图", "load_grid",
                     (f"{dept.name} 每人每周未完成任务数" + (f"（红：超过 {limit} 项）" if limit else ""), [p.name for p in people], labels,
                      [counts.get(p.id, [0] * WEEKS) for p in people], limit))
    ctx.reply(Message(f"{dept.name}负载（{labels[0]} 起 {WEEKS} 周）", body, template=CardKind.LOAD,
                      data={"dept": dept.name, "weeks": labels, "people": rows, "hot": len(hot)},
                      color="yellow" if hot else "blue", artifact=chart if people else None))


async def hot_spots(ctx: Context) -> str:
    """The people over their limit this week, for the PMO's portfolio: 「李工（研发部）5 项」."""
    limit = ctx.config.policy.max_open_tasks_per_person
    if not limit:
        return ""
    sunday = ctx.today + timedelta(days=6 - ctx.today.weekday())
    busy = await workflow.busiest(ctx.session, OPEN_TASK_STATES, sunday, limit)
    people = await org.people_by_ids(ctx.session, [p for p, _ in busy])
    names = {d.id: d.name for d in await org.departments(ctx.session)}
    return "、".join(f"{people[p].name}（{names.get(people[p].dept_id or 0, '')}）{n} 项" for p, n in busy if p in people)


async def warn_conflicts(ctx: Context, c: Collaboration, person: Person, start: date, end: date, what: str,
                         skip: str = "") -> None:
    """冲突预警 when `person` taking on `what` in [start, end] would hold more open tasks at once
    than `policy.max_open_tasks_per_person` (or their department more than `…_per_dept`): on the
    decider's reply, and to the department's heads when the decider is not one of them."""
    policy = ctx.config.policy
    mine = [h for h in overlapping(await workflow.held(ctx.session, OPEN_TASK_STATES, person_id=person.id),
                                   start, end, ctx.today) if h.ref != skip]
    lines = []
    if over(len(mine) + 1, policy.max_open_tasks_per_person):
        refs = "、".join(h.ref for h in mine[:5]) + ("等" if len(mine) > 5 else "")
        lines.append(f"冲突预警：{person.name} 在 {start:%m-%d}～{end:%m-%d} 已有 {len(mine)} 项未完成任务（{refs}），"
                     f"再加 {what} 将超过每人 {policy.max_open_tasks_per_person} 项的上限；请部门负责人统筹")
    if policy.max_open_tasks_per_dept and person.dept_id is not None:
        theirs = [h for h in overlapping(await workflow.held(ctx.session, OPEN_TASK_STATES, dept_id=person.dept_id),
                                         start, end, ctx.today) if h.ref != skip]
        if over(len(theirs) + 1, policy.max_open_tasks_per_dept):
            lines.append(f"冲突预警：该部门在 {start:%m-%d}～{end:%m-%d} 已有 {len(theirs)} 项未完成任务，"
                         f"超过部门上限 {policy.max_open_tasks_per_dept} 项")
    if not lines:
        return
    ctx.warnings.extend(lines)
    if person.dept_id is None or common.is_head(ctx, person.dept_id):
        return
    note = Message(f"冲突预警：{person.name}", "\n".join(lines) + f"\n（{c.code} {what}；/load 查看本部门负载）",
                   template=CardKind.NOTICE, color="yellow")
    for head in await org.heads_of(ctx.session, person.dept_id):
        ctx.tell_privately(head, note, c)

