"""The one command registry; each stage module adds its commands to it on import."""
from bot.commands import Registry

registry = Registry()
