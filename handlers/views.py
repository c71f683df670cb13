"""The current card of each object, and keeping every copy of it true (docs/cards.md, "Copies").

Each stage module says how to draw its objects' card from current state (`@commands.view("change")`).
After an action, `refresh` queues an in-place update of every copy of the objects it changed
whose state digest differs, where the platform still allows an update; several changes in a
row leave one pending update per copy, the latest. A click on a copy that is out of date is
answered by `superseded` with the object's current card instead of running the stale button.
"""
from __future__ import annotations

from dataclasses import replace

from bot.messages import Address, Message
from handlers.context import Context, Outgoing
from storage import copies, outbox

SUPERSEDED = "此卡片已更新"


async def current(ctx: Context, obj: str) -> Message | None:
    """The card of `obj` ("change:12") as it is now; None when it no longer exists. No mentions:
    bringing a card up to date must not ping anyone again."""
    kind, _, row_id = obj.partition(":")
    draw = ctx.registry.views.get(kind)
    message = await draw(ctx, int(row_id)) if draw is not None and row_id.isdigit() else None
    return replace(message, mentions=()) if message is not None else None


def copy_key(copy_id: int) -> str:
    """Outbox key prefix of a copy's updates: a newer one withdraws the one still pending."""
    return f"copy:{copy_id}:"


async def refresh(ctx: Context, skip: tuple[str, str] | None = None) -> None:
    """Queue an update of every out-of-date, still editable copy of the objects this action changed.

    `skip` (platform, message id) is the clicked card, which the click's own answer replaces.
    """
    cards: dict[str, Message | None] = {}
    for copy in await copies.editable_of(ctx.session, await copies.changed(ctx.session), ctx.now):
        if copy.object not in cards:
            cards[copy.object] = await current(ctx, copy.object)
        card = cards[copy.object]
        if card is None or card.data["state"] == copy.queued or (copy.platform, copy.message_id) == skip:
            continue
        await outbox.withdraw(ctx.session, copy_key(copy.id))
        copy.queued = card.data["state"]
        ctx.outgoing.append(Outgoing(Address(copy.platform, copy.chat_id), card, reply_to=copy.message_id, kind="update",
                                     key=f"{copy_key(copy.id)}{ctx.event.platform}:{ctx.event.dedup_key}"))


async def superseded(ctx: Context, platform: str, message_id: str) -> tuple[Message, bool] | None:
    """For a click on an out-of-date copy: the object's current card, and whether the copy can
    be updated in place (else the card is posted under it). None when the copy is current."""
    copy = await copies.at(ctx.session, platform, message_id)
    if copy is None:
        return None
    card = await current(ctx, copy.object)
    if card is None or card.data["state"] == copy.shown:
        return None
    return card, copies.editable(copy, ctx.now)
