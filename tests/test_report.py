"""`/report <id>` (docs/workflow.md, "Reports"): the figures asserted as numbers from a played
collaboration, the curve's points computed from the confirmed plan and the status history, and
the PNG decoded; the image reaches the emulator, Feishu and DingTalk."""
from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from bot.testkit import DEMO_ORG, TestBot
from handlers.figures import curve
from storage.models import Task
from tests.conftest import MONDAY
from tests.dingtalk_rig import CHATS as DING_CHATS
from tests.dingtalk_rig import PEOPLE as DING_PEOPLE
from tests.dingtalk_rig import DingTalkRig
from tests.feishu_rig import CHATS, FeishuRig
from tests.lifetime import running
from tests.local_rig import LocalRig
from tests.scenario import CODE, REQUEST, ok, refused, to_executing


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", content[16:24])


async def t1_accepted_after_rework(tb: TestBot) -> None:
    """The plan confirmed, then on 11-27 T1 delivered, failed (50), delivered again and passed (90)."""
    await to_executing(tb)
    tb.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=MONDAY.tzinfo))
    ok(await tb.say("小张", "市场部", f"/deliver {CODE}/T1 调研报告"))
    ok(await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 不通过 50 样本不足"))
    ok(await tb.say("小张", "市场部", f"/deliver {CODE}/T1 调研报告v2"))
    ok(await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 通过 90"))


async def test_the_report_of_a_played_collaboration(tb: TestBot) -> None:
    await t1_accepted_after_rework(tb)
    ok(await tb.say("李工", "研发部", f"/problem {CODE} 压测环境不足 dept=研发部"))
    tb.clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=MONDAY.tzinfo))  # T3 (12-04) is now late
    card = ok(await tb.say("张经理", "市场部", f"/report {CODE}"))
    figures = {f.label: f.value for f in card.fields}
    assert figures["完成率"] == "33%（1/3）" and figures["按时完成率"] == "100%（1/1）"
    assert figures["逾期任务"] == "T3" and figures["一次验收通过率"] == "0%（0/1）"
    assert figures["平均验收分"] == "70.0（2 次）" and figures["返工次数"] == "1" and figures["未决问题"] == "1（其中已升级 0）"
    assert figures["较上周"] == "逾期任务 +1"  # on 11-30 T3 (due 12-04) was not late yet; the rest stood as now
    assert card.attachment is not None and card.attachment.name == f"{CODE}-进度曲线.png"
    width, height = png_size(card.attachment.content)
    assert 600 < width < 1000 and 250 < height < 500
    refused(await tb.say("陈专员", "销售部", f"/report {CODE}"))


async def test_a_report_of_a_period_counts_what_happened_in_it_against_the_period_before(tb: TestBot) -> None:
    await t1_accepted_after_rework(tb)
    tb.clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=MONDAY.tzinfo))
    card = ok(await tb.say("张经理", "市场部", f"/report {CODE} 上周"))
    figures = {f.label: f.value for f in card.fields}
    assert card.title == f"{CODE} 进度报表（2026-11-30～2026-12-06）"
    assert figures["本期完成"] == "0 个任务" and figures["按时完成率"] == "—" and figures["逾期任务"] == "T3"
    assert figures["返工次数"] == "0" and figures["本期新增"] == "问题 0，风险 0"
    assert figures["较上周"] == "逾期任务 +1，返工次数 -1"  # the week before: T1 accepted after one rework
    assert card.data["changes"]["完成率"] == 0 and "按时完成率" not in card.data["changes"]
    this_week = ok(await tb.say("张经理", "市场部", "/report 本周"))  # a period alone: one's only collaboration
    assert this_week.title == f"{CODE} 进度报表（2026-12-07～2026-12-07）"
    assert "无法识别的时间段“明年春天”" in refused(await tb.say("张经理", "市场部", f"/report {CODE} 明年春天")).body
    assert "还没有开始" in refused(await tb.say("张经理", "市场部", f"/report {CODE} 下周一~下周五")).body


def test_the_curve_counts_the_confirmed_plan_and_what_was_done() -> None:
    tasks = [Task(id=i, due_date=due) for i, due in ((1, date(2026, 11, 27)), (2, date(2026, 12, 10)))]
    days, planned, actual = curve(tasks, {1: date(2026, 11, 26)}, {1: date(2026, 11, 27)},
                                  date(2026, 11, 25), date(2026, 11, 28))
    assert days[:4] == ["2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"] and days[-1] == "2026-12-10"
    assert planned[:4] == [0, 50, 50, 50] and planned[-1] == 100  # T1's confirmed date, T2's own
    assert actual[:4] == [0, 0, 50, 50] and all(a is None for a in actual[4:])  # nothing drawn after today


async def _planned(rig: FeishuRig | DingTalkRig | LocalRig, at: Callable[[str], dict[str, Any]]) -> None:
    """A collaboration with one task, typed by its people on the platform (`at`: how a message
    there @mentions someone), then its report asked for."""
    await rig.say("小张", "市场部", REQUEST)
    await rig.say("李主管", "研发部", f'/evaluate {CODE} 接受 contact=@李工 resources="2名开发" date=12-01', **at("李工"))
    await rig.say("王主管", "设计部", f"/evaluate {CODE} accept contact=@王设计 resources=1名设计师", **at("王设计"))
    await rig.say("周主任", "协作管理办公室", f"/approve {CODE}")
    await rig.say("小张", "市场部", f"/task add {CODE} 用户调研 dept=市场部 owner=@小张 deliverable=调研报告 "
                                  "standard=样本≥500 start=11-24 due=11-27", **at("小张"))
    await rig.say("周主任", "协作管理办公室", f"/report {CODE}")


async def test_on_feishu_the_curve_follows_its_card_as_an_image(db_url: str) -> None:
    async with running(FeishuRig.create(db_url, "webhook")) as rig:
        await _planned(rig, lambda name: {})  # the rig turns "@李工" into Feishu's mention
        posted = rig.fake.chat(CHATS["协作管理办公室"])
        card, image = posted[-2], posted[-1]
        assert card.msg_type == "interactive" and f"{CODE} 进度报表" in card.text
        assert image.msg_type == "image" and png_size(rig.fake.images[image.content["image_key"]])[0] > 600


async def test_on_dingtalk_the_curve_follows_as_an_uploaded_image(db_url: str) -> None:
    async with running(DingTalkRig.create(db_url)) as ding:
        await _planned(ding, lambda name: {"at": (DING_PEOPLE[name],)})
        await ding.settle()
        images = [s for s in ding.fake.seen[DING_CHATS["协作管理办公室"]] if s.kind == "image"]
        assert len(images) == 1 and images[0].via == "openapi"
        name, content = ding.fake.media[images[0].text]
        assert name == "upload.png" and png_size(content)[0] > 600


async def test_on_feishu_a_chart_sent_again_reuses_its_upload_until_feishu_refuses_the_key(db_url: str) -> None:
    async with running(FeishuRig.create(db_url, "webhook")) as rig:
        await _planned(rig, lambda name: {})
        await rig.say("周主任", "协作管理办公室", f"/report {CODE}")  # the same figures, the same image
        assert len(rig.fake.images) == 1
        rig.fake.images.clear()  # Feishu no longer knows the key: it refuses it (230017)
        await rig.say("周主任", "协作管理办公室", f"/report {CODE}")
        images = [p for p in rig.fake.chat(CHATS["协作管理办公室"]) if p.msg_type == "image"]
        assert len(images) == 3 and len(rig.fake.images) == 1 and images[-1].content["image_key"] in rig.fake.images


async def test_on_dingtalk_a_chart_sent_again_reuses_its_media_id_until_it_is_refused(db_url: str) -> None:
    async with running(DingTalkRig.create(db_url)) as ding:
        await _planned(ding, lambda name: {"at": (DING_PEOPLE[name],)})
        await ding.say("周主任", "协作管理办公室", f"/report {CODE}")
        await ding.settle()
        assert len(ding.fake.media) == 1
        ding.fake.media.clear()
        await ding.say("周主任", "协作管理办公室", f"/report {CODE}")
        await ding.settle()
        images = [s for s in ding.fake.seen[DING_CHATS["协作管理办公室"]] if s.kind == "image"]
        assert len(images) == 3 and len(ding.fake.media) == 1 and images[-1].text in ding.fake.media


async def test_a_slow_chart_is_announced_on_feishu_and_its_card_then_updated_with_it(db_url: str) -> None:
    async with running(FeishuRig.create(db_url, "webhook")) as rig:
        rig.bot.dispatcher.render_patience = 0  # every drawing counts as slow
        await _planned(rig, lambda name: {})
        posted = rig.fake.chat(CHATS["协作管理办公室"])
        card, image = posted[-2], posted[-1]
        first, now = card.texts_shown
        assert "进度曲线生成中，稍候发出" in first and "生成中" not in now and "完成率" in now
        assert image.msg_type == "image" and image.reply_to == card.message_id


async def test_a_slow_chart_on_dingtalk_follows_its_announcement_with_the_whole_report(db_url: str) -> None:
    async with running(DingTalkRig.create(db_url)) as ding:
        ding.bot.dispatcher.render_patience = 0
        await _planned(ding, lambda name: {"at": (DING_PEOPLE[name],)})
        await ding.settle()
        seen = ding.fake.seen[DING_CHATS["协作管理办公室"]]
        working, report, image = seen[-3:]  # robot messages cannot be updated: the report follows
        assert "进度曲线生成中，稍候发出" in working.text and "生成中" not in report.text and "完成率" in report.text
        assert image.kind == "image"


async def test_a_slow_chart_in_the_emulator_replaces_its_announcement_in_place(db_url: str) -> None:
    async with running(LocalRig.create(db_url, org=DEMO_ORG)) as rig:
        rig.bot.dispatcher.render_patience = 0
        await _planned(rig, lambda name: {})
        card = rig.card("协作管理办公室", "进度报表")
        assert card["edited"] and "生成中" not in card["html"] and '<img class="chart"' in card["html"]


async def test_the_gantt_of_a_plan(tb: TestBot) -> None:
    await to_executing(tb)
    tb.clock.set(datetime(2026, 12, 7, 10, 0, tzinfo=MONDAY.tzinfo))  # T1 and milestone T3 late
    card = ok(await tb.say("张经理", "市场部", f"/gantt {CODE}"))
    assert card.title == f"{CODE} 甘特图" and card.body == "3 个任务；逾期：T1、T3。"
    assert card.data["tasks"] == ["市场部 T1 用户调研", "研发部 T2 功能开发", "设计部 T3 视觉设计"]
    assert card.attachment is not None and card.attachment.name == f"{CODE}-甘特图.png"
    width, height = png_size(card.attachment.content)
    assert width > 700 and height > 200
    refused(await tb.say("陈专员", "销售部", f"/gantt {CODE}"))


def test_a_long_plan_is_drawn_page_by_page_without_missing_glyphs() -> None:
    import warnings

    from cards.charts import gantt
    rows = [{"label": f"研发部 T{i} 接口联调", "start": "2026-12-01", "due": "2026-12-10", "status": "doing",
             "progress": 50, "milestone": i % 10 == 0, "late": i % 7 == 0, "after": [i - 1] if i else []}
            for i in range(40)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font": a test failure
        content = gantt("XZ-2026-0001 甘特图（第 1/2 页）", rows, "2026-12-05", {"doing": "进行中"})
    assert png_size(content)[1] > 1000  # 40 rows tall


@pytest.mark.parametrize("draw, args", [
    ("progress_curve", ("XZ-2026-0001 计划与实际进度", ["2026-12-01", "2026-12-02"], [0, 100], [0, None])),
    ("dept_comparison", ("跨部门协作分析报告（全部部门） 完成率与按时率", ["研发部", "设计部"],
                         {"完成率": [50.0, 100.0], "按时率": [100.0, 0.0]})),
    ("ratings_radar", ("协作评价（1–5 分）", ["响应及时性", "沟通效率", "交付质量"], {"研发部": [5.0, 4.0, 3.0]})),
])
def test_every_chart_draws_its_chinese_without_a_missing_glyph(draw: str, args: tuple[Any, ...]) -> None:
    import warnings

    from cards.charts import DRAWINGS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert png_size(DRAWINGS[draw](*args))[0] > 400


async def test_without_a_cjk_font_the_report_answers_with_its_figures_and_says_why(
        tb: TestBot, monkeypatch: pytest.MonkeyPatch) -> None:
    await to_executing(tb)
    monkeypatch.setattr("cards.charts.CJK_FONTS", ("/nonexistent/font.ttc",))
    card = ok(await tb.say("张经理", "市场部", f"/report {CODE}"))
    assert card.attachment is None and "未安装中文字体，进度曲线从略" in card.body
    assert {f.label: f.value for f in card.fields}["完成率"] == "0%（0/3）"


async def test_the_cross_department_analysis(tb: TestBot) -> None:
    await to_executing(tb)
    tb.clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=MONDAY.tzinfo))
    ok(await tb.say("小张", "市场部", f"/deliver {CODE}/T1 调研报告"))
    ok(await tb.say("周主任", "协作管理办公室", f"/accept {CODE}/T1 通过 80"))
    ok(await tb.say("李工", "研发部", f"/deliver {CODE}/T2 版本"))
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T2 通过 90"))
    ok(await tb.say("王设计", "设计部", f"/deliver {CODE}/T3 设计稿"))
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T3 部分通过 70 配色待调"))
    ok(await tb.say("王设计", "设计部", f"/deliver {CODE}/T3 设计稿v2"))
    ok(await tb.say("小张", "市场部", f"/accept {CODE}/T3 通过 85"))
    ok(await tb.say("小张", "市场部", f"/rate {CODE} 研发部 5 4 3"))
    replies = await tb.say("周主任", "协作管理办公室", "/report all")
    assert [m.title for m in replies] == ["跨部门协作分析报告（全部部门）", "跨部门协作分析报告（全部部门）：协作评价"]
    figures = {f["name"]: f for f in replies[0].data["depts"]}
    research = figures["研发部"]
    assert (research["tasks"], research["done"], research["on_time"]) == (1, 1, 1)
    assert research["days"] == "0.0（n=1）" and research["score"] == "90.0（n=1）"  # delivered and accepted on 11-27
    assert research["ratings"] == "5.0/4.0/3.0（n=1）" and figures["设计部"]["ratings"] == "—"
    assert figures["设计部"]["score"] == "77.5（n=2）"  # 部分通过 70, then 通过 85
    assert research["changes"] == "完成 +1"  # a week ago nothing was accepted yet
    bars, radar = replies[0].attachment, replies[1].attachment
    assert bars is not None and radar is not None
    assert png_size(bars.content)[0] > 600 and png_size(radar.content)[0] > 400
    own = ok(await tb.say("李主管", "研发部", "/report 研发部"))
    assert [f["name"] for f in own.data["depts"]] == ["研发部"]
    refused(await tb.say("李主管", "研发部", "/report all"))
    refused(await tb.say("李主管", "研发部", "/report 设计部"))
