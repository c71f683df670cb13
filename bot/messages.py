"""Platform-neutral outbound messages: what handlers say, before any platform renders it.

A message carries a title and markdown body (the text every platform can show), an optional
card template name with its structured data (rendered by `cards/` where the platform has cards),
and the people to @mention. It round-trips through JSON because it waits in the outbox.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class CardKind(StrEnum):
    """Every kind of card the bot sends, declared once. Each has its template,
    `cards/templates/<kind>.j2`; a message's `template` is one of these."""

    ACCEPTANCE = "acceptance"
    ACTION_DUE = "action_due"
    ACTION_ITEM = "action_item"
    ACTION_LIST = "action_list"
    ACCEPTED = "accepted"
    AUDIT = "audit"
    BOARD = "board"
    BOARD_LIST = "board_list"
    BOUND = "bound"
    CALENDAR = "calendar"
    CALENDAR_UNCOVERED = "calendar_uncovered"
    CHANGE = "change"
    CHARTER = "charter"
    CHAT_LOST = "chat_lost"
    DAILY_DIGEST = "daily_digest"
    DELIVERY = "delivery"
    DIGEST = "digest"
    DIVISION_TABLE = "division_table"
    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    ERROR = "error"
    EVALUATION_ANSWER = "evaluation_answer"
    EVALUATION_OVERDUE = "evaluation_overdue"
    EVALUATION_REMINDER = "evaluation_reminder"
    EVALUATION_REQUEST = "evaluation_request"
    EVALUATION_SUMMARY = "evaluation_summary"
    EXPORT = "export"
    FORM = "form"
    HANDOVER = "handover"
    HELP = "help"
    KB_RESULTS = "kb_results"
    KB_SUGGESTIONS = "kb_suggestions"
    KICKOFF = "kickoff"
    LOAD = "load"
    MEETING = "meeting"
    MEETING_AGENDA = "meeting_agenda"
    MEETING_SOON = "meeting_soon"
    MINUTES_DUE = "minutes_due"
    MINUTES_OVERDUE = "minutes_overdue"
    MY_TASKS = "my_tasks"
    NOTICE = "notice"
    OVERDUE = "overdue"
    PLAN_CONFIRM = "plan_confirm"
    PMO_WEEKLY = "pmo_weekly"
    PLAN_CONFIRMED = "plan_confirmed"
    PROBLEM = "problem"
    PROBLEM_ESCALATION = "problem_escalation"
    PROGRESS = "progress"
    PROGRESS_ALERT = "progress_alert"
    RATING = "rating"
    REGISTER = "register"
    REPORT = "report"
    REQUEST = "request"
    RETRO_DUE = "retro_due"
    RETROSPECTIVE = "retrospective"
    RETURNED = "returned"
    REWORK_DUE = "rework_due"
    RISK = "risk"
    SEND_FAILED = "send_failed"
    SUBMITTED = "submitted"
    TASK = "task"
    TASK_STATUS = "task_status"
    TEMPLATE_LIST = "template_list"
    UPSTREAM_SLIPPED = "upstream_slipped"
    WEEKLY_ESCALATE = "weekly_escalate"
    WEEKLY_MISSING = "weekly_missing"
    WEEKLY_PROMPT = "weekly_prompt"
    WEEKLY_SYNC = "weekly_sync"
    WELCOME = "welcome"


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Attachment:
    """A file a message carries (an export): each platform sends it after the message's card, as
    its own file message; the bytes wait in the outbox row until sent."""

    name: str  # with its extension: "XZ-2026-0001.xlsx", "XZ-2026-0001-进度曲线.png"
    content: bytes

    @property
    def is_image(self) -> bool:
        """A chart (sent as the platform's image message) rather than a file."""
        return self.name.lower().endswith(".png")


@dataclass(frozen=True)
class Artifact:
    """A file a message carries that is made when the message is sent: a chart, a workbook.
    Handlers and notice rules say what to make (`make` names a maker of `cards.render`, `args`
    its arguments: JSON values, dates and datetimes); the outbox dispatcher makes it in the
    render worker just before sending, outside any action's transaction, and keeps the bytes in
    the outbox row as the message's attachment (docs/workflow.md, "Reports")."""

    name: str  # the file's name: "XZ-2026-0001-进度曲线.png", "XZ-2026-0001.xlsx"
    label: str  # what it is, for the note when it cannot be made: "进度曲线"
    make: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Message:
    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    template: str = CardKind.NOTICE  # a CardKind; a plain str once read back from the outbox
    data: dict[str, Any] = field(default_factory=dict)
    mentions: tuple[str, ...] = ()  # people to @mention as `mention_ref`s, resolved per platform
    color: str = "blue"  # red / yellow / green / blue / grey: header colour by priority or state
    is_error: bool = False
    attachment: Attachment | None = None
    artifact: Artifact | None = None  # made into `attachment` by the dispatcher

    def to_json(self) -> dict[str, Any]:
        """Like `dataclasses.asdict`, without its deep copy (a planner tick serialises thousands)."""
        out = {"title": self.title, "body": self.body, "fields": [{"label": f.label, "value": f.value} for f in self.fields],
               "template": self.template, "data": self.data, "mentions": list(self.mentions), "color": self.color,
               "is_error": self.is_error}
        if self.attachment is not None:
            out["attachment"] = {"name": self.attachment.name,
                                 "base64": base64.b64encode(self.attachment.content).decode("ascii")}
        if self.artifact is not None:
            a = self.artifact
            out["artifact"] = {"name": a.name, "label": a.label, "make": a.make, "args": _tagged(list(a.args))}
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        data = dict(data)
        data["fields"] = tuple(Field(**f) for f in data.get("fields", ()))
        data["mentions"] = tuple(data.get("mentions", ()))
        if data.get("attachment"):
            file = data["attachment"]
            data["attachment"] = Attachment(file["name"], base64.b64decode(file["base64"]))
        if data.get("artifact"):
            a = data["artifact"]
            data["artifact"] = Artifact(a["name"], a["label"], a["make"], tuple(_untagged(a["args"])))
        return cls(**data)

    def as_text(self) -> str:
        """Plain rendering used by text-only platforms and tests."""
        parts = [f"【{self.title}】"] if self.title else []
        if self.body:
            parts.append(self.body)
        parts += [f"{f.label}：{f.value}" for f in self.fields]
        return "\n".join(parts)


def _tagged(value: Any) -> Any:
    """JSON for an artifact's arguments: dates and datetimes as {"$date"|"$datetime": iso}."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_tagged(v) for v in value]
    if isinstance(value, dict):
        return {k: _tagged(v) for k, v in value.items()}
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and "$date" in value:
            return date.fromisoformat(value["$date"])
        if len(value) == 1 and "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        return {k: _untagged(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Address:
    """One chat on one platform; the outbox stores a message per address."""

    platform: str
    chat_id: str

    @classmethod
    def private(cls, platform: str, user_id: str) -> Address:
        """The bot's private chat with a person: "user:<platform user id>", which each sender maps
        to its platform's way of writing to one person."""
        return cls(platform, f"{PRIVATE_PREFIX}{user_id}")


PRIVATE_PREFIX = "user:"


RESEND_MARK = "（补发，可能重复）"

#: The objects whose cards the bot keeps current in every chat it sent them to (docs/cards.md, "Copies").
OBJECT_KINDS = ("collab", "task", "problem", "risk", "change", "meeting", "action")


def showing(message: Message, kind: str, row_id: int) -> Message:
    """`message` as the card of one object (`kind` of OBJECT_KINDS, its row id).

    It carries `data["object"]` ("change:12") and `data["state"]`, a digest of what the card shows
    of the object (kind, fields, colour, data), not of its title or body, which say what just
    happened. Two cards of the object in the same state have the same digest: a copy whose digest
    differs from the object's current card is out of date.
    """
    assert kind in OBJECT_KINDS, kind
    data = {k: v for k, v in message.data.items() if k not in ("object", "state")}
    shown = [message.template, [[f.label, f.value] for f in message.fields], message.color, data]
    state = hashlib.sha256(json.dumps(shown, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return replace(message, data=data | {"object": f"{kind}:{row_id}", "state": state})


def as_resend(message: Message) -> Message:
    """A message sent again that the reader may already have: it says so (docs/reliability.md)."""
    return replace(message, title=RESEND_MARK + message.title)


def mention_ref(platform: str, user_id: str, name: str = "") -> str:
    """A person to @mention: "platform:user_id", with "|name" when known (DingTalk shows names; a
    person never seen by name is stored under their id, which is no name)."""
    return f"{platform}:{user_id}|{name}" if name and name != user_id else f"{platform}:{user_id}"


def mentioned(refs: Iterable[str], platform: str) -> list[tuple[str, str]]:
    """(user id, display name) of the people among `refs` (a message's mentions) on `platform`."""
    people = []
    for ref in refs:
        where, _, rest = ref.partition(":")
        if where == platform:
            user_id, _, name = rest.partition("|")
            people.append((user_id, name))
    return people
