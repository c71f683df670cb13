"""Typed configuration: TOML file + env secrets over built-in defaults.

Every section is a dataclass; the loader walks the TOML tree against the type hints so that a
misspelt key or a wrong type fails at start-up with the key and the file named, instead of
surfacing as a confusing error hours later in a reminder job.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from bot import notices


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


DEFAULT_DATABASE = "sqlite:///./xiezuo.db"
#: The living demo's own database: the default one when nothing is configured (README, "Quick start").
DEMO_DATABASE = "sqlite:///./xiezuo-demo.db"


def is_demo_database(url: str) -> bool:
    """A SQLite file named like the demo's: the only database the demo plays into."""
    return url.startswith("sqlite") and url.endswith("/" + DEMO_DATABASE.rsplit("/", 1)[1])


@dataclass
class DatabaseConfig:
    url: str = DEFAULT_DATABASE
    echo: bool = False


@dataclass
class HttpConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576
    ops_token: str = ""  # when set, /metrics and /healthz want "Authorization: Bearer <token>" (or env XIEZUO_OPS_TOKEN)


@dataclass
class FeishuConfig:
    app_id: str = ""
    app_secret: str = ""
    mode: Literal["websocket", "webhook"] = "websocket"
    encrypt_key: str = ""
    verification_token: str = ""
    base_url: str = "https://open.feishu.cn"
    bot_open_id: str = ""  # empty: asked from the bot info API at start-up
    insecure_dev: bool = False  # webhook mode without encrypt_key: unsigned pushes accepted (development only)
    replay_window_seconds: int = 300  # webhook: refuse timestamps older or newer than this
    max_body_bytes: int = 262_144  # webhook: larger bodies are refused unread
    watchdog_seconds: int = 300  # long connection: restart when no frame arrives for this long
    card_answer_seconds: float = 2.5  # card callbacks must be answered within Feishu's 3 s
    request_timeout_seconds: float = 10.0
    max_attempts: int = 4  # per send, before the outbox takes over with its slower backoff
    app_rate_per_second: int = 50  # Feishu: 50 sends/s per app
    chat_rate_per_second: int = 5  # Feishu: 5 sends/s per group
    upload_reuse_hours: float = 24.0  # an image or file key is reused this long (its lifetime is undocumented)

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.app_secret)


@dataclass
class DingTalkConfig:
    client_id: str = ""
    client_secret: str = ""
    robot_code: str = ""
    base_url: str = "https://api.dingtalk.com"
    oapi_url: str = "https://oapi.dingtalk.com"  # the older API host: media upload (an export's file)
    card_template_id: str = ""  # empty: cards degrade to markdown + ActionCard with the command to type
    request_timeout_seconds: float = 10.0
    max_attempts: int = 4  # per send, before the outbox takes over with its slower backoff
    app_rate_per_second: int = 20  # robot/card OpenAPI calls per second for the app (quota unpublished)
    group_rate_per_minute: int = 20  # sends per group per minute (DingTalk's documented robot limit)
    upload_reuse_hours: float = 24.0  # a media_id is reused this long (its lifetime is undocumented)
    webhook_margin_seconds: int = 60  # a session webhook this close to expiry is not used
    card_answer_seconds: float = 2.5  # card callbacks answer inline within this, else via the outbox
    reconnect_base_seconds: float = 1.0
    reconnect_max_seconds: float = 60.0
    keepalive_seconds: float = 20.0  # stream: ping this often
    watchdog_seconds: float = 60.0  # stream: reconnect when no frame or pong arrived for this long

    @property
    def enabled(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass
class LocalConfig:
    """The local web emulator: on by default when no real platform is configured."""

    enabled: bool | None = None
    seed_demo: bool = True
    allow_remote: bool = False  # listen beyond loopback (http.host): needs `password`, for demos only
    password: str = ""  # with allow_remote: the emulator's access password (HTTP Basic auth)


@dataclass
class PolicyConfig:
    """Every number of the workflow (docs/workflow.md, docs/scheduler.md). Durations in working days unless named."""

    timezone: str = "Asia/Shanghai"
    evaluation_convene_working_days: int = 1
    evaluation_answer_working_days: int = 2
    kickoff_within_hours: int = 24
    weekly_report_weekday: int = 4  # Monday = 0; Friday
    weekly_report_prompt_time: str = "15:00"
    weekly_report_due_time: str = "17:00"
    weekly_report_escalate_time: str = "09:00"  # Monday, to the lead dept
    weekly_sync_weekday: int = 0
    weekly_sync_time: str = "09:30"
    weekly_sync_max_minutes: int = 30
    lag_report_working_days: int = 2
    lag_alert_working_days: int = 3
    due_soon_working_days: int = 3
    action_due_soon_working_days: int = 1  # a minutes' action item: reminded this long before its date
    milestone_warning_working_days: int = 3
    resource_notice_days: int = 7
    problem_report_hours: int = 2
    rework_working_days: int = 3
    retrospective_working_days: int = 5
    agenda_days_before: int = 1
    meeting_soon_minutes: int = 15
    minutes_due_hours: int = 2
    daily_digest: bool = False
    pmo_weekly_digest: bool = True  # on the sync day at the sync time: every executing collaboration, with a chart
    daily_digest_time: str = "09:00"
    notice_time: str = "09:30"  # date-based notices (due soon, overdue, ...) go out then, on working days
    evaluation_remind_working_days_left: int = 1
    problem_pmo_working_days: int = 1  # unresolved this long past its planned date → PMO
    problem_leadership_working_days: int = 3  # … and this long → leadership (专题决策会)
    quiet_start: str = "09:00"
    max_field_chars: int = 2000
    max_title_chars: int = 200
    max_open_tasks_per_person: int = 3  # more open tasks at once → 冲突预警 (advice; 0: never)
    max_open_tasks_per_dept: int = 0  # a department's open tasks at once (0: no limit)
    separate_duties: bool = True  # nobody approves their own request or accepts their own delivery
    enrol_unknown_speakers: bool = True  # an unknown person who speaks in a bound group joins its dept
    # a task may start when its predecessors are delivered (or accepted; off: any time); lead dept / PMO may force
    dependency_start: Literal["delivered", "accepted", "off"] = "delivered"
    # who hears of each workflow event, over bot.notices.EVENTS' defaults: { event = { party = when } }
    notify: dict[str, dict[str, str]] = field(default_factory=dict)
    reask_all_on_resubmit: bool = False  # a resubmitted request re-asks only the depts that did not accept
    visibility: Literal["participants", "all"] = "participants"  # who reads a collaboration: its people, PMO, leaders
    reask_all_on_edit: bool = False  # an edit during evaluation re-asks only the depts whose answer it voids


@dataclass
class CalendarConfig:
    """Working-day corrections over chinese_calendar, as "YYYY-MM-DD" (e.g. next year's holidays)."""

    holidays: list[str] = field(default_factory=list)
    workdays: list[str] = field(default_factory=list)

    def overrides(self) -> dict[date, bool]:
        return {date.fromisoformat(d): False for d in self.holidays} | {date.fromisoformat(d): True for d in self.workdays}


@dataclass
class SchedulerConfig:
    """How the clock runs: planner tick, missed-run tolerance, delivery batching and retries."""

    enabled: bool = True
    tick_seconds: int = 60
    misfire_grace_seconds: int = 300
    catchup_hours: int = 72  # after downtime, plan at most this far back
    digest_max_items: int = 10  # notices to one chat that fall due together merge into one card
    dispatch_batch: int = 50
    dispatch_settle_ms: int = 5  # after a wake, wait this long so replies arriving together share a batch
    event_workers: int = 1  # messages run after their ack by this many workers, each owning a shard of chats
    render_patience_ms: int = 1000  # a chart or workbook not made by then: its message goes out saying 「生成中…」 first
    max_attempts: int = 8
    lease_seconds: int = 20  # a claimed row no process has confirmed is re-sent after this (renewed while sending)
    heartbeat_seconds: int = 5  # live processes split the app-wide send limits; a dead one's share returns in 3×
    event_retries: int = 3  # an event's transaction is tried again at once on a lost connection, deadlock…
    event_retry_seconds: int = 60  # an acked event whose work still failed is tried again this often…
    event_max_attempts: int = 10  # … this many times, then reported to the PMO as a permanent failure


@dataclass
class RolesConfig:
    """People with the PMO/admin role, and the leadership (分管领导), as "platform:user_id"
    (e.g. "feishu:ou_123")."""

    admins: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)


@dataclass
class DepartmentConfig:
    name: str = ""
    heads: list[str] = field(default_factory=list)  # "platform:user_id"
    members: list[str] = field(default_factory=list)
    timezone: str = ""
    is_pmo: bool = False
    feishu_chats: list[str] = field(default_factory=list)
    dingtalk_chats: list[str] = field(default_factory=list)
    local_chats: list[str] = field(default_factory=list)


@dataclass
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    feishu: FeishuConfig = field(default_factory=FeishuConfig)
    dingtalk: DingTalkConfig = field(default_factory=DingTalkConfig)
    local: LocalConfig = field(default_factory=LocalConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    roles: RolesConfig = field(default_factory=RolesConfig)
    departments: list[DepartmentConfig] = field(default_factory=list)
    source: str = "<defaults>"

    @property
    def demo(self) -> bool:
        """The demo organisation on the emulator: nothing configured but the emulator."""
        return self.local_enabled and self.local.seed_demo and not self.departments

    @property
    def local_enabled(self) -> bool:
        """The emulator: as `[local] enabled` says, else when no other platform is on."""
        if self.local.enabled is not None:
            return self.local.enabled
        return not any(p.enabled(self) for p in PLATFORMS if p.name != "local")

    def platforms(self) -> list[Platform]:
        """The platforms this config turns on."""
        return [p for p in PLATFORMS if p.enabled(self)]


@dataclass(frozen=True)
class Platform:
    """A chat platform as the config, the seeding, the CLI and the server see it (docs/platforms.md,
    "Adding a platform"): its `[section]` of the config, the `[[departments]]` key listing its
    group chats, its secrets (key → the env variable that may carry it instead), the adapter that
    connects it (imported only when the platform is on), whether a config turns it on, and what
    `serve` says about it when it starts ({url} is the bot's)."""

    name: str  # also the prefix of its people and chats: "feishu:ou_123"
    section: str
    chats: str
    secrets: Mapping[str, str]
    adapter: str  # "module:Class", the class taking the bot
    enabled: Callable[[Config], bool]
    hint: str = ""
    doctor: str = ""  # "module:function" checking the platform's side for `xiezuo doctor` (bot/doctor.py)


#: Every platform the bot speaks, in the order they start (the emulator last: it serves the page).
PLATFORMS = (
    Platform("feishu", "feishu", "feishu_chats", {"app_secret": "XIEZUO_FEISHU_APP_SECRET",
                                                 "encrypt_key": "XIEZUO_FEISHU_ENCRYPT_KEY",
                                                 "verification_token": "XIEZUO_FEISHU_VERIFICATION_TOKEN"},
             "bot.platforms.feishu.adapter:FeishuAdapter", lambda c: c.feishu.enabled,
             doctor="bot.platforms.feishu.doctor:check"),
    Platform("dingtalk", "dingtalk", "dingtalk_chats", {"client_secret": "XIEZUO_DINGTALK_CLIENT_SECRET"},
             "bot.platforms.dingtalk.adapter:DingTalkAdapter", lambda c: c.dingtalk.enabled,
             doctor="bot.platforms.dingtalk.doctor:check"),
    Platform("local", "local", "local_chats", {"password": ""}, "bot.platforms.local:LocalAdapter",
             lambda c: c.local_enabled, hint="xiezuo local emulator: open {url} in a browser"),
)
#: The in-process platform of tests and benches (bot/testkit.py): people may be named on it too.
TEST_PLATFORM = "memory"

ENV_SECRETS = {
    **{var: (p.section, key) for p in PLATFORMS for key, var in p.secrets.items() if var},
    "XIEZUO_DATABASE_URL": ("database", "url"),
    "XIEZUO_OPS_TOKEN": ("http", "ops_token"),
}


def load_config(path: str | os.PathLike[str] | None = None, env: typing.Mapping[str, str] | None = None) -> Config:
    """Load `path`, else $XIEZUO_CONFIG, else defaults; then overlay secrets from env."""
    env = os.environ if env is None else env
    path = path or env.get("XIEZUO_CONFIG") or None
    raw: dict[str, Any] = {}
    source = "<defaults>"
    if path:
        source = str(path)
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{source}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    config = _build(Config, raw, source, "")
    config.source = source
    from_env: dict[str, str] = {}  # "section.key" → the variable it came from, for error messages
    for var, (section, key) in ENV_SECRETS.items():
        if env.get(var):
            setattr(getattr(config, section), key, env[var])
            from_env[f"{section}.{key}"] = var
    if config.demo and config.database.url == DEFAULT_DATABASE:
        config.database.url = DEMO_DATABASE  # the demo never mixes into a database a platform will use
    if env.get("XIEZUO_HTTP_PORT"):
        port = env["XIEZUO_HTTP_PORT"].strip()
        if not port.isdigit() or int(port) > 65535:
            raise ConfigError(f"XIEZUO_HTTP_PORT={port[:20]!r} is not a port number (0–65535)")
        config.http.port = int(port)
    _validate(config, from_env)
    return config


def _build(cls: type, raw: Any, source: str, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [{where}] must be a table")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ConfigError(f"{source}: unknown key {_key(where, unknown[0])!r}; known keys: {', '.join(sorted(names))}")
    values = {name: _coerce(hints[name], value, source, _key(where, name)) for name, value in raw.items()}
    return cls(**values)


#: Keys whose values no message may show.
SECRETS = {f"{p.section}.{key}" for p in PLATFORMS for key in p.secrets} | {"database.url", "http.ops_token"}


def _shown(key: str, value: Any) -> str:
    """A value for an error message: secrets only by their type."""
    return f"a {type(value).__name__} (value not shown)" if key in SECRETS else repr(value)


def _coerce(hint: Any, value: Any, source: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, source, key)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{source}: {key} must be one of {', '.join(map(repr, args))}, not {_shown(key, value)}")
        return value
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, source, key)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: [{key}] must be a table, not a {type(value).__name__}")
        return {str(k): _coerce(args[1], item, source, f"{key}.{k}") for k, item in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {key} must be a list, not a {type(value).__name__}")
        return [_coerce(args[0], item, source, f"{key}[{i}]") for i, item in enumerate(value)]
    if hint is bool and not isinstance(value, bool):
        raise ConfigError(f"{source}: {key} must be true or false, not {_shown(key, value)}")
    if hint is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ConfigError(f"{source}: {key} must be an integer, not {_shown(key, value)}")
    if hint is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} must be a number, not {_shown(key, value)}")
        return float(value)
    if hint is str and not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be a string, not {_shown(key, value)}")
    return value


def _key(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _validate(config: Config, from_env: dict[str, str]) -> None:
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from storage.db import url_problem

    src = config.source
    problem = url_problem(config.database.url)
    if problem:
        via = f" (from {from_env['database.url']})" if "database.url" in from_env else ""
        raise ConfigError(f"{src}: database.url{via} {problem}")
    for name in ("weekly_report_prompt_time", "weekly_report_due_time", "weekly_report_escalate_time",
                 "weekly_sync_time", "daily_digest_time", "quiet_start", "notice_time"):
        value = getattr(config.policy, name)
        try:
            dtime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{src}: policy.{name} must be a time like '17:00', not {value!r}") from None
    for key, days in (("holidays", config.calendar.holidays), ("workdays", config.calendar.workdays)):
        for day in days:
            try:
                date.fromisoformat(day)
            except ValueError:
                raise ConfigError(f"{src}: calendar.{key}: {day!r} must be a date like '2027-01-01'") from None
    try:
        notices.matrix(config.policy.notify)
    except ValueError as exc:
        raise ConfigError(f"{src}: policy.notify: {exc}") from None
    if config.scheduler.tick_seconds < 1:
        raise ConfigError(f"{src}: scheduler.tick_seconds must be at least 1")
    if not 0 <= config.scheduler.dispatch_settle_ms <= 1000:
        raise ConfigError(f"{src}: scheduler.dispatch_settle_ms must be 0 to 1000")
    for name in ("weekly_report_weekday", "weekly_sync_weekday"):
        if not 0 <= getattr(config.policy, name) <= 6:
            raise ConfigError(f"{src}: policy.{name} must be 0 (Monday) to 6 (Sunday)")
    for f in dataclasses.fields(PolicyConfig):
        value = getattr(config.policy, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{src}: policy.{f.name} must not be negative")
    zones = [("policy.timezone", config.policy.timezone)]
    zones += [(f"departments[{i}].timezone", d.timezone) for i, d in enumerate(config.departments) if d.timezone]
    for key, zone in zones:
        try:
            ZoneInfo(zone)
        except Exception:
            raise ConfigError(f"{src}: {key} is not a known time zone: {zone!r}") from None
    seen: set[str] = set()
    for i, dept in enumerate(config.departments):
        if not dept.name.strip():
            raise ConfigError(f"{src}: departments[{i}].name must not be empty")
        if dept.name in seen:
            raise ConfigError(f"{src}: departments[{i}].name {dept.name!r} is listed twice")
        if len(dept.name) > 64:  # storage.models.NAME_CHARS, the same on SQLite and PostgreSQL
            raise ConfigError(f"{src}: departments[{i}].name is longer than 64 characters")
        seen.add(dept.name)
        for ref in dept.heads + dept.members:
            _check_user_ref(src, f"departments[{i}]", ref)
    for key in ("admins", "leaders"):
        for ref in getattr(config.roles, key):
            _check_user_ref(src, f"roles.{key}", ref)
    if not 1 <= config.http.port <= 65535:
        raise ConfigError(f"{src}: http.port must be 1..65535")
    if config.local_enabled and not is_loopback(config.http.host) and not (
            config.local.allow_remote and config.local.password):
        raise ConfigError(f"{src}: http.host {config.http.host!r} would open the local emulator, where anyone can act "
                          "as anyone, beyond this machine: keep 127.0.0.1, or set local.allow_remote = true with a "
                          "local.password (demos only)")
    feishu = config.feishu
    if feishu.enabled and feishu.mode == "webhook" and not feishu.encrypt_key and not feishu.insecure_dev:
        raise ConfigError(f"{src}: feishu.encrypt_key must be set in webhook mode: it encrypts and signs Feishu's "
                          "pushes, and without it anyone who can reach /feishu/events could act as anyone "
                          "(feishu.insecure_dev = true accepts unsigned pushes, for local development only)")


LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]", "::1"}


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) stays on this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_user_ref(src: str, key: str, ref: str) -> None:
    platform, sep, user = ref.partition(":")
    if not sep or not user or platform not in {p.name for p in PLATFORMS} | {TEST_PLATFORM}:
        raise ConfigError(f"{src}: {key}: {ref!r} must look like 'feishu:ou_xxx' (platform:user_id)")
