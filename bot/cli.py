"""`xiezuo serve [--config PATH]`, `xiezuo db upgrade`, `xiezuo doctor`: the stable command line
(README, “Configuration”).

The bot itself is imported when a command needs it, not with this module: the `xiezuo` script
imports it, and so does every process that multiprocessing starts from that script (the chart
worker re-imports its parent's main module), which then stays small.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from bot.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import Bot
    from bot.clock import Clock
    from bot.server import Adapter

class StartupError(Exception):
    """The bot cannot start for a reason outside it (database unreachable, port taken): said in
    one line, with exit code 1, instead of a traceback."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xiezuo", description="协作: cross-department collaboration bot")
    parser.add_argument("--config", help="TOML config file (default: $XIEZUO_CONFIG, else built-in defaults)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot and its HTTP server")
    serve.add_argument("--config", dest="sub_config", help="TOML config file")
    serve.add_argument("--host", help="listen on this address (default: [http] host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen on this port (default: $XIEZUO_HTTP_PORT, else [http] port, 8080)")
    doctor = commands.add_parser("doctor", help="check a configured deployment: what is wrong and how to fix it")
    doctor.add_argument("--config", dest="sub_config", help="TOML config file")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply migrations up to the newest")
    db.add_argument("--config", dest="sub_config", help="TOML config file")
    args = parser.parse_args(argv)
    from bot import logs

    logs.setup()
    try:
        config = load_config(getattr(args, "sub_config", None) or args.config)
    except ConfigError as exc:
        print(f"xiezuo: config error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "host", None):
        config.http.host = args.host
    if getattr(args, "port", None) is not None:
        if not 0 <= args.port <= 65535:
            print(f"xiezuo: --port {args.port} is not a port number (0–65535)", file=sys.stderr)
            return 2
        config.http.port = args.port
    try:
        if args.command == "doctor":
            from bot import doctor as checks

            text, code = checks.report(asyncio.run(checks.run(config)))
            print(text)
            return code
        if args.command == "db":
            from storage.db import shown_url

            asyncio.run(_upgrade(config))
            print(f"database upgraded: {shown_url(config.database.url)}")
            return 0
        asyncio.run(serve_forever(config))
    except StartupError as exc:
        print(f"xiezuo: {exc}", file=sys.stderr)
        return 1
    return 0


async def _upgrade(config: Config) -> None:
    from bot.app import Bot
    from storage import migrate

    bot = Bot(config)
    try:
        with _opening_database(config):
            await migrate.upgrade(bot.engine)
    finally:
        await bot.engine.dispose()


@contextlib.contextmanager
def _opening_database(config: Config) -> Iterator[None]:
    """Database errors while starting, as a StartupError naming the database (without its password)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from storage.db import shown_url

    try:
        yield
    except (OSError, SQLAlchemyError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        raise StartupError(f"cannot open the database {shown_url(config.database.url)}: {reason}") from exc


def platform_adapters(bot: Bot) -> list[Adapter]:
    """The adapters of the platforms the config turns on (bot.config.PLATFORMS), each imported
    only when it is used: an SDK costs seconds and megabytes to import."""
    adapters: list[Adapter] = []
    for platform in bot.config.platforms():
        module, _, name = platform.adapter.partition(":")
        adapters.append(getattr(importlib.import_module(module), name)(bot))
    return adapters


async def start_server(config: Config, clock: Clock | None = None) -> tuple[Bot, web.AppRunner, str]:
    """Build the app (adapters first), start the bot, listen, connect the platforms; returns the bound URL.

    To stop: `bot.stop_sending()`, then `runner.cleanup()` (disconnects the platforms), then
    `bot.stop()` (closes the database).
    """
    from aiohttp import web

    from bot import logs
    from bot.app import Bot
    from bot.server import make_app

    bot = Bot(config, clock=clock)
    adapters = platform_adapters(bot)
    app = make_app(bot, adapters)
    for adapter in adapters:
        app.on_cleanup.append(_stopping(adapter))
    try:
        with _opening_database(config):
            for adapter in adapters:
                await adapter.prepare()
            await bot.start()
    except StartupError:
        await bot.stop()
        raise
    app[logs.TRAFFIC] = traffic = logs.Traffic()
    runner = web.AppRunner(app, access_log_class=logs.access_logger(traffic))
    await runner.setup()
    site = web.TCPSite(runner, config.http.host, config.http.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        await bot.stop()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise StartupError(f"cannot listen on {config.http.host}:{config.http.port}: {reason}; "
                           "another process has the port, or set [http] port in the config") from exc
    for adapter in adapters:
        await adapter.start()
    bot.warm_renderer()
    port = runner.addresses[0][1]  # the real port when the config asks for 0
    return bot, runner, f"http://{config.http.host}:{port}/"


def _stopping(adapter: Adapter) -> Callable[[web.Application], Awaitable[None]]:
    """The server's clean-up step that stops one platform adapter."""
    async def stop(_app: web.Application) -> None:
        await adapter.stop()
    return stop


async def serve_forever(config: Config) -> None:
    from bot import logs
    from bot.gc_tuning import freeze_startup_objects
    from storage.db import shown_url

    bot, runner, url = await start_server(config)
    freeze_startup_objects()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    lines = [f"xiezuo is running: {url}", f"  database: {shown_url(config.database.url)}",
             f"  platforms: {', '.join(p.name for p in config.platforms())}"]
    lines += [f"  {p.hint.format(url=url)}" for p in config.platforms() if p.hint]
    lines.append(f"  health: {url}healthz   metrics: {url}metrics   (XIEZUO_LOG_LEVEL=DEBUG shows every request)")
    print("\n".join(lines), flush=True)
    summaries = asyncio.create_task(logs.summarise(runner.app[logs.TRAFFIC]))
    try:
        await stop.wait()
    finally:
        summaries.cancel()
        await bot.stop_sending()  # before the platform clients close
        await runner.cleanup()  # stops the platform adapters too
        await bot.stop()
