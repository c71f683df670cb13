"""What the PMO's group receives over a whole collaboration (docs/workflow.md, "What the PMO
hears"): every stage transition, high risks and problems, change requests and decisions, every
acceptance and the archive at once; weekly reports, meetings, minutes and ratings in its next
daily digest."""
from __future__ import annotations

from datetime import timedelta

from bot.testkit import TestBot
from tests.scenario import CODE, confirm, evaluate_all, ok, plan, raise_request

PMO = "协作管理办公室"


def titles(tb: TestBot) -> list[str]:
    out = []
    for m in tb.pop(PMO):
        out += [f"digest: {i['title']}" for i in m.data["items"]] if m.template == "digest" else [m.title]
    return out


async def test_the_pmo_hears_the_whole_collaboration(tb: TestBot) -> None:
    await raise_request(tb)
    await evaluate_all(tb)
    ok(await tb.say("周主任", PMO, f"/approve {CODE}"))  # typed in the PMO's own group: its reply
    await plan(tb)
    await confirm(tb)
    ok(await tb.say("李工", "研发部", f'/progress {CODE} done="接口设计" next="开发"'))
    ok(await tb.say("小张", "市场部", f"/risk {CODE} 上线窗口可能被占用 level=高"))
    ok(await tb.say("小张", "市场部", f"/risk {CODE} 文案返工 level=低"))
    ok(await tb.say("李工", "研发部", f'/change {CODE} kind=时间 task=T2 due=12-12 reason="接口方延期"'))
    ok(await tb.say("张经理", "市场部", f"/change approve {CODE}/C1"))
    ok(await tb.say("张经理", "市场部", f"/meeting {CODE} kind=周会 date=2026-11-24 time=10:00 agenda=同步"))
    tb.clock.advance(timedelta(days=1, hours=1))
    ok(await tb.say("张经理", "市场部", f"/minutes {CODE}/M1 进度正常"))
    for user, chat, number in (("张经理", "市场部", 1), ("李工", "研发部", 2), ("王设计", "设计部", 3)):
        ok(await tb.say(user, chat, f"/deliver {CODE}/T{number} 链接"))
        ok(await tb.say("小张", "市场部", f"/accept {CODE}/T{number} 通过 90"))
    ok(await tb.say("小张", "市场部", f"/rate {CODE} 研发部 5 4 5"))
    ok(await tb.say("张经理", "市场部", f"/risk update {CODE}/R1 status=接受风险 reason=已备用窗口"))
    ok(await tb.say("张经理", "市场部", f"/risk update {CODE}/R2 status=关闭"))
    ok(await tb.say("张经理", "市场部", f'/retro {CODE} well="周会高效" improve="资源预留" lessons="提前锁定"'))
    assert titles(tb) == [
        "新协作需求待评估：XZ-2026-0001 Q4新品推广", "XZ-2026-0001 评估已全部答复",  # the charter was its own reply
        "执行方案已确认：XZ-2026-0001 Q4新品推广", "XZ-2026-0001 新风险 R1",  # the high risk, not the low one
        "XZ-2026-0001 变更申请 C1", "XZ-2026-0001 变更 C1 已批准",
        "digest: XZ-2026-0001 进度跟踪表：研发部", "digest: 会议通知：进度同步会：Q4新品推广",  # Tuesday 09:00
        "XZ-2026-0001 T1 验收通过（90 分）", "XZ-2026-0001 T2 验收通过（90 分）", "XZ-2026-0001 T3 验收通过（90 分）",
        "成果验收确认：XZ-2026-0001 Q4新品推广", "复盘报告已归档：XZ-2026-0001 Q4新品推广"]
    tb.clock.advance(timedelta(days=1))  # the next working morning's digest
    await tb.bot.dispatcher.drain()
    assert titles(tb) == ["digest: 会议纪要：进度同步会：Q4新品推广", "digest: XZ-2026-0001 协作评价：研发部"]
