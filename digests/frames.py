"""Attach party roles from sentence structure: who is the subject or object of which predicate.

A frame (data in `digests/data/frames.toml`, documented there) names a predicate — "mis en
examen", "tuée", "a porté plainte", "le meurtre de" — and the role each of its arguments plays.
Arguments are read from spaCy's dependency parse of the sentence, never from words that merely
sit near a name: "X a porté plainte contre Y" makes X the complainant and Y the accused, and
"le meurtre de Z" makes Z the victim, whatever else the sentence says.

Only sentences that contain a frame word are parsed, so the parser's cost stays a fraction of
the NER's. `attach` returns `Attachment`s with character offsets into the text that was
parsed; the engine maps them onto actors and abstains when frames disagree.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

FRAMES_FILE = Path(__file__).parent / "data" / "frames.toml"
PARTY_NOUNS_FILE = Path(__file__).parent / "data" / "party_nouns.toml"

_ETRE = frozenset(
    "est sont était étaient sera seront serait seraient être été fut furent soit soient suis es sommes êtes "
    "étais étions étiez".split()
)
_NEGATION = frozenset({"pas", "jamais", "aucunement", "nullement"})
_RELATIVE = frozenset({"qui", "que", "lequel", "laquelle", "lesquels", "lesquelles", "dont"})
_PRONOUNS = frozenset(
    "il elle ils elles on lui eux celui celle ceux celles celui-ci celle-ci ceux-ci je tu nous vous se "
    "s' l' le la les en y ce cela ça".split()
)
_OF = frozenset({"de", "d'", "d’", "du", "des"})
_POSSESSIVES = frozenset({"son", "sa", "ses", "leur", "leurs", "notre", "nos", "votre", "vos", "mon", "ma", "mes"})
_AGAINST = frozenset({"contre", "visant", "encontre"})
_TARGETING = frozenset({"visant", "ciblant"})
_TO = frozenset({"à", "au", "aux"})
_NAME_DEPS = frozenset({"flat:name", "flat", "appos"})


@dataclass(frozen=True, slots=True)
class Frame:
    """One predicate and the roles of its arguments (see frames.toml for each field)."""

    id: str
    words: frozenset[str]
    prefixes: tuple[str, ...]
    with_: frozenset[str] = frozenset()
    without: frozenset[str] = frozenset()
    active: bool = True
    active_only: bool = False
    patient: str = ""
    agent: str = ""
    of: str = ""
    against: str = ""
    to: str = ""
    nominal: str = ""
    state: str = ""
    state_not: frozenset[str] = frozenset()
    subject_in: frozenset[str] = frozenset()
    of_kinds: tuple[str, ...] = ()
    agent_kinds: tuple[str, ...] = ()
    patient_kinds: tuple[str, ...] = ()
    example: str = ""
    expect: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Attachment:
    """A role a frame gives to one argument of a parsed sentence.

    `start`/`end` cover the argument's head word (and the name words that go with it);
    `phrase` is the short noun phrase around a common-noun argument ("deux frères"), used when
    no named actor covers it; `kinds` restricts which actors may take the role (empty: any).
    """

    start: int
    end: int
    role: str
    frame: str
    head: str
    phrase: str
    phrase_start: int
    plural: bool
    kinds: tuple[str, ...] = ()
    # Spans inside start..end that belong to another noun: "l'associé de Paul Marchand, Léa
    # Fontaine" puts Fontaine on a side, not Marchand, whose name only locates her.
    holes: tuple[tuple[int, int], ...] = ()

    def covers(self, start: int, end: int) -> bool:
        """Tell whether a mention at start..end is the argument, not a noun inside it."""
        if not (start < self.end and self.start < end):
            return False
        # A name that starts inside another noun's complement is that complement's, even when
        # the parser split it ("de Levallois-Perret" as "Levallois", "-", "Perret").
        return not any(h_start <= start < h_end for h_start, h_end in self.holes)


def _frame(raw: dict) -> Frame:
    words = [w.lower() for w in raw["words"]]
    return Frame(
        id=raw["id"],
        words=frozenset(w for w in words if not w.endswith("*")),
        prefixes=tuple(w[:-1] for w in words if w.endswith("*")),
        with_=frozenset(w.lower() for w in raw.get("with", ())),
        without=frozenset(w.lower() for w in raw.get("without", ())),
        active=raw.get("active", True),
        active_only=raw.get("active_only", False),
        patient=raw.get("patient", ""),
        agent=raw.get("agent", ""),
        of=raw.get("of", ""),
        against=raw.get("against", ""),
        to=raw.get("to", ""),
        nominal=raw.get("nominal", ""),
        state=raw.get("state", ""),
        state_not=frozenset(w.lower() for w in raw.get("state_not", ())),
        subject_in=frozenset(w.lower() for w in raw.get("subject_in", ())),
        of_kinds=tuple(raw.get("of_kinds", ())),
        agent_kinds=tuple(raw.get("agent_kinds", ())),
        patient_kinds=tuple(raw.get("patient_kinds", ())),
        example=raw.get("example", ""),
        expect=tuple(raw.get("expect", {}).items()),
    )


@lru_cache(maxsize=1)
def load_frames(path: Path = FRAMES_FILE) -> tuple[Frame, ...]:
    """Read the frames once per process."""
    with path.open("rb") as handle:
        return tuple(_frame(raw) for raw in tomllib.load(handle)["frame"])


@lru_cache(maxsize=1)
def party_nouns(path: Path = PARTY_NOUNS_FILE) -> frozenset[str]:
    """Common nouns that name a person or a group able to be a party ("frère", "policiers")."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return frozenset(w.lower() for w in data["nouns"])


@lru_cache(maxsize=1)
def trigger_pattern() -> re.Pattern[str]:
    """One regex that tells whether a sentence holds any frame word (cheap pre-filter)."""
    frames = load_frames()
    words = sorted({w for f in frames for w in f.words}, key=len, reverse=True)
    prefixes = sorted({p for f in frames for p in f.prefixes}, key=len, reverse=True)
    alternatives = [re.escape(w) + r"(?!\w)" for w in words] + [re.escape(p) for p in prefixes]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


def parse(nlp: Language, texts: Sequence[str] | Sequence[Doc]) -> list[Doc]:
    """Run only tok2vec and the parser of `nlp` over texts (tokenized here) or token-only docs."""
    docs: Iterable[Doc] = (nlp.make_doc(t) if isinstance(t, str) else t for t in texts)
    for name in ("tok2vec", "parser"):
        docs = nlp.get_pipe(name).pipe(docs, batch_size=32)  # type: ignore[attr-defined]  # spaCy pipes
    return list(docs)


def attach_sentences(nlp: Language, doc: Doc, sentences: Sequence[tuple[int, int]]) -> list[Attachment]:
    """Parse the sentences of `doc` that hold a frame word and return every attachment.

    The sentences reuse `doc`'s tokens (no second tokenization); offsets are `doc`'s.
    """
    text = doc.text
    pattern = trigger_pattern()
    spans = [doc.char_span(s, e, alignment_mode="expand") for s, e in sentences if pattern.search(text, s, e)]
    chosen = [span for span in spans if span is not None and len(span)]
    if not chosen:
        return []
    parsed = parse(nlp, [span.as_doc() for span in chosen])
    out: list[Attachment] = []
    for span, sentence in zip(chosen, parsed, strict=True):
        out.extend(attach(sentence, span.start_char))
    return out


class _FrameIndex:
    """The frames by word: one dict lookup per token instead of a scan of every frame."""

    def __init__(self, frames: Sequence[Frame]) -> None:
        self.frames = tuple(frames)
        by_word: dict[str, list[Frame]] = {}
        for frame in self.frames:
            for word in frame.words:
                by_word.setdefault(word, []).append(frame)
        self.by_word = {w: tuple(fs) for w, fs in by_word.items()}
        self.prefixes = tuple((p, f) for f in self.frames for p in f.prefixes)

    def lookup(self, lower: str) -> list[Frame]:
        found = list(self.by_word.get(lower, ()))
        found += [f for p, f in self.prefixes if lower.startswith(p) and f not in found]
        return found


@lru_cache(maxsize=1)
def _default_index() -> _FrameIndex:
    return _FrameIndex(load_frames())


def attach(doc: Doc, offset: int = 0, frames: Sequence[Frame] | None = None) -> list[Attachment]:
    """Return the attachments the frames make in one parsed sentence (offsets + `offset`)."""
    index = _FrameIndex(frames) if frames is not None else _default_index()
    out: list[Attachment] = []
    for token in doc:
        fired = index.lookup(token.lower_)
        if not fired:
            continue
        words = _child_words(token)  # once per token, however many of its frames fire
        for frame in fired:
            if not _conditions_hold(token, frame, words):
                continue
            for role, argument, kinds in _arguments(token, frame):
                for arg in _with_conjuncts(argument):
                    made = _attachment(arg, role, frame.id, offset, kinds)
                    if made is not None:
                        out.append(made)
    return out


def _child_words(token: Token) -> set[str]:
    words = {c.lower_ for c in token.children}
    for child in token.children:  # "placé en garde à vue": the words of its complements too
        words.update(g.lower_ for g in child.children)
    return words


def _conditions_hold(token: Token, frame: Frame, words: set[str]) -> bool:
    if frame.with_ and not words & frame.with_:
        return False
    if frame.without and words & frame.without:
        return False
    if frame.subject_in and not any(
        c.dep_ == "nsubj" and c.lower_ in frame.subject_in for c in token.children
    ):
        return False
    return not any(c.lower_ in _NEGATION for c in token.children)


def _is_passive(token: Token) -> bool:
    """Tell a passive, copular or participial use ("a été tuée", "est mort", "X, soupçonné")."""
    if token.dep_ in ("acl", "amod"):
        return True
    return any(
        c.dep_ in ("aux:pass", "cop", "nsubj:pass") or (c.dep_.startswith("aux") and c.lower_ in _ETRE)
        for c in token.children
    )


def _arguments(token: Token, frame: Frame) -> list[tuple[str, Token, tuple[str, ...]]]:
    passive = _is_passive(token)
    found: list[tuple[str, Token, tuple[str, ...]]] = []
    subjects = [c for c in token.children if c.dep_ in ("nsubj", "nsubj:pass")]
    if not subjects:  # "Leur oncle, 51 ans, a … été mis en examen": the parser may hang it on "a"
        auxiliaries = [c for c in token.children if c.dep_.startswith("aux")]
        subjects = [g for a in auxiliaries for g in a.children if g.dep_ in ("nsubj", "nsubj:pass")]
    if not subjects and token.dep_ == "conj":  # "interpellé puis écroué": the first verb's subject
        subjects = [c for c in token.head.children if c.dep_ in ("nsubj", "nsubj:pass")]
    patient = frame.patient or frame.nominal
    if patient and not frame.active_only:
        kinds = frame.patient_kinds
        if passive:
            found += [(patient, s, kinds) for s in subjects]
            if token.dep_ in ("acl", "amod", "appos"):
                found.append((patient, token.head, kinds))
        elif frame.active:
            found += [(patient, c, kinds) for c in token.children if c.dep_ == "obj"]
    if frame.nominal:
        kinds = frame.patient_kinds
        found += [(frame.nominal, c, kinds) for c in token.children if c.dep_ in _NAME_DEPS]
        # "X, le suspect": the apposition names X. "X …, ses victimes": a possessive turns the
        # relation round (X is whoever they are victims of), so it gives X nothing.
        if token.dep_ == "appos" and not any(c.lower_ in _POSSESSIVES for c in token.children):
            found.append((frame.nominal, token.head, kinds))
        if any(c.dep_ == "det" for c in token.children):
            found.append((frame.nominal, token, kinds))  # "le suspect" is itself a party
    if frame.state and token.dep_.startswith("obl") and any(
        c.dep_ == "case" and c.lower_ == "en" for c in token.children
    ):
        # "En garde à vue, X a reconnu …": the state qualifies the clause, so its subject.
        found += [
            (frame.state, s, frame.patient_kinds)
            for s in token.head.children
            if s.dep_ == "nsubj" and s.lower_ not in frame.state_not
        ]
    if frame.agent:
        if not passive:
            found += [(frame.agent, s, frame.agent_kinds) for s in subjects if s.dep_ == "nsubj"]
        found += [(frame.agent, c, frame.agent_kinds) for c in token.children if c.dep_ == "obl:agent"]
    # "une plainte contre X", "une action contre X": the complement may hang on the noun.
    holders = [token] + [c for c in token.children if c.dep_ == "obj" and c.lower_ in frame.with_]
    for child in (c for h in holders for c in h.children):
        if child.dep_ not in ("nmod", "obl", "obl:arg", "obl:mod"):
            continue
        cases = {c.lower_ for c in child.children if c.dep_ in ("case", "fixed", "mark")}
        if frame.of and cases & _OF and child.dep_ == "nmod":
            found.append((frame.of, child, frame.of_kinds))
        if frame.against and cases & _AGAINST:
            found.append((frame.against, child, ()))
        if frame.to and cases & _TO:
            found.append((frame.to, child, ()))
    if frame.against:  # "une enquête visant X": the participle's object
        for child in (c for h in holders for c in h.children):
            if child.dep_ == "acl" and child.lower_ in _TARGETING:
                found += [(frame.against, g, ()) for g in child.children if g.dep_ == "obj"]
    return found


def _names_same_party(child: Token) -> bool:
    """Tell a name given with a noun ("l'association Vigilance", "le suspect, Yanis Morel")."""
    if child.dep_ in ("flat:name", "flat"):
        return True
    if child.dep_ not in ("appos", "nmod", "amod") or not child.text[:1].isupper() or _has_case(child):
        return False
    # "X condamné pour injure envers Léa Fontaine": a clause between the noun and the name
    # means the parser hung a complement's name on the noun; an apposition follows its noun.
    head = child.head
    return not any(
        c.dep_ in ("acl", "acl:relcl") and head.i < c.i < child.i for c in head.children
    )


def _has_case(token: Token) -> bool:
    return any(c.dep_ == "case" for c in token.children)


def _with_conjuncts(token: Token) -> list[Token]:
    """Return the argument and the ones coordinated with it ("X et Y ont été mis en examen")."""
    if token.lower_ in _RELATIVE and token.head.dep_ == "acl:relcl":
        token = token.head.head  # "X, qui a été écroué": the relative stands for X
    out = [token]
    stack = [token]
    while stack:
        current = stack.pop()
        # "Paul Marchand et Léa Fontaine": the parser hangs the conjunct on the last name word.
        holders = [current] + [c for c in current.children if c.dep_ in ("flat:name", "flat")]
        for child in (c for h in holders for c in h.children):
            if child.dep_ == "conj" and child not in out:
                out.append(child)
                stack.append(child)
    return out


def _attachment(token: Token, role: str, frame: str, offset: int, kinds: tuple[str, ...]) -> Attachment | None:
    if token.lower_ in _PRONOUNS or token.lower_ in _RELATIVE or not token.text[:1].isalpha():
        return None
    names = [token] + [c for c in token.children if _names_same_party(c)]
    names += [g for c in names[1:] for g in c.children if g.dep_ in ("flat:name", "flat")]
    start = min(t.idx for t in names)
    end = max(t.idx + len(t.text) for t in names)
    holes = tuple(
        (offset + sub[0].idx, offset + sub[-1].idx + len(sub[-1].text))
        for c in token.children
        if c not in names and c.dep_ not in ("det", "punct", "case", "amod", "nummod")
        and (sub := list(c.subtree)) and start < sub[0].idx and sub[-1].idx < end
    )
    phrase_tokens = [token]
    phrase_tokens += [c for c in token.children if c.dep_ in ("nummod", "amod") and c.i < token.i]
    after = token.i + 1  # "manifestants blessés": adjectives right after the noun, no comma between
    for child in sorted((c for c in token.children if c.i > token.i), key=lambda c: c.i):
        if child.i != after or child.dep_ != "amod":
            break
        phrase_tokens.append(child)
        after += 1
    phrase_tokens.sort(key=lambda t: t.i)
    phrase = token.doc[phrase_tokens[0].i : phrase_tokens[-1].i + 1]
    return Attachment(
        start=offset + start,
        end=offset + end,
        role=role,
        frame=frame,
        head=token.lower_,
        phrase=phrase.text,
        phrase_start=offset + phrase.start_char,
        plural=token.lower_.endswith(("s", "x")) or any(c.dep_ == "nummod" for c in token.children),
        kinds=kinds,
        holes=holes,
    )
