"""Load spaCy's French model once, trimmed to what the digest needs, with the gazetteer ruler.

The statistical NER runs on the whole article: it carries its own tok2vec. The shared tok2vec
and the dependency parser are loaded but disabled in the pipeline: `digests.frames` runs them
only on the sentences that hold a party frame's word, to read who did what to whom. The
morphologizer and the lemmatizer are not loaded (frames match word forms, not lemmas).
Sentences are split by `digests.sentences`, not by spaCy. Loading never downloads: a missing
model raises `ModelNotInstalled` with the command that installs it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from digests.gazetteer import AMBIGUOUS, BODIES, GENERIC_PATTERNS, MEDIA_EXACT, PARTIES
from digests.textutil import fold

if TYPE_CHECKING:
    from spacy.language import Language

MODEL = "fr_core_news_md"
_UNUSED = ("morphologizer", "attribute_ruler", "lemmatizer", "senter")
_ON_DEMAND = ("tok2vec", "parser")  # run by digests.frames on chosen sentences only
MEDIA_LABEL = "MEDIA"
PARTY_LABEL = "PARTY"

_lock = threading.Lock()
_shared: Language | None = None


class ModelNotInstalled(RuntimeError):
    """The spaCy model is missing; the message says how to install it."""


def ruler_patterns() -> tuple[list[dict], list[dict]]:
    """Build EntityRuler patterns: (case-insensitive phrases, exact phrases and token patterns).

    Phrase patterns go through spaCy's PhraseMatcher, an order of magnitude faster than
    token patterns; only the few place-based forms ("parquet de <Ville>") need tokens.
    """
    folded: list[dict] = []
    exact: list[dict] = []
    for body in BODIES:
        label = "PER" if body.kind == "personne" else "ORG"
        folded.extend({"label": label, "id": body.key, "pattern": a.lower()} for a in body.aliases)
        exact.extend({"label": label, "id": body.key, "pattern": a} for a in body.exact)
    exact.extend({"label": "ORG", "pattern": pattern} for _r, _k, pattern in GENERIC_PATTERNS)
    exact.extend({"label": MEDIA_LABEL, "pattern": name} for name in MEDIA_EXACT)
    exact.extend({"label": "ORG", "id": "ambiguous", "pattern": a} for a in AMBIGUOUS)
    exact.extend({"label": PARTY_LABEL, "pattern": name} for name in PARTIES)
    return folded, exact


def load_pipeline(model: str = MODEL) -> Language:
    """Load the model with only its NER, plus gazetteer EntityRulers placed before it.

    The rulers run first so that the NER keeps the gazetteer's spans and labels
    ("Parquet de Paris" stays an organisation) and only fills the gaps.
    """
    import spacy  # deferred: importing spaCy costs a second the CLI's --help should not pay

    from digests.matmul import matmul_ops
    from digests.tokenizer import load_tokenizer, skip_french_tables

    skip_french_tables()  # spares five seconds of regex compiling; load_tokenizer brings the tables back
    try:
        with matmul_ops():  # the models keep the ops they are built with
            nlp = spacy.load(model, exclude=[*_UNUSED, "tokenizer"], disable=list(_ON_DEMAND))
    except OSError as exc:
        raise ModelNotInstalled(
            f"spaCy model {model!r} is not installed; install it with "
            f"`python -m spacy download {model}` (or the pinned wheel) before running Veille"
        ) from exc
    load_tokenizer(nlp)
    folded, exact = ruler_patterns()
    ruler_ci = nlp.add_pipe(
        "entity_ruler",
        name="gazetteer",
        before="ner",
        config={"phrase_matcher_attr": "LOWER", "validate": False, "overwrite_ents": True},
    )
    ruler_ci.add_patterns(folded)  # type: ignore[attr-defined]  # EntityRuler API
    ruler_exact = nlp.add_pipe(
        "entity_ruler", name="gazetteer_exact", before="ner", config={"validate": False}
    )
    ruler_exact.add_patterns(exact)  # type: ignore[attr-defined]  # EntityRuler API
    return nlp


def shared_pipeline() -> Language:
    """Return the process-wide pipeline, loading it on first use (thread-safe)."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = load_pipeline()
    return _shared


ALIAS_INDEX: dict[str, str] = {
    fold(alias): body.key for body in BODIES for alias in (*body.aliases, *body.exact, body.name)
}
