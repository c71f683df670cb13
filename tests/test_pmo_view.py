"""What each group receives over a whole collaboration (docs/workflow.md, "Who hears what"): the
PMO every stage transition, high risks and problems, change requests and decisions, every
acceptance and the archive at once; weekly reports, meetings, minutes and ratings in its next
daily digest. The departments hear what concerns them, and a changed matrix changes that."""
from __future__ import annotations

from datetime import timedelta

from bot.testkit import TestBot, demo_config
from tests.conftest import MONDAY
from tests.lifetime import running
from tests.scenario import CODE, confirm, evaluate_all, ok, plan, raise_request

PMO = "协作管理办公室"
GROUPS = (PMO, "市场部", "研发部", "设计部")


def titles(tb: TestBot, chat: str) -> list[str]:
    out = []
    for m in tb.pop(chat):
        out += [f"digest: {i['title']}" for i in m.data["items"]] if m.template == "digest" else [m.title]
    return out


async def play(tb: TestBot) -> dict[str, list[str]]:
    """A whole collaboration, typed by its people; what each group received besides the replies."""
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
    return {chat: titles(tb, chat) for chat in GROUPS}


async def next_morning(tb: TestBot) -> dict[str, list[str]]:
    tb.clock.advance(timedelta(days=1))
    await tb.bot.dispatcher.drain()
    return {chat: titles(tb, chat) for chat in GROUPS}


ARCHIVE = ["成果验收确认：XZ-2026-0001 Q4新品推广", "复盘报告已归档：XZ-2026-0001 Q4新品推广"]


async def test_each_group_hears_what_the_matrix_says(tb: TestBot) -> None:
    heard = await play(tb)
    assert heard[PMO] == [
        "新协作需求待评估：XZ-2026-0001 Q4新品推广", "XZ-2026-0001 评估已全部答复",  # the charter was its own reply
        "执行方案已确认：XZ-2026-0001 Q4新品推广", "XZ-2026-0001 新风险 R1",  # the high risk, not the low one
        "XZ-2026-0001 变更申请 C1", "XZ-2026-0001 变更 C1 已批准",
        "digest: XZ-2026-0001 进度跟踪表：研发部", "digest: 会议通知：进度同步会：Q4新品推广",  # Tuesday 09:00
        "XZ-2026-0001 T1 验收通过（90 分）", "XZ-2026-0001 T2 验收通过（90 分）", "XZ-2026-0001 T3 验收通过（90 分）",
        ARCHIVE[0], "XZ-2026-0001 接受风险 R1", ARCHIVE[1]]
    assert heard["市场部"] == [  # initiator and lead: the answers, the plan, what it must decide or accept
        "XZ-2026-0001 研发部评估结论：接受", "XZ-2026-0001 设计部评估结论：接受",
        "协作立项确认函：XZ-2026-0001 Q4新品推广", "执行方案已确认：XZ-2026-0001 Q4新品推广",
        "XZ-2026-0001 进度跟踪表：研发部", "XZ-2026-0001 变更申请 C1",
        "XZ-2026-0001 T2 已提交验收", "XZ-2026-0001 T3 已提交验收"]
    assert heard["研发部"] == [
        "协作评估邀请：XZ-2026-0001 Q4新品推广", "协作立项确认函：XZ-2026-0001 Q4新品推广",
        "执行方案已确认：XZ-2026-0001 Q4新品推广", "XZ-2026-0001 变更 C1 已批准",
        "会议通知：进度同步会：Q4新品推广", "会议纪要：进度同步会：Q4新品推广",
        "XZ-2026-0001 前置任务已提交交付：T2 功能开发 可以开始",  # once, at T1's delivery, not again at its acceptance
        "XZ-2026-0001 T2 验收通过（90 分）", ARCHIVE[0], "XZ-2026-0001 协作评价：研发部", ARCHIVE[1]]
    assert heard["设计部"][-3:] == ["XZ-2026-0001 T3 验收通过（90 分）", *ARCHIVE]
    assert "XZ-2026-0001 协作评价：研发部" not in heard["设计部"]  # a rating concerns the rated dept alone
    assert await next_morning(tb) == {PMO: ["digest: 会议纪要：进度同步会：Q4新品推广", "digest: XZ-2026-0001 协作评价：研发部"],
                                      "市场部": [], "研发部": [], "设计部": []}


async def test_a_changed_matrix_changes_what_the_groups_hear(db_url: str) -> None:
    config = demo_config(db_url)
    config.policy.notify = {"progress": {"pmo": "now"}, "acceptance": {"pmo": "off"}, "rating": {"concerned": "off"},
                            "charter": {"pmo": "digest"}, "change_approved": {"participants": "digest"}}
    async with running(TestBot.create(config, MONDAY)) as tb:
        heard = await play(tb)
        assert heard[PMO] == [
            "新协作需求待评估：XZ-2026-0001 Q4新品推广", "XZ-2026-0001 评估已全部答复",
            "执行方案已确认：XZ-2026-0001 Q4新品推广", "XZ-2026-0001 进度跟踪表：研发部",  # at once now
            "XZ-2026-0001 新风险 R1", "XZ-2026-0001 变更申请 C1", "XZ-2026-0001 变更 C1 已批准",
            "会议通知：进度同步会：Q4新品推广",  # Tuesday 09:00, alone in its digest; no acceptance below
            ARCHIVE[0], "XZ-2026-0001 接受风险 R1", ARCHIVE[1]]
        assert "XZ-2026-0001 协作评价：研发部" not in heard["研发部"]
        design = heard["设计部"]  # the approval now waits for Tuesday's digest: after Monday's meeting notice
        assert design.index("XZ-2026-0001 变更 C1 已批准") > design.index("会议通知：进度同步会：Q4新品推广")
        assert "XZ-2026-0001 前置任务已提交交付：T3 视觉设计 可以开始" in heard["设计部"]  # a party that acts: unchanged
        morning = await next_morning(tb)
        assert morning[PMO] == ["digest: 会议纪要：进度同步会：Q4新品推广", "digest: XZ-2026-0001 协作评价：研发部"]
        assert morning["研发部"] == []  # told nothing of its rating
