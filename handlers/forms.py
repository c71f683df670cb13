"""A command's parameters as a form to fill: the reply to a form command typed bare or opened from a card."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import CommandSpec
from bot.messages import CardKind, Message
from storage import org, workflow
from storage.models import ActionItem, Collaboration, Task

#: Card button values carrying this key ask for the command's form (pre-filled) instead of running it.
OPEN_FORM = "_form"
#: A larger organisation gets no list of people (a card has a size limit); pickers then offer the chat's members.
MAX_PEOPLE = 100


def form_fields(spec: CommandSpec, only: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The spec's params as card form fields, all of them or the named ones in that order."""
    params = {p.name: p for p in spec.params}
    names = list(only) if only is not None else list(params)
    return [{"name": p.name, "label": p.label, "kind": p.kind, "required": p.required,
             "choices": [{"value": c.value, "label": c.label} for c in p.choices],
             "placeholder": p.placeholder} for p in (params[n] for n in names)]


#: Current values of what an edit form changes, by command: the form opens filled in, not blank.
Prefill = Callable[[AsyncSession, Mapping[str, Any]], Awaitable[dict[str, Any]]]
PREFILLS: dict[str, Prefill] = {}


def prefills(command: str) -> Callable[[Prefill], Prefill]:
    """Register how to read the current values the form of `command` opens with."""
    def register(fn: Prefill) -> Prefill:
        PREFILLS[command] = fn
        return fn
    return register


async def current_values(session: AsyncSession, spec: CommandSpec, preset: Mapping[str, Any]) -> dict[str, Any]:
    """The values a form opens with: what is stored now, under what the button presets."""
    read = PREFILLS.get(spec.name)
    return {**(await read(session, preset) if read is not None else {}), **preset}


async def scoped_choices(session: AsyncSession, preset: Mapping[str, Any], actor_dept_id: int | None
                         ) -> tuple[list[str], list[dict[str, str]]]:
    """The departments and people a form's pickers offer: a collaboration's form (its code in
    `preset`, e.g. "XZ-2026-0001/T2") offers its participating departments and their people; a new
    request offers the other departments, never the PMO nor one's own. A form about one dept's work
    (a task, an action item, a dept named in it) offers that dept's people only."""
    ref = next((str(v) for k, v in preset.items() if k in REFS), "")
    c = await workflow.collab_by_code(session, ref.upper().partition("/")[0]) if ref else None
    pmo = {d.id for d in await org.pmo_departments(session)}
    if c is not None:
        dept_ids = [p.dept_id for p in await workflow.participants(session, c.id) if p.dept_id not in pmo]
    else:
        dept_ids = [d.id for d in await org.departments(session) if d.id not in pmo and d.id != actor_dept_id]
    names = {d.id: d.name for d in await org.departments(session)}
    scope = await _people_dept(session, c, preset, names) if c is not None else None
    if scope is not None:
        people = list(await org.members(session, scope))
    elif c is not None:
        people = [m for d in dept_ids for m in await org.members(session, d)]
    else:
        people = list(await org.members(session))
    return [names[d] for d in dept_ids], person_choices(people)


#: Preset keys that name a collaboration or one of its items ("XZ-2026-0001/T2").
REFS = ("id", "task", "problem", "risk", "change", "meeting", "action")


async def _people_dept(session: AsyncSession, c: Collaboration, preset: Mapping[str, Any],
                       names: Mapping[int, str]) -> int | None:
    """The department whose people a form about one dept's work offers: the dept it names, a
    task's owner dept, an action item's owner's dept; None for a form about the whole collaboration."""
    if preset.get("dept"):
        return next((i for i, n in names.items() if n == preset["dept"]), None)
    for key, prefix in (("task", "T"), ("action", "A")):
        number = str(preset.get(key, "")).upper().rpartition(f"/{prefix}")[2]
        if number.isdigit():
            row: Task | ActionItem | None = await workflow.numbered(session, Task, c.id, int(number)) if prefix == "T" \
                else await workflow.numbered(session, ActionItem, c.id, int(number))
            if isinstance(row, Task):
                return row.owner_dept_id
            if isinstance(row, ActionItem) and row.owner_id:
                owner = await org.person_by_id(session, row.owner_id)
                return owner.dept_id if owner else None
    return None


def wants_form(values: Mapping[str, Any]) -> bool:
    return bool(values.get(OPEN_FORM))


def form_message(spec: CommandSpec, values: Mapping[str, Any] | None = None, depts: Sequence[str] = (),
                 people: Sequence[Mapping[str, str]] = ()) -> Message:
    """The form of `spec`; `values` pre-fill it (e.g. the collaboration a card button was on).

    Department fields offer `depts` and person fields `people` ({value: platform user id, label,
    platform}), so a card can show pickers; each platform's codec keeps the people it can name.
    """
    body = f"请填写表单，或直接输入命令：\n{spec.help_text()}"
    prefill = {k: v for k, v in (values or {}).items() if k != OPEN_FORM and v not in (None, "", [])}
    fields = form_fields(spec)
    for field in fields:
        if field["kind"] in ("dept", "depts") and not field["choices"]:
            field["choices"] = [{"value": name, "label": name} for name in depts]
        elif field["kind"] in ("person", "people") and not field["choices"] and len(people) <= MAX_PEOPLE:
            field["choices"] = [dict(p) for p in people]
    return Message(spec.summary, body, template=CardKind.FORM,
                   data={"command": spec.name, "fields": fields, "values": prefill})


def person_choices(people: Iterable[tuple[Any, str]]) -> list[dict[str, str]]:
    """(Person, dept name) pairs as the choices of a person field: platform user id, label, platform."""
    return [{"value": p.user_id, "label": f"{p.name or p.user_id}（{dept}）", "platform": p.platform}
            for p, dept in people]
