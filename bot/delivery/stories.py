"""Decide whether two digests tell the same story (one event, several outlets).

Method, measured on `tests/data/stories.json` (32 invented pairs, half of them hard
negatives that share a regulator, a court or an offence):

    score = 0.6 × Dice(content stems of title + summary) + 0.4 × actor overlap

Dice on stemmed words catches rewritten headlines ("sanctionne" / "sanctionnée"); the actor
overlap (actors matched through their aliases, so "CNIL" meets "Commission nationale de
l'informatique et des libertés") separates two CNIL fines against two different companies,
which share most of their vocabulary. Two digests without any actor fall back to Dice alone.
`SAME_STORY_THRESHOLD` is the best F1 on that set (precision 0.88, recall 0.94; see
tests/bot/test_stories.py). Dice was preferred to TF-IDF cosine, which scored the same there,
because it needs no corpus statistics: a digest can be compared at store time on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.french import content_stems, fold
from digests.model import Digest

SAME_STORY_THRESHOLD = 0.55
# How far back a new digest looks for its story, and for a chat that was already sent it.
STORY_WINDOW = timedelta(hours=48)
TEXT_WEIGHT = 0.6


@dataclass(frozen=True, slots=True)
class Signature:
    """What story matching compares: content stems, and each actor's folded names."""

    stems: frozenset[str]
    actors: tuple[frozenset[str], ...]
    # The actors a story is *about* (suspect, victim, plaintiff, company), as opposed to the
    # institutions that recur across stories (prosecutors, courts, regulators, police units).
    distinct: tuple[frozenset[str], ...] = ()
    roles_known: bool = False  # False for signatures built from bare names (no role to tell)

    def to_json(self) -> str:
        """Serialise for the `stories` table, so old digests need not be re-parsed."""
        data = {
            "s": sorted(self.stems),
            "a": [sorted(a) for a in self.actors],
            "d": [sorted(a) for a in self.distinct],
            "r": self.roles_known,
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Signature:
        """Read back what `to_json` wrote."""
        data = json.loads(raw)
        return cls(
            frozenset(data["s"]),
            tuple(frozenset(a) for a in data["a"]),
            tuple(frozenset(a) for a in data.get("d", ())),
            bool(data.get("r", False)),
        )


# Institutions recur across stories; every other actor (suspect, victim, company…) is what a story is about.
INSTITUTION_ROLES = frozenset(
    {"enquêteur", "parquet/accusation", "juridiction", "régulateur", "législateur/gouvernement"}
)


def signature(digest: Digest) -> Signature:
    """Compute a digest's signature from its title, summary and actors."""
    return make_signature(
        f"{digest.title} {digest.summary}",
        ((a.name, *a.aliases) for a in digest.actors),
        distinct=((a.name, *a.aliases) for a in digest.actors if a.role not in INSTITUTION_ROLES),
        roles_known=True,
    )


def _keys(actors: Iterable[Sequence[str]]) -> tuple[frozenset[str], ...]:
    keys = (frozenset(fold(n).strip() for n in names if n.strip()) for names in actors)
    return tuple(k for k in keys if k)


def make_signature(
    text: str,
    actors: Iterable[Sequence[str]],
    *,
    distinct: Iterable[Sequence[str]] = (),
    roles_known: bool = False,
) -> Signature:
    """Compute a signature from text and actor name lists (name first, then aliases)."""
    return Signature(frozenset(content_stems(text)), _keys(actors), _keys(distinct), roles_known)


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """Return the Dice coefficient of two sets (0 when both are empty)."""
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else 0.0


def actor_overlap(a: Sequence[frozenset[str]], b: Sequence[frozenset[str]]) -> float:
    """Return the Jaccard index of two actor lists, an actor matching when any name is shared."""
    if not a or not b:
        return 0.0
    matched = sum(1 for names in a if any(names & other for other in b))
    return matched / (len(a) + len(b) - matched)


def similarity(a: Signature, b: Signature) -> float:
    """Score how likely two signatures tell the same story, from 0 to 1.

    Two stories each about named parties that have none in common are different stories,
    however alike their wording: two CNIL fines, two OFAC raids. Merging them would hide an
    article from a chat, so that case scores 0. And when one of them names no party at all,
    shared institutions prove nothing (the parquet de Paris is in many stories a day): the
    wording alone decides.
    """
    if a.distinct and b.distinct and not any(names & other for names in a.distinct for other in b.distinct):
        return 0.0
    text = dice(a.stems, b.stems)
    institutions_only = a.roles_known and b.roles_known and not (a.distinct and b.distinct)
    if (not a.actors and not b.actors) or institutions_only:
        return text
    return TEXT_WEIGHT * text + (1 - TEXT_WEIGHT) * actor_overlap(a.actors, b.actors)


def same_story(a: Signature, b: Signature, *, threshold: float = SAME_STORY_THRESHOLD) -> bool:
    """Return True when two signatures tell the same story."""
    return similarity(a, b) >= threshold


def best_match(
    target: Signature, candidates: Iterable[tuple[int, Signature]], *, threshold: float = SAME_STORY_THRESHOLD
) -> int | None:
    """Return the key of the candidate most similar to `target` above the threshold, or None."""
    best_key, best_score = None, threshold
    for key, candidate in candidates:
        score = similarity(target, candidate)
        if score >= best_score:
            best_key, best_score = key, score
    return best_key
