"""Article text → French digest: cleaning, NLP, actors, legal stakes, rendering.

Public surface: `Article`, `Digest`, `summarize(article)`, `summarize_many(articles)`, and the
extractors in `digests.extract`. Nothing here imports `bot`, `telegram` or `discord`.
"""

from digests.engine import DigestEngine, get_engine, summarize, summarize_many
from digests.model import Actor, Article, Digest, LegalItem

__all__ = [
    "Actor", "Article", "Digest", "DigestEngine", "LegalItem", "get_engine", "summarize",
    "summarize_many",
]  # fmt: skip
