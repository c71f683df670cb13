"""Stream mode: the `dingtalk-stream` client with a connection loop fit for the bot's event loop.

dingtalk-stream 0.24.3's `start()` swallows cancellation (shutdown hangs), opens connections
with blocking `requests` on the loop, reconnects with no backoff and has no liveness check
(docs/dingtalk.md, **SDK 0.24.3**). So `StreamClient` keeps the SDK's parts that are fine (handler
registry, frame classes, the handlers' acks) and replaces `start()` with `run()`: the gateway is
opened with aiohttp, reconnects back off exponentially with jitter (reset after a connection
that worked), a watchdog pings and aborts a socket that stops answering, acks go back on the
socket the frame came from, and cancelling the task stops it at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import dingtalk_stream
import websockets
from dingtalk_stream.frames import (
    AckMessage,
    CallbackMessage,
    EventMessage,
    SystemMessage,
)

from bot.aio import cancel_and_wait
from bot.platforms.dingtalk.api import DingTalkApi

log = logging.getLogger(__name__)

UA = f"dingtalk-sdk-python/v{dingtalk_stream.version.VERSION_STRING}-union (xiezuo)"


@dataclass(frozen=True)
class StreamTiming:
    """How the connection loop paces itself (all seconds)."""

    reconnect_base: float = 1.0
    reconnect_max: float = 60.0
    keepalive: float = 20.0  # ping this often
    watchdog: float = 60.0  # abort the socket when no frame or pong arrived for this long
    ack_grace: float = 5.0  # on stop, wait this long for in-flight frames to be acked


class StreamClient(dingtalk_stream.DingTalkStreamClient):
    def __init__(self, api: DingTalkApi, timing: StreamTiming) -> None:
        super().__init__(dingtalk_stream.Credential(api.config.client_id, api.config.client_secret), logger=log)
        self.api = api
        self.timing = timing
        self.connected = asyncio.Event()
        self.connections = 0  # sockets opened so far (tests and metrics)
        self.last_alive = time.monotonic()
        self._inflight: set[asyncio.Task[None]] = set()

    async def start(self) -> None:  # the SDK's name, for callers that expect it
        await self.run()

    async def run(self) -> None:
        """Connect, serve, reconnect; forever, until cancelled."""
        self.pre_start()
        failures = 0
        while True:
            healthy = False
            try:
                connection = await self.api.open_connection(self._subscriptions(), UA)
                uri = f'{connection["endpoint"]}?ticket={quote_plus(connection["ticket"])}'
                async with websockets.connect(uri, proxy=None, ping_interval=None, max_size=4 << 20,
                                              close_timeout=2) as ws:
                    self.websocket = ws
                    self.connections += 1
                    healthy = True
                    self.connected.set()
                    await self._serve(ws)
                log.info("dingtalk stream closed; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("dingtalk stream connection failed: %r", exc)
            finally:
                self.connected.clear()
                self.websocket = None  # type: ignore[assignment]  # the SDK's attribute, without Optional
            failures = 0 if healthy else failures + 1
            await asyncio.sleep(self._backoff(failures))

    async def stop(self, task: asyncio.Task[None]) -> None:
        """Cancel `task` (running `run`) and let frames already received finish their acks."""
        await cancel_and_wait(task)
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self.timing.ack_grace)
        for pending in list(self._inflight):
            pending.cancel()

    def _subscriptions(self) -> list[dict[str, str]]:
        topics = [{"type": "EVENT", "topic": "*"}] if self._is_event_required else []
        return topics + [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map]

    def _backoff(self, failures: int) -> float:
        """Quick after a connection that worked (the gateway's routine disconnects), slower after failures."""
        delay = min(self.timing.reconnect_max, self.timing.reconnect_base * 2 ** failures)
        return delay * (0.5 + random.random() / 2)

    async def _serve(self, ws: Any) -> None:
        self.last_alive = time.monotonic()
        watchdog = asyncio.create_task(self._watch(ws), name="dingtalk-watchdog")
        try:
            async for raw in ws:
                self.last_alive = time.monotonic()
                task = asyncio.create_task(self._route(ws, raw))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
        finally:
            await cancel_and_wait(watchdog)  # before the socket closes: a ping in flight must not outlive it

    async def _watch(self, ws: Any) -> None:
        """Ping every `keepalive` s; a socket silent for `watchdog` s is cut, so `run` reconnects."""
        while True:
            await asyncio.sleep(self.timing.keepalive)
            with contextlib.suppress(Exception):
                pong = await ws.ping()
                async with asyncio.timeout(self.timing.keepalive):  # not wait_for: see bot/aio.py
                    await pong
                self.last_alive = time.monotonic()
            if time.monotonic() - self.last_alive > self.timing.watchdog:
                log.warning("dingtalk stream silent for %.0fs; reconnecting", time.monotonic() - self.last_alive)
                ws.transport.abort()
                return

    async def _route(self, ws: Any, raw: str | bytes) -> None:
        """One frame through the SDK's handlers; the ack goes back on the socket it came from."""
        try:
            frame = json.loads(raw)
            kind = frame.get("type", "")
            ack: AckMessage | None = None
            if kind == SystemMessage.TYPE:
                system = SystemMessage.from_dict(frame)
                if system.headers.topic == SystemMessage.TOPIC_DISCONNECT:
                    log.info("dingtalk gateway asked to reconnect: %s", frame.get("data"))
                    await ws.close()
                    return
                ack = await self.system_handler.raw_process(system)
            elif kind == CallbackMessage.TYPE:
                callback = CallbackMessage.from_dict(frame)
                handler = self.callback_handler_map.get(callback.headers.topic)
                ack = await handler.raw_process(callback) if handler else _not_found(callback)
            elif kind == EventMessage.TYPE:
                ack = await self.event_handler.raw_process(EventMessage.from_dict(frame))
            if ack is not None:
                await ws.send(json.dumps(ack.to_dict()))
        except websockets.exceptions.ConnectionClosed:
            log.info("dingtalk stream closed before an ack went out; the gateway will redeliver")
        except Exception:
            log.exception("dingtalk frame failed")


def _not_found(callback: CallbackMessage) -> AckMessage:
    ack = AckMessage()
    ack.code = AckMessage.STATUS_NOT_IMPLEMENT
    ack.headers.message_id = callback.headers.message_id
    ack.headers.content_type = "application/json"
    ack.message = f"unknown topic {callback.headers.topic}"
    return ack
