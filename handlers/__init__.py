"""Workflow actions, one module per stage; importing this package registers every command."""
from handlers import actions, admin, calendar, delivery, evaluation, execution, meetings, plan, problems, request  # noqa: F401
from handlers.registry import registry

__all__ = ["registry"]
