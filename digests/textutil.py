"""Small text helpers shared by every stage: folding, word search and word-safe trimming.

Folding mirrors how readers (and the scorer) compare names: case, accents, curly
apostrophes and runs of spaces do not matter, so "Cnil" grounds "CNIL" and "Pékin" grounds
"Pekin".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'"})
_SPACES = re.compile(r"\s+")
_THOUSANDS = re.compile(r"(?<=\d)[\s.\u202f\u00a0](?=\d{3}\b)")


def fold(text: str) -> str:
    """Return `text` lower-cased without accents, with straight apostrophes and single spaces.

    The length may change (ligatures, collapsed spaces), so never use folded offsets on the
    original string; use `fold_keep_length` for that. Names and phrases are folded again and
    again while a digest is made: short ones are remembered.
    """
    return _fold_short(text) if len(text) <= _SHORT else _fold(text)


_SHORT = 120


def _fold(text: str) -> str:
    if not text.isascii():  # ASCII has nothing to decompose
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().translate(_APOSTROPHES)
    text = _THOUSANDS.sub("", text)
    return _SPACES.sub(" ", text).strip()


_fold_short = lru_cache(maxsize=32_768)(_fold)


def fold_keep_length(text: str) -> str:
    """Fold case, accents and apostrophes character by character so offsets stay valid."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in base if not unicodedata.combining(c)) or char
        out.append(base[0].lower() if len(base) >= 1 else char)
    return "".join(out).translate(_APOSTROPHES)


def normalize_spaces(text: str) -> str:
    """Collapse runs of spaces (including non-breaking ones) without touching newlines."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    return re.sub(r"[ \t]+", " ", text).strip()


def overlaps(start: int, end: int, other_start: int, other_end: int) -> bool:
    """Tell whether two character spans [start, end) share at least one character."""
    return start < other_end and other_start < end


def contains_word(haystack_folded: str, needle: str) -> bool:
    """Tell whether `needle` starts a word of an already folded haystack."""
    folded = fold(needle)
    if not folded:
        return False
    return re.search(r"(?<!\w)" + re.escape(folded), haystack_folded) is not None


def trim_words(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Cut `text` to at most `limit` characters at a word boundary, adding an ellipsis.

    Never cuts inside a word: a reader should not see "informa…" for "information".
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ""
    cut = text[: limit - len(ellipsis) + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else ""
    cut = cut.rstrip(" ,;:–-—(«\"'")
    return f"{cut}{ellipsis}" if cut else ""
