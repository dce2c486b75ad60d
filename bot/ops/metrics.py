"""Veille's Prometheus metrics, through the official client library (prometheus_client).

Counters are counted where things happen (the core's poll cycle and digests, the adapters'
429s); gauges are read from storage at each scrape (`refresh`), so they are never stale and
cost nothing between scrapes. Each core has a registry of its own: tests run several cores in
one process, and the library's global registry would mix them.

    veille_polls_total{outcome}              one per feed poll: "200", "304", or the error
                                             kind ("http_503", "timeout", "blocked", "parse"…)
    veille_digests_total                     digests made
    veille_digest_failures_total             articles that could not be digested
    veille_digest_seconds                    histogram: article text + NLP, per digest
    veille_poll_cycle_seconds                duration of the last poll cycle
    veille_rate_limited_total{source}        429 answers received (telegram, discord, feed)
    veille_outbox_depth                      deliveries waiting (pending or sending)
    veille_deliveries{state,platform}        outbox rows by state and chat platform
    veille_feeds{status}                     feeds active, paused (after 3 days of errors), gone
    veille_feeds_backing_off                 active feeds whose last polls failed
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.store.protocols import StoreGauges

if TYPE_CHECKING:  # the pipeline pulls in the NLP engine; the metrics only read its outcomes
    from bot.feeds.pipeline import PollOutcome

# From a 304's bookkeeping to a long article on a slow core: spaCy takes 0.1–2 s.
DIGEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
OUTCOMES = {"new": "200", "unchanged": "200", "not_modified": "304"}


def poll_label(outcome: PollOutcome) -> str:
    """Return a poll's outcome label: the HTTP status of a success, else the error's kind."""
    return OUTCOMES.get(outcome.status) or outcome.error_kind or "internal"


class Metrics:
    """The counters, histograms and gauges of one Veille core."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.polls = Counter("veille_polls", "Feed polls by outcome (HTTP status or error kind)", ["outcome"],
                             registry=registry)
        self.digests = Counter("veille_digests", "Digests made", registry=registry)
        self.digest_failures = Counter("veille_digest_failures", "Articles that could not be digested",
                                       registry=registry)
        self.digest_seconds = Histogram("veille_digest_seconds", "Time to make one digest (article text and NLP)",
                                        buckets=DIGEST_BUCKETS, registry=registry)
        self.poll_cycle_seconds = Gauge("veille_poll_cycle_seconds", "Duration of the last poll cycle",
                                        registry=registry)
        self.rate_limited = Counter("veille_rate_limited", "429 answers received, by who sent them", ["source"],
                                    registry=registry)
        self.outbox_depth = Gauge("veille_outbox_depth", "Deliveries waiting to be sent (pending or sending)",
                                  registry=registry)
        self.deliveries = Gauge("veille_deliveries", "Outbox rows by state and chat platform", ["state", "platform"],
                                registry=registry)
        self.feeds = Gauge("veille_feeds", "Feeds by status (active, paused, gone)", ["status"], registry=registry)
        self.feeds_backing_off = Gauge("veille_feeds_backing_off", "Active feeds whose last polls failed",
                                       registry=registry)
        for outcome in ("200", "304"):
            self.polls.labels(outcome)  # shown at 0 from the start, so rate() has a first point

    def count_polls(self, outcomes: list[PollOutcome]) -> None:
        """Count one cycle's polls; a feed answering 429 is a rate limit too."""
        for outcome in outcomes:
            label = poll_label(outcome)
            self.polls.labels(label).inc()
            if label == "http_429":
                self.rate_limited.labels("feed").inc()

    def observe_digest(self, seconds: float, made: bool) -> None:
        """Record one digest's duration, or a failure to make it."""
        if made:
            self.digests.inc()
            self.digest_seconds.observe(seconds)
        else:
            self.digest_failures.inc()

    def count_rate_limit(self, source: str) -> None:
        """Count one 429 answer from a chat platform ("telegram", "discord")."""
        self.rate_limited.labels(source).inc()

    def show(self, gauges: StoreGauges) -> None:
        """Set the storage gauges from a fresh snapshot (states gone since are dropped)."""
        self.outbox_depth.set(gauges.outbox_depth)
        self.deliveries.clear()
        for (state, platform), count in gauges.deliveries.items():
            self.deliveries.labels(state, platform).set(count)
        self.feeds.clear()
        for status, count in gauges.feeds.items():
            self.feeds.labels(status).set(count)
        self.feeds_backing_off.set(gauges.feeds_backing_off)
