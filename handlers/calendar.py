"""Working-day corrections (`/calendar`): the admins' overrides over chinese_calendar.

The package only knows the years the State Council has announced; for the next year the admins
enter holidays and 调休 make-up days here, and every SLA and reminder uses them from then on.
"""
from __future__ import annotations

from bot.commands import Choice, Kind, Param, UserError, Values
from bot.messages import CardKind, Field, Message
from handlers import common
from handlers.context import Context
from handlers.registry import Commands
from storage import schedule

commands = Commands()

DAY_KINDS = (Choice("holiday", "休息日", ("假日", "节假日", "放假", "休息", "off")),
             Choice("workday", "工作日", ("上班", "调休", "补班", "work")))
DAY_LABEL = {c.value: c.label for c in DAY_KINDS}
ADMINS = "协作管理办公室"

commands.group("calendar", ("日历", "工作日历"), "工作日历：节假日与调休的单独设置")




@commands.command("calendar add", ("添加", "add", "设置"), "设置某天为休息日或工作日（覆盖法定节假日数据）",
                  Param("day", "日期", Kind.DATE, positional=True, required=True),
                  Param("kind", "类型", Kind.CHOICE, positional=True, required=True, choices=DAY_KINDS),
                  Param("note", "说明", positional=True, rest=True, aliases=("名称", "备注")),
                  example="/calendar add 2027-01-01 holiday 元旦")
async def add_day(ctx: Context, v: Values) -> None:
    common.require(common.is_admin(ctx), "修改工作日历", ADMINS)
    await schedule.set_override(ctx.session, v.day, v.kind == "workday", (v.note or "")[:200], ctx.actor.id, ctx.now)
    await _reload(ctx)
    ctx.audit("calendar.add", day=v.day, kind=v.kind, note=v.note)
    ctx.reply(Message(f"工作日历已更新：{v.day} {DAY_LABEL[v.kind]}", v.note or "", template=CardKind.CALENDAR,
                      data={"day": v.day.isoformat(), "kind": v.kind}, color="green"))


@commands.command("calendar remove", ("删除", "remove", "取消"), "删除一条工作日历设置，恢复法定节假日数据",
                  Param("day", "日期", Kind.DATE, positional=True, required=True),
                  example="/calendar remove 2027-01-01")
async def remove_day(ctx: Context, v: Values) -> None:
    common.require(common.is_admin(ctx), "修改工作日历", ADMINS)
    if not await schedule.remove_override(ctx.session, v.day):
        raise UserError(f"{v.day} 没有单独设置过；用 /calendar list 查看已有设置")
    await _reload(ctx)
    ctx.audit("calendar.remove", day=v.day)
    kind = "工作日" if ctx.calendar.is_workday(v.day) else "休息日"
    ctx.reply(Message(f"已删除 {v.day} 的设置", f"该日恢复为{kind}。", template=CardKind.CALENDAR,
                      data={"day": v.day.isoformat()}, color="green"))


@commands.command("calendar list", ("列表", "list", "查看"), "查看工作日历的单独设置与节假日数据覆盖的年份",
                  Param("year", "年份", Kind.INT, positional=True, min=2000, max=2100),
                  example="/calendar list 2027", mutates=False, default_sub=True)
async def list_days(ctx: Context, v: Values) -> None:
    year = v.year or ctx.today.year
    stored = {o.day: o for o in await schedule.overrides(ctx.session)}
    configured = {d: w for d, w in ctx.config.calendar.overrides().items() if d not in stored}
    rows = [(o.day, o.workday, o.note or "", "命令") for o in stored.values() if o.day.year == year]
    rows += [(d, w, "", "配置文件") for d, w in configured.items() if d.year == year]
    lines = [f"{d} {'工作日' if w else '休息日'} {note}（{src}）".replace("  ", " ") for d, w, note, src in sorted(rows)]
    covered = ctx.calendar.covers(year)
    note = (f"{year} 年法定节假日与调休数据：{'已内置' if covered else '缺失，暂按周一至周五计算，请补充节假日'}")
    ctx.reply(Message(f"工作日历 {year}", "\n".join([note, *lines]) if lines else f"{note}\n（{year} 年没有单独设置）",
                      (Field("单独设置", str(len(lines))),), template=CardKind.CALENDAR,
                      data={"year": year, "covered": covered,
                            "days": [{"day": d.isoformat(), "workday": w, "note": n} for d, w, n, _ in sorted(rows)]},
                      color="blue" if covered else "yellow"))


async def _reload(ctx: Context) -> None:
    """Apply the change to this process's calendar now (other processes reload at their next tick)."""
    ctx.calendar.use_stored_overrides({o.day: o.workday for o in await schedule.overrides(ctx.session)})
