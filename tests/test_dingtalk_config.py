"""The [dingtalk] config section and its entry in the example file."""
from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path

from bot.config import DingTalkConfig, load_config

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_example_config_documents_every_dingtalk_key() -> None:
    config = load_config(EXAMPLE, env={})
    assert asdict(config.dingtalk) == asdict(DingTalkConfig()) and not config.dingtalk.enabled
    text = EXAMPLE.read_text("utf-8")
    assert all(f"\n{f.name} = " in text for f in fields(DingTalkConfig))


def test_secret_comes_from_env_and_needs_a_client_id_to_enable() -> None:
    config = load_config(EXAMPLE, env={"XIEZUO_DINGTALK_CLIENT_SECRET": "s3cret"})
    assert config.dingtalk.client_secret == "s3cret" and not config.dingtalk.enabled  # no client_id yet
