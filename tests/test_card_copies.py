"""Every copy of a card current or plainly superseded (docs/cards.md, "Copies"), per platform:
the copies the bot sent are brought up to date when their object changes, and a click on a copy
the platform no longer lets the bot update is answered from current state."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry, OutboxMessage
from tests.copies_play import (
    PMO_CHAT,
    Cast,
    confirm_plan,
    copies_stay_true,
    to_planning,
)
from tests.dingtalk_rig import DingTalkRig
from tests.fakes.feishu import Posted
from tests.feishu_rig import CHATS, PEOPLE, FeishuRig
from tests.lifetime import running
from tests.local_rig import LocalRig
from tests.scenario import count

CAST = Cast(initiator="张经理", head="李主管", contact="李工", pmo="周主任")
FEISHU_CAST = replace(CAST, contact_ref="@李工")  # Feishu knows people by open_id: typed commands @mention them


@pytest.fixture
async def feishu(db_url: str) -> AsyncIterator[FeishuRig]:
    async with running(FeishuRig.create(db_url, "websocket")) as rig:
        yield rig


async def test_feishu_copies_stay_true(feishu: FeishuRig) -> None:
    await copies_stay_true(feishu, FEISHU_CAST)


async def _pending_change(rig: FeishuRig) -> Posted:
    """Executing, with a date change C1 raised by 研发部: returns its copy in the PMO's chat."""
    await to_planning(rig, FEISHU_CAST)
    await confirm_plan(rig, FEISHU_CAST)
    await rig.say(FEISHU_CAST.contact, "研发部", '/change XZ-2026-0001 kind=时间 task=T1 due=2026-12-20 reason="接口方延期"')
    return rig.card(PMO_CHAT, "变更申请 C1")


@pytest.mark.parametrize("objects", [True, False], ids=["objects", "json-strings"])
async def test_dingtalk_copies_stay_true(db_url: str, objects: bool) -> None:
    async with running(DingTalkRig.for_a_whole_play(db_url, objects)) as rig:
        for user, dept in ((CAST.contact, "研发部"), (CAST.head, "研发部")):  # DingTalk names people once they write
            await rig.say(user, dept, "/help")
        await copies_stay_true(rig, CAST)


async def test_feishu_a_click_on_a_copy_past_the_update_window_is_answered_from_current_state(feishu: FeishuRig
                                                                                             ) -> None:
    """Feishu updates a card for 14 days: an older copy keeps what it showed, and a click on it
    gets 「此卡片已更新」 and the current card under it, never a stale refusal or a second run."""
    rig, cast = feishu, FEISHU_CAST
    in_pmo = await _pending_change(rig)
    rig.advance(timedelta(days=15))
    await rig.say(cast.initiator, "市场部", "/change approve XZ-2026-0001/C1")
    assert "待审批" in in_pmo.text and in_pmo.versions == 1, "past the window the copy is not patched"
    answer = await rig.click(cast.pmo, in_pmo, "批准变更")
    assert answer is not None and answer["toast"] == {"type": "info", "content": "此卡片已更新"}
    assert "card" not in answer, "the old copy cannot be changed"
    current = rig.card(PMO_CHAT, "变更申请 C1")
    assert current.reply_to == in_pmo.message_id and "已批准" in current.text and not rig.offers(current, "批准变更")
    audits = await count(rig, AuditEntry, action="change.approve")
    assert audits == 1, "the stale button did not run again"


async def test_feishu_a_copy_the_platform_refuses_to_update_is_answered_from_current_state(feishu: FeishuRig
                                                                                          ) -> None:
    """If Feishu refuses an update (its window counted otherwise than ours, 230031), the copy is
    marked as not updatable, quietly (no send-failure note to the PMO), and clicks on it are
    answered from current state."""
    rig, cast = feishu, FEISHU_CAST
    in_pmo = await _pending_change(rig)
    rig.fake.days_passed += 20  # only the platform's clock: the bot still thinks the copy is updatable
    await rig.say(cast.initiator, "市场部", "/change approve XZ-2026-0001/C1")
    assert "待审批" in in_pmo.text
    assert not [p for p in rig.fake.chat(CHATS[PMO_CHAT]) if "消息发送失败" in p.text]
    answer = await rig.click(cast.pmo, in_pmo, "批准变更")
    assert answer is not None and answer["toast"]["content"] == "此卡片已更新"
    assert rig.card(PMO_CHAT, "变更申请 C1").reply_to == in_pmo.message_id


async def test_emulator_copies_stay_true(db_url: str) -> None:
    async with running(LocalRig.create(db_url)) as rig:
        await copies_stay_true(rig, Cast(initiator="张伟", head="李强", contact="赵磊", pmo="周敏"))


async def test_feishu_an_object_changed_twice_before_sending_updates_each_copy_once(feishu: FeishuRig) -> None:
    """Updates go through the outbox: a second change withdraws the first update still queued,
    so each copy gets one PATCH with the latest state."""
    rig, cast = feishu, FEISHU_CAST
    await to_planning(rig, cast)
    await confirm_plan(rig, cast)
    copies = [rig.card("市场部", "T1"), rig.card("研发部", "新任务分配给研发部：T1")]
    before = [c.versions for c in copies]
    for progress in ("30%", "60%"):  # handled, not yet sent
        await rig.deliver(rig.message(cast.contact, "研发部", f"@协作机器人 /status XZ-2026-0001/T1 进行中 {progress}"))
        await rig.bot.pipeline.drain()
    async with rig.bot.sessions() as session:
        rows = (await session.execute(select(OutboxMessage.status, func.count()).where(OutboxMessage.key.like("copy:%"))
                                      .group_by(OutboxMessage.status))).all()
    counts = dict(rows)
    assert (counts.get("pending"), counts.get("withdrawn")) == (2, 2), "one update per copy left to send"
    await rig.settle()
    assert [c.versions for c in copies] == [b + 1 for b in before]
    assert all("进行中 60%" in c.text or "进行中 60%" in str(c.content) for c in copies)


async def test_feishu_a_refusal_too_long_for_a_toast_is_also_sent_to_the_clicker(feishu: FeishuRig) -> None:
    """The toast shows about a line; the whole reason, naming who may, reaches the clicker privately."""
    rig = feishu
    await _pending_change(rig)
    in_lead = rig.card("市场部", "变更申请 C1")
    answer = await rig.click("小马", in_lead, "批准变更")  # 市场部, but not its head
    assert answer is not None and answer["toast"]["type"] == "error"
    assert "待审批" in in_lead.text and rig.offers(in_lead, "批准变更"), "the card stays usable"
    [private] = rig.fake.chat(f"user:{PEOPLE['小马']}")
    assert "只有" in private.text and "审批变更 C1" in private.text
