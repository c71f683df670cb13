"""The card gallery of docs/cards.md: one screenshot per card kind, as the emulator shows it.

    .venv/bin/python -m tests.gallery docs/gallery

plays five requests in the emulator (tests/local_rig.py): one collaboration whole by clicks;
one left executing with a late task, its downstream task, a pending change, a problem, a failed
acceptance and a meeting; one approved without a kickoff; one left unanswered; one returned. Then
the scheduler runs two weeks on the fixed clock. For each kind it takes the newest card the bot
really sent (a reminder that went out inside a digest counts); the few kinds the play cannot
provoke (a failed send, a plain warning, a retrospective due) are written as the code would send
them (`STAGED`) and marked as samples. Each card is shot in Debian's chromium with the emulator's own stylesheet.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import async_playwright
from sqlalchemy import select

from bot.messages import CardKind, Message
from bot.platforms.local.demo_play import welcome
from bot.testkit import DEMO_ORG
from cards.html import render_html
from storage.models import LocalMessage, OutboxMessage
from tests.cardkit import SPECS, sample
from tests.click_play import whole_collaboration
from tests.local_rig import LocalRig

#: What the play cannot provoke, written as the code would send it.
STAGED = {
    CardKind.SEND_FAILED: Message(
        "消息发送失败", "发往 feishu:oc_9f2c 的消息“XZ-2026-0002 今日到期：T2 兑换页设计”无法送达：permanent: feishu 230028: "
        "blocked by DLP audit\n请检查机器人是否仍在该群、群是否已解散，必要时重新 /bind。", template=CardKind.SEND_FAILED,
        data={"platform": "feishu", "chat_id": "oc_9f2c", "key": "feishu:om_1:0"}, color="red"),
    CardKind.CHAT_LOST: Message(
        "设计部的群已无法送达", "机器人无法再向设计部的群（设计部工作群）发消息：机器人已被移出群\n在该群恢复前，设计部收不到任何通知。"
        "请设计部负责人把机器人加回群（或另建部门群），在群里发送 /bind 设计部。", template=CardKind.CHAT_LOST,
        data={"dept": "设计部", "platform": "feishu", "chat_id": "oc_9f2c"}, color="red"),
    CardKind.RETRO_DUE: Message("XZ-2026-0001 复盘今日到期", "验收后 5 个工作日内应完成复盘（2026-12-07）：/retro XZ-2026-0001",
                                template=CardKind.RETRO_DUE, data={"code": "XZ-2026-0001", "due": "2026-12-07"},
                                color="yellow"),
    CardKind.WELCOME: welcome({"A": "XZ-2026-0001", "B": "XZ-2026-0002", "C": "XZ-2026-0003"}),  # the demo's, not this play's
}
ROOT = Path(__file__).resolve().parent.parent
CSS = ROOT / "bot" / "platforms" / "local" / "static" / "app.css"
CHROMIUM = "/usr/bin/chromium"
CODE = "XZ-2026-0002"
MINUTED_AT = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # M1's minutes, late: after the chase


async def play(rig: LocalRig) -> None:
    await rig.say("周主任", "协作管理办公室", "/calendar list 2026")
    await whole_collaboration(rig)
    say = rig.say
    await say("张经理", "市场部", '/request "会员积分改版" goal="积分兑换率提升到30%" depts=研发部,设计部 due=2027-01-29')
    await say("李主管", "研发部", f'/evaluate {CODE} 接受 contact=李工 resources="2名开发" date=12-07')
    await say("王主管", "设计部", f'/evaluate {CODE} 需补充信息 contact=王设计 comment="请提供积分规则草案"')
    await say("王主管", "设计部", f'/evaluate {CODE} 接受 contact=王设计 resources="1名设计" date=12-08')
    await say("周主任", "协作管理办公室", f"/approve {CODE}")
    await say("张经理", "市场部", f'/task add {CODE} 积分接口 dept=研发部 owner=李工 deliverable="接口文档" '
                                 'standard="联调通过" start=2026-11-24 due=2026-11-26')
    await say("张经理", "市场部", f'/task add {CODE} 兑换页设计 dept=设计部 owner=王设计 deliverable="设计稿" '
                                 'standard="评审通过" start=2026-11-27 due=2026-12-04 after=T1')
    await say("张经理", "市场部", f'/task add {CODE} 上线验证 dept=市场部 owner=小张 deliverable="验证报告" '
                                 'standard="兑换率达标" start=2026-12-07 due=2026-12-11 after=T2 milestone=是')
    for user, dept in (("张经理", "市场部"), ("李主管", "研发部"), ("王主管", "设计部")):
        await say(user, dept, f"/confirm {CODE}")
    await say("李工", "研发部", f"/status {CODE}/T1 阻塞 50% 依赖的积分服务未上线")
    await say("李工", "研发部", f'/change {CODE} kind=时间 task=T1 due=2026-12-02 reason="积分服务延期"')
    await say("李工", "研发部", f"/problem {CODE} 积分服务接口未上线 impact=高 dept=研发部 due=2026-11-25")
    await say("李工", "研发部", f"/problem {CODE} 测试环境不稳定，联调中断 impact=中")  # like XZ-2026-0001/P1, solved
    await say("张经理", "市场部", f"/risk {CODE} 设计资源紧张 level=高 mitigation=\"申请外部设计师\"")
    await say("张经理", "市场部", f'/meeting {CODE} kind=同步会 date=2026-11-25 time=10:00 agenda="积分接口进度"')
    await say("李工", "研发部", f"/deliver {CODE}/T1 https://docs.example.com/points-api 接口文档初稿")
    await say("张经理", "市场部", f"/accept {CODE}/T1 不通过 60 缺少错误码说明")
    await say("陈总监", "销售部", '/request "渠道返利结算" goal="结算周期缩短到5个工作日" depts=研发部 due=2027-03-31')
    await say("李主管", "研发部", '/evaluate XZ-2026-0003 接受 contact=赵工 resources="1名开发" date=12-10')
    await say("周主任", "协作管理办公室", "/approve XZ-2026-0003")  # no kickoff meeting follows
    await say("李主管", "研发部", "/bind 研发部")
    await say("张经理", "市场部", "/board")
    await say("小马", "市场部", '/request "新品发布会" depts=销售部 due=2027-01-15')  # no goal: refused
    await say("张经理", "市场部", f"/task list {CODE}")
    await say("陈总监", "销售部", '/request "售后工单自动分派" goal="首次响应时间缩短到2小时" depts=客服部 due=2027-02-26')
    await say("刘主管", "客服部", '/request "知识库迁移" goal="100%文章迁移" depts=研发部 due=2027-03-31')
    await say("周主任", "协作管理办公室", "/return XZ-2026-0005 请补充迁移范围和验收标准")
    rig.bot.config.policy.daily_digest = True
    await rig.bot.planner.tick()  # the planner looks from now on
    minuted = False
    for _ in range(14 * 96):  # two weeks by quarter hours: due dates, the lag ladder, weekly reports, meetings
        rig.bot.clock.advance(timedelta(minutes=15))  # type: ignore[attr-defined]
        if not minuted and rig.bot.clock.now() >= MINUTED_AT:
            await say("张经理", "市场部", f'/minutes {CODE}/M1 积分接口延期两天 action="整理接口清单 @李工 11-27"')
            minuted = True  # A1 stays open: reminded the day before, chased the working day after
        await rig.bot.planner.tick()
        await rig.bot.dispatcher.drain()
    await say("周主任", "协作管理办公室", f"/problem list {CODE} all=是")  # a register
    await say("周主任", "协作管理办公室", "/board")  # the portfolio
    await say("周主任", "协作管理办公室", f"/audit {CODE}")
    await say("周主任", "协作管理办公室", f"/export {CODE}")
    await say("周主任", "协作管理办公室", f"/report {CODE}")
    await say("张经理", "市场部", "/kb 锁定资源")  # the knowledge base: XZ-2026-0001's lesson
    await say("张经理", "市场部", "/template save XZ-2026-0001 name=新品推广")
    await say("张经理", "市场部", "/template list")
    await say("李主管", "研发部", "/load")  # the department's load, week by week
    await say("李主管", "研发部", "/leave @李工 调岗至其他事业部")  # what 李工 held, to hand over
    await rig._look()


async def newest_by_kind(rig: LocalRig) -> dict[str, Message]:
    """The newest card of each kind the bot sent: as shown in the chats, or as queued (the outbox
    keeps the cards later replaced in place; a digest is made at send time, so only shown)."""
    async with rig.bot.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sent")
                                      .order_by(OutboxMessage.id))).all()
        shown = (await session.scalars(select(LocalMessage).where(LocalMessage.author_id == "")
                                       .order_by(LocalMessage.id))).all()
    found: dict[str, Message] = {}
    for payload in [r.payload or {} for r in shown] + [r.payload for r in rows]:  # a digest exists only as shown
        message = Message.from_json(payload)
        found[CardKind.ERROR if message.is_error else message.template] = message
        for item in message.data.get("items", []) if message.template == CardKind.DIGEST else ():
            found.setdefault(item["template"], Message.from_json(item))  # a reminder that went out in a digest
    return found


async def shoot(cards: dict[str, tuple[Message, bool]], out: Path) -> None:
    css = CSS.read_text()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 600, "height": 800}, device_scale_factor=1)
        for kind, (message, _) in sorted(cards.items()):
            await page.set_content(f"<html><head><meta charset='utf-8'><style>{css}</style></head>"
                                   f"<body style='padding:12px;background:#eef0f3'>{render_html(message, SPECS)}</body></html>")
            await page.locator(".card").first.screenshot(path=str(out / f"{kind}.png"))
        await browser.close()


def page_text(cards: dict[str, tuple[Message, bool]]) -> str:
    lines = ["# Card gallery", "",
             "One card per kind (`bot.messages.CardKind`), as the emulator shows it; Feishu and DingTalk show the",
             "same blocks in their own widgets. Made by `.venv/bin/python -m tests.gallery docs/gallery`, which",
             "plays five requests in the emulator (one collaboration whole by clicks, one left executing with a late",
             "task and its downstream task, a change, a problem, a failed acceptance and a meeting) and lets the",
             "scheduler run two weeks; kinds marked *sample* are not provoked by the play and are written as the",
             "code would send them.", ""]
    for kind, (message, real) in sorted(cards.items()):
        lines += [f"## `{kind}`{'' if real else ' (sample)'}", "", f"![{kind}: {message.title}]({kind}.png)", ""]
    return "\n".join(lines)


async def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rig = await LocalRig.create(f"sqlite:///{tmp}/gallery.db", org=DEMO_ORG)
        try:
            await play(rig)
            real = await newest_by_kind(rig)
        finally:
            await rig.close()
    cards: dict[str, tuple[Message, bool]] = {}
    for kind in CardKind:
        if kind in real:
            cards[kind] = (real[kind], True)
        else:
            cards[kind] = (STAGED.get(kind) or sample(kind), False)
    await shoot(cards, out)
    (out / "README.md").write_text(page_text(cards))
    missing = sorted(k for k, (_, ok) in cards.items() if not ok)
    print(f"{len(cards)} cards, {len(cards) - len(missing)} from the play; samples: {', '.join(missing) or 'none'}")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/gallery")))
