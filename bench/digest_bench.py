"""Measure the digest engine on one core: load time, articles/s, median and p95 per article.

Usage: .venv/bin/python bench/digest_bench.py [CORPUS_DIR]

Runs over ../shared/corpus/dev (or /work/shared/corpus/dev) when it exists, else over
built-in synthetic French articles of about 3,000 characters. The model is loaded once and
its load time is reported apart; each article is digested alone (as the bot does when a
new item arrives) and then the whole set as one `summarize_many` batch.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as in production
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from digests.extract import article_from_html, article_from_text  # noqa: E402  # after env
from digests.model import Article  # noqa: E402  # after env

ROUNDS = 3
_PARAGRAPH = (
    "Le parquet de Paris a ouvert une information judiciaire visant la plateforme Exemplo, "
    "soupçonnée de permettre des transactions illicites en bande organisée. Selon la "
    "procureure de la République Marie Dufresne, trois hommes ont été placés en garde à vue "
    "par les enquêteurs de l'UNCyber de la Gendarmerie nationale. Les faits sont passibles de "
    "10 ans de prison et 500 000 euros d'amende. La CNIL, saisie par une association, rappelle "
    "que le RGPD s'applique aux données des utilisateurs, dont certaines ont été revendues. "
)


def corpus_dir(argv: list[str]) -> Path | None:
    if len(argv) > 1:
        return Path(argv[1])
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "shared/corpus/dev", Path("/work/shared/corpus/dev")):
        if candidate.is_dir():
            return candidate
    return None


def load_articles(folder: Path | None) -> list[Article]:
    if folder is None:
        text = "\n\n".join([_PARAGRAPH] * 5)[:3000]
        return [Article(title=f"Article synthétique {i}", text=text) for i in range(16)]
    articles = []
    for path in sorted(folder.iterdir()):
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            articles.append(article_from_html(raw))
        elif path.suffix == ".txt":
            articles.append(article_from_text(raw))
    return articles


def main() -> int:
    folder = corpus_dir(sys.argv)
    articles = load_articles(folder)
    print(f"corpus: {folder or 'synthetic'} ({len(articles)} articles)")

    from digests.engine import DigestEngine

    start = time.perf_counter()
    engine = DigestEngine(private=True)
    print(f"model load: {time.perf_counter() - start:.2f} s")
    engine.summarize(articles[0])  # warm-up: first call allocates

    per_article: list[float] = []
    per_3k: list[float] = []
    for _ in range(ROUNDS):
        for article in articles:
            t0 = time.perf_counter()
            engine.summarize(article)
            ms = (time.perf_counter() - t0) * 1000
            per_article.append(ms)
            chars = len(article.title) + len(article.text)
            per_3k.append(ms * 3000 / max(chars, 1))

    t0 = time.perf_counter()
    for _ in range(ROUNDS):
        engine.summarize_many(articles)
    batch_s = time.perf_counter() - t0

    per_article.sort()
    p95 = per_article[min(len(per_article) - 1, int(0.95 * len(per_article)))]
    sizes = [len(a.title) + len(a.text) for a in articles]
    print(f"article size: median {statistics.median(sizes):.0f} chars")
    print(
        f"one by one: {1000 * len(per_article) / sum(per_article):.1f} articles/s, "
        f"median {statistics.median(per_article):.1f} ms, p95 {p95:.1f} ms"
    )
    print(f"median scaled to a 3,000-char article: {statistics.median(per_3k):.1f} ms")
    print(f"summarize_many: {ROUNDS * len(articles) / batch_s:.1f} articles/s")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {peak_kb / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
