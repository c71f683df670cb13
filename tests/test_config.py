"""bot/config.py: defaults, a full file, env secrets, and errors that name the key and the file."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.config import (
    DEMO_DATABASE,
    Config,
    ConfigError,
    DatabaseConfig,
    DepartmentConfig,
    DingTalkConfig,
    FeishuConfig,
    HttpConfig,
    LocalConfig,
    PolicyConfig,
    RolesConfig,
    load_config,
)

FULL = """
[database]
url = "postgresql+asyncpg://bot@db/xiezuo"
echo = true

[http]
host = "0.0.0.0"
port = 9000
max_body_bytes = 2048

[feishu]
app_id = "cli_123"
app_secret = "from-file"
mode = "webhook"
encrypt_key = "ek"
verification_token = "vt"
base_url = "http://127.0.0.1:1234"

[dingtalk]
client_id = "ding1"
client_secret = "s"
robot_code = "rc"
base_url = "http://127.0.0.1:5678"
card_template_id = "tpl.schema"

[local]
enabled = false
seed_demo = false

[policy]
timezone = "Asia/Urumqi"
weekly_report_weekday = 3
weekly_report_due_time = "18:30"
rework_working_days = 5
daily_digest = true

[roles]
admins = ["feishu:ou_pmo"]

[[departments]]
name = "研发部"
heads = ["feishu:ou_li"]
members = ["feishu:ou_a", "dingtalk:ding_b"]
feishu_chats = ["oc_1"]
dingtalk_chats = ["cid_1"]

[[departments]]
name = "协作管理办公室"
heads = ["feishu:ou_pmo"]
is_pmo = true
timezone = "Europe/Berlin"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "xiezuo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    message = str(err.value)
    assert str(path) in message, "every config error names the file"
    return message


def test_defaults_without_a_file() -> None:
    config = load_config(None, env={})
    assert config.source == "<defaults>"
    assert config.database == DatabaseConfig(url=DEMO_DATABASE)  # nothing configured: the demo, in its own file
    assert (config.http.host, config.http.port) == ("127.0.0.1", 8080)
    assert config.feishu.mode == "websocket" and config.feishu.base_url == "https://open.feishu.cn"
    assert config.dingtalk.base_url == "https://api.dingtalk.com"
    assert config.policy == PolicyConfig() and config.policy.timezone == "Asia/Shanghai"
    assert config.roles == RolesConfig() and config.departments == []
    assert config.local_enabled, "no platform configured → the local emulator is on"


def test_xiezuo_config_env_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[http]\nport = 9999\n")
    config = load_config(None, env={"XIEZUO_CONFIG": str(path)})
    assert config.http.port == 9999 and config.source == str(path)


def test_a_full_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), env={})
    assert config.database == DatabaseConfig("postgresql+asyncpg://bot@db/xiezuo", True)
    assert config.http == HttpConfig("0.0.0.0", 9000, 2048)
    assert config.feishu.enabled and config.feishu.mode == "webhook" and config.feishu.app_secret == "from-file"
    assert config.dingtalk.enabled and config.dingtalk.card_template_id == "tpl.schema"
    assert not config.local_enabled and not config.local.seed_demo
    assert config.policy.timezone == "Asia/Urumqi" and config.policy.weekly_report_weekday == 3
    assert config.policy.weekly_report_due_time == "18:30" and config.policy.rework_working_days == 5
    assert config.policy.daily_digest is True
    assert config.policy.lag_alert_working_days == PolicyConfig().lag_alert_working_days, "unset keys keep defaults"
    assert config.roles.admins == ["feishu:ou_pmo"]
    dev, pmo = config.departments
    assert (dev.name, dev.heads, dev.members) == ("研发部", ["feishu:ou_li"], ["feishu:ou_a", "dingtalk:ding_b"])
    assert (dev.feishu_chats, dev.dingtalk_chats, dev.is_pmo, dev.timezone) == (["oc_1"], ["cid_1"], False, "")
    assert pmo.is_pmo and pmo.timezone == "Europe/Berlin"


def test_env_secrets_overlay_the_file(tmp_path: Path) -> None:
    env = {"XIEZUO_FEISHU_APP_SECRET": "from-env", "XIEZUO_DINGTALK_CLIENT_SECRET": "ding-env",
           "XIEZUO_FEISHU_ENCRYPT_KEY": "ek-env", "XIEZUO_FEISHU_VERIFICATION_TOKEN": "vt-env",
           "XIEZUO_DATABASE_URL": "sqlite:///env.db"}
    config = load_config(write(tmp_path, FULL), env=env)
    assert config.feishu.app_secret == "from-env" and config.dingtalk.client_secret == "ding-env"
    assert config.feishu.encrypt_key == "ek-env" and config.feishu.verification_token == "vt-env"
    assert config.database.url == "sqlite:///env.db"


@pytest.mark.parametrize("url, words", [
    ("nonsense", "is not a database URL"),
    ("mysql://root:hunter2@127.0.0.1/xiezuo", "SQLite or PostgreSQL"),
    ("postgresql+psycopg2://bot:hunter2@db/xiezuo", "'psycopg2' driver"),
    ("sqlite://", "must name a SQLite file"),
    ("sqlite:///:memory:", "must name a SQLite file"),
    ("postgresql://bot:hunter2@db:notaport/xiezuo", "is not a database URL"),
])
def test_an_unusable_database_url_is_refused_at_start_up(tmp_path: Path, url: str, words: str) -> None:
    message = error(tmp_path, f"[database]\nurl = {url!r}\n")
    assert "database.url" in message and words in message and "hunter2" not in message
    with pytest.raises(ConfigError, match="database.url \\(from XIEZUO_DATABASE_URL\\)"):
        load_config(None, env={"XIEZUO_DATABASE_URL": url})


@pytest.mark.parametrize("url", ["sqlite:///./x.db", "sqlite+aiosqlite:////tmp/x.db", "postgresql://bot@db/xiezuo",
                                 "postgresql+asyncpg://bot:pw@db:5433/xiezuo"])
def test_usable_database_urls_load(url: str) -> None:
    assert load_config(None, env={"XIEZUO_DATABASE_URL": url}).database.url == url


def test_empty_env_secret_does_not_blank_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL), env={"XIEZUO_FEISHU_APP_SECRET": ""})
    assert config.feishu.app_secret == "from-file"


def test_env_secret_alone_does_not_enable_a_platform() -> None:
    config = load_config(None, env={"XIEZUO_FEISHU_APP_SECRET": "s"})
    assert config.feishu.app_secret == "s" and not config.feishu.enabled, "app_id is still missing"


@pytest.mark.parametrize("text, key", [
    ("[database]\nurll = 'x'\n", "database.urll"),
    ("[policy]\nrework_days = 3\n", "policy.rework_days"),
    ("[databse]\nurl = 'x'\n", "databse"),
    ("[[departments]]\nname = 'a'\nhead = ['feishu:x']\n", "departments[0].head"),
])
def test_unknown_key_names_the_key_and_the_file(tmp_path: Path, text: str, key: str) -> None:
    message = error(tmp_path, text)
    assert f"unknown key {key!r}" in message and "known keys" in message


@pytest.mark.parametrize("text, key", [
    ("[http]\nport = '8080'\n", "http.port"),
    ("[http]\nport = true\n", "http.port"),
    ("[database]\necho = 'yes'\n", "database.echo"),
    ("[database]\nurl = 5\n", "database.url"),
    ("[policy]\nrework_working_days = 1.5\n", "policy.rework_working_days"),
    ("[roles]\nadmins = 'feishu:x'\n", "roles.admins"),
    ("[roles]\nadmins = [1]\n", "roles.admins[0]"),
    ("[feishu]\nmode = 'polling'\n", "feishu.mode"),
    ("[local]\nenabled = 'auto'\n", "local.enabled"),
    ("database = 'x'\n", "database"),
    ("[[departments]]\nname = 'a'\nis_pmo = 'no'\n", "departments[0].is_pmo"),
    ("[policy]\nweekly_report_weekday = 7\n", "policy.weekly_report_weekday"),
    ("[policy]\nweekly_sync_weekday = -1\n", "policy.weekly_sync_weekday"),
    ("[policy]\nrework_working_days = -2\n", "policy.rework_working_days"),
    ("[http]\nport = 0\n", "http.port"),
    ("[http]\nport = 70000\n", "http.port"),
])
def test_wrong_type_or_range_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    assert key in error(tmp_path, text)


@pytest.mark.parametrize("text, key", [
    ("[policy]\ntimezone = 'Mars/Olympus'\n", "policy.timezone"),
    ("[[departments]]\nname = 'a'\ntimezone = 'Asia/Beijing'\n", "departments[0].timezone"),
])
def test_bad_time_zone(tmp_path: Path, text: str, key: str) -> None:
    message = error(tmp_path, text)
    assert key in message and "time zone" in message


@pytest.mark.parametrize("name, value", [
    ("weekly_report_due_time", "5pm"), ("weekly_sync_time", "25:00"), ("quiet_start", ""),
    ("daily_digest_time", "9点"), ("weekly_report_prompt_time", "15:60"), ("weekly_report_escalate_time", "x"),
])
def test_bad_time_strings(tmp_path: Path, name: str, value: str) -> None:
    message = error(tmp_path, f"[policy]\n{name} = {value!r}\n")
    assert f"policy.{name}" in message and "17:00" in message


def test_duplicate_department_names(tmp_path: Path) -> None:
    message = error(tmp_path, "[[departments]]\nname = '研发部'\n[[departments]]\nname = '研发部'\n")
    assert "departments[1].name" in message and "研发部" in message and "twice" in message


def test_empty_department_name(tmp_path: Path) -> None:
    assert "departments[0].name" in error(tmp_path, "[[departments]]\nname = '  '\n")


@pytest.mark.parametrize("ref", ["ou_123", "feishu:", "wechat:abc", ":abc", ""])
def test_malformed_user_refs(tmp_path: Path, ref: str) -> None:
    message = error(tmp_path, f"[[departments]]\nname = 'a'\nmembers = [{ref!r}]\n")
    assert "departments[0]" in message and "platform:user_id" in message
    message = error(tmp_path, f"[roles]\nadmins = [{ref!r}]\n")
    assert "roles.admins" in message


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})
    assert "not valid TOML" in error(tmp_path, "[http\nport = 1\n")



EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_config_example_loads_to_the_defaults() -> None:
    config = load_config(EXAMPLE, env={})
    config.source = Config().source
    assert config.database.url == DEMO_DATABASE  # no platform and no departments: the demo
    config.database.url = Config().database.url
    assert config == Config(), "config.example.toml states exactly the built-in defaults"


def test_config_example_documents_every_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    sections = {f.name: f.type for f in dataclasses.fields(Config) if f.name != "source"}
    for section in sections:
        assert f"[{section}]" in text or f"[[{section}]]" in text, section
    documented = {line.lstrip("# ").split("=")[0].strip() for line in text.splitlines() if "=" in line}
    documented |= {line.strip("[]").rsplit(".", 1)[-1] for line in text.splitlines() if line.startswith("[")}
    for cls in (DatabaseConfig, HttpConfig, FeishuConfig, DingTalkConfig, LocalConfig, PolicyConfig, RolesConfig,
                DepartmentConfig):
        missing = {f.name for f in dataclasses.fields(cls)} - documented
        assert not missing, f"{cls.__name__} keys not in config.example.toml: {missing}"


def test_config_example_commented_examples_are_valid(tmp_path: Path) -> None:
    """Uncommenting the example admins, leaders and departments gives a config that loads."""
    lines = [line for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
             if line != "admins = []" and not line.startswith("leaders = []")]
    start = next(i for i, line in enumerate(lines) if line.startswith("# admins = ["))
    uncommented = lines[:start] + [line[2:] if re.match(r"# (\w+ = |\[\[departments\]\]$)", line) else line
                                   for line in lines[start:]]
    config = load_config(write(tmp_path, "\n".join(uncommented)), env={})
    assert config.roles.admins == ["feishu:ou_0123456789abcdef", "dingtalk:manager4455"]
    assert config.roles.leaders == ["feishu:ou_fedcba9876543210"]
    assert [d.name for d in config.departments] == ["研发部", "协作管理办公室"]
    assert config.departments[0].feishu_chats == ["oc_1234567890abcdef"] and config.departments[1].is_pmo


@pytest.mark.parametrize("text, key", [
    ('[feishu]\napp_id = "cli_x"\napp_secret = ["hunter2"]\n', "feishu.app_secret"),
    ('[feishu]\nencrypt_key = 42424242\n', "feishu.encrypt_key"),
    ('[feishu]\nverification_token = true\n', "feishu.verification_token"),
    ('[dingtalk]\nclient_secret = ["hunter2"]\n', "dingtalk.client_secret"),
])
def test_a_secret_of_the_wrong_type_is_named_but_never_shown(tmp_path: Path, text: str, key: str) -> None:
    message = error(tmp_path, text)
    assert key in message and "hunter2" not in message and "42424242" not in message and "value not shown" in message


WEBHOOK = '[feishu]\napp_id = "cli_x"\napp_secret = "s"\nmode = "webhook"\nverification_token = "t"\n'


def test_webhook_mode_without_encrypt_key_is_refused(tmp_path: Path) -> None:
    """Without encrypt_key Feishu's pushes are neither encrypted nor signed: anyone reaching
    /feishu/events could post as the PMO."""
    message = error(tmp_path, WEBHOOK)
    assert "feishu.encrypt_key" in message and "insecure_dev" in message
    assert load_config(write(tmp_path, WEBHOOK + 'encrypt_key = "k"\n'), env={}).feishu.encrypt_key == "k"
    assert load_config(write(tmp_path, WEBHOOK + "insecure_dev = true\n"), env={}).feishu.insecure_dev
    assert load_config(write(tmp_path, WEBHOOK.replace("webhook", "websocket")), env={}).feishu.mode == "websocket"
