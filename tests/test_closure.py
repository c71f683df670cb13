"""Closure rules (docs/workflow.md, "Closure"): a collaboration is archived with every problem
resolved and every risk closed or accepted, unless the PMO archives anyway with a reason; a
risk is accepted (接受风险) only by the lead dept or PMO, with a reason; minutes follow the meeting."""
from __future__ import annotations

from datetime import timedelta

from bot.testkit import TestBot
from storage.models import AuditEntry, Collaboration, Risk
from tests.scenario import CODE, count, ok, one, refused, to_executing

RETRO = f'/retro {CODE} well="周会高效" improve="资源预留不足" lessons="提前锁定资源"'


async def _all_accepted(tb: TestBot) -> None:
    for user, chat, number in (("张经理", "市场部", 1), ("李工", "研发部", 2), ("王设计", "设计部", 3)):
        ok(await tb.say(user, chat, f"/deliver {CODE}/T{number} 链接"))
        ok(await tb.say("小张", "市场部", f"/accept {CODE}/T{number} 通过 90"))
    assert (await one(tb, Collaboration, code=CODE)).stage == "accepted"


async def test_an_open_risk_or_problem_keeps_the_collaboration_from_the_archive(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("小张", "市场部", f"/risk {CODE} 上线窗口可能被占用 level=高"))
    ok(await tb.say("李工", "研发部", f"/problem {CODE} 压测环境不足 dept=研发部"))
    await _all_accepted(tb)
    blocked = refused(await tb.say("张经理", "市场部", RETRO))
    assert "问题 P1、风险 R1" in blocked.body and "override=" in blocked.body
    refused(await tb.say("李工", "研发部", f"/risk update {CODE}/R1 status=接受风险 reason=可控"))  # not the lead
    refused(await tb.say("张经理", "市场部", f"/risk update {CODE}/R1 status=接受风险"))  # no reason
    ok(await tb.say("张经理", "市场部", f"/risk update {CODE}/R1 status=接受风险 reason=已与运维确认备用窗口"))
    assert (await one(tb, Risk, number=1)).status == "accepted"
    still = refused(await tb.say("张经理", "市场部", RETRO))
    assert "问题 P1" in still.body and "风险 R1" not in still.body
    ok(await tb.say("李工", "研发部", f"/problem resolve {CODE}/P1 已扩容"))
    ok(await tb.say("张经理", "市场部", RETRO))
    assert (await one(tb, Collaboration, code=CODE)).stage == "archived"


async def test_the_pmo_may_archive_with_open_items_and_a_reason(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("李工", "研发部", f"/problem {CODE} 文档未归档 dept=研发部"))
    await _all_accepted(tb)
    refused(await tb.say("张经理", "市场部", f"{RETRO} override=不影响交付"))  # only the PMO may
    archived = ok(await tb.say("周主任", "协作管理办公室", f"{RETRO} override=不影响交付，另行跟踪"))
    assert "归档时仍未关闭：问题 P1（理由：不影响交付，另行跟踪，已记入审计）" in archived.body
    assert await count(tb, AuditEntry, action="retro.override") == 1


async def test_minutes_only_after_the_meeting_started(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("张经理", "市场部", f"/meeting {CODE} kind=周会 date=2026-11-24 time=10:00 agenda=进度同步"))
    early = refused(await tb.say("张经理", "市场部", f"/minutes {CODE}/M1 进度正常"))
    assert "M1 将于 2026-11-24 10:00 开始，会后再记录纪要" in early.body
    tb.clock.advance(timedelta(days=1, minutes=5))
    ok(await tb.say("张经理", "市场部", f"/minutes {CODE}/M1 进度正常"))
