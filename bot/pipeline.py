"""The one way events enter the bot (docs/platforms.md, "The pipeline").

Every adapter decodes its platform's input into neutral events and hands each to
`Bot.dispatch(event, ack)` (or `Bot.accept`, which returns at the ack). The pipeline then keeps
the contract every chat platform asks for:

- a message is claimed durably in the inbox (claims arriving together share one commit), then
  acked, then run in order with the other messages of its chat by one of `event_workers`
  workers; the workers let acks go first, since the platform waits for those;
- a card click runs at once, inline, for up to `answer_within` seconds: its new state is answered
  in the click's own answer when the work ends in time, else the click is acked "still working"
  and its answer goes out through the outbox (the router decides which inside the click's
  transaction: never both);
- an event without an ack (the emulator, tests) is claimed and run in one transaction;
- the outbox dispatcher is woken for whatever the work queued, the indexer for the texts it wrote.

A failed claim raises to the adapter, which then does not ack: the platform delivers again.
"""
from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.claims import ClaimBatcher
from bot.events import CardAction, Command, Event
from bot.indexer import Indexer
from bot.outbox import Dispatcher
from bot.router import Outcome, Router

log = logging.getLogger(__name__)

#: Called once per event: with None when the event is safely claimed (or, for a click, when its
#: answer will come through the outbox), or with the outcome a click is answered with inline.
Ack = Callable[[Outcome | None], None]
QUIET = 0.005  # a worker starts the next event once no ack ran for this long …
MAX_YIELD = 0.1  # … or after this long at the latest, so a long burst still makes progress
GRACE = 0.3  # a click decided inline is waited for this much longer, for its commit


class Pipeline:
    def __init__(self, router: Router, dispatcher: Dispatcher, workers: int, indexer: Indexer | None = None) -> None:
        self.router = router
        self.dispatcher = dispatcher
        self.indexer = indexer
        self.workers = max(1, workers)
        self.claims = ClaimBatcher(router)
        self._queues: list[asyncio.Queue[tuple[Event, asyncio.Future[Outcome] | None]]] = []
        self._running: set[asyncio.Task[Any]] = set()
        self._acking = 0  # events being claimed for their ack right now: they go first
        self._last_ack = 0.0

    async def dispatch(self, event: Event, ack: Ack | None = None, answer_within: float | None = None) -> Outcome:
        """Claim, ack, run and answer one event; returns once its work is done."""
        if ack is None:
            outcome = await self.router.handle(event)
        elif isinstance(event, CardAction) and answer_within is not None:
            outcome = await self._click(event, ack, answer_within)
        else:
            outcome = await self._in_turn(event, ack)
        if not outcome.duplicate:
            self._wake()
        return outcome

    def _wake(self) -> None:
        """After an event's work: send what it queued, index the texts it wrote."""
        self.dispatcher.wake()
        if self.indexer is not None:
            self.indexer.wake()

    async def accept(self, event: Event, answer_within: float | None = None) -> Outcome | None:
        """For adapters: what to answer the platform, as soon as there is something to answer;
        the work goes on in the background (`drain` waits for it)."""
        if isinstance(event, Command):  # the common case, kept lean: the ack path is the platform's
            if await self._claimed(event):
                self._queue_of(event).put_nowait((event, None))
            return None
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[Outcome | None] = loop.create_future()

        def ack(answer: Outcome | None) -> None:
            if not acked.done():
                acked.set_result(answer)
        work = self._spawn(self.dispatch(event, ack, answer_within))
        await asyncio.wait({acked, work}, return_when=asyncio.FIRST_COMPLETED)
        if not acked.done():  # the work ended, or failed, without an ack: a failed claim raises here
            work.result()
            ack(None)
        return acked.result()

    async def _in_turn(self, event: Event, ack: Ack) -> Outcome:
        first = await self._claimed(event)
        ack(None)
        if not first:
            return Outcome(duplicate=True)
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue_of(event).put_nowait((event, done))
        return await done

    async def _claimed(self, event: Event) -> bool:
        """Claim the event for its ack (acks go before the workers' events); False: a repeat."""
        self._acking += 1
        try:
            return await self.claims.claim(event)
        finally:
            self._acking -= 1
            self._last_ack = asyncio.get_running_loop().time()

    async def _click(self, action: CardAction, ack: Ack, within: float) -> Outcome:
        loop = asyncio.get_running_loop()
        work = self._spawn(self.router.handle(action, answer_by=loop.time() + within))
        try:
            async with asyncio.timeout(within + GRACE):  # not wait_for: see bot/aio.py
                outcome: Outcome = await asyncio.shield(work)
        except TimeoutError:
            ack(None)
            outcome = await work
            if outcome.answered_inline:  # decided in time, committed too late: its update goes by the outbox
                log.warning("the answer to %s came too late for the click; updating the card instead",
                            action.dedup_key)
                await self.router.queue_update(action, outcome)
            return outcome
        ack(outcome)
        return outcome

    def _queue_of(self, event: Event) -> asyncio.Queue[tuple[Event, asyncio.Future[Outcome] | None]]:
        """A chat's events run in order: each chat belongs to one worker's queue."""
        if not self._queues:
            self._queues = [asyncio.Queue() for _ in range(self.workers)]
            for queue in self._queues:
                self._spawn(self._work(queue), name="event-worker")
        return self._queues[zlib.crc32(event.chat.chat_id.encode()) % len(self._queues)]

    async def _work(self, queue: asyncio.Queue[tuple[Event, asyncio.Future[Outcome] | None]]) -> None:
        """Run a shard's events in order; `done`, when someone waits for the outcome."""
        while True:
            event, done = await queue.get()
            try:
                await self._quiet()
                outcome = await self.router.process(event)
                self._wake()
                if done is not None:
                    done.set_result(outcome)
            except Exception as exc:  # the inbox row stays pending: resumed at the next start
                log.exception("processing %s failed", event.dedup_key)
                if done is not None:
                    done.set_exception(exc)
                    done.exception()  # retrieved: `dispatch` re-raises it to whoever still waits
            finally:
                queue.task_done()

    async def _quiet(self) -> None:
        """Acks first: the platform waits for them, and the work is already claimed. Start the
        next event once no ack is running or arrived within QUIET s, or after MAX_YIELD s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_YIELD
        while loop.time() < deadline:
            if not self._acking and loop.time() - self._last_ack >= QUIET:
                return
            await asyncio.sleep(QUIET)

    def _spawn(self, work: Coroutine[Any, Any, Any] | Awaitable[Any], name: str | None = None) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        if name:
            task.set_name(name)
        self._running.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("event failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for every event already acked to finish (tests, shutdown)."""
        for queue in self._queues:
            await queue.join()
        busy = [t for t in self._running if t.get_name() != "event-worker"]
        await asyncio.gather(*busy, return_exceptions=True)

    async def close(self) -> None:
        """Finish the events already acked, then stop the workers."""
        await self.drain()
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        self._queues = []
