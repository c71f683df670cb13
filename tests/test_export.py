"""`/export` (docs/workflow.md, "Export"): one workbook, a sheet per manual table, read back with
openpyxl and compared with what the collaboration recorded; user text stays text."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl

from bot.messages import Message
from bot.testkit import DEMO_ORG, TestBot
from cards.workbook import Sheet, width, workbook
from tests.dingtalk_rig import CHATS as DING_CHATS
from tests.dingtalk_rig import DingTalkRig
from tests.feishu_rig import CHATS, FeishuRig
from tests.lifetime import running
from tests.local_rig import LocalRig
from tests.scenario import CODE, ok, refused, to_executing

SHEETS = ["需求申请表", "任务分工表", "进度跟踪表", "问题记录与解决表", "风险问题跟踪表", "变更申请", "会议纪要", "行动项",
          "任务验收反馈表", "协作评价", "复盘报告", "审计记录"]


def read(message: Message) -> openpyxl.Workbook:
    assert message.attachment is not None and message.attachment.name.endswith(".xlsx")
    return openpyxl.load_workbook(io.BytesIO(message.attachment.content))


async def test_one_collaboration_exports_every_manual_table(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("李工", "研发部", f'/progress {CODE} done="接口设计" next="开发" risks="=SUM(1,2)"'))
    ok(await tb.say("李工", "研发部", f"/problem {CODE} 压测环境不足 impact=高 dept=研发部 due=12-02"))
    ok(await tb.say("张经理", "市场部", f"/meeting {CODE} kind=周会 date=2026-11-24 time=10:00 agenda=同步"))
    tb.clock.advance(timedelta(days=1, hours=1))
    ok(await tb.say("张经理", "市场部", f'/minutes {CODE}/M1 进度正常 action="补充FAQ @李工 11-27"'))
    card = ok(await tb.say("张经理", "市场部", f"/export {CODE}"))
    assert card.title == f"导出：{CODE}.xlsx" and card.template == "export"
    book = read(card)
    assert book.sheetnames == SHEETS
    tasks = book["任务分工表"]
    assert [c.value for c in tasks[1]][:4] == ["协作编号", "任务", "描述", "负责部门"]
    rows = [[c.value for c in r] for r in tasks.iter_rows(min_row=2)]
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [("T1", "用户调研", "市场部", "小张"), ("T2", "功能开发", "研发部", "李工"),
                                                         ("T3", "视觉设计", "设计部", "王设计")]
    assert rows[0][7] == datetime(2026, 11, 24) and rows[2][9] == "T1" and rows[2][10] == "是"  # dates are dates
    assert tasks.freeze_panes == "A2" and tasks.auto_filter.ref is not None
    report = [c.value for c in book["进度跟踪表"][2]]
    assert report[2] == "研发部" and report[6] == "=SUM(1,2)"  # text, not a formula
    assert book["进度跟踪表"]["G2"].data_type == "s"
    problem = [c.value for c in book["问题记录与解决表"][2]]
    assert problem[1:4] == ["P1", "压测环境不足", "高"] and problem[8] == datetime(2026, 12, 2)
    assert [c.value for c in book["行动项"][2]][1:5] == ["A1", "M1", "补充FAQ", "李工"]
    audit = [[c.value for c in r] for r in book["审计记录"].iter_rows(min_row=2)]
    assert [r[3] for r in audit][:2] == ["发起需求", "评估答复"]


async def test_export_all_is_for_the_pmo_and_leaders(tb: TestBot) -> None:
    await to_executing(tb)
    ok(await tb.say("陈专员", "销售部", '/request "渠道返利结算" goal="结算周期缩短到5个工作日" depts=客服部 due=2027-03-31'))
    denied = refused(await tb.say("张经理", "市场部", "/export all"))
    assert "协作管理办公室或分管领导" in denied.body
    book = read(ok(await tb.say("周主任", "协作管理办公室", "/export all")))
    codes = [r[0].value for r in book["需求申请表"].iter_rows(min_row=2)]
    assert codes == [CODE, "XZ-2026-0002"]
    outsider = refused(await tb.say("陈专员", "销售部", f"/export {CODE}"))
    assert "没有编号为" in outsider.body


def test_the_workbook_measures_cjk_as_wide_and_keeps_text_text() -> None:
    assert width("协作ab") == 6
    content = workbook([Sheet("表[1]/x", ("名称", "日期"), [["=1+1", date(2026, 12, 1)], ["http://example.com", None]])])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "表_1__x"
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A3"].hyperlink is None and sheet["B2"].value == datetime(2026, 12, 1)


async def test_the_emulator_shows_a_download_link_that_serves_the_workbook(tmp_path: Path) -> None:
    async with running(LocalRig.create(f"sqlite:///{tmp_path / 'local.db'}", org=DEMO_ORG)) as rig:
        await rig.say("周主任", "协作管理办公室", '/request "渠道返利结算" goal="结算周期缩短到5个工作日" depts=研发部 due=2027-03-31')
        await rig.say("周主任", "协作管理办公室", "/export XZ-2026-0001")
        card = rig.card("协作管理办公室", "导出：XZ-2026-0001.xlsx")
        link = re.search(r'href="(/files/\d+)" download="XZ-2026-0001.xlsx"', card["html"])
        assert link is not None, card["html"]
        response = await rig.client.get(link[1], headers={"X-Xiezuo-Token": ""})  # a plain link carries no token
        assert response.status == 200
        assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        book = openpyxl.load_workbook(io.BytesIO(await response.read()))
        assert book["需求申请表"]["B2"].value == "渠道返利结算"
        assert (await rig.client.get("/files/999999")).status == 404


async def test_on_feishu_the_workbook_follows_its_card_as_an_uploaded_file(db_url: str) -> None:
    async with running(FeishuRig.create(db_url, "webhook")) as rig:
        await rig.say("周主任", "协作管理办公室", '/request "渠道返利结算" goal="结算周期缩短到5个工作日" depts=研发部 due=2027-03-31')
        await rig.say("周主任", "协作管理办公室", "/export XZ-2026-0001")
        posted = rig.fake.chat(CHATS["协作管理办公室"])
        card, file = posted[-2], posted[-1]
        assert card.msg_type == "interactive" and "导出：XZ-2026-0001.xlsx" in card.text
        assert file.msg_type == "file" and file.reply_to == card.reply_to
        file_type, name, content = rig.fake.files[file.content["file_key"]]
        assert (file_type, name) == ("xls", "XZ-2026-0001.xlsx")
        assert openpyxl.load_workbook(io.BytesIO(content))["需求申请表"]["B2"].value == "渠道返利结算"


async def test_on_dingtalk_the_workbook_follows_as_an_uploaded_sample_file(db_url: str) -> None:
    async with running(DingTalkRig.create(db_url)) as ding:
        await ding.say("周主任", "协作管理办公室", '/request "渠道返利结算" goal="结算周期缩短到5个工作日" depts=研发部 due=2027-03-31')
        await ding.say("周主任", "协作管理办公室", "/export XZ-2026-0001")
        await ding.settle()
        files = [s for s in ding.fake.seen[DING_CHATS["协作管理办公室"]] if s.kind == "file"]
        assert [(f.title, f.via) for f in files] == [("XZ-2026-0001.xlsx", "openapi")]
        name, content = ding.fake.media[files[0].text]
        assert name == "upload.xlsx"  # the part's name; people see sampleFile's fileName (the title above)
        assert openpyxl.load_workbook(io.BytesIO(content))["需求申请表"]["B2"].value == "渠道返利结算"
