"""Each stage module's commands and card views, collected in the module and added to a bot's
registry only when `register` is called: importing a module registers nothing anywhere.

    commands = Commands()

    @commands.command("report", ("报表",), "进度报表", Param(...))
    async def report(ctx: Context, v: Values) -> None: ...

`handlers.build_registry()` calls every stage module's `commands.register` in one visible list,
which is also the order of /help.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bot.commands import CommandSpec, Handler, Param, Registry
from bot.messages import Message
from handlers.context import Context
from storage.models import Collaboration

#: Draws the current card of an object by its row id (docs/cards.md, "Copies").
View = Callable[[Context, int], Awaitable[Message | None]]
#: Draws the card of a collaboration's item from the row and its collaboration.
ItemView = Callable[[Context, Collaboration, Any], Awaitable[Message | None]]


class Commands:
    def __init__(self) -> None:
        self._specs: list[CommandSpec] = []
        self._groups: list[tuple[str, tuple[str, ...], str]] = []
        self._views: dict[str, View] = {}

    def command(self, name: str, aliases: tuple[str, ...] | list[str], summary: str, *params: Param,
                example: str = "", mutates: bool = True, default_sub: bool = False,
                form: bool = False) -> Callable[[Handler], Handler]:
        """The handler of a command: its names, parameters (also its card form's fields) and summary."""
        def keep(fn: Handler) -> Handler:
            self._specs.append(CommandSpec(name, tuple(aliases), summary, tuple(params), example, fn, mutates,
                                           default_sub, form))
            return fn
        return keep

    def group(self, root: str, aliases: tuple[str, ...], summary: str) -> None:
        """A command that exists only as subcommands (`/task add|edit|list`)."""
        self._groups.append((root, aliases, summary))

    def view(self, kind: str) -> Callable[[View], View]:
        """How to draw the current card of objects of `kind` (by row id), to keep its copies true."""
        def keep(fn: View) -> View:
            self._views[kind] = fn
            return fn
        return keep

    def item_view(self, kind: str, model: type[Any]) -> Callable[[ItemView], ItemView]:
        """The card of a collaboration's item (task, problem, …, a `model` row with a `collab_id`),
        drawn from the row and its collaboration; none once either is gone."""
        def keep(fn: ItemView) -> ItemView:
            async def draw(ctx: Context, row_id: int) -> Message | None:
                row = await ctx.session.get(model, row_id)
                c = await ctx.session.get(Collaboration, row.collab_id) if row is not None else None
                return await fn(ctx, c, row) if row is not None and c is not None else None
            self._views[kind] = draw
            return fn
        return keep

    def register(self, registry: Registry) -> None:
        for root, aliases, summary in self._groups:
            registry.group(root, aliases, summary)
        for spec in self._specs:
            registry.add(replace(spec))  # its own copy: one bot's changes never reach another's
        registry.views.update(self._views)
