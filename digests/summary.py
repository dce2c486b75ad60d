"""Pick and trim the one or two sentences that tell the story: the lead and the legal stake.

Extractive on purpose: every word of the summary is the article's, so nothing is invented.
"""

from __future__ import annotations

from digests.textutil import trim_words

SUMMARY_MAX = 320
_MIN_LEAD = 40  # shorter "sentences" are headings or captions, not a lead


def lead_sentences(text: str, spans: list[tuple[int, int]], *, count: int = 2) -> list[int]:
    """Return the indexes of the first real sentences (skipping headings)."""
    picked = [i for i, (s, e) in enumerate(spans) if e - s >= _MIN_LEAD][:count]
    return picked or list(range(min(count, len(spans))))


def build_summary(
    text: str,
    spans: list[tuple[int, int]],
    *,
    stake_start: int | None = None,
    limit: int = SUMMARY_MAX,
    prefix: str = "",
) -> str:
    """Join the lead and the sentence carrying the main legal stake, trimmed at a word.

    `stake_start` is the offset of the most important legal item; when the lead already
    contains it, the second lead sentence is used instead.
    """
    if not spans:
        return trim_words(prefix + text, limit)
    leads = lead_sentences(text, spans)
    chosen = [leads[0]]
    stake = None
    if stake_start is not None:
        stake = next((i for i, (s, e) in enumerate(spans) if s <= stake_start < e), None)
    if stake is not None and stake != leads[0] and spans[stake][1] - spans[stake][0] < limit:
        chosen.append(stake)
    elif len(leads) > 1:
        chosen.append(leads[1])
    parts = [text[spans[i][0] : spans[i][1]] for i in sorted(chosen)]
    joined = " ".join(" ".join(p.split()) for p in parts)
    first = " ".join(parts[0].split()) if sorted(chosen)[0] == chosen[0] else ""
    if first and len(prefix + joined) > limit >= len(prefix + first):
        joined = first
    return trim_words(prefix + joined, limit)
