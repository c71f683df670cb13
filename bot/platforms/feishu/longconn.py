"""Long-connection mode: the real `lark_oapi.ws.Client` in its own thread, watched for liveness.

lark-oapi 1.7.5 binds a module-level event loop at import and runs synchronous handlers on it,
so the client gets a thread with its own loop (assigned to that module global before `start`),
and each handler only hands the event to the bot's loop and waits for the durable claim (a few
ms) before returning, which sends the ack. The SDK has no liveness check and its endpoint
discovery has no timeout: a watchdog restarts the client when no frame (event or pong) has
arrived for `watchdog_seconds`, and discovery gets a timeout.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from typing import Any

from bot.aio import cancel_and_wait
from bot.config import FeishuConfig
from bot.pipeline import GRACE
from bot.platforms.feishu import translate
from bot.platforms.feishu.inbound import FeishuInbound

log = logging.getLogger(__name__)

DISCOVERY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


class FeishuLongConnection:
    def __init__(self, inbound: FeishuInbound, config: FeishuConfig) -> None:
        self.inbound = inbound
        self.config = config
        self.last_frame = time.monotonic()
        self.restarts = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: _ClientThread | None = None
        self._watchdog: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._launch()
        self._watchdog = asyncio.create_task(self._watch(), name="feishu-watchdog")

    async def stop(self) -> None:
        await cancel_and_wait(self._watchdog)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.stop)
            self._thread = None

    def frame_seen(self) -> None:
        """Called from the client thread for every frame received."""
        self.last_frame = time.monotonic()

    async def _launch(self) -> None:
        self.last_frame = time.monotonic()
        assert self._loop is not None
        self._thread = _ClientThread(self, self._loop)
        self._thread.start()
        await asyncio.to_thread(self._thread.ready.wait, 30)

    async def _watch(self) -> None:
        limit = self.config.watchdog_seconds
        while True:
            await asyncio.sleep(min(1.0, limit / 4))
            if time.monotonic() - self.last_frame > limit:
                log.warning("feishu long connection silent for %ss: restarting the client", limit)
                if self._thread is not None:
                    await asyncio.to_thread(self._thread.stop)
                self.restarts += 1
                await self._launch()

    # Handlers: called synchronously on the client thread's loop.
    def on_event(self, data: Any) -> None:
        self._submit(data)

    def on_card(self, data: Any) -> Any:
        from lark_oapi.event.callback.model.p2_card_action_trigger import (
            P2CardActionTriggerResponse,
        )

        return P2CardActionTriggerResponse(self._submit(data) or {})

    def _submit(self, data: Any) -> dict[str, Any] | None:
        """Run the event on the bot's loop; return once it is claimed (or answered, for cards)."""
        from lark_oapi.core.json import JSON

        envelope = json.loads(JSON.marshal(data))
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self.inbound.accept(envelope), self._loop)
        try:
            return future.result(timeout=self.config.card_answer_seconds + GRACE + 0.1)
        except translate.BadEvent as exc:  # acked and dropped: a redelivery would be just as bad
            log.warning("feishu event dropped: %s", exc)
            return None


class _TimeoutRequests:
    """Stands in for `requests` inside lark_oapi.ws.client: endpoint discovery with a timeout."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def post(self, *args: Any, **kwargs: Any) -> Any:
        import requests

        kwargs.setdefault("timeout", self.timeout)
        return requests.post(*args, **kwargs)


class _ClientThread(threading.Thread):
    def __init__(self, owner: FeishuLongConnection, bot_loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(name="feishu-ws", daemon=True)
        self.owner = owner
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.client: Any = None

    def run(self) -> None:
        import lark_oapi as lark  # lazily: only long-connection mode pays for it (~2 s, 170 MB)
        from lark_oapi.ws import client as ws_client

        owner = self.owner
        loop = self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ws_client.loop = loop  # the SDK's module-level loop: this thread's, not the importer's
        ws_client.requests = _TimeoutRequests(DISCOVERY_TIMEOUT)

        class WatchedClient(ws_client.Client):
            async def _handle_message(self, msg: bytes) -> None:
                owner.frame_seen()
                await super()._handle_message(msg)

        handler = (lark.EventDispatcherHandler.builder("", "")
                   .register_p2_im_message_receive_v1(owner.on_event)
                   .register_p2_im_chat_member_bot_added_v1(owner.on_event)
                   .register_p2_im_chat_member_bot_deleted_v1(owner.on_event)
                   .register_p2_im_chat_disbanded_v1(owner.on_event)
                   .register_p2_card_action_trigger(owner.on_card)
                   .build())
        cfg = owner.config
        self.client = WatchedClient(cfg.app_id, cfg.app_secret, event_handler=handler, domain=cfg.base_url,
                                    log_level=lark.LogLevel.WARNING, auto_reconnect=True)
        self.ready.set()
        try:
            self.client.start()
        except (asyncio.CancelledError, RuntimeError):
            pass  # stopped
        except Exception:
            log.exception("feishu long connection client stopped")
        finally:
            with contextlib.suppress(Exception):  # let `_shutdown` finish closing the connection
                loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True))
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Close the connection, cancel the client's tasks and let the thread end."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        self.join(STOP_TIMEOUT)
        if self.is_alive():
            log.warning("feishu client thread did not stop within %ss", STOP_TIMEOUT)

    async def _shutdown(self) -> None:
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        self.client._auto_reconnect = False
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        conn = self.client._conn
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
