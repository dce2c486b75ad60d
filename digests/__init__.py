"""Article text → French digest: cleaning, NLP, actors, legal stakes, rendering.

Public surface: `Article`, `Digest`, `summarize(article)`, `summarize_many(articles)`, and the
extractors in `digests.extract`. Nothing here imports `bot`, `telegram` or `discord`.
"""

from digests.model import Actor, Article, Digest, LegalItem

__all__ = ["Actor", "Article", "Digest", "LegalItem"]
