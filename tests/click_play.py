"""One whole collaboration played only by clicking the cards the bot sent, on any platform.

A platform's rig implements `Player`: `card` finds the newest card in a department's group that
shows some text, `click` presses one of its buttons (filling its form) the way that platform's
client does, `say` types a command (only where a card asks for text or nothing offers a card).
`chat` is a department's group, or a person's name for their private chat with the bot. The cast
is the demo organisation's (tests/scenario.py): 张经理 of 市场部 raises the request, 研发部
(李主管, contact 李工) collaborates, 周主任 is the PMO. Typed are only `/help`, where it all starts.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

CODE = "XZ-2026-0001"


class Player(Protocol):
    async def say(self, user: str, chat: str, text: str) -> Any: ...

    def card(self, chat: str, containing: str = "") -> Any: ...

    async def click(self, user: str, card: Any, label: str, **form: Any) -> Any: ...

    def text(self, card: Any) -> str: ...

    def advance(self, delta: timedelta) -> None:
        """Let time pass, for the bot and the platform alike."""
        ...


async def whole_collaboration(p: Player) -> None:
    """request → evaluation → approval → tasks → confirm → status → report → problem → change →
    meeting → deliver → accept fail and pass → rate → retro. A form is found by its note, which
    names its command ("也可以直接输入命令 /task add …")."""
    # Stage 1: from the command list, the request form, filled and submitted.
    await p.say("张经理", "市场部", "/help")
    await p.click("张经理", p.card("市场部", "命令"), "发起需求")
    form = p.card("市场部", "也可以直接输入命令 /request ")
    await p.click("张经理", form, "提交", name="Q4新品推广", goal="10-12月销量10万台", depts=["研发部"],
                  due="2026-12-31", priority="高")
    assert "已提交" in p.text(p.card("市场部", "已提交 →")), "the submitted form says so"
    p.card("市场部", f"需求已提交：{CODE}")

    # Stage 2: 研发部 answers on the evaluation card, the PMO approves on the summary.
    invite = p.card("研发部", CODE)
    await p.click("李主管", invite, "接受", contact="李工", resources="2名开发", date="2026-12-05")
    p.card("研发部", "评估已答复：接受")
    summary = p.card("协作管理办公室", "评估已全部答复")
    await p.click("周主任", summary, "批准立项")
    charter = p.card("协作管理办公室", "协作立项确认函")

    # Stage 3: kickoff meeting, two tasks (T2 after T1), sign-off by both heads.
    charter = p.card("市场部", "协作立项确认函")
    await p.click("张经理", charter, "安排启动会")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /meeting "), "提交", date="2026-11-24", time="10:00", agenda="分工与排期")
    meeting = p.card("市场部", "M1")
    await p.click("张经理", charter, "新增任务")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /task add "), "提交", title="接口开发", dept="研发部", owner="李工",
                  deliverable="接口文档", standard="联调通过", start="2026-11-25", due="2026-12-10")
    task = p.card("市场部", "T1")
    await p.click("李主管", p.card("研发部", "T1"), "确认方案")
    await p.click("张经理", task, "确认方案")
    confirmed = p.card("市场部", "执行方案已确认")

    # Stage 4: weekly progress from the confirmation, status from my tasks.
    await p.click("李主管", p.card("研发部", "执行方案已确认"), "提交周进度")
    await p.click("李主管", p.card("研发部", "也可以直接输入命令 /progress "), "提交", done="接口设计完成", next="开发联调")
    p.card("研发部", "进度")
    await p.say("李工", "研发部", "/help")
    await p.click("李工", p.card("研发部", "命令"), "我的任务")  # about 李工 alone: in his private chat
    await p.click("李工", p.card("李工", "我的任务"), "更新状态", state="进行中", progress="50", note="开发中")
    status = p.card("李工", "状态已更新")

    # Stage 5: a problem solved, a risk closed, a date change approved.
    await p.click("张经理", confirmed, "查看看板")
    board = p.card("市场部", "看板")
    await p.click("张经理", board, "记录问题")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /problem "), "提交", description="测试环境不稳定", impact="中")
    problem = p.card("市场部", "P1")
    await p.click("张经理", problem, "登记解决")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /problem resolve "), "提交", verification="已修复")
    await p.click("张经理", board, "登记风险")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /risk "), "提交", description="人手紧张", level="中")
    await p.click("张经理", p.card("市场部", "R1"), "关闭风险")
    await p.click("张经理", board, "变更申请")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /change "), "提交", kind="时间", task="T1", due="2026-12-12",
                  reason="联调推迟")
    await p.click("张经理", p.card("市场部", "C1"), "批准变更")
    p.card("市场部", "已批准")

    # The kickoff took place (2026-11-24 10:00, the clock starts a day before): its minutes, with an action item.
    p.advance(timedelta(days=1, hours=1))
    await p.click("张经理", meeting, "记录纪要")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /minutes "), "提交", minutes="分工已定", action="补充FAQ @李工 12-05")
    p.card("市场部", "会议纪要：启动会")
    await p.click("李工", p.card("研发部", "会议纪要：启动会"), "行动项")  # its owner closes A1 from the dept's group
    await p.click("李工", p.card("研发部", "未完成的行动项"), "完成行动项", note="FAQ 已上线")
    p.card("研发部", "行动项 A1 已完成")

    # Stage 6: deliver, fail, rework, pass; rate; retrospective.
    await p.click("李工", status, "提交交付物")
    await p.click("李工", p.card("李工", "也可以直接输入命令 /deliver "), "提交", content="https://docs.example.com/api")
    await p.click("张经理", p.card("市场部", "已提交验收"), "不通过", score="40", comment="缺少错误码说明")
    p.card("市场部", "不通过")
    await p.click("李工", p.card("研发部", "不通过"), "重新提交交付物")
    await p.click("李工", p.card("研发部", "也可以直接输入命令 /deliver "), "提交", content="https://docs.example.com/api-v2")
    await p.click("张经理", p.card("市场部", "已提交验收"), "验收通过", score="92", comment="符合预期")
    done = p.card("市场部", "成果验收确认")
    await p.click("张经理", done, "评价协作部门")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /rate "), "提交", dept="研发部", responsiveness="5", communication="5",
                  quality="4")
    p.card("市场部", "协作评价：研发部")
    await p.click("张经理", done, "提交复盘")
    await p.click("张经理", p.card("市场部", "也可以直接输入命令 /retro "), "提交", well="周会高效", improve="资源预留",
                  lessons="提前锁定资源")
    p.card("市场部", "复盘报告已归档")
