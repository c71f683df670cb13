"""The living demo (README, "Quick start"): on a fresh demo database, three collaborations of the
demo organisation are played through the real handlers, each command typed by its person in
their department's group, on a clock set to working days before today:

- {A}, archived: planned, a problem solved, every task delivered and accepted, rated, its
  retrospective written and its plan kept as the template 新品发布;
- {B}, executing: a task four working days late, a problem escalated to the PMO, a high risk, a
  change waiting for its decision;
- {C}, in evaluation: 研发部 asked for more information.

Then the planner is marked as caught up (its first tick does not send the past again) and a welcome
card opens the PMO's group. It runs on a bot of its own, before the real one starts, and only into
the demo's own database (`bot.config.DEMO_DATABASE`) while it holds no collaboration.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.app import Bot
from bot.clock import FixedClock, SystemClock
from bot.config import Config
from bot.events import Chat, Command, User
from bot.messages import CardKind, Message
from bot.outbox import OutboundItem
from bot.platforms.local.demo import PLATFORM, PMO
from bot.platforms.local.sender import Hub, LocalSender
from bot.platforms.local.web import mentions_in
from scheduler.calendar import WorkCalendar
from storage import local_chat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    day: int  # working days from today (negative: before)
    user: str
    dept: str
    text: str  # {A} {B} {C}: the codes the requests got; {d-3}: the date 3 working days from today


STEPS: tuple[Step, ...] = (
    # A: 春季新品发布, archived
    Step(-30, "张伟", "市场部", '/request "春季新品发布会" goal="到场500人，首周销量2万台" background="新品上市，需要线上报名与主视觉" '
                               'depts=研发部,设计部 due={d-10} priority=高'),
    Step(-29, "李强", "研发部", '/evaluate {A} 接受 contact=@赵磊 resources="2名开发" date={d-23}'),
    Step(-29, "陈晨", "设计部", '/evaluate {A} 接受 contact=@林晓 resources="1名设计师" date={d-23}'),
    Step(-28, "周敏", PMO, "/approve {A}"),
    Step(-28, "张伟", "市场部", '/task add {A} 发布会方案 dept=市场部 owner=@王芳 deliverable=活动方案 standard="评审通过" '
                               'start={d-27} due={d-24}'),
    Step(-28, "张伟", "市场部", '/task add {A} 报名小程序 dept=研发部 owner=@赵磊 deliverable=上线的小程序 '
                               'standard="支持500人报名与支付" start={d-23} due={d-15} after=T1'),
    Step(-28, "张伟", "市场部", '/task add {A} 主视觉设计 dept=设计部 owner=@林晓 deliverable=设计稿 standard="评审通过" '
                               'start={d-23} due={d-18} after=T1 milestone=是'),
    Step(-27, "张伟", "市场部", "/confirm {A}"),
    Step(-27, "李强", "研发部", "/confirm {A}"),
    Step(-27, "陈晨", "设计部", "/confirm {A}"),
    Step(-24, "王芳", "市场部", "/deliver {A}/T1 发布会方案终稿 https://docs.example.com/launch-plan"),
    Step(-24, "张伟", "市场部", "/accept {A}/T1 通过 92 方案完整"),
    Step(-20, "赵磊", "研发部", '/problem {A} 报名小程序支付回调签名校验失败 impact=高 dept=研发部 cause="双方签名算法不一致" '
                               'measures="统一改用SHA256签名并共享测试密钥"'),
    Step(-19, "赵磊", "研发部", "/problem resolve {A}/P1 联调通过，支付成功率99.9%"),
    Step(-18, "林晓", "设计部", "/deliver {A}/T3 主视觉定稿 https://docs.example.com/key-visual"),
    Step(-18, "张伟", "市场部", "/accept {A}/T3 通过 95 风格统一"),
    Step(-15, "赵磊", "研发部", "/deliver {A}/T2 报名小程序已上线 https://docs.example.com/signup"),
    Step(-15, "张伟", "市场部", "/accept {A}/T2 通过 90 报名与支付顺畅"),
    Step(-14, "张伟", "市场部", "/rate {A} 研发部 5 5 4 支付问题响应及时"),
    Step(-14, "张伟", "市场部", "/rate {A} 设计部 4 5 5"),
    Step(-13, "张伟", "市场部", '/retro {A} well="周会高效，问题当周闭环" improve="设计资源预留不足，主视觉排期紧张" '
                               'lessons="提前1周锁定设计资源，避免排期冲突；支付接口联调前先对齐签名算法"'),
    Step(-13, "张伟", "市场部", "/template save {A} name=新品发布"),
    # B: 渠道返利结算系统, executing
    Step(-12, "黄涛", "销售部", '/request "渠道返利结算系统" goal="结算周期从15天缩短到5个工作日" '
                               'background="返利靠人工核对，经销商投诉多" depts=研发部,财务部 due={d+25} priority=高'),
    Step(-11, "李强", "研发部", '/evaluate {B} 接受 contact=@孙浩 resources="1名后端" date={d-6}'),
    Step(-11, "郑爽", "财务部", '/evaluate {B} 接受 contact=@冯宇 resources="1名会计" date={d-9}'),
    Step(-10, "周敏", PMO, "/approve {B}"),
    Step(-10, "黄涛", "销售部", '/task add {B} 返利规则梳理 dept=财务部 owner=@冯宇 deliverable=返利规则表 standard="财务确认" '
                               'start={d-9} due={d-7}'),
    Step(-10, "黄涛", "销售部", '/task add {B} 结算接口开发 dept=研发部 owner=@孙浩 deliverable=结算接口 '
                               'standard="与ERP对账无差异" start={d-6} due={d-4} after=T1'),
    Step(-10, "黄涛", "销售部", '/task add {B} 渠道培训 dept=销售部 owner=@郭颖 deliverable=培训记录 standard="覆盖全部经销商" '
                               'start={d+1} due={d+5} after=T2 milestone=是'),
    Step(-10, "黄涛", "销售部", "/confirm {B}"),
    Step(-10, "李强", "研发部", "/confirm {B}"),
    Step(-10, "郑爽", "财务部", "/confirm {B}"),
    Step(-7, "冯宇", "财务部", "/deliver {B}/T1 返利规则表 https://docs.example.com/rebate-rules"),
    Step(-7, "黄涛", "销售部", "/accept {B}/T1 通过 95 规则清晰"),
    Step(-5, "孙浩", "研发部", "/status {B}/T2 进行中 60% 接口开发完成，等待ERP联调"),
    Step(-5, "孙浩", "研发部", '/progress {B} done="结算接口开发完成" undone="ERP联调" next="与财务核对对账数据" risks="ERP接口文档不全"'),
    Step(-3, "孙浩", "研发部", "/problem {B} 结算接口对接ERP时签名校验失败，对账数据不一致 impact=高 dept=研发部"),
    Step(-2, "黄涛", "销售部", "/problem escalate {B}/P1 需财务与IT共同决定ERP接口方案"),
    Step(-2, "黄涛", "销售部", '/risk {B} 月底结账期财务人手紧张，可能影响对账确认 level=高 mitigation="提前一周锁定财务对接人"'),
    Step(-1, "孙浩", "研发部", '/change {B} kind=时间 task=T2 due={d+3} reason="ERP接口方案待定"'),
    # C: 客服知识库升级, in evaluation
    Step(-1, "何丽", "客服部", '/request "客服知识库升级" goal="自助解决率从35%提升到60%" background="知识库文章陈旧，重复咨询多" '
                               'depts=研发部,市场部 due={d+40}'),
    Step(-1, "张伟", "市场部", '/evaluate {C} 接受 contact=@刘洋 resources="1名运营" date={d+10}'),
    Step(-1, "李强", "研发部", '/evaluate {C} 需补充信息 comment="请提供现有知识库的文章数量和迁移范围"'),
)
_CODES = ("A", "B", "C")


class DemoError(Exception):
    """A step of the demo was refused: the demo and the handlers disagree (tests/test_demo.py)."""


async def play(config: Config, now: datetime | None = None) -> bool:
    """Play the demo into `config`'s database, when it is the demo's and holds no collaboration yet;
    returns whether it played."""
    now = now or SystemClock().now()
    zone = ZoneInfo(config.policy.timezone)
    today = now.astimezone(zone).date()
    clock = FixedClock(now)
    bot = Bot(config, clock=clock)
    hub = Hub()
    sender = LocalSender(bot.sessions, hub, clock, bot.registry.specs)
    bot.add_sender(PLATFORM, sender)
    try:
        await bot.prepare_database()
        if await _has_collaborations(bot):
            return False
        codes = await _play_steps(bot, clock, bot.calendar, today, zone)
        clock.set(now)
        await bot.planner.caught_up(now)
        await sender.send(OutboundItem(f"local:welcome:{now.isoformat()}", PLATFORM, PMO, "notice", welcome(codes)))
        return True
    finally:
        await bot.engine.dispose()


async def _has_collaborations(bot: Bot) -> bool:
    async with bot.sessions() as session:
        return await local_chat.has_collaborations(session)


async def _play_steps(bot: Bot, clock: FixedClock, calendar: WorkCalendar, today: date,
                      zone: ZoneInfo) -> dict[str, str]:
    codes: dict[str, str] = {}
    minutes: dict[int, int] = {}
    for step in STEPS:
        minute = minutes[step.day] = minutes.get(step.day, -5) + 5
        day = _workday(calendar, today, step.day) if step.day else today
        clock.set(datetime.combine(day, time(9, 30), zone) + timedelta(minutes=minute))
        text = _filled(step.text, codes, calendar, today)
        reply = await _say(bot, clock, step, text)
        if text.startswith("/request"):
            codes[_CODES[len(codes)]] = reply.data["code"]
        await bot.indexer.catch_up()
        await bot.dispatcher.drain()
    return codes


def _filled(text: str, codes: dict[str, str], calendar: WorkCalendar, today: date) -> str:
    for name, code in codes.items():
        text = text.replace("{" + name + "}", code)
    return re.sub(r"\{d([+-]\d+)\}", lambda m: _workday(calendar, today, int(m[1])).isoformat(), text)


def _workday(calendar: WorkCalendar, today: date, days: int) -> date:
    """`days` working days from today (from the next working day, on a day off)."""
    return calendar.add_workdays(calendar.next_workday(today), days)


async def _say(bot: Bot, clock: FixedClock, step: Step, text: str) -> Message:
    """`step.user` types `text` in their group, as the emulator's page would send it."""
    async with bot.sessions() as session, session.begin():
        row = await local_chat.add(session, step.dept, step.user, step.user, clock.now(), text=text)
    event = Command(Chat(PLATFORM, step.dept, is_group=True, title=step.dept), User(PLATFORM, step.user, step.user),
                    f"local-{row.id}", text, mentions_in(text))
    outcome = await bot.dispatch(event)
    if outcome.error or not outcome.replies:
        raise DemoError(f"{step.user}：{text} → {outcome.replies[0].as_text() if outcome.replies else '没有回复'}")
    return outcome.replies[0]


def welcome(codes: dict[str, str]) -> Message:
    """The card the emulator opens on: what the bot is, who one is and how to switch, what to try."""
    a, b, c = (codes.get(k, "") for k in _CODES)
    body = ("协作机器人在飞书和钉钉的部门群里运行跨部门协作流程：需求发起 → 评估 → 方案 → 执行 → 问题与风险 → "
            "验收与评价 → 复盘归档，提醒按工作日自动发出。\n\n"
            f"这里是本地模拟器，已演示三个协作：{a}（已归档，有评价和复盘）、{b}（执行中：任务逾期、问题已升级、"
            f"高风险、变更待批）、{c}（评估中：研发部要求补充信息）。\n\n"
            "你现在是 周敏（协作管理办公室负责人）。左上角「当前身份」可切换成任何部门的任何人，左侧是各部门的群。\n"
            f"也可以输入：/gantt {b}、/load 研发部、/template list、/help")
    return Message("欢迎使用协作机器人", body, template=CardKind.WELCOME, data={"code": b, "example": "签名校验"})
