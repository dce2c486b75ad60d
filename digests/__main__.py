"""Digest article files from the command line: `python -m digests [--json] PATH...`.

A .html file is read as a web page, a .txt file as copied text (first line the title), a
.json file as {"title", "text", "date"}. One JSON object per line with --json, else the
French text. An unreadable file prints one line on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from digests.extract import article_from_feed_item, article_from_html, article_from_text
from digests.model import Article


def read_article(path: Path) -> Article:
    """Read one article file according to its extension."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        return article_from_html(raw, url=path.as_uri())
    if path.suffix.lower() == ".json":
        data = json.loads(raw)
        published = None
        if data.get("date"):
            try:
                published = datetime.fromisoformat(str(data["date"]).replace("Z", "+00:00"))
            except ValueError:
                published = None
        return article_from_feed_item(
            data.get("title", ""), data.get("text", ""), url=data.get("url", ""),
            published=published, source=data.get("source", ""),
        )
    return article_from_text(raw)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m digests", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    articles = []
    for path in args.paths:
        try:
            article = read_article(path)
        except (OSError, ValueError) as exc:
            print(f"digests: cannot read {path}: {exc}", file=sys.stderr)
            return 1
        if not article.text and not article.title:
            print(f"digests: no article text found in {path}", file=sys.stderr)
            return 1
        articles.append(article)
    from digests.engine import summarize_many  # deferred: loads spaCy only when needed

    for digest in summarize_many(articles):
        if args.json:
            print(json.dumps(digest.to_json_dict(), ensure_ascii=False))
        else:
            print(digest.text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
