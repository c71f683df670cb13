"""The [calendar] and [scheduler] config sections and the example file."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.app import Bot
from bot.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_loads() -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    assert config.scheduler.tick_seconds == 60 and config.policy.notice_time == "09:30"


def test_calendar_overrides_reach_the_bots_calendar(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/x.db"\n'
                    '[calendar]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-09"]\n', encoding="utf-8")
    bot = Bot(load_config(path, env={}))
    assert not bot.calendar.is_workday(date(2027, 1, 1)) and bot.calendar.is_workday(date(2027, 1, 9))


@pytest.mark.parametrize("body, message", [
    ('[calendar]\nholidays = ["2027-1-1x"]\n', "calendar.holidays"),
    ("[scheduler]\ntick_seconds = 0\n", "scheduler.tick_seconds"),
    ("[scheduler]\ndispatch_settle_ms = -1\n", "scheduler.dispatch_settle_ms"),
    ('[policy]\nnotice_time = "9点半"\n', "policy.notice_time"),
    ('[policy.notify]\nweekly = { pmo = "now" }\n', "policy.notify: unknown event 'weekly'"),
    ('[policy.notify]\nprogress = { boss = "now" }\n', "policy.notify: progress: unknown party 'boss'"),
    ('[policy.notify]\nprogress = { pmo = "soon" }\n', "policy.notify: progress.pmo must be one of now, digest, off"),
    ('[policy.notify]\ndelivered = { initiator = "digest" }\n', 'policy.notify: delivered.initiator must stay "now"'),
    ('[policy.notify]\nrisk = { concerned = "now" }\n', "policy.notify: risk has no party 'concerned'"),
    ('[policy.notify]\nprogress = "now"\n', r"\[policy.notify.progress\] must be a table"),
    ("[scheduler]\nwhen = 1\n", "scheduler.when"),
])
def test_bad_values_name_the_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_config(path, env={})
