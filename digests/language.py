"""Tell French from English text with stopword counts, so no language model is needed.

Feeds mix in English copy (wire stories, BleepingComputer); the digest keeps its French
labels and warns the reader instead of pretending to summarise in French.
"""

from __future__ import annotations

import re

_FR = frozenset(
    "le la les un une des du de et est sont dans pour par sur au aux que qui ne pas avec ce cette"
    " il elle ils a été ont son sa ses leur plus mais ou où selon après".split()
)
_EN = frozenset(
    "the of and to in is are was were for on with that this by from as at an be has have had"
    " which it its their not or but who after said will".split()
)
_WORD = re.compile(r"[a-zà-ÿ]+")


def detect_language(text: str) -> str:
    """Return "fr", "en" or "und" (too little text to tell) from stopword ratios."""
    words = _WORD.findall(text.lower()[:5000])
    if len(words) < 8:
        return "und"
    fr = sum(w in _FR for w in words)
    en = sum(w in _EN for w in words)
    if max(fr, en) < 0.08 * len(words):
        return "und"
    return "en" if en > fr else "fr"
