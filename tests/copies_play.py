"""Every copy of a card stays true, on any platform: played through a rig (tests/click_play.py's
`Player`, plus `offers`: whether a card currently shows a button).

A change request approved in the lead department's chat updates its copy in the PMO's chat; a
problem escalated from one copy shows its new level on every earlier copy; the charter drops its
planning buttons once the plan is confirmed. Set-up is typed, the changes are clicked.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tests.click_play import CODE, Player


class CopyPlayer(Player, Protocol):
    def offers(self, card: Any, label: str) -> bool: ...


@dataclass(frozen=True)
class Cast:
    """Who plays: the initiating (and lead) dept's head, the collaborating head and contact, the PMO."""

    initiator: str
    head: str
    contact: str
    pmo: str
    contact_ref: str = ""  # how a typed command names the contact (Feishu: "@李工", an @mention)

    @property
    def named(self) -> str:
        return self.contact_ref or self.contact


PMO_CHAT = "协作管理办公室"


async def to_planning(p: Player, cast: Cast) -> None:
    """Request, evaluation, approval and one task (T1 for the contact): the plan awaits sign-off."""
    await p.say(cast.initiator, "市场部", '/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部 due=2026-12-31')
    await p.say(cast.head, "研发部", f'/evaluate {CODE} 接受 contact={cast.named} resources="2名开发" date=12-05')
    await p.say(cast.pmo, PMO_CHAT, f"/approve {CODE}")
    await p.say(cast.initiator, "市场部", f'/task add {CODE} 接口开发 dept=研发部 owner={cast.named} deliverable="接口" '
                                        'standard="通过测试" start=2026-11-24 due=2026-12-10')


async def confirm_plan(p: Player, cast: Cast) -> None:
    for user, dept in ((cast.initiator, "市场部"), (cast.head, "研发部")):
        await p.say(user, dept, f"/confirm {CODE}")


async def copies_stay_true(p: CopyPlayer, cast: Cast) -> None:
    await to_planning(p, cast)
    charter = p.card("市场部", "协作立项确认函")
    assert p.offers(charter, "新增任务")
    await confirm_plan(p, cast)
    assert not p.offers(charter, "新增任务") and "执行推进" in p.text(charter), "the charter shows the new stage"

    # A change raised by 研发部 reaches the lead dept and the PMO; approved in one, both copies say so.
    await p.say(cast.contact, "研发部", f'/change {CODE} kind=时间 task=T1 due=2026-12-20 reason="接口方延期"')
    in_pmo, in_lead = p.card(PMO_CHAT, "变更申请 C1"), p.card("市场部", "变更申请 C1")
    await p.click(cast.initiator, in_lead, "批准变更")
    for copy in (in_pmo, in_lead):
        assert "已批准" in p.text(copy) and "待审批" not in p.text(copy), p.text(copy)
        assert not p.offers(copy, "批准变更")

    # A high-impact problem reaches the lead, the responsible dept and the PMO; escalated from the
    # responsible dept's copy, every earlier copy shows the PMO level.
    await p.say(cast.contact, "研发部", f"/problem {CODE} 第三方接口无响应 impact=高 dept=研发部")
    copies = [p.card(chat, "新问题 P1") for chat in ("市场部", "研发部", PMO_CHAT)]
    assert all("牵头部门" in p.text(c) for c in copies)
    await p.click(cast.initiator, copies[0], "升级处理")
    await p.click(cast.initiator, p.card("市场部", "也可以直接输入命令 /problem escalate "), "提交",
                  reason="部门间无法协调")
    for copy in copies:
        assert "协作管理办公室" in p.text(copy).split("当前处理层级")[-1], p.text(copy)
        assert p.offers(copy, "登记解决"), "the open problem keeps its buttons"
