"""SQLAlchemy models: one table per record the manuals ask for, plus audit, inbox and outbox.

Status and kind columns hold short English codes (`doing`, `pass`, ...); the Chinese labels
live in `handlers.vocab` so wording can change without a migration.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Stage(StrEnum):
    """The six stages a collaboration walks (docs/workflow.md), as stored."""

    EVALUATING = "evaluating"
    RETURNED = "returned"
    PLANNING = "planning"
    EXECUTING = "executing"
    ACCEPTED = "accepted"
    ARCHIVED = "archived"


class TaskState(StrEnum):
    """A task's status, as stored: REVIEW is 待验收 (delivered, waiting for its acceptance)."""

    TODO = "todo"
    DOING = "doing"
    DELAYED = "delayed"
    BLOCKED = "blocked"
    REVIEW = "review"
    DONE = "done"


class PlannedTask(Protocol):
    """What the figures and the 红/黄/绿 standing read of a task: a `Task`, or the lighter
    `storage.workflow.PlanRow` the weekly notices load for every executing collaboration."""

    @property
    def id(self) -> int: ...
    @property
    def collab_id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def start_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def done_at(self) -> datetime | None: ...
    @property
    def is_milestone(self) -> bool: ...


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL gets the same rows."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Counter(Base):
    """Human-id sequences (`XZ-2026-` → 17), bumped under a row lock."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


#: Lengths of names, the same on SQLite (which would store longer ones) and PostgreSQL (which refuses them).
NAME_CHARS = 64
TITLE_CHARS = 128


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_CHARS), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    is_pmo: Mapped[bool] = mapped_column(Boolean, default=False)


class DeptChat(Base):
    """A group chat bound to a department on one platform."""

    __tablename__ = "dept_chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(TITLE_CHARS), default="")
    lost_at: Mapped[datetime | None]  # the bot was removed or the group dissolved: unreachable until rebound
    lost_reason: Mapped[str] = mapped_column(String(200), default="")


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(NAME_CHARS), index=True)
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)
    # 分管领导: sees all, hears the top escalation (server default: added to a table others point at)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]
    left_at: Mapped[datetime | None]  # left the organisation (/leave): offered nowhere, its work handed over


class Collaboration(Base):
    """One 协作项目 from request to archive; `stage` walks the six stages."""

    __tablename__ = "collaborations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    background: Mapped[str] = mapped_column(Text, default="")
    goal: Mapped[str] = mapped_column(Text)
    resources: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(8), default="medium")
    expected_date: Mapped[date]
    initiator_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    initiator_dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    lead_dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    stage: Mapped[str] = mapped_column(String(16), index=True)
    eval_round: Mapped[int] = mapped_column(Integer, default=1)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    executing_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    blueprint: Mapped[dict[str, Any] | None]  # a reused plan (scheduler.blueprint), laid down at approval


class Participant(Base):
    """A department taking part in a collaboration, with its 对接人 and plan sign-off."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("collab_id", "dept_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    invited: Mapped[bool] = mapped_column(Boolean, default=True)  # False for the initiating dept
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    plan_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    plan_confirmed_at: Mapped[datetime | None]


class Evaluation(Base):
    """One invited department's answer in one evaluation round (部门资源确认函)."""

    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("collab_id", "dept_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    round: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    feasibility: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    risk: Mapped[str] = mapped_column(Text, default="")
    first_date: Mapped[date | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime]
    answer_due: Mapped[date]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    answered_at: Mapped[datetime | None]


class Task(Base):
    """A WBS task: exactly one owner dept and one owner person (第一责任人)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("collab_id", "number"),
        Index("ix_tasks_status_due", "status", "due_date"),
        Index("ix_tasks_owner_status", "owner_person_id", "status"),
        Index("ix_tasks_status_rework", "status", "rework_due"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    owner_dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    owner_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    deliverable: Mapped[str] = mapped_column(Text, default="")
    standard: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    due_date: Mapped[date]
    is_milestone: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=TaskState.TODO.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    rework_due: Mapped[date | None]
    done_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class TaskDependency(Base):
    """`task_id` may start only after `predecessor_id` (前置依赖)."""

    __tablename__ = "task_dependencies"
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True, index=True)


class ProgressReport(Base):
    """《进度跟踪表》 row: one department's weekly report; resubmitting the same week replaces it."""

    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("collab_id", "dept_id", "week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    week: Mapped[date]  # Monday of the reported week
    done: Mapped[str] = mapped_column(Text, default="")
    undone: Mapped[str] = mapped_column(Text, default="")
    next_plan: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime]


class Problem(Base):
    """《问题记录与解决表》 row; `level` climbs 0 牵头部门 → 1 协作管理办公室 → 2 分管领导."""

    __tablename__ = "problems"
    __table_args__ = (UniqueConstraint("collab_id", "number"), Index("ix_problems_status_planned", "status", "planned_date"))
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(String(8), default="medium")
    responsible_dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    cause: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    planned_date: Mapped[date | None]
    actual_date: Mapped[date | None]
    verification: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    level: Mapped[int] = mapped_column(Integer, default=0)
    reported_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    reported_at: Mapped[datetime]


class Risk(Base):
    """《风险问题跟踪表》 row, reviewed weekly."""

    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("collab_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8), default="medium")
    scope: Mapped[str] = mapped_column(Text, default="")
    mitigation: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    raised_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    raised_at: Mapped[datetime]
    reviewed_at: Mapped[datetime | None]


class ChangeRequest(Base):
    """变更申请表: the plan changes only when one is approved."""

    __tablename__ = "change_requests"
    __table_args__ = (UniqueConstraint("collab_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    new_start: Mapped[date | None]
    new_due: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("collab_id", "number"), Index("ix_meetings_status_start", "status", "starts_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    duration_min: Mapped[int] = mapped_column(Integer, default=30)
    agenda: Mapped[str] = mapped_column(Text, default="")
    dept_ids: Mapped[list[Any]] = mapped_column(default=list)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    minutes: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    minutes_at: Mapped[datetime | None]


class ActionItem(Base):
    """A minutes' 行动项: A1, A2 … within the collaboration, tracked until its owner closes it."""

    __tablename__ = "action_items"
    __table_args__ = (UniqueConstraint("collab_id", "number", name="uq_action_items_collab_id_number"),
                      Index("ix_action_items_done_due", "done", "due_date"))
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id", name="fk_action_items_collab_id"),
                                           index=True)
    number: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    due_date: Mapped[date | None]
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", name="fk_action_items_done_by"))
    note: Mapped[str] = mapped_column(Text, default="")


class TaskBaseline(Base):
    """A task's planned dates as one version of the plan had them (基线): taken when the plan is
    confirmed and again on each approved change, so slip is measured, not guessed."""

    __tablename__ = "task_baselines"
    __table_args__ = (UniqueConstraint("task_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    start_date: Mapped[date]
    due_date: Mapped[date]
    taken_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(64))


class TaskEvent(Base):
    """A task's status history: one row per change of its status or progress."""

    __tablename__ = "task_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int] = mapped_column(Integer)


class Delivery(Base):
    """《成果交付清单》 entry: a deliverable submitted for acceptance."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime]


class Acceptance(Base):
    """《任务验收反馈表》 row: pass / partial / fail with a 0–100 score."""

    __tablename__ = "acceptances"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), unique=True)
    result: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    comments: Mapped[str] = mapped_column(Text, default="")
    accepted_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    accepted_at: Mapped[datetime]
    rework_due: Mapped[date | None]


class Rating(Base):
    """《协作评价》: one rater's 1–5 scores for one department."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("collab_id", "dept_id", "rated_by"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    dept_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    responsiveness: Mapped[int] = mapped_column(Integer)
    communication: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    rated_at: Mapped[datetime]


class Retrospective(Base):
    """《跨部门协作复盘报告》; its lessons are the knowledge base."""

    __tablename__ = "retrospectives"
    id: Mapped[int] = mapped_column(primary_key=True)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), unique=True)
    went_well: Mapped[str] = mapped_column(Text)
    to_improve: Mapped[str] = mapped_column(Text)
    lessons: Mapped[str] = mapped_column(Text)
    written_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    written_at: Mapped[datetime]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    collab_id: Mapped[int | None] = mapped_column(ForeignKey("collaborations.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InboxEvent(Base):
    """Durable inbound dedup: one row per platform event, claimed before the ack."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("platform", "event_key"), Index("ix_inbox_status_received", "status", "received_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(191))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


UNSENT_ROWS = text("status IN ('pending', 'sending')")


class OutboxMessage(Base):
    """A reply or notice waiting to be sent; `key` is unique so nothing is queued twice."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),
                      Index("ix_outbox_chat_order", "platform", "chat_id", "status", "scheduled_at"),
                      # the unsent rows in send order: a claim reads its batch off this, however deep the queue
                      Index("ix_outbox_unsent", "scheduled_at", "id", sqlite_where=UNSENT_ROWS, postgresql_where=UNSENT_ROWS))
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(191), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="notice")
    reply_to: Mapped[str | None] = mapped_column(String(128))
    collab_id: Mapped[int | None] = mapped_column(ForeignKey("collaborations.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime]  # when the row may be claimed next (moved by leases and retries)
    scheduled_at: Mapped[datetime | None]  # when it was meant to go out: one chat's send order
    group_key: Mapped[str | None] = mapped_column(String(191))  # rows merged into one digest send
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str] = mapped_column(Text, default="")


class LocalMessage(Base):
    """A message in a local web emulator chat: what a person typed, or a card the bot sent (`payload`)."""

    __tablename__ = "local_messages"
    __table_args__ = (Index("ix_local_messages_chat", "chat_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[str] = mapped_column(String(128), default="")  # "" for the bot
    author_name: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class CalendarOverride(Base):
    """An admin's correction to the working-day calendar (`/calendar add`), over chinese_calendar."""

    __tablename__ = "calendar_overrides"
    day: Mapped[date] = mapped_column(primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class SchedulerState(Base):
    """Up to when a planner job has looked: the next tick plans only what fell due since then."""

    __tablename__ = "scheduler_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime]


class CardCopy(Base):
    """A message the bot sent that shows one object's card, per platform and chat (docs/cards.md,
    "Copies"). `shown` is the state digest the message shows, `queued` the one last queued for it
    (an update not sent yet); `editable_until` is None where the platform cannot update it."""

    __tablename__ = "card_copies"
    __table_args__ = (UniqueConstraint("platform", "message_id", name="uq_card_copies_message"),
                      Index("ix_card_copies_object", "object"))
    id: Mapped[int] = mapped_column(primary_key=True)
    object: Mapped[str] = mapped_column(String(64))  # "change:12", bot.messages.showing
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    shown: Mapped[str] = mapped_column(String(16))
    queued: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime]
    editable_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ProcessBeat(Base):
    """A running bot process, seen at `seen_at`: live processes share the platforms' app-wide
    send limits (docs/reliability.md, "Several processes")."""

    __tablename__ = "processes"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)  # host:pid:random
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]


class KbDoc(Base):
    """One searchable text of the knowledge base (docs/knowledge.md): a retrospective, a problem,
    a risk, … as the index sees it. `terms` is the text cut by `bot.segment.terms`; SQLite indexes
    it in the FTS5 table `kb_fts`, PostgreSQL in the generated column `tsv` (GIN), both made by
    migration f001."""

    __tablename__ = "kb_docs"
    __table_args__ = (UniqueConstraint("kind", "row_id", name="uq_kb_docs_row"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    row_id: Mapped[int] = mapped_column(Integer)
    collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"), index=True)
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    ref: Mapped[str] = mapped_column(String(48))  # XZ-2026-0003/P2, as people name it
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="")
    at: Mapped[datetime] = mapped_column(index=True)


class KbPending(Base):
    """A text an action wrote or changed, waiting for the indexer: written in the action's own
    transaction, so a crash before indexing loses nothing."""

    __tablename__ = "kb_pending"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    row_id: Mapped[int] = mapped_column(Integer)


class PlanTemplate(Base):
    """A proven plan kept by name (/template save): a `scheduler.blueprint.Blueprint` as JSON."""

    __tablename__ = "plan_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    source_collab_id: Mapped[int] = mapped_column(ForeignKey("collaborations.id"))
    blueprint: Mapped[dict[str, Any]]
    saved_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    saved_at: Mapped[datetime]
