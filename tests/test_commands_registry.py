"""Registry lookups: a root that only has subcommands is still a command; every stage module is
in the one list that builds a bot's commands."""
import pkgutil

import handlers
from bot.commands import parse
from handlers import STAGES, build_registry

REGISTRY = build_registry()


def test_subcommand_only_root_is_found() -> None:
    assert parse(REGISTRY, "/task add XZ-2026-0001 用户调研").spec.name == "task add"
    assert parse(REGISTRY, "/task XZ-2026-0001").spec.name == "task list"  # the default subcommand


def test_every_module_with_commands_is_a_listed_stage() -> None:
    """A stage module left out of `handlers.STAGES` would have its commands silently missing."""
    with_commands = {m.name for m in pkgutil.iter_modules(handlers.__path__)
                     if hasattr(__import__(f"handlers.{m.name}", fromlist=["commands"]), "commands")}
    assert with_commands == {s.__name__.rpartition(".")[2] for s in STAGES}


def test_two_bots_have_registries_of_their_own() -> None:
    first, second = build_registry(), build_registry()
    first.specs.pop("help")
    assert "help" in second.specs and "help" not in first.specs


def test_help_lists_the_commands_in_workflow_order() -> None:
    roots = REGISTRY.root_names()
    assert roots[:4] == ["help", "bind", "request", "evaluate"]
    assert roots.index("task") < roots.index("status") < roots.index("deliver") < roots.index("report")


def test_every_command_in_help_has_a_chinese_name() -> None:
    """Help shows `/root（中文名）`: a root without one (a group never declared) shows empty brackets."""
    nameless = [root for root in REGISTRY.root_names() if not REGISTRY.summary(root)[0]]
    assert nameless == []
    assert parse(REGISTRY, "/行动项 done XZ-2026-0001/A1").spec.name == "action done"
