"""The one direction of imports (pyproject.toml, [tool.importlinter]; `make check` enforces it):
every module of the bot belongs to a layer, so a new module cannot slip past the contract."""
from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import bot
import cards
import handlers
import scheduler
import storage

ROOT = Path(__file__).resolve().parent.parent


def layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    return [m.strip() for layer in contract["layers"] for m in layer.replace("|", ":").split(":")]


def test_every_module_is_in_a_layer() -> None:
    placed = layers()
    modules = [m.name for pkg in (bot, cards, handlers, scheduler, storage)
               for m in pkgutil.walk_packages(pkg.__path__, f"{pkg.__name__}.")]
    loose = [m for m in modules if not any(m == p or m.startswith(f"{p}.") for p in placed)]
    assert loose == [], f"give these a layer in pyproject.toml: {loose}"
