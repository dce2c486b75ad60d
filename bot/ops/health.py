"""Is Veille working? The scheduler ticks (or makes progress) and the database answers.

`Heartbeat` is beaten by the core at the start and end of each poll cycle and at each digest
made, so a long cycle that is getting somewhere stays healthy while a hung one does not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


class Heartbeat:
    """The time of the scheduler's last sign of life (monotonic seconds), None before the first."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last: float | None = None

    def beat(self) -> None:
        """Record a sign of life now."""
        self.last = self.clock()

    def age(self) -> float | None:
        """Return the seconds since the last beat, or None if there was none yet."""
        return None if self.last is None else self.clock() - self.last


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The verdict and what each check found, as /healthz shows them."""

    ok: bool
    checks: dict[str, str] = field(default_factory=dict)


class Health:
    """Check the scheduler and the storage; every check is bounded in time."""

    def __init__(
        self,
        *,
        heartbeat: Heartbeat,
        scheduler_running: Callable[[], bool],
        ping: Callable[[], Awaitable[None]],
        stall_after: float,
        ping_timeout: float = 2.0,
    ) -> None:
        self.heartbeat = heartbeat
        self.scheduler_running = scheduler_running
        self.ping = ping
        self.stall_after = stall_after
        self.ping_timeout = ping_timeout

    async def check(self) -> HealthReport:
        """Return whether Veille is healthy, with a word per check."""
        checks = {"scheduler": self._scheduler(), "storage": await self._storage()}
        return HealthReport(ok=all(value == "ok" for value in checks.values()), checks=checks)

    def _scheduler(self) -> str:
        if not self.scheduler_running():
            return "not running"
        age = self.heartbeat.age()
        if age is None:
            return "no tick yet"
        if age > self.stall_after:
            return f"stalled: no tick for {age:.0f} s"
        return "ok"

    async def _storage(self) -> str:
        try:
            async with asyncio.timeout(self.ping_timeout):
                await self.ping()
        except TimeoutError:
            return f"no answer within {self.ping_timeout:g} s"
        except Exception as exc:  # noqa: BLE001  # whatever the database raises, the answer is "unhealthy"
            return f"error: {type(exc).__name__}"
        return "ok"
