"""Registry lookups: a root that only has subcommands is still a command."""
from bot.commands import parse
from handlers import registry


def test_subcommand_only_root_is_found() -> None:
    assert parse(registry, "/task add XZ-2026-0001 用户调研").spec.name == "task add"
    assert parse(registry, "/task XZ-2026-0001").spec.name == "task list"  # the default subcommand
