"""The French tokenizer loaded by digests.tokenizer keeps one token where spaCy's does."""

from __future__ import annotations

import re
from functools import lru_cache

import srsly
from hypothesis import given, settings
from hypothesis import strategies as st

from digests.tokenizer import letters_pattern, model_tokenizer_file

WORDS = [
    "Bouches-du-Rhône", "aujourd'hui", "aujourd’hui", "ex-compagne", "Jean-Michel", "prud'hommes",
    "Saint-Étienne", "États-Unis", "peut-être", "c'est-à-dire", "week-end", "New-York", "anti-Covid",
    "dix-huit", "Soixante-huit", "nord-est", "hip-hop", "Ouest-France", "sans-emploi", "rendez-vous",
    "porte-parole", "garde-à-vue", "Mme", "l'a-t-il", "qu'est-ce", "über-cool", "Ελλάδα-μου",
    "Москва-река", "grand-mère", "arrière-grands-parents", "contre-enquête", "non-lieu", "a-t-on",
    "sud-ouest", "Val-d'Oise", "Seine-Saint-Denis", "Île-de-France", "pare-feu", "cyber-harcèlement",
]  # fmt: skip


@lru_cache(maxsize=1)
def _patterns(engine_nlp) -> tuple[re.Pattern[str], re.Pattern[str]]:
    original = srsly.msgpack_loads(model_tokenizer_file(engine_nlp).read_bytes())["token_match"]
    return re.compile(original), re.compile(letters_pattern(original))


def _same(engine, word: str) -> None:
    original, rewritten = _patterns(engine.nlp)
    want, got = original.match(word), rewritten.match(word)
    assert (want and want.group()) == (got and got.group()), word


def test_the_rewritten_token_match_keeps_the_words_the_original_keeps(engine):
    original, _ = _patterns(engine.nlp)
    assert sum(bool(original.match(w)) for w in WORDS) >= 10  # the sample does exercise it
    for word in WORDS:
        _same(engine, word)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="aeiouéèàçôbcdlmnrstTÉSÂx'’", min_size=1, max_size=8), min_size=1, max_size=4
    ),
    st.sampled_from(["-", "–", "‐", "'", "’"]),
)
def test_generated_hyphenated_and_elided_words_match_alike(engine, parts, joint):
    _same(engine, joint.join(parts))


def test_the_pipeline_tokenizes_hyphenated_names_and_elisions_as_spacy_does(engine):
    doc = engine.nlp.make_doc("Le parquet des Bouches-du-Rhône l'a-t-il dit aujourd'hui à Jean-Michel ?")
    assert [t.text for t in doc] == [
        "Le", "parquet", "des", "Bouches-du-Rhône", "l'", "a", "-t", "-il", "dit", "aujourd'hui", "à",
        "Jean-Michel", "?",
    ]  # fmt: skip
