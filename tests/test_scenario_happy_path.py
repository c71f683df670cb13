"""A whole collaboration through all six stages, three departments, typed as people would."""
from __future__ import annotations

from datetime import timedelta

from bot.testkit import TestBot
from storage.models import AuditEntry, Collaboration, Rating, Retrospective, Task
from tests.scenario import CODE, REQUEST, count, ok, one


async def test_six_stages_with_three_departments(tb: TestBot) -> None:
    # Stage 1 — 需求发起: the request form, an id, invitations into each invited dept's group.
    reply = ok(await tb.say("小张", "市场部", REQUEST))
    assert reply.title == f"需求已提交：{CODE}"
    assert "量化目标：10-12月销量10万台" in reply.as_text()
    invite = tb.pop("研发部")[0]
    assert invite.title.startswith(f"协作评估邀请：{CODE}")
    assert "2026-11-25" in invite.body  # 2 working days after Monday 11-23
    assert "memory:李主管" in invite.mentions
    assert tb.pop("设计部")[0].template == "evaluation_request"
    assert "2026-11-24" in tb.pop("协作管理办公室")[0].body  # PMO convenes within 1 working day
    assert tb.pop("销售部") == []

    # Stage 2 — 需求评估与立项: both accept with a contact; the PMO approves; the charter goes out.
    ok(await tb.say("李主管", "研发部", f'/evaluate {CODE} 接受 contact=@李工 resources="2名开发" date=12-01'))
    assert "研发部评估结论：接受" in tb.pop("市场部")[0].title
    assert tb.pop("协作管理办公室") == []  # not everyone has answered yet
    ok(await tb.say("王主管", "设计部", f"/evaluate {CODE} accept contact=@王设计"))
    summary = tb.pop("协作管理办公室")[0]
    assert "全部接受" in summary.body and f"/approve {CODE}" in summary.body
    charter = ok(await tb.say("周主任", "协作管理办公室", f"/approve {CODE}"))
    assert charter.title.startswith("协作立项确认函")
    assert "研发部（对接人：李工）" in charter.as_text()
    for dept in ("市场部", "研发部", "设计部"):
        assert tb.pop(dept)[-1].template == "charter"

    # Stage 3 — 方案制定: tasks with one owner each, a dependency, sign-off by every dept head.
    ok(await tb.say("小张", "市场部", f'/task add {CODE} 用户调研 dept=市场部 owner=@小张 deliverable=调研报告 '
                                      'standard="样本≥500" start=11-24 due=11-27'))
    ok(await tb.say("李工", "研发部", '/task add 功能开发 dept=研发部 owner=@李工 deliverable=可用版本 '
                                      'standard="覆盖100%需求" start=11-30 due=12-10 after=T1'))
    ok(await tb.say("王设计", "设计部", '/task add 视觉设计 dept=设计部 owner=@王设计 deliverable=设计稿 '
                                        'standard=评审通过 start=11-30 due=12-04 after=T1 milestone=是'))
    table = ok(await tb.say("小张", "市场部", f"/task list {CODE}"))
    assert [r["task"] for r in table.data["rows"]] == ["T1", "T2", "T3"]
    assert table.data["rows"][1]["after"] == "T1"
    ok(await tb.say("张经理", "市场部", f"/confirm {CODE}"))
    ok(await tb.say("李主管", "研发部", f"/confirm {CODE}"))
    tb.clear()
    done = ok(await tb.say("王主管", "设计部", f"/confirm {CODE}"))
    assert done.title.startswith("执行方案已确认")
    assert (await one(tb, Collaboration, code=CODE)).stage == "executing"
    assert tb.pop("研发部")[0].template == "plan_confirmed"

    # Stage 4 — 执行推进: status, weekly report (to the lead dept), board, my tasks.
    ok(await tb.say("小张", "市场部", "/status T1 进行中 50% 问卷已回收300份"))
    report = ok(await tb.say("李工", "研发部", f'/progress {CODE} done="完成接口设计" undone=无 next="开发登录模块" risks=无'))
    assert report.template == "progress"
    assert tb.pop("市场部")[-1].title == f"{CODE} 进度跟踪表：研发部"
    mine = ok(await tb.say("李工", "研发部", "/mytasks"))
    assert "T2 功能开发" in mine.body
    board = ok(await tb.say("周主任", "协作管理办公室", f"/board {CODE}"))
    assert "执行推进" in board.as_text()

    # Stage 6 — 成果交付与验收: deliver, accept each task; all accepted → ratings and retrospective.
    for user, dept, number in (("小张", "市场部", 1), ("王设计", "设计部", 3), ("李工", "研发部", 2)):
        ok(await tb.say(user, dept, f"/deliver {CODE}/T{number} https://docs.example.com/T{number}"))
        tb.clock.advance(timedelta(hours=1))
        accepter = ("周主任", "协作管理办公室") if user == "小张" else ("小张", "市场部")  # never one's own delivery
        ok(await tb.say(*accepter, f"/accept {CODE}/T{number} 通过 {90 + number} 符合标准"))
    accepted = tb.pop("研发部")
    assert any(m.template == "accepted" for m in accepted)
    assert (await one(tb, Collaboration, code=CODE)).stage == "accepted"
    assert await count(tb, Task, status="done") == 3
    ok(await tb.say("小张", "市场部", f"/rate {CODE} 研发部 5 5 4 建议增加短视频素材"))
    ok(await tb.say("小张", "市场部", f"/rate {CODE} 设计部 4 5 5"))
    assert await count(tb, Rating) == 2
    retro = ok(await tb.say("张经理", "市场部", f'/retro {CODE} well="周会高效" improve="设计资源预留不足" '
                                                 'lessons="提前1周锁定资源"'))
    assert "归档清单" in retro.body
    assert (await one(tb, Collaboration, code=CODE)).stage == "archived"
    assert (await one(tb, Retrospective)).lessons == "提前1周锁定资源"
    # Every action left an audit entry.
    assert await count(tb, AuditEntry) >= 20
