"""What the metrics and the health check need from storage, whatever the backend.

Each backend implements `GaugeSource` next to its repositories (`bot.store.sqlite.gauges`,
`bot.store.postgres.gauges`) and lends it as `Store.gauges`; the ops server only sees this
protocol and the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

DELIVERY_STATES = ("pending", "sending", "sent", "failed", "dropped")
FEED_STATUSES = ("active", "paused", "gone")


@dataclass(frozen=True, slots=True)
class StoreGauges:
    """A snapshot of the outbox and the feeds: what a scrape of /metrics shows as gauges."""

    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (state, platform) → rows
    feeds: dict[str, int] = field(default_factory=dict)  # status → feeds
    feeds_backing_off: int = 0  # active feeds whose last polls failed

    @classmethod
    def from_counts(
        cls, deliveries: Iterable[tuple[str, str, int]], feeds: Iterable[tuple[str, int, int]]
    ) -> StoreGauges:
        """Build a snapshot from a backend's counts, with a zero for each state and status not counted.

        `deliveries` are (state, platform, rows); `feeds` are (status, feeds, of which backing off).
        Both backends count the same way, so they fill in the zeros here, once.
        """
        counted = list(deliveries)
        by_state = {(state, platform): 0 for state in DELIVERY_STATES for platform in {p for _, p, _ in counted}}
        by_state.update({(state, platform): n for state, platform, n in counted})
        by_status = dict.fromkeys(FEED_STATUSES, 0)
        backing_off = 0
        for status, n, failing in feeds:
            by_status[status] = n
            backing_off += failing
        return cls(deliveries=by_state, feeds=by_status, feeds_backing_off=backing_off)

    @property
    def outbox_depth(self) -> int:
        """Return the deliveries still to send (pending, or claimed and being sent)."""
        return sum(n for (state, _), n in self.deliveries.items() if state in ("pending", "sending"))


class GaugeSource(Protocol):
    """Read the storage gauges, and answer the health check's ping."""

    async def ping(self) -> None:
        """Run the cheapest query there is; raise if the database does not answer."""
        ...

    async def read(self) -> StoreGauges:
        """Count deliveries by state and platform and feeds by status, zeros included."""
        ...
