"""Event → handler, in one transaction: the middle of pipeline → router → handler → outbox.

For each event: claim its dedup key in the inbox (a duplicate stops here), resolve the actor,
parse or bind the command, run the handler, and write its replies and notices to the outbox
together with the handler's changes and the audit entry. The claim is part of that transaction
when the caller answers after the work (`handle`), or its own earlier transaction when the
platform must be acked first (`claim_many`, then `process`; bot/pipeline.py). A UserError rolls
the work back and queues only the error reply; an unexpected error leaves the event unclaimed so
a redelivery can try again.

A card click's new state is answered inline when the platform takes it in the click's own
answer and the work ends before `answer_by`; the decision is taken in the transaction, so the
card is either answered inline or queued as an update, never both (docs/cards.md, "Shared cards").
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.commands import (
    CommandSpec,
    Registry,
    UserError,
    Values,
    bind,
    bind_values,
    parse,
)
from bot.config import Config
from bot.events import CardAction, ChatChanged, Command, Event, cleaned
from bot.messages import Address, CardKind, Message
from bot.metrics import Metrics
from bot.outbox import tell_lost
from handlers import views
from handlers.admin import GREETING
from handlers.context import Context, Outgoing
from handlers.forms import current_values, form_message, scoped_choices, wants_form
from scheduler.calendar import WorkCalendar
from storage import copies, inbox, org, outbox
from storage.db import is_transient

log = logging.getLogger(__name__)
#: A refusal's first line up to this long reads whole in a toast (Feishu shows about a line).
TOAST_CHARS = 40


@dataclass
class Outcome:
    """What handling one event produced; card callbacks answer inline from `replies`."""

    replies: list[Message] = field(default_factory=list)
    duplicate: bool = False
    error: bool = False
    command: str = ""
    replaces_card: bool = False  # the first reply is the clicked card's new state: update that card in place
    answered_inline: bool = False  # … and the click's own answer carries it: nothing else will update the card
    toast: str = ""  # a word for the clicker beside the answer (an out-of-date card: docs/cards.md, "Copies")


class Router:
    def __init__(self, registry: Registry, sessions: async_sessionmaker[AsyncSession], config: Config,
                 calendar: WorkCalendar, clock: Clock, metrics: Metrics) -> None:
        self.registry = registry
        self.sessions = sessions
        self.config = config
        self.calendar = calendar
        self.clock = clock
        self.metrics = metrics

    async def claim_many(self, events: list[Event]) -> list[bool]:
        """`claim` for a batch in one transaction (group commit); a key repeated in the batch is
        claimed by its first event only."""
        by_platform: dict[str, list[Event]] = {}
        events = [cleaned(e) for e in events]
        for event in events:
            by_platform.setdefault(event.platform, []).append(event)
        stored: set[tuple[str, str]] = set()
        async with self.sessions() as session, session.begin():
            for platform, group in by_platform.items():
                keys = await inbox.claim_many(session, platform, [(e.dedup_key, e.to_json()) for e in group],
                                              self.clock.now())
                stored |= {(platform, k) for k in keys}
        results = []
        for event in events:
            results.append((event.platform, event.dedup_key) in stored)
            stored.discard((event.platform, event.dedup_key))
        return results

    async def handle(self, event: Event, answer_by: float | None = None) -> Outcome:
        """Claim and run an event in one transaction, for callers that answer after the work;
        `answer_by` (the loop's clock) for a click the platform lets the bot answer inline."""
        return await self.process(event, claimed=False, answer_by=answer_by)

    async def process(self, event: Event, claimed: bool = True, answer_by: float | None = None) -> Outcome:
        """Run an event to completion; `claimed=False` claims it inside the same transaction.

        A transient database failure (lost connection, deadlock, serialization failure) runs the
        whole transaction again, `scheduler.event_retries` times with a short backoff.
        """
        event = cleaned(event)
        retries = self.config.scheduler.event_retries
        for attempt in range(retries + 1):
            try:
                return await self._process(event, claimed, answer_by, last=attempt == retries)
            except _Transient as exc:
                log.warning("transient database error on %s (try %d of %d): %r", event.dedup_key, attempt + 1,
                            retries + 1, exc.__cause__)
                await asyncio.sleep(0.05 * 4 ** attempt)
        raise AssertionError("unreachable: the last try does not raise _Transient")

    async def _process(self, event: Event, claimed: bool, answer_by: float | None, last: bool) -> Outcome:
        started = time.perf_counter()
        outcome = Outcome()
        try:
            async with self.sessions() as session, session.begin():
                if not claimed and not await inbox.claim(session, event.platform, event.dedup_key, event.to_json(),
                                                         self.clock.now(), done=True):
                    raise _Duplicate
                if isinstance(event, ChatChanged):
                    await self._chat_changed(session, event, claimed)
                    return outcome
                ctx = await self._context(session, event)
                if isinstance(event, CardAction) and (stale := await self._superseded(ctx, event)) is not None:
                    outcome.command, outcome.toast, outcome.replaces_card = event.command, views.SUPERSEDED, stale
                    outcome.replies = await self._finish(ctx, event, outcome, claimed, answer_by)
                else:
                    spec, values = self._bind(event, ctx)
                    outcome.command = spec.name
                    assert spec.handler is not None
                    if values is None:
                        ctx.reply(await self._form(session, spec, event, ctx.actor.dept_id))
                    else:
                        ctx.warnings.extend(values.taken_as)
                        await spec.handler(ctx, values)
                        if spec.mutates and not ctx.audited:
                            ctx.audit(spec.name, detail=dict(values))
                        outcome.replaces_card = isinstance(event, CardAction) and spec.mutates
                    outcome.replies = await self._finish(ctx, event, outcome, claimed, answer_by,
                                                         form=isinstance(event, CardAction) and event.form)
            self.metrics.events.labels(event.platform, "ok").inc()
        except _Duplicate:
            self.metrics.events.labels(event.platform, "duplicate").inc()
            return await self._first_outcome(event)
        except UserError as err:
            outcome.error = True
            outcome.replies = await self._fail(event, _error_message(err), settle=True, claimed=claimed)
            self.metrics.events.labels(event.platform, "rejected").inc()
        except Exception as exc:
            if is_transient(exc) and not last:
                raise _Transient from exc
            log.exception("handling %s failed", event.dedup_key)
            outcome.error = True
            message = Message("处理失败", "机器人内部出错，本次操作没有保存，请稍后重试。", color="red", is_error=True)
            outcome.replies = await self._fail(event, message, settle=False, claimed=claimed, error=repr(exc))
            self.metrics.events.labels(event.platform, "failed").inc()
        self.metrics.latency.labels(outcome.command or "invalid").observe(time.perf_counter() - started)
        return outcome

    async def _superseded(self, ctx: Context, event: CardAction) -> bool | None:
        """A click on a copy that no longer shows its object's state is not run: the clicker gets
        the current card, in place when the platform can still update the copy (True), else
        posted under it (False). None: the card is current, or shows no object."""
        if not event.card_message_id:
            return None
        found = await views.superseded(ctx, event.platform, event.card_message_id)
        if found is None:
            return None
        card, in_place = found
        ctx.reply(card)
        return in_place

    async def _form(self, session: AsyncSession, spec: CommandSpec, event: Event, actor_dept_id: int | None
                    ) -> Message:
        """The command's form, pre-filled from the clicked button and what is stored, offering only
        the departments and people that make sense for it (handlers.forms.scoped_choices)."""
        preset = event.values if isinstance(event, CardAction) else {}
        depts, people = await scoped_choices(session, preset, actor_dept_id)
        return form_message(spec, await current_values(session, spec, preset), depts, people)

    async def _context(self, session: AsyncSession, event: Event) -> Context:
        chat = event.chat
        enrol = chat.is_group and self.config.policy.enrol_unknown_speakers  # an unknown speaker joins the group's dept
        chat_dept = await org.chat_dept(session, chat.platform, chat.chat_id) if enrol else None
        now = self.clock.now()
        actor = await org.ensure_person(session, event.sender.platform, event.sender.user_id, event.sender.name,
                                        now, dept_id=chat_dept)
        if actor.dept_id is None and chat_dept is not None:
            actor.dept_id = chat_dept
        return Context(session, actor, event, self.config, self.calendar, now, self.registry)

    def _bind(self, event: Command | CardAction, ctx: Context) -> tuple[CommandSpec, Values | None]:
        """The command and its bound inputs; None inputs for a form command typed bare."""
        max_chars = self.config.policy.max_field_chars
        if isinstance(event, Command):
            parsed = parse(self.registry, strip_bot_mentions(event))
            if parsed.spec.form and not parsed.args.positional and not parsed.args.options:
                return parsed.spec, None
            return parsed.spec, bind(parsed.spec, parsed.args, ctx.today, max_chars)
        spec = self.registry.specs.get(event.command)
        if spec is None:
            raise UserError(f"未知的卡片操作“{event.command[:40]}”")
        if wants_form(event.values):
            return spec, None
        return spec, bind_values(spec, event.values, ctx.today, max_chars)

    async def _chat_changed(self, session: AsyncSession, event: ChatChanged, claimed: bool) -> None:
        """The bot joined a group: greet it with how to /bind it. It can no longer post in a group:
        a bound department's group is marked lost and the PMO told at once, before any notice
        fails on it (docs/workflow.md, "People and groups change")."""
        now = self.clock.now()
        if event.joined:
            await self._enqueue(session, event, [Outgoing(_origin(event), GREETING)], suffix="greeting")
        elif (lost := await org.mark_lost(session, event.platform, event.chat.chat_id, event.reason, now)) is not None:
            await tell_lost(session, lost, event.reason, now)
        if claimed:
            await inbox.mark_done(session, event.platform, event.dedup_key, now)

    async def _finish(self, ctx: Context, event: Event, outcome: Outcome, claimed: bool, answer_by: float | None,
                      form: bool = False) -> list[Message]:
        replaces_card = outcome.replaces_card
        if ctx.warnings:
            note = "\n".join(f"⚠️ {w}" for w in dict.fromkeys(ctx.warnings))
            replies = [o for o in ctx.outgoing if o.kind == "reply"]
            if replies:
                first = replies[0]
                first.message = _with_note(first.message, note)
            else:
                ctx.reply(Message("提示", note, template=CardKind.NOTICE, color="yellow"))
        replies = [o for o in ctx.outgoing if o.kind == "reply"]
        clicked = (event.platform, event.card_message_id) if isinstance(event, CardAction) else None
        if isinstance(event, CardAction) and event.card_message_id:
            replies = _card_answers(ctx, event, replies, replaces_card, form)
        await views.refresh(ctx, skip=clicked if replaces_card else None)
        if isinstance(event, CardAction) and replies and replies[0].kind == "update" and answer_by is not None \
                and asyncio.get_running_loop().time() < answer_by:
            ctx.outgoing.remove(replies[0])  # the click's own answer carries the card's new state
            outcome.answered_inline = True
            await copies.record(ctx.session, [_shown(event, replies[0].message)], ctx.now)
        await self._enqueue(ctx.session, event, ctx.outgoing)
        if isinstance(event, CardAction) and replies:
            await self._keep(ctx.session, event, error=False, first=replies[0].message, replaces_card=replaces_card,
                             toast=outcome.toast, inline=outcome.answered_inline)
        if claimed:  # claimed before this transaction; otherwise the claim was written as done
            await inbox.mark_done(ctx.session, event.platform, event.dedup_key, ctx.now)
        return [o.message for o in replies]

    async def _fail(self, event: Event, message: Message, settle: bool, claimed: bool, error: str = "") -> list[Message]:
        """Queue the error reply, and settle the event (a refusal) or leave it retryable (a crash).

        An acked event (`claimed`) whose work failed is kept as failed, never dropped: the
        platform will not deliver it again, so the bot retries it (`Bot`'s retry loop) and reports
        it to the PMO once it has failed `event_max_attempts` times. A refused card click is
        answered inline (a toast on the card, which stays usable); when its reason is longer than
        a toast shows, the clicker also gets it in their private chat with the bot, to read.
        """
        async with self.sessions() as session, session.begin():
            now = self.clock.now()
            if settle:
                if not claimed:
                    if not await inbox.claim(session, event.platform, event.dedup_key, event.to_json(), now, done=True):
                        return []  # a concurrent delivery of the same event got there first
                else:
                    await inbox.mark_done(session, event.platform, event.dedup_key, now)
            elif claimed:
                tries = await inbox.mark_failed(session, event.platform, event.dedup_key, error,
                                                self.config.scheduler.event_max_attempts)
                if tries >= self.config.scheduler.event_max_attempts:
                    await self._report_dead(session, event, tries, error)
            if isinstance(event, Command):
                reply = Outgoing(_origin(event), message, reply_to=event.message_id, kind="reply")
                await self._enqueue(session, event, [reply], suffix="error")
            elif isinstance(event, CardAction) and settle:
                await self._keep(session, event, error=True, first=message, replaces_card=False)
                if len((message.body.splitlines() or [""])[0]) > TOAST_CHARS:
                    to_read = Outgoing(Address.private(event.platform, event.sender.user_id), message, kind="reply")
                    await self._enqueue(session, event, [to_read], suffix="error")
        return [message]

    async def queue_update(self, event: CardAction, outcome: Outcome) -> None:
        """A click's answer that was decided inline but committed too late for the click's own
        answer: the card is updated through the outbox instead."""
        async with self.sessions() as session, session.begin():
            update = Outgoing(_origin(event), outcome.replies[0], reply_to=event.card_message_id, kind="update")
            await self._enqueue(session, event, [update], suffix="late")

    async def _report_dead(self, session: AsyncSession, event: Event, tries: int, error: str) -> None:
        """An acked event that failed for good: the PMO hears of it, with what was asked."""
        asked = event.text if isinstance(event, Command) else f"卡片操作 /{event.command} {event.values}" \
            if isinstance(event, CardAction) else f"群变更 {event.chat.chat_id}"
        note = Message("消息处理失败", f"{event.sender.name or event.sender.user_id} 在 {event.platform} 的请求已重试 "
                       f"{tries} 次仍未成功，已停止重试，请人工处理：\n{asked[:500]}\n\n错误：{error[:200]}",
                       color="red", is_error=True)
        await outbox.notify_pmo(session, f"{event.platform}:{event.dedup_key}:dead:", note.to_json(), self.clock.now())

    async def _keep(self, session: AsyncSession, event: CardAction, error: bool, first: Message,
                    replaces_card: bool, toast: str = "", inline: bool = False) -> None:
        """A card click's answer, kept with its inbox row: the platform may deliver the click again
        (a retry after a slow answer) and must then see the same answer, not a generic one."""
        kept = {"error": error, "replaces_card": replaces_card, "first": first.to_json(), "toast": toast,
                "inline": inline}
        await inbox.keep_outcome(session, event.platform, event.dedup_key, event.to_json() | {"outcome": kept})

    async def _first_outcome(self, event: Event) -> Outcome:
        """A duplicate's outcome: the first delivery's answer when it was kept, else just "duplicate"."""
        if isinstance(event, CardAction):
            async with self.sessions() as session:
                kept = await inbox.outcome(session, event.platform, event.dedup_key)
            if kept is not None:
                return Outcome(replies=[Message.from_json(kept["first"])], duplicate=True, error=bool(kept["error"]),
                               command=event.command, replaces_card=bool(kept["replaces_card"]),
                               answered_inline=bool(kept.get("inline")), toast=str(kept.get("toast", "")))
        return Outcome(duplicate=True)

    async def _enqueue(self, session: AsyncSession, event: Event, items: list[Outgoing], suffix: str = "") -> None:
        now = self.clock.now()
        base = f"{event.platform}:{event.dedup_key}{':' + suffix if suffix else ''}"
        await outbox.enqueue(session, [{
            "key": o.key or f"{base}:{i}", "platform": o.address.platform, "chat_id": o.address.chat_id, "kind": o.kind,
            "reply_to": o.reply_to, "collab_id": o.collab_id, "payload": o.message.to_json(),
            "due_at": o.due_at or now, "created_at": now,
        } for i, o in enumerate(items)])


def _card_answers(ctx: Context, event: CardAction, replies: list[Outgoing], replaces_card: bool,
                  form: bool) -> list[Outgoing]:
    """Where a click's replies go: a shared card changes in place only to a new state of its own
    object (docs/cards.md, "Shared cards"). A plain button's workflow result is that; a submitted
    form's own object is the submission, so the form turns into 「已提交」 and the result is
    posted under it; anything else (a form to fill, a board, a list) is posted under the card,
    or in the clicker's private chat when it is about them alone (my tasks, my projects)."""
    for reply in replies:
        if reply.personal:  # about the clicker alone: to their private chat, not under the shared card
            reply.address = Address.private(event.sender.platform, event.sender.user_id)
        else:
            reply.reply_to = reply.reply_to or event.card_message_id
    if not (replaces_card and replies):
        return replies
    if not form:
        replies[0].kind = "update"
        return replies
    stub = Outgoing(replies[0].address, submitted(replies[0].message), reply_to=event.card_message_id, kind="update")
    ctx.outgoing.insert(ctx.outgoing.index(replies[0]), stub)
    return [stub, *replies]


def submitted(result: Message) -> Message:
    """What a submitted form turns into, so nobody submits it twice."""
    return Message(f"已提交 → {result.title}", "此表单已提交，结果见下方回复。", template=CardKind.SUBMITTED,
                   data={"code": result.data.get("code", ""), "result": result.title}, color="grey")


class _Transient(Exception):
    """A transient database failure inside an event's transaction: run the transaction again."""


class _Duplicate(Exception):
    """The event's key is in the inbox already: it was handled, or is being handled, elsewhere."""


def strip_bot_mentions(command: Command) -> str:
    text = command.text
    for mention in command.mentions:
        if mention.is_bot and mention.text:
            text = text.replace(mention.text, " ")
    return text.strip()


def _origin(event: Event) -> Address:
    return Address(event.chat.platform, event.chat.chat_id)


def _shown(event: CardAction, card: Message) -> copies.Shown:
    """The clicked copy, once the click's answer has replaced it with `card` (its window stays)."""
    return copies.Shown(event.platform, event.chat.chat_id, event.card_message_id, card.template,
                        str(card.data["object"]) if "object" in card.data else None, str(card.data.get("state", "")),
                        None)


def _with_note(message: Message, note: str) -> Message:
    return replace(message, body=f"{message.body}\n\n{note}" if message.body else note)


def _error_message(err: UserError) -> Message:
    body = err.message
    if err.usage:
        body += f"\n\n用法：\n{err.usage}"
    return Message("操作未完成", body, color="red", is_error=True)
