"""When Veille may call the model: a daily budget and a circuit breaker.

Why: a model call costs money (a hosted API) or minutes of CPU (a local one). The budget caps
calls per UTC day, counting the calls already recorded today so that a restart does not reset
it; the breaker stops calling a server that keeps failing (down, overloaded, misconfigured)
and lets one trial call through after a cool-down, so a dead server costs one timeout per
cool-down instead of one per article.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime


class DailyBudget:
    """At most `limit` calls per UTC day (None: no limit)."""

    def __init__(self, limit: int | None, *, today: Callable[[], date] | None = None) -> None:
        self.limit = limit
        self._today = today or (lambda: datetime.now(UTC).date())
        self._day: date | None = None
        self._used = 0

    def seed(self, day: date, used: int) -> None:
        """Start from the calls already made on `day` (read from the store at start)."""
        self._day, self._used = day, used

    def today(self) -> date:
        """Return the UTC day the budget counts."""
        return self._today()

    def used(self) -> int:
        """Return the calls counted today."""
        self._roll()
        return self._used

    def available(self) -> bool:
        """Tell whether a call may still be made today (without counting one)."""
        self._roll()
        return self.limit is None or self._used < self.limit

    def take(self) -> bool:
        """Count one call if the budget allows it; False when today's calls are spent."""
        self._roll()
        if self.limit is not None and self._used >= self.limit:
            return False
        self._used += 1
        return True

    def _roll(self) -> None:
        today = self._today()
        if self._day != today:
            self._day, self._used = today, 0


class CircuitBreaker:
    """Open after `threshold` consecutive failures; one trial call after `cooldown` seconds.

    closed → (threshold failures) → open → (cooldown passes) → half-open: one call allowed;
    its success closes the breaker, its failure opens it for another cooldown.
    """

    def __init__(
        self, *, threshold: int = 3, cooldown: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        """Return "closed", "open" or "half-open"."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Tell whether a call may go out now (in half-open, only one at a time)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial:
            self._trial = True
            return True
        return False

    def abandoned(self) -> None:
        """Forget a call that was cancelled before it ended (shutdown): it proved nothing."""
        self._trial = False

    def succeeded(self) -> None:
        """Record a usable answer: the breaker closes."""
        self._failures, self._opened_at, self._trial = 0, None, False

    def failed(self) -> bool:
        """Record a failed call; return True when this failure opened the breaker."""
        self._failures += 1
        was_open = self._opened_at is not None
        if self._trial or self._failures >= self.threshold:
            self._opened_at = self._clock()
            self._trial = False
            return not was_open
        return False
