"""A command's parameters as a form to fill: the reply to a form command typed bare."""
from __future__ import annotations

from bot.commands import CommandSpec
from bot.messages import Message


def form_message(spec: CommandSpec) -> Message:
    fields = [{"name": p.name, "label": p.label, "kind": p.kind, "required": p.required,
               "choices": [{"value": c.value, "label": c.label} for c in p.choices],
               "placeholder": p.placeholder} for p in spec.params]
    body = f"请填写表单，或直接输入命令：\n{spec.help_text()}"
    return Message(spec.summary, body, template="form", data={"command": spec.name, "fields": fields})
