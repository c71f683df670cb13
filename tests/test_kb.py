"""The knowledge base (docs/knowledge.md): what one collaboration learned is found from another,
within what the asker may read; the index is written by the indexer after the action's commit
from rows the action queued in its own transaction; the backfill indexes texts written before."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.messages import Message
from bot.testkit import TestBot
from cards.model import card_for
from storage import kb, migrate
from storage.models import KbDoc, KbPending
from tests.cardkit import SPECS
from tests.scenario import CODE, ok, refused, to_archived, to_executing
from tests.test_card_actions import press

SECOND = "XZ-2026-0002"
LESSON = "提前1周锁定设计资源，避免排期冲突"


async def archived_with_a_solved_problem(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("李工", "研发部", f'/problem {CODE} 第三方支付接口联调失败 cause="双方签名算法不一致" '
                                      'measures="统一改用SHA256签名并共享测试密钥" impact=高'))
    ok(await tb.say("李工", "研发部", f"/problem resolve {CODE}/P1 联调通过，支付成功率99.9%"))
    await to_archived(tb, lessons=LESSON)


def texts(message: Message) -> list[str]:
    return [b["text"] for b in card_for(message, SPECS).blocks if b["type"] == "markdown"]


async def test_a_lesson_from_one_retrospective_is_found_from_another_collaboration(tb: TestBot) -> None:
    await archived_with_a_solved_problem(tb)
    ok(await tb.say("李主管", "研发部", '/request "春节营销活动" goal="活动期间销量提升20%" depts=设计部 due=2027-02-28'))
    found = ok(await tb.say("李工", "研发部", "/kb 设计资源 排期 kind=复盘"))
    assert [(i["kind"], i["ref"]) for i in found.data["items"]] == [("复盘", CODE)]
    assert "**设计资源**" in found.data["items"][0]["snippet"]
    assert any("Q4新品推广 复盘" in t for t in texts(found))
    opened = await press(tb, "李工", "研发部", found, f"打开 {CODE}")
    assert opened.template == "retrospective" and LESSON in opened.as_text()


async def test_the_problems_and_their_solutions_are_searchable_and_filtered(tb: TestBot) -> None:
    await archived_with_a_solved_problem(tb)
    hits = ok(await tb.say("王设计", "设计部", "/kb 签名算法"))
    assert [i["ref"] for i in hits.data["items"]] == [f"{CODE}/P1"]
    opened = await press(tb, "王设计", "设计部", hits, f"打开 {CODE}/P1")
    assert opened.template == "problem" and "SHA256" in opened.as_text()
    assert ok(await tb.say("王设计", "设计部", "/kb 签名算法 kind=风险")).data["items"] == []
    assert ok(await tb.say("王设计", "设计部", "/kb 签名算法 period=2025-01-01~2025-12-31")).data["items"] == []
    assert ok(await tb.say("王设计", "设计部", "/kb 签名算法 dept=研发部")).data["items"] != []
    assert ok(await tb.say("王设计", "设计部", "/kb 签名算法 dept=设计部")).data["items"] == []
    deliveries = ok(await tb.say("王设计", "设计部", "/kb docs.example.com kind=交付"))
    assert {i["ref"] for i in deliveries.data["items"]} == {f"{CODE}/T1", f"{CODE}/T2", f"{CODE}/T3"}


async def test_a_search_shows_only_what_the_asker_may_read(tb: TestBot) -> None:
    await archived_with_a_solved_problem(tb)  # 市场部, 研发部, 设计部; not 客服部
    assert ok(await tb.say("刘专员", "客服部", "/kb 签名算法")).data["items"] == []
    assert [i["ref"] for i in ok(await tb.say("周主任", "协作管理办公室", "/kb 签名算法")).data["items"]] == [f"{CODE}/P1"]
    assert "没有编号为" in refused(await tb.say("刘专员", "客服部", f"/kb open {CODE}/P1")).as_text()


async def test_a_logged_problem_is_offered_the_similar_solved_one(tb: TestBot) -> None:
    await archived_with_a_solved_problem(tb)
    ok(await tb.say("陈专员", "销售部", '/request "会员积分商城" goal="积分兑换率提升到30%" depts=研发部 due=2027-03-31'))
    ok(await tb.say("李主管", "研发部", f"/evaluate {SECOND} 接受 contact=@李工 date=12-20"))
    ok(await tb.say("周主任", "协作管理办公室", f"/approve {SECOND}"))
    replies = await tb.say("李工", "研发部", f"/problem {SECOND} 积分商城对接支付网关时签名校验失败 impact=中")
    assert ok(replies).title.startswith(f"{SECOND} 新问题 P1")
    hint = next(m for m in replies if m.template == "kb_suggestions")
    assert hint.title == "相似问题的解决办法"
    assert [i["ref"] for i in hint.data["items"]] == [f"{CODE}/P1"]
    opened = await press(tb, "李工", "研发部", hint, f"打开 {CODE}/P1")
    assert "统一改用SHA256签名" in opened.as_text()
    nothing_alike = await tb.say("李工", "研发部", f"/problem {SECOND} 会议室投影仪损坏 impact=低")
    assert [m.template for m in nothing_alike] == ["problem"]


async def test_a_request_is_shown_the_lessons_of_similar_past_collaborations(tb: TestBot) -> None:
    await archived_with_a_solved_problem(tb)
    replies = await tb.say("小马", "市场部", '/request "Q1新品推广" goal="1-3月销量5万台" depts=设计部 due=2027-03-31')
    assert ok(replies).title.startswith("需求已提交")
    hint = next(m for m in replies if m.template == "kb_suggestions")
    assert [i["ref"] for i in hint.data["items"]] == [CODE]
    assert "以往相似协作的经验" == hint.title


async def test_texts_are_queued_in_the_action_and_indexed_after_it(tb: TestBot) -> None:
    await to_executing(tb)
    async with tb.bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(KbPending)) == 0
    await tb.bot.dispatch(tb.command("李工", "研发部", f"/problem {CODE} 测试环境频繁宕机 impact=高"))
    async with tb.bot.sessions() as session:
        assert [(p.kind, p.row_id) for p in (await session.scalars(select(KbPending))).all()] == [("problem", 1)]
        assert await session.scalar(select(func.count()).select_from(KbDoc).where(KbDoc.kind == "problem")) == 0
    assert await tb.bot.indexer.catch_up() == 1
    async with tb.bot.sessions() as session:
        assert await kb.pending_count(session) == 0
        hits = await kb.search(session, "宕机")
    assert [h.ref for h in hits] == [f"{CODE}/P1"]
    ok(await tb.say("李工", "研发部", f"/problem resolve {CODE}/P1 已扩容内存"))  # a change re-indexes it
    async with tb.bot.sessions() as session:
        assert [h.state for h in await kb.search(session, "扩容内存")] == ["resolved"]
    refused(await tb.say("李工", "研发部", f"/problem resolve {CODE}/P1 再次解决"))
    async with tb.bot.sessions() as session:
        assert await kb.pending_count(session) == 0  # a refused action queues nothing


async def test_texts_written_before_the_index_existed_are_backfilled(tb: TestBot) -> None:
    await archived_with_a_solved_problem(tb)
    await migrate.downgrade(tb.bot.engine, "b001")
    await migrate.upgrade(tb.bot.engine)
    async with tb.bot.sessions() as session:
        assert await kb.pending_count(session) > 0
        assert await session.scalar(select(func.count()).select_from(KbDoc)) == 0
    await tb.bot.indexer.catch_up()
    assert [i["ref"] for i in ok(await tb.say("李工", "研发部", "/kb 签名算法")).data["items"]] == [f"{CODE}/P1"]
    assert ok(await tb.say("李工", "研发部", "/kb 锁定设计资源")).data["items"][0]["ref"] == CODE
