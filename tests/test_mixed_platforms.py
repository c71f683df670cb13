"""One collaboration across platforms: 市场部 and the PMO work in Feishu, 研发部 and 设计部 in DingTalk.

The key test of the DingTalk issue: every notice reaches each department on its own platform,
through the real long-connection and stream clients against the two fakes, on one bot.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest

from bot.app import Bot
from bot.clock import FixedClock
from bot.config import (
    Config,
    DepartmentConfig,
    DingTalkConfig,
    FeishuConfig,
    RolesConfig,
)
from bot.platforms.dingtalk.adapter import DingTalkAdapter
from bot.platforms.feishu.adapter import FeishuAdapter
from bot.testkit import DEMO_ORG
from tests.conftest import MONDAY
from tests.dingtalk_rig import CHATS as DING_CHATS
from tests.dingtalk_rig import FAST, DingTalkRig
from tests.dingtalk_rig import PEOPLE as DING_PEOPLE
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import APP_ID, APP_SECRET, FakeFeishu
from tests.feishu_rig import CHATS as FEISHU_CHATS
from tests.feishu_rig import ENCRYPT_KEY, TOKEN, FeishuRig
from tests.feishu_rig import PEOPLE as FEISHU_PEOPLE

ON_FEISHU = ("协作管理办公室", "市场部")
ON_DINGTALK = ("研发部", "设计部")


@dataclass
class Mixed:
    feishu: FeishuRig
    dingtalk: DingTalkRig


def mixed_config(db_url: str, feishu_url: str, dingtalk_url: str) -> Config:
    config = Config()
    config.database.url = db_url
    config.local.enabled = False
    config.feishu = FeishuConfig(app_id=APP_ID, app_secret=APP_SECRET, mode="websocket", encrypt_key=ENCRYPT_KEY,
                                 verification_token=TOKEN, base_url=feishu_url, request_timeout_seconds=2.0)
    config.dingtalk = replace(DingTalkConfig(client_id="ding-app", client_secret="ding-secret", base_url=dingtalk_url),
                              **FAST)  # type: ignore[arg-type]
    config.roles = RolesConfig(admins=[f"feishu:{FEISHU_PEOPLE['周主任']}"])
    config.departments = []
    for dept, (head, members) in DEMO_ORG.items():
        if dept in ON_FEISHU:
            config.departments.append(DepartmentConfig(
                name=dept, heads=[f"feishu:{FEISHU_PEOPLE[head]}"], members=[f"feishu:{FEISHU_PEOPLE[m]}" for m in members],
                is_pmo=dept == "协作管理办公室", feishu_chats=[FEISHU_CHATS[dept]]))
        elif dept in ON_DINGTALK:
            config.departments.append(DepartmentConfig(
                name=dept, heads=[f"dingtalk:{DING_PEOPLE[head]}"],
                members=[f"dingtalk:{DING_PEOPLE[m]}" for m in members], dingtalk_chats=[DING_CHATS[dept]]))
    return config


@pytest.fixture
async def mixed(db_url: str) -> AsyncIterator[Mixed]:
    ffake = FakeFeishu(users={oid: name for name, oid in FEISHU_PEOPLE.items()})
    furl = await ffake.start()
    dfake = FakeDingTalk().start()
    for dept in ON_DINGTALK:
        dfake.add_group(DING_CHATS[dept], f"{dept}群")
    clock = FixedClock(MONDAY)
    dfake.clock = lambda: clock.now().timestamp()
    bot = Bot(mixed_config(db_url, furl, dfake.url), clock=clock)
    await bot.prepare_database()
    fadapter, dadapter = FeishuAdapter(bot), DingTalkAdapter(bot)
    await fadapter.start()
    await dadapter.start()
    await ffake.wait_connected()
    await dfake.wait_connected()
    try:
        yield Mixed(FeishuRig(ffake, bot, fadapter, "websocket"), DingTalkRig(dfake, bot, dadapter, clock))
    finally:
        await fadapter.stop()
        await dadapter.stop()
        await bot.stop()
        await ffake.stop()
        dfake.stop()


def has(texts: list[str], needle: str) -> bool:
    return sum(needle in t for t in texts) == 1


async def test_notices_reach_each_department_on_its_own_platform(mixed: Mixed) -> None:
    feishu, ding = mixed.feishu, mixed.dingtalk
    await feishu.say("小张", "市场部", '/request "Q4新品推广" goal="10-12月销量10万台" depts=研发部,设计部 '
                                       'due=2026-12-31 priority=高')
    assert has(feishu.new("市场部"), "需求已提交：XZ-2026-0001")
    for dept in ON_DINGTALK:  # the evaluation requests arrive in DingTalk, as robot messages
        assert has(ding.texts(dept), "XZ-2026-0001")
    assert feishu.fake.texts(FEISHU_CHATS["研发部"]) == []  # nothing went to a Feishu chat of theirs

    await ding.say("李主管", "研发部", '/evaluate XZ-2026-0001 接受 contact=@李工 resources="2名开发" date=12-05',
                   at=(DING_PEOPLE["李工"],))
    assert has(ding.texts("研发部"), "评估已答复：接受")
    await ding.say("王主管", "设计部", '/evaluate XZ-2026-0001 接受 contact=@王设计 resources="1名设计" date=12-05',
                   at=(DING_PEOPLE["王设计"],))
    await feishu.say("周主任", "协作管理办公室", "/approve XZ-2026-0001 lead=市场部")
    assert has(feishu.new("协作管理办公室"), "协作立项确认函")
    for dept in ON_DINGTALK:  # the charter reaches DingTalk
        assert any("立项" in t for t in ding.texts(dept))

    await feishu.say("张经理", "市场部", '/task add XZ-2026-0001 接口开发 dept=研发部 owner=李工 deliverable="接口" '
                                         'standard="通过测试" start=11-24 due=12-10')
    await feishu.say("张经理", "市场部", "/confirm XZ-2026-0001")
    await ding.say("李主管", "研发部", "/confirm XZ-2026-0001")
    await ding.say("王主管", "设计部", "/confirm XZ-2026-0001")
    assert has(feishu.new("市场部"), "执行方案已确认")  # Feishu hears what DingTalk users did
    ding.texts("研发部")

    await ding.say("李工", "研发部", "/deliver XZ-2026-0001/T1 https://docs.example.com/api 接口文档")
    assert any("T1" in t and "交付" in t for t in feishu.new("市场部"))  # the initiator, on Feishu, is asked to accept
    await feishu.say("小张", "市场部", "/accept XZ-2026-0001/T1 通过 92 符合预期")
    assert any("验收通过" in t for t in ding.texts("研发部"))  # and DingTalk hears the acceptance

    assert feishu.fake.rejected_429 == 0 and ding.fake.throttled == 0
