"""Turn a `veille digest` SOURCE (file or URL) into articles for the digest engine.

Files: `.html` page, `.txt` (title on the first line), `.xml`/`.json` feed (one article per
entry), or `.json` article object (`{"title", "text", "date"}`). URLs go through the bot's own
fetcher and guards; a feed gives its entries, anything else is read as a page.

An input that holds no article (an empty file, random bytes, a page that is all menus, a feed of
bare headlines) is an error here, not an empty digest: the digest engine would dutifully
summarise nothing ("aucun angle juridique relevé"), and a script would take that for a result.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings
from bot.errors import FeedParseError, InputError
from bot.feeds.fetch import looks_like_text
from bot.feeds.parse import parse_feed
from bot.models import Entry
from digests.extract import article_from_feed_item, article_from_html, article_from_json, article_from_text
from digests.model import Article

MAX_FILE_BYTES = 20 * 1024 * 1024
# Fewer words of body text than one short sentence is no article: a title, a menu, a headline.
MIN_ARTICLE_WORDS = 8
_WORD = re.compile(r"[^\W\d_]{2,}")


def has_article(article: Article) -> bool:
    """Tell whether an extracted article has a body worth digesting (the title alone is not one)."""
    return len(_WORD.findall(article.text, 0, 10_000)) >= MIN_ARTICLE_WORDS


def articles_from_feed(body: bytes, *, url: str, content_type: str = "") -> list[Article]:
    """Return one article per feed entry (its content, else its summary)."""
    feed = parse_feed(body, url=url, content_type=content_type)
    return [_entry_article(entry, feed.title) for entry in feed.entries]


def _require_text(body: bytes) -> bytes:
    """Refuse an empty or binary file before any parser sees it (they would find "nothing")."""
    if not body.strip():
        raise InputError("empty file")
    if not looks_like_text(body):
        raise InputError("not a text file (binary data)")
    return body


def _entry_article(entry: Entry, source: str) -> Article:
    return article_from_feed_item(
        entry.title, entry.content or entry.summary, url=entry.url, published=entry.published, source=source
    )


def _read_file(path: Path) -> bytes:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path} is larger than {MAX_FILE_BYTES // 1_048_576} MiB")
    return _require_text(path.read_bytes())


async def load_articles(source: str, settings: Settings) -> list[Article]:
    """Read SOURCE as described in the module docstring; keep only real articles.

    Raises `InputError` when SOURCE holds no article at all.
    """
    articles = [a for a in await _load(source, settings) if has_article(a)]
    if not articles:
        raise InputError("no article found (no text beyond a title or a menu)")
    return articles


async def _load(source: str, settings: Settings) -> list[Article]:
    if source.startswith(("http://", "https://")):
        return await _load_url(source, settings)
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return [article_from_html(_read_file(path).decode("utf-8", errors="replace"), url="")]
    if suffix == ".txt":
        return [article_from_text(_read_file(path).decode("utf-8", errors="replace"))]
    if suffix in (".xml", ".rss", ".atom"):
        return articles_from_feed(_read_file(path), url=path.resolve().as_uri())
    if suffix == ".json":
        body = _read_file(path)
        try:
            return articles_from_feed(body, url=path.resolve().as_uri())
        except FeedParseError:
            try:
                return [article_from_json(body.decode("utf-8", errors="replace"))]
            except ValueError as exc:
                raise InputError(f"neither a JSON Feed nor an article object ({exc})") from None
    raise InputError(f"unsupported file type {suffix or '(none)'}: use .html, .txt, .xml or .json")


async def _load_url(url: str, settings: Settings) -> list[Article]:
    from bot.feeds.fetch import make_fetcher
    from bot.feeds.urls import normalize_url

    async with make_fetcher(settings) as fetcher:
        result = await fetcher.fetch(normalize_url(url))
    if not looks_like_text(result.body, result.content_type):
        raise InputError(f"{url} is not a text page or feed ({result.content_type or 'no content type'})")
    try:
        return articles_from_feed(result.body, url=result.url, content_type=result.content_type)
    except FeedParseError:
        html = result.body.decode("utf-8", errors="replace")
        return [article_from_html(html, url=result.url)]
