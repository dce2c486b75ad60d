"""Turn a web page, a copied text or a feed item into one clean `Article`.

Cleaning happens here and only here, so that the NLP stages never see menus, bylines, photo
credits, "Lire aussi" boxes, comment threads or newsletter prompts: anything left in the
text can end up named as an actor.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import datetime

import trafilatura

from digests.model import Article
from digests.textutil import normalize_spaces

# Below this many characters of text, a feed item is a standfirst and the page must be fetched.
FULL_ARTICLE_MIN_CHARS = 600

_MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip

_DATE_LINE = re.compile(
    r"(?:publi[ée]e?|mis à jour|modifi[ée]e?)\s+le\s+(?:\w+\s+)?(\d{1,2})(?:er)?\s+"
    r"([a-zéû]+)\s+(\d{4})(?:\s+à\s+(\d{1,2})\s*[h:]\s*(\d{2}))?",
    re.IGNORECASE,
)
# "AFP, publié le …", "Par Jane Doe, journaliste", "Orange avec AFP", a bare "Jane Doe" line.
_BYLINE = re.compile(
    r"^(?:par\s+\S.{0,80}|.{0,60}\bpubli[ée]e?\s+le\b.*|(?:mis à jour|modifié) le\b.*|"
    r"[\w .'-]{0,40}\bavec (?:AFP|Reuters|AP)\b.*|(?:source|crédits?|photo)\s*:.*)$",
    re.IGNORECASE,
)
_CREDIT = re.compile(r"©|\bcrédits? photo\b|\b(?:AFP|Reuters|AP|Getty|Panoramic)\s*/\s*\w", re.I)
# A line that opens a box of links to other articles: the line and its short headlines go.
_BOX_START = re.compile(
    r"^(?:à|a)?\s*(?:lire|voir)\s+(?:aussi|également|egalement|plus)\b|^(?:à|a) découvrir\b|"
    r"^(?:à|a) decouvrir\b|^sur le même sujet\b|^(?:articles? )?(?:liés|similaires|associés)\b"
    r"|^(?:les )?plus lus\b|^dans l'actu\b",
    re.IGNORECASE,
)
# A line after which nothing belongs to the article any more (comments, bios, prompts).
_TAIL_START = re.compile(
    r"^(?:commentaires?\b|\d+\s+commentaires?\b|réagir\b|rejoignez\b|suivez[- ]nous\b|"
    r"abonnez[- ]vous\b|inscrivez[- ]vous\b|(?:recevez|inscription à) (?:notre|la) newsletter\b|"
    r"newsletter\b|partager (?:cet|l')article\b|signaler (?:un|ce) (?:abus|commentaire)\b|"
    r"vous êtes un utilisateur de\b|vous avez aimé cet article\b|"
    r"(?:téléchargez|retrouvez)[- ]nous\b|tous droits réservés\b)",
    re.IGNORECASE,
)
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_BIO = re.compile(
    r"^(?:journaliste|rédact(?:eur|rice)|reporter)\b|\bje suis (?:journaliste|rédact|reporter)"
    r"|\b(?:journaliste|rédact(?:eur|rice)) (?:de formation|chargée? de)\b",
    re.IGNORECASE,
)


def _parse_french_date(text: str) -> datetime | None:
    match = _DATE_LINE.search(text)
    if not match:
        return None
    day, month_name, year, hour, minute = match.groups()
    month = _MONTHS.get(month_name.lower())
    if not month:
        return None
    try:
        return datetime(int(year), month, int(day), int(hour or 0), int(minute or 0))
    except ValueError:
        return None


def _parse_iso_date(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_bare_name(line: str) -> bool:
    """Tell whether a short line is only a person's name, as bylines print it."""
    words = line.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and line[-1:] not in ".!?:"


def clean_lines(lines: list[str]) -> list[str]:
    """Drop bylines, credits, link boxes and everything from the comment thread on.

    Works on the article body only (the title is already set aside); keeps the order.
    """
    kept: list[str] = []
    in_box = False
    seen: set[str] = set()
    for raw in lines:
        line = normalize_spaces(raw)
        if not line:
            continue
        if _TAIL_START.match(line):
            break
        if _BOX_START.match(line):
            in_box = True
            continue
        if in_box and (len(line) < 40 or line[-1] not in ".!?»\"”…" or len(line) <= 25):
            continue  # teaser headlines and dates carry no final full stop
        in_box = False
        if _CREDIT.search(line) and len(line) < 300:
            continue
        if _MARKDOWN_IMAGE.fullmatch(line):
            continue
        if _BYLINE.match(line) and len(line) < 200:
            continue
        if not kept and _is_bare_name(line):
            continue
        if line in seen:  # captions and pull quotes repeated verbatim
            continue
        seen.add(line)
        kept.append(line)
    # An author bio closes many pages, after the dropped "Par X" line: prose about the
    # journalist, often in the first person.
    while kept and _BIO.search(kept[-1]):
        kept.pop()
    return kept


def _join(lines: list[str]) -> str:
    """Join paragraphs with blank lines so sentence splitting can see headings end."""
    return "\n\n".join(lines)


def article_from_text(raw: str, *, url: str = "", source: str = "") -> Article:
    """Build an Article from copied plain text whose first non-empty line is the title."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return Article(title="", text="", url=url, source=source)
    title = normalize_spaces(lines[0])
    body = lines[1:]
    head = "\n".join(body[:8])
    published = _parse_french_date(head)
    return Article(
        title=title, text=_join(clean_lines(body)), url=url, published=published, source=source
    )


def article_from_html(html: str, *, url: str = "") -> Article:
    """Extract the article of a web page with trafilatura, favouring precision over recall.

    Precision matters more than recall here: a menu item or a related-article teaser that
    slips through becomes a wrong actor, while a lost paragraph rarely changes the digest.
    """
    doc = trafilatura.bare_extraction(
        html,
        url=url or None,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        with_metadata=True,
    )
    if doc is None:
        return Article(title="", text="", url=url)
    title = normalize_spaces(getattr(doc, "title", None) or "")
    text = getattr(doc, "text", None) or ""
    body = clean_lines(text.split("\n"))
    if body and title and normalize_spaces(body[0]) == title:
        body = body[1:]
    published = _parse_iso_date(getattr(doc, "date", None)) or _parse_french_date(text[:400])
    return Article(
        title=title,
        text=_join(body),
        url=url or (getattr(doc, "url", None) or ""),
        published=published,
        source=normalize_spaces(getattr(doc, "sitename", None) or ""),
    )


# A tag starts as HTML's tokenizer says: "<" then a letter, "/", "!" or "?"; "x < 3" is text.
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|h[1-6]|blockquote|section|article)\b[^>]*>", re.I)
# Code blocks, closed or (as browsers read them) left open to the end: never article prose.
_CODE_BLOCK = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
# In unescaped text only closed blocks go: "la balise <script> permet…" keeps its sentence.
_CLOSED_CODE_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_CODE_TAG = re.compile(r"</?(?:script|style)\b[^>]*>", re.I)
_CDATA_MARK = re.compile(r"<!\[CDATA\[|\]\]>")


def html_to_text(html_or_text: str) -> str:
    """Strip tags and entities from feed HTML, keeping paragraph breaks.

    Markup is read once: after unescaping, "<" is text. Only debris no article contains
    (CDATA markers, code blocks a feed escaped twice) is removed from the unescaped text.
    """
    text = _CODE_BLOCK.sub(" ", _CDATA_MARK.sub("", html_or_text))
    text = _BLOCK_TAG.sub("\n", text)
    text = _TAG.sub(" ", text)
    text = html_lib.unescape(text)
    text = _CODE_TAG.sub(" ", _CLOSED_CODE_BLOCK.sub(" ", _CDATA_MARK.sub("", text)))
    return "\n".join(normalize_spaces(line) for line in text.split("\n"))


def article_from_feed_item(
    title: str,
    html_or_text: str,
    *,
    url: str = "",
    published: datetime | None = None,
    source: str = "",
) -> Article:
    """Build an Article from a feed item: `title` is plain text, `html_or_text` is HTML."""
    body = clean_lines(html_to_text(html_or_text).split("\n"))
    # The title is plain text (feeds' HTML titles are read in bot.parse): reading it as HTML
    # again would drop "< 10 000 € si x >" from "Amende < 10 000 € si x > 3".
    clean_title = normalize_spaces(" ".join(_CDATA_MARK.sub("", title).splitlines()))
    return Article(
        title=clean_title, text=_join(body), url=url, published=published, source=source
    )


def is_full_article(html_or_text: str) -> bool:
    """Tell whether feed content is a whole article rather than a standfirst.

    A standfirst is one or two sentences; the bot fetches the page for those.
    """
    text = " ".join(clean_lines(html_to_text(html_or_text).split("\n")))
    return len(text) >= FULL_ARTICLE_MIN_CHARS


def article_from_json(raw: str) -> Article:
    """Read an article stored as a JSON object {"title", "text", "date", "url", "source"}.

    Raises ValueError when the JSON is not such an object (callers turn it into one line).
    """
    data = json.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ValueError("not an article object: expected {\"title\", \"text\", …}")
    published = None
    if data.get("date"):
        try:
            published = datetime.fromisoformat(str(data["date"]).replace("Z", "+00:00"))
        except ValueError:
            published = None
    return article_from_feed_item(
        str(data.get("title", "")),
        data["text"],
        url=str(data.get("url", "")),
        published=published,
        source=str(data.get("source", "")),
    )
