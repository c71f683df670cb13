"""Workflow actions, one module per stage. `build_registry()` gives a bot its commands and card
views: each stage module adds its own, in the order below, which is also the order of /help."""
from bot.commands import Registry
from handlers import (
    actions,
    admin,
    audit_trail,
    calendar,
    delivery,
    evaluation,
    execution,
    export,
    handover,
    kb,
    load,
    meetings,
    plan,
    plan_templates,
    problems,
    registers,
    report,
    request,
)

#: The stage modules, in workflow order: /help lists their commands so.
STAGES = (admin, request, evaluation, plan, plan_templates, execution, problems, registers, meetings, actions, delivery, report,
          kb, load, audit_trail, export, handover, calendar)


def build_registry() -> Registry:
    registry = Registry()
    for stage in STAGES:
        stage.commands.register(registry)
    return registry
