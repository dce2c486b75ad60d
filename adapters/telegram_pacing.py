"""Pace outgoing Telegram messages within the Bot API's flood limits.

Telegram asks bots to stay under 30 messages per second overall, 1 per second in one chat and
20 per minute in one group (https://core.telegram.org/bots/faq#broadcasting-to-users). Sending
faster earns a 429 with `retry_after`, sometimes of many seconds, so it is cheaper to wait
a little before each send than to be told to wait a lot after.

Why not PTB's `AIORateLimiter`: it has no per-private-chat limit, needs an extra dependency
(aiolimiter), and knows nothing of our outbox. Here a wait on the chat's own limits that would
be long (a busy group) is not slept through: `Pacer.slot` raises `PacingWait`, the adapter turns
it into `RetryLaterError`, and the dispatcher serves other chats meanwhile. Command replies and
outbox deliveries to a chat take their slots from the same `Pacer`, so they share one budget.

Each limit is a `Window`: at most `limit` sends per `period`. A permit is taken when a send
starts and comes back `period` seconds after the send *completes*, so however the request was
delayed on the way, the server can never see more than `limit` arrivals in any `period`.
The price is one round-trip per period (≈1 % on loopback, a few % against api.telegram.org).
While every permit is held by a send still in flight (a slow reply), nobody knows when it will
come back; `ready_at` then answers the earliest it can: one `period` from now. Every wait is
therefore finite, re-checked when a send completes, and bounded in all by `max_wait`.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass


class PacingWait(Exception):
    """The chat's own limits would make this send wait longer than allowed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"chat paced for {seconds:.1f}s")
        self.seconds = seconds


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's flood limits; tests and the bench scale them down."""

    per_second: int = 30
    chat_interval: float = 1.0
    group_limit: int = 20
    group_period: float = 60.0


class Window:
    """At most `limit` sends per `period`, counting each send until `period` after it completes."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._returns: list[float] = []  # heap of times at which used permits come back
        self._in_flight = 0

    def ready_at(self, now: float) -> float:
        """Return the earliest time a permit can be free: `now` if one is, never infinity.

        When every permit is held by a send in flight, the earliest is one `period` from now
        (the permit comes back `period` after that send completes, which is `now` at best).
        """
        while self._returns and self._returns[0] <= now:
            heapq.heappop(self._returns)
        if len(self._returns) + self._in_flight < self.limit:
            return now
        return self._returns[0] if self._returns else now + self.period

    def take(self) -> None:
        """Use a permit for a send that starts now (call only when `ready_at` says so)."""
        self._in_flight += 1

    def give_back(self, now: float) -> None:
        """Return the permit `period` seconds after the send completed."""
        self._in_flight -= 1
        heapq.heappush(self._returns, now + self.period)

    def idle(self, now: float) -> bool:
        """Return True when the window holds no state worth keeping."""
        return self.ready_at(now) == now and not self._returns and not self._in_flight


def is_group_chat(chat_id: str) -> bool:
    """Tell groups, supergroups and channels (negative ids, @usernames) from private chats."""
    return chat_id.startswith(("-", "@"))


class Pacer:
    """Grant send slots under the global, per-chat and per-group limits, roughly first come first served."""

    def __init__(self, limits: Limits | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self._global = Window(self.limits.per_second, 1.0)
        self._chats: dict[str, Window] = {}
        self._groups: dict[str, Window] = {}
        self._blocked: dict[str, float] = {}  # chat → monotonic time before which Telegram said wait
        self._changed = asyncio.Event()

    def block(self, chat_id: str, seconds: float) -> None:
        """Hold every send to `chat_id` for `seconds` (after a 429 with retry_after)."""
        until = self.clock() + seconds
        self._blocked[chat_id] = max(self._blocked.get(chat_id, 0.0), until)

    def chat_ready_at(self, chat_id: str, now: float) -> float:
        """Return when the chat's own limits (not the global one) allow its next send."""
        ready = max(now, self._blocked.get(chat_id, 0.0))
        ready = max(ready, self._chat_window(chat_id).ready_at(now))
        if is_group_chat(chat_id):
            ready = max(ready, self._group_window(chat_id).ready_at(now))
        return ready

    @asynccontextmanager
    async def slot(self, chat_id: str, *, max_wait: float | None = None) -> AsyncIterator[None]:
        """Wait for a send slot to `chat_id` and hold it while the block sends one message.

        Raise `PacingWait` when the chat's own limits need more than `max_wait` seconds; the
        global limit is always waited for, since every chat shares it.
        """
        windows = [self._global, self._chat_window(chat_id)]
        if is_group_chat(chat_id):
            windows.append(self._group_window(chat_id))
        deadline = None if max_wait is None else self.clock() + max_wait
        while True:
            now = self.clock()
            chat_ready = self.chat_ready_at(chat_id, now)
            if deadline is not None and chat_ready > deadline:
                raise PacingWait(chat_ready - now)
            ready = max(chat_ready, self._global.ready_at(now))
            if ready <= now:
                break
            changed = self._changed
            try:  # a completed send may free a permit early: look again then
                await asyncio.wait_for(changed.wait(), ready - now)
            except TimeoutError:
                pass
        for window in windows:
            window.take()
        try:
            yield
        finally:
            done = self.clock()
            for window in windows:
                window.give_back(done)
            self._changed.set()
            self._changed = asyncio.Event()
            self._forget_idle(done)

    def _chat_window(self, chat_id: str) -> Window:
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = Window(1, self.limits.chat_interval)
        return window

    def _group_window(self, chat_id: str) -> Window:
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = Window(self.limits.group_limit, self.limits.group_period)
        return window

    def _forget_idle(self, now: float) -> None:
        """Drop state of chats that have been quiet for a while, so memory stays bounded."""
        if len(self._chats) + len(self._groups) < 4096:
            return
        self._chats = {k: w for k, w in self._chats.items() if not w.idle(now)}
        self._groups = {k: w for k, w in self._groups.items() if not w.idle(now)}
        self._blocked = {k: t for k, t in self._blocked.items() if t > now}
