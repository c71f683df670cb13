"""Workflow actions, one module per stage; importing this package registers every command."""
from handlers import (  # noqa: F401
    actions,
    admin,
    audit_trail,
    calendar,
    delivery,
    evaluation,
    execution,
    export,
    handover,
    meetings,
    plan,
    problems,
    registers,
    report,
    request,
)
from handlers.registry import registry

__all__ = ["registry"]
