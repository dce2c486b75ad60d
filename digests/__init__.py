"""Article text → French digest: cleaning, NLP, actors, legal stakes, rendering.

Public surface: `Article`, `Digest`, `DigestEngine` (`summarize`, `summarize_many`), and the
extractors in `digests.extract`. Nothing here imports `bot`, `telegram` or `discord`.
"""

from digests.engine import DigestEngine
from digests.model import Actor, Article, Digest, LegalItem

__all__ = ["Actor", "Article", "Digest", "DigestEngine", "LegalItem"]
