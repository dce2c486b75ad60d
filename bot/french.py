"""French text normalisation shared by search, story matching and follows.

One pipeline, applied to stored digests and to what users type alike, so both sides meet:

    "Condamnée à l'amende"  →  words  ["condamnée", "à", "l", "amende"]
                            →  stems  ["condamn", "a", "l", "amend"]   (accents folded, then
                                                                        Snowball French)

`fold` is the accent- and case-insensitive form used to compare names (follows, actors);
`stems` adds Snowball stemming so "condamnée" and "condamnés" meet "condamné" (search, stories).
`of_name` writes "de" before a name as French contracts it ("du Quotidien", "d'Actu").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMER = snowballstemmer.stemmer("french")

# Function words dropped from free-text queries and story signatures (kept in the index, so a
# quoted phrase such as "mise en examen" still matches word for word). Compared as stems.
_STOPWORDS = """
    a au aux avec ce ces cet cette d dans de des du elle en et eux il ils j je l la le les leur
    leurs lui m ma mais me meme mes moi mon n ne nos notre nous on ou par pas pour qu que qui s sa
    se ses son sur t ta te tes toi ton tu un une vos votre vous y ete etre avoir ont est sont
    fait plus ainsi apres avant selon depuis entre contre sans sous lors cela celui celle dont
    """.split()


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Société Générale" and "societe generale" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Split text into lower-case word tokens (letters and digits; elisions and hyphens split)."""
    return _WORD.findall(text.casefold())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the stem of one lower-case word, the same with or without its accents.

    Accents are folded first, because users often type none ("condamnee"); Snowball then
    misses the "é" of a past participle, so a trailing "e" and a doubled final consonant are
    dropped after it: condamnée, condamnés, condamnation → "condamn"; sanctionnée → "sanction".
    Cached: a news vocabulary is small.
    """
    folded = fold(word)
    if folded.isdigit():
        return folded
    root = _STEMMER.stemWord(folded)
    if len(root) > 3 and root.endswith("e"):
        root = root[:-1]
    if len(root) > 3 and root[-1] == root[-2] and root[-1] not in "aeiouy":
        root = root[:-1]
    return root


def stems(text: str) -> list[str]:
    """Return the stems of every word of `text`, in order (stop words included)."""
    return [stem(w) for w in words(text)]


STOPWORDS = frozenset(stem(w) for w in _STOPWORDS)


def content_stems(text: str) -> list[str]:
    """Return the stems of `text` without stop words: what a text is about."""
    return [s for s in stems(text) if s not in STOPWORDS and len(s) > 1]


def folded_words(text: str) -> list[str]:
    """Return the folded words of `text` (no stemming): how names are compared."""
    return [fold(w) for w in words(text)]


_ELIDED = re.compile(r"[aeiouyàâäéèêëîïôöùûü]", re.IGNORECASE)


def of_name(name: str) -> str:
    """Put "de" before a feed or site name, contracted the French way.

    "Le Quotidien" → "du Quotidien", "Les Échos" → "des Échos", "Actu" → "d'Actu"; a URL or any
    other name keeps a plain "de" ("de La Croix", "de https://…").
    """
    first, _, rest = name.partition(" ")
    if rest and first.lower() == "le":
        return f"du {rest}"
    if rest and first.lower() == "les":
        return f"des {rest}"
    if _ELIDED.match(name) and "://" not in name:
        return f"d'{name}"
    return f"de {name}"
