"""Digest throughput of N worker processes, each with its own DigestEngine, timed after the load.

Why processes: the NLP is CPU-bound Python; only processes use more than one core (issue 12).
Each worker is a fresh `spawn`ed process (nothing inherited from the bench's loopback server or
event loop): it loads the engine once, digests one article to warm up, then waits at a barrier
with the others. The clock starts when every worker has passed the barrier and stops when the
last one has digested its share, so the rate is articles over the slowest worker's wall, model
load excluded (bench/digest_bench.py reports the load apart).

Articles: ../shared/corpus/dev when it exists (read in place, never copied), else
bench/digest_bench.py's synthetic French articles of about 3,000 characters; repeated in order
up to the count asked.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Any

from bench.digest_bench import corpus_dir, load_articles
from digests.model import Article

_WORKER_TIMEOUT_S = 600  # loading the model takes seconds; a whole share, a minute or two


@dataclass(frozen=True, slots=True)
class DigestRate:
    """What N workers digested, in how long, and where the articles came from."""

    processes: int
    articles: int
    wall: float
    source: str

    @property
    def per_second(self) -> float:
        """Return articles digested per second over all workers."""
        return self.articles / self.wall if self.wall > 0 else 0.0


def bench_articles(count: int) -> tuple[list[Article], str]:
    """Return `count` articles (the corpus or synthetic ones, cycled) and where they come from."""
    folder = corpus_dir([""])
    base = load_articles(folder) or load_articles(None)
    source = f"{len(base)} corpus articles" if folder is not None else "synthetic 3,000-char articles"
    return [base[i % len(base)] for i in range(count)], source


def _worker(articles: list[Article], barrier: Any, done: Any) -> None:
    """Load one engine, warm it up, wait for the others, digest `articles`, report the end time."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per worker, as in production
    from digests.engine import DigestEngine

    engine = DigestEngine()
    engine.summarize(articles[0])  # warm-up: the first call allocates
    barrier.wait(_WORKER_TIMEOUT_S)
    for article in articles:
        engine.summarize(article)
    done.put(time.perf_counter())


def digest_rate(processes: int, count: int) -> DigestRate:
    """Digest `count` articles split over `processes` spawned workers; time them after the load."""
    articles, source = bench_articles(count)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    done = context.Queue()
    shares = [articles[i::processes] for i in range(processes)]
    workers = [context.Process(target=_worker, args=(share, barrier, done), daemon=True) for share in shares]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(_WORKER_TIMEOUT_S)
        start = time.perf_counter()  # perf_counter is system-wide on Linux: comparable across processes
        ends = [done.get(timeout=_WORKER_TIMEOUT_S) for _ in workers]
    finally:
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.terminate()
    return DigestRate(processes, len(articles), max(ends) - start, source)
