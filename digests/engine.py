"""Run the whole digest: spaCy once per batch, then actors, legal stakes, summary, rendering.

`DigestEngine` holds the loaded pipeline; `get_engine()` shares one per process because the
model takes seconds and hundreds of megabytes to load. `summarize` / `summarize_many` are the
one small interface the rest of Veille calls.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from digests import actors as actors_mod
from digests import frames, parties, roles, unnamed
from digests import mentions as mentions_mod
from digests.gazetteer import BY_KEY
from digests.language import detect_language
from digests.legal import find_legal
from digests.model import Actor, Article, Digest, LegalItem
from digests.nlp import load_pipeline, shared_pipeline
from digests.render import render_text
from digests.sentences import split_sentences
from digests.summary import build_summary, lead_sentences
from digests.textutil import fold

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Actors kept in the digest's fields: follows and search match on all of them, while each
# renderer shows the best-ranked ones its space allows (the text rarely fits more than nine).
MAX_ACTORS = 12
MAX_LEGAL = 16
MAX_GROUPED_EXTRA = 3
ENGLISH_NOTE = "(article en anglais) "


class DigestEngine:
    """Turn Articles into Digests with one shared spaCy pipeline.

    Pass `nlp` to reuse a pipeline (tests, benchmarks); by default the process-wide one is
    used, so building several engines never loads the model twice.
    """

    def __init__(self, nlp: Language | None = None, *, private: bool = False) -> None:
        self.nlp = nlp or (load_pipeline() if private else shared_pipeline())

    def summarize(self, article: Article) -> Digest:
        """Digest one article."""
        return self.summarize_many([article])[0]

    def summarize_many(self, articles: Iterable[Article], *, batch_size: int = 8) -> list[Digest]:
        """Digest many articles, batching them through spaCy with `nlp.pipe`."""
        items = [capped(a) for a in articles]
        texts = [_combined(a) for a in items]
        docs = self.nlp.pipe(texts, batch_size=batch_size)
        return [_digest(article, doc, self.nlp) for article, doc in zip(items, docs, strict=True)]


# A news article's facts sit in its first pages; a longer "article" is a page gone wrong or an
# attack on the NLP worker's time and memory. Capped before spaCy sees anything.
MAX_TITLE_CHARS = 300
MAX_TEXT_CHARS = 20_000


def capped(article: Article) -> Article:
    """Return the article with its title and text cut to the NLP caps (at a word boundary)."""
    if len(article.title) <= MAX_TITLE_CHARS and len(article.text) <= MAX_TEXT_CHARS:
        return article
    return replace(article, title=_cut(article.title, MAX_TITLE_CHARS), text=_cut(article.text, MAX_TEXT_CHARS))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit // 2 else head


def _combined(article: Article) -> str:
    """Put the title before the text so one NER pass sees both (title offsets come first)."""
    return f"{article.title}\n\n{article.text}" if article.title else article.text


def _digest(article: Article, doc: Doc, nlp: Language) -> Digest:
    text = doc.text
    title_end = len(article.title) + 2 if article.title else 0
    spans = split_sentences(article.text, offset=title_end)
    title_spans = title_clauses(article.title)
    leads = lead_sentences(text, spans)
    lead_end = spans[leads[-1]][1] if leads else title_end

    names = [(e.start_char, e.end_char) for e in doc.ents if e.ent_id_ in BY_KEY]
    found = find_legal(text, lead_end=lead_end, names=names)[:MAX_LEGAL]
    legal = tuple(LegalItem(kind=i.kind, text=i.text, span=_body_span(i.start, i.end, title_end)) for i in found)
    language = detect_language(article.text or article.title)
    # Lower-cased, not folded: the stake "jugés" must not hide the actor "juges".
    laws = frozenset(f.text.lower() for f in found)
    attachments = [] if language == "en" else frames.attach_sentences(nlp, doc, title_spans + spans)
    actors = _actors(doc, text, title_end, lead_end, attachments, english=language == "en", laws=laws)

    stake = next((f.start for f in found if f.start >= title_end), None)
    summary = build_summary(
        text,
        spans,
        stake_start=stake,
        legal_starts=[f.start for f in found],
        actor_names=[a.name for a in actors],
        prefix=ENGLISH_NOTE if language == "en" else "",
    )
    digest = Digest(
        title=article.title,
        url=article.url,
        published=article.published,
        source=article.source,
        summary=summary,
        actors=actors,
        legal=legal,
        language=language,
    )
    return _with_text(digest)


_TITLE_BREAK = re.compile(r"\s*[:|]\s+")


def title_clauses(title: str) -> list[tuple[int, int]]:
    """Split a headline at its colons: each side is parsed on its own.

    "Ouganda : poursuivi pour insulte, un écrivain fuit le pays" labels its topic before the
    colon; parsed whole, the label becomes the subject of what follows and takes a side.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _TITLE_BREAK.finditer(title):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(title)))
    return [(s, e) for s, e in spans if e > s]


def _with_text(digest: Digest) -> Digest:
    return replace(digest, text=render_text(digest))


def _body_span(start: int, end: int, title_end: int) -> tuple[int, int]:
    """Express a span of title + text in Article.text offsets; (-1, -1) marks the title."""
    return (start - title_end, end - title_end) if start >= title_end else (-1, -1)


def _actors(
    doc: Doc,
    text: str,
    title_end: int,
    lead_end: int,
    attachments: list[frames.Attachment],
    *,
    english: bool = False,
    laws: frozenset[str] = frozenset(),
) -> tuple[Actor, ...]:
    party_spans = [(a.start, a.end) for a in attachments if a.role in parties.PARTY_ROLES]
    mentions = mentions_mod.ner_mentions(doc, title_end, english=english, party_spans=party_spans)
    if english:  # the unnamed-party patterns are French; English prose only feeds them noise
        mentions += [m for m in unnamed.pattern_mentions(text) if m.key.startswith("org:")]
    else:
        mentions += unnamed.pattern_mentions(text)
    mentions = roles.without_named_offices(mentions, text)
    mentions = parties.with_unnamed_parties(attachments, mentions)
    clusters = actors_mod.cluster(mentions, text)
    # "Privacy Shield", "DDoS": what the article cites as a law or an offence is a legal
    # stake, not a party.
    clusters = [c for c in clusters if not all(m.surface.lower() in laws for m in c.mentions)]
    for cl in clusters:
        parties.assign_role(cl, text, attachments)
    clusters = parties.drop_echoes(clusters)
    ranked = actors_mod.rank(clusters, text, title_end, lead_end)
    # "la ministre de la Culture" is the function of the minister named with it: no party.
    functions = {fold(c.function) for c in ranked if c.kind == "personne" and c.function}
    ranked = [
        c for c in ranked if c.kind == "personne" or not all(fold(m.surface) in functions for m in c.mentions)
    ]
    folded = fold(text)
    ranked = [c for c in ranked if not _in_passing(c, lead_end)]
    kept = [c for c in ranked if c.score > 0][:MAX_ACTORS]  # below 0: a name dropped in passing
    # Co-defendants named once each rank low one by one, yet the renderer lists them together
    # in one slot: keep a few beyond the cap.
    kept += [
        c
        for c in ranked
        if c.score > 0
        and c not in kept
        and c.kind == "personne"
        and not c.function
        and c.role == roles.SUSPECT
        and c.key.startswith(("per:", "age:"))
    ][:MAX_GROUPED_EXTRA]
    return tuple(actors_mod.to_actor(c, folded, title_end) for c in kept)


def _in_passing(cl: actors_mod.Cluster, lead_end: int) -> bool:
    """Tell a name the article drops once, with no side, no function, after its lead.

    "selon Twitter", "à Matignon": a reader of a legal digest loses nothing without them, and
    every such name shown is a name the story is not about.
    """
    if cl.function or cl.role in parties.PARTY_ROLES or cl.role in roles.LEGAL_ROLES:
        return False
    if max(m.weight for m in cl.mentions) >= unnamed.TRADE_WEIGHT:
        return False  # "les clubs", "les fournisseurs d'accès": parties named by their trade
    if any(m.introduced for m in cl.mentions):
        return False  # "l'association X organise une marche": introduced, not dropped
    if any(m.start < lead_end for m in cl.mentions):
        return False
    return len({m.start for m in cl.mentions}) == 1


_engine: DigestEngine | None = None
_lock = threading.Lock()


def get_engine() -> DigestEngine:
    """Return the process-wide engine, loading the model on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = DigestEngine()
    return _engine


def summarize(article: Article) -> Digest:
    """Digest one article with the shared engine."""
    return get_engine().summarize(article)


def summarize_many(articles: Iterable[Article]) -> list[Digest]:
    """Digest many articles with the shared engine, batched."""
    return get_engine().summarize_many(articles)
