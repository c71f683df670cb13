"""`xiezuo doctor` (bot/doctor.py) against the fake platforms: a sound deployment passes, and each
thing a first day goes wrong on is named with its fix: wrong credentials, the long connection not
chosen, the bot missing from a group, a permission not granted, a database not upgraded, an
unreachable database, no departments, missing holiday data."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot import doctor
from bot.cli import main
from bot.config import Config
from bot.doctor import Finding
from storage import migrate
from storage.db import make_engine
from tests.dingtalk_rig import dingtalk_config
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.feishu_rig import CHATS, PEOPLE, feishu_config
from tests.net import free_port


@pytest.fixture
async def fake() -> AsyncIterator[FakeFeishu]:
    fake = FakeFeishu(users={oid: name for name, oid in PEOPLE.items()})
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def migrated(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


def failed(findings: list[Finding]) -> list[str]:
    return [f.what for f in findings if f.ok is False]


def fix_of(findings: list[Finding], start: str) -> str:
    return next(f.fix for f in findings if f.what.startswith(start))


async def test_a_sound_feishu_deployment_passes(tmp_path: Path, fake: FakeFeishu) -> None:
    findings = await doctor.run(feishu_config(await migrated(tmp_path), fake.url, "websocket"))
    assert failed(findings) == []
    whats = [f.what for f in findings if f.ok]
    assert "feishu credentials: app cli_fake_app gets a token" in whats
    assert "feishu events: the long connection can open" in whats
    assert f"feishu 研发部 group {CHATS['研发部']}: the bot is a member" in whats
    assert any(w.startswith("feishu names: ou_p0 is ") for w in whats)  # the contact API answers
    assert any(w.startswith("database schema: at the newest migration") for w in whats)
    text, code = doctor.report(findings)
    assert code == 0 and text.endswith("nothing to fix")


async def test_wrong_feishu_credentials_are_named_with_where_to_copy_them(tmp_path: Path, fake: FakeFeishu) -> None:
    config = feishu_config(await migrated(tmp_path), fake.url, "websocket")
    config.feishu = replace(config.feishu, app_secret="wrong")
    findings = await doctor.run(config)
    assert failed(findings) == ["feishu credentials: refused (feishu error 10014: app secret invalid)"]
    assert "App Secret" in fix_of(findings, "feishu credentials")
    assert doctor.report(findings)[1] == 1


async def test_a_group_without_the_bot_and_a_missing_permission(tmp_path: Path, fake: FakeFeishu) -> None:
    config = feishu_config(await migrated(tmp_path), fake.url, "websocket")
    fake.outside_chats.add(CHATS["设计部"])
    findings = await doctor.run(config)
    assert failed(findings) == [f"feishu 设计部 group {CHATS['设计部']}: the bot is not a member"]
    assert "/bind 设计部" in fix_of(findings, "feishu 设计部")
    fake.chat_scope = False
    findings = await doctor.run(config)
    assert len(failed(findings)) == len(CHATS)
    assert "im:chat:readonly" in fix_of(findings, "feishu 研发部")


async def test_a_contact_api_out_of_scope_is_worth_a_look(tmp_path: Path) -> None:
    fake = FakeFeishu(users={})  # the contact API answers 41050 no user authority for everyone
    await fake.start()
    try:
        findings = await doctor.run(feishu_config(await migrated(tmp_path), fake.url, "websocket"))
    finally:
        await fake.stop()
    names = next(f for f in findings if f.what.startswith("feishu names"))
    assert names.ok is None and "41050" in names.what and "contact:user.base:readonly" in names.fix


async def test_webhook_mode_needs_its_keys(tmp_path: Path, fake: FakeFeishu) -> None:
    config = feishu_config(await migrated(tmp_path), fake.url, "webhook", encrypt_key="")
    assert "feishu events: webhook without encrypt_key or verification_token" in failed(await doctor.run(config))


async def test_the_database_not_upgraded_or_unreachable(tmp_path: Path, fake: FakeFeishu) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    await migrate.upgrade(engine, "b001")
    await engine.dispose()
    findings = await doctor.run(feishu_config(url, fake.url, "websocket"))
    sqlite = next(f for f in findings if f.what.startswith("database schema"))
    assert sqlite.ok is None and "upgrades SQLite by itself" in sqlite.fix  # serve will upgrade it
    config = feishu_config(f"postgresql://nobody@127.0.0.1:{free_port()}/none", fake.url, "websocket")
    findings = await doctor.run(config)
    assert failed(findings)[0].startswith("database postgresql://nobody@127.0.0.1:")
    assert "is up" in fix_of(findings, "database postgresql")


async def test_no_departments_and_holidays_to_fill(tmp_path: Path) -> None:
    config = Config()
    config.database.url = await migrated(tmp_path)
    config.local.enabled = False
    findings = await doctor.run(config)
    assert failed(findings) == ["departments: none configured: the bot knows nobody"]
    holidays = next(f for f in findings if f.what.startswith("holiday data"))
    if holidays.ok is None:  # a year chinese_calendar does not cover yet
        assert "/calendar add" in holidays.fix


async def test_dingtalk_credentials_and_stream(tmp_path: Path) -> None:
    fake = FakeDingTalk("ding-app", "ding-secret", "ding-app").start()
    try:
        config = dingtalk_config(await migrated(tmp_path), fake.url)
        findings = await doctor.run(config)
        assert failed(findings) == []
        assert "dingtalk stream: the gateway gives a connection ticket" in [f.what for f in findings]
        assert any(f.ok is None and f.what.startswith("dingtalk groups") for f in findings)
        config.dingtalk = replace(config.dingtalk, client_secret="wrong")
        assert failed(await doctor.run(config))[0].startswith("dingtalk credentials: refused")
    finally:
        fake.stop()


def test_the_command_prints_the_findings_and_exits_1_on_a_problem(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "empty.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "y.db"}"\n[local]\nenabled = false\n')
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "✗ departments: none configured" in out and "→ add [[departments]]" in out
    assert "! database schema: not at the newest migration" in out
