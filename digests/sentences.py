"""Split clean article text into sentences with character spans.

A few regular expressions do what spaCy's parser would, at no cost: the digest only needs
sentence boundaries for the lead, the summary and the context windows of actors.
"""

from __future__ import annotations

import re

# A sentence ends before a capital, before a bullet ("… l'Assemblée. - C'est puni…") or at a
# paragraph break.
_END = re.compile(
    r"[.!?…]+[\"»”)]?(?=\s+(?:[-–—•]\s+)?[\"«“(]?[A-ZÀ-ÖØ-Ý0-9])|\n\s*\n"
)
# A sub-heading glued to the next paragraph by page extraction ("…BIEN FONCTIONNER Pour le
# moment…"): three or more words in capitals, then a capitalised word in lower case.
_GLUED_HEADING = re.compile(
    r"(?<![\w'’-])[\"«“]?(?:[A-ZÀ-ÖØ-Ý0-9][A-ZÀ-ÖØ-Ý0-9'’-]*[ ,:]+){2,}[A-ZÀ-ÖØ-Ý0-9][A-ZÀ-ÖØ-Ý0-9'’-]+"
    r"[\"»”]?[ :]+(?=[\"«“]?[A-ZÀ-ÖØ-Ý][a-zß-öø-ÿ])"
)
_ABBREV = re.compile(r"(?:\b(?:M|MM|Mme|Mmes|Me|Mlle|Dr|Pr|St|av|art|al|cf|p|n°|etc|J\.-C)|\b[A-Z])\.$")


def split_sentences(text: str, *, offset: int = 0) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of `text`, shifted by `offset`."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if match.group().strip() and _ABBREV.search(text[max(0, end - 8) : end]):
            continue
        _add(text, start, end, offset, spans)
        start = end
    _add(text, start, len(text), offset, spans)
    return spans


def _add(text: str, start: int, end: int, offset: int, spans: list[tuple[int, int]]) -> None:
    for match in _GLUED_HEADING.finditer(text, start, end):
        if sum(c.isalpha() for c in match.group()) >= 8:  # "UE ET ONU" is no heading
            _add_one(text, start, match.start(), offset, spans)
            _add_one(text, match.start(), match.end(), offset, spans)
            start = match.end()
    _add_one(text, start, end, offset, spans)


def _add_one(text: str, start: int, end: int, offset: int, spans: list[tuple[int, int]]) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    lead = len(chunk) - len(chunk.lstrip())
    spans.append((offset + start + lead, offset + start + lead + len(stripped)))
