"""A subscription's filter: which of a feed's digests a chat wants (`/filtre N …`).

    "+rançongiciel -sport acteur:CNIL juridique"
        ──parse_filter──▶ Filter(required=(rançongiciel,), excluded=(sport,), actors=(CNIL,), legal=True)
        ──Filter.accepts(digest)──▶ True / False

The language, each condition required (AND):

    +mot  mot          the digest contains the word (a bare word is a `+`)
    -mot               it does not
    +"mise en examen"  an exact phrase ( -"…" excludes it)
    +cnil,arcom        any of the alternatives (a comma means "or", in every condition)
    acteur:CNIL        an actor of the digest, by name or alias (-acteur: excludes it);
                       acteur:"Conseil d'État" for a name of several words
    juridique          at least one legal stake (-juridique: none)

Words are matched the way `/recherche` matches them (`bot.french.content_stems`: case,
accents and French word forms folded, stop words dropped), in the title, the summary, the legal
stakes and the actors' names; never as regular expressions. An actor is matched on whole words
of its names and aliases, and a name the gazetteer knows (`digests.gazetteer`) brings its other
names: acteur:"Commission nationale de l'informatique et des libertés" keeps a digest that names
the CNIL. The filter is stored as the user typed it and parsed again where it is applied, so
one text is the whole state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.errors import InputError
from bot.french import content_stems, fold, folded_words
from digests.gazetteer import BODIES
from digests.model import Digest

MAX_FILTER_LENGTH = 300
MAX_CONDITIONS = 20
MAX_ALTERNATIVES = 10

SYNTAX_HELP = (
    'Syntaxe : +mot (doit figurer), -mot (ne doit pas figurer), +"expression exacte", '
    "acteur:CNIL (ou -acteur:), juridique (au moins un enjeu juridique) ; une virgule pour "
    "« ou » (+cnil,arcom).\n"
    "Exemple : /filtre 2 +rançongiciel -sport acteur:ANSSI juridique"
)

_TOKEN = re.compile(
    r"""(?P<sign>[+-]?)(?:
        (?P<key>[^\W\d_][\w-]*):(?P<value>"[^"]*"|[^\s"]*)
      | "(?P<phrase>[^"]*)"
      | (?P<word>[^\s"]+)
    )
    | (?P<quote>")""",
    re.VERBOSE,
)
_ACTOR_KEYS = {"acteur", "actor"}
_LEGAL_WORDS = {"juridique", "legal", "juridiques"}


@dataclass(frozen=True, slots=True)
class Term:
    """One condition on the digest's text: alternatives (any one matches), each as its stems."""

    shown: str  # as typed, for the French description
    alternatives: tuple[tuple[str, ...], ...]  # content stems of each alternative
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class ActorTerm:
    """One condition on the digest's actors: alternatives, each as the folded names it stands for."""

    shown: str
    names: tuple[tuple[str, ...], ...]  # per alternative: folded names (the typed one, gazetteer aliases)


@dataclass(frozen=True, slots=True)
class DigestText:
    """A digest's words as filters read them, prepared once per digest."""

    fields: tuple[tuple[str, ...], ...]  # content stems of title, summary, each legal item, each actor name
    words: tuple[frozenset[str], ...]  # the same, as sets (a word's stems must meet in one field)
    actor_names: tuple[str, ...]  # folded, padded with spaces for whole-word tests
    legal: bool

    @classmethod
    def of(cls, digest: Digest) -> DigestText:
        """Prepare a digest's title, summary, legal stakes and actor names."""
        texts = [digest.title, digest.summary, *(i.text for i in digest.legal)]
        texts += [n for a in digest.actors for n in (a.name, *a.aliases)]
        fields = tuple(tuple(content_stems(t)) for t in texts)
        names = tuple(f" {' '.join(folded_words(n))} " for a in digest.actors for n in (a.name, *a.aliases))
        return cls(fields, tuple(frozenset(f) for f in fields), names, bool(digest.legal))


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter; `text` is the normalised form stored and shown back."""

    text: str
    required: tuple[Term, ...] = ()
    excluded: tuple[Term, ...] = ()
    actors: tuple[ActorTerm, ...] = ()
    excluded_actors: tuple[ActorTerm, ...] = ()
    legal: bool | None = None  # True: at least one legal stake; False: none; None: either

    def accepts(self, digest: Digest | DigestText) -> bool:
        """Say whether the digest passes every condition of the filter.

        Pass a `DigestText` when several filters judge one digest: it is prepared once.
        """
        text = digest if isinstance(digest, DigestText) else DigestText.of(digest)
        if self.legal is not None and text.legal != self.legal:
            return False
        if not all(_term_in(term, text) for term in self.required):
            return False
        if any(_term_in(term, text) for term in self.excluded):
            return False
        if not all(_actor_in(term, text.actor_names) for term in self.actors):
            return False
        return not any(_actor_in(term, text.actor_names) for term in self.excluded_actors)

    def describe(self) -> str:
        """Say in French what the filter keeps, one condition per clause."""
        parts = [f"contient {t.shown}" for t in self.required]
        parts += [f"ne contient pas {t.shown}" for t in self.excluded]
        parts += [f"acteur {t.shown}" for t in self.actors]
        parts += [f"sans l'acteur {t.shown}" for t in self.excluded_actors]
        if self.legal is True:
            parts.append("au moins un enjeu juridique")
        elif self.legal is False:
            parts.append("aucun enjeu juridique")
        return " ; ".join(parts)


def _hint(reason: str, french: str) -> InputError:
    return InputError(f"bad filter: {reason}", french=f"Filtre non compris : {french}\n{SYNTAX_HELP}")


def parse_filter(text: str) -> Filter:
    """Parse a filter as typed, or raise `InputError` with a French hint saying what is wrong."""
    text = " ".join(text.split())
    if not text:
        raise _hint("empty", "indiquez au moins une condition.")
    if len(text) > MAX_FILTER_LENGTH:
        raise _hint("too long", f"{MAX_FILTER_LENGTH} caractères au plus.")
    required: list[Term] = []
    excluded: list[Term] = []
    actors: list[ActorTerm] = []
    excluded_actors: list[ActorTerm] = []
    legal: bool | None = None
    shown: list[str] = []
    if text.count('"') % 2:
        raise _hint("unbalanced quote", "il manque un guillemet fermant.")
    for match in _TOKEN.finditer(text):
        if match["quote"]:
            raise _hint("unbalanced quote", "il manque un guillemet fermant.")
        negative = match["sign"] == "-"
        sign = "-" if negative else "+"
        if match["key"] is not None:
            key = fold(match["key"])
            value = match["value"].strip('"').strip()
            if key not in _ACTOR_KEYS:
                raise _hint("unknown key", f"« {match['key'][:20]}: » est inconnu (seul acteur: existe).")
            (excluded_actors if negative else actors).append(_actor_term(value))
            shown.append(f"{'-' if negative else ''}acteur:{_quoted(value)}")
        elif match["word"] is not None and fold(match["word"]) in _LEGAL_WORDS:
            if legal is not None and legal == negative:
                raise _hint("contradiction", "juridique et -juridique à la fois.")
            legal = not negative
            shown.append(f"{'-' if negative else ''}juridique")
        else:
            phrase = match["phrase"] is not None
            raw = match["phrase"] if phrase else match["word"]
            term = _text_term(raw, phrase=phrase)
            (excluded if negative else required).append(term)
            shown.append(f"{sign}{term.shown}")
    if len(shown) > MAX_CONDITIONS:
        raise _hint("too many", f"{MAX_CONDITIONS} conditions au plus.")
    if not shown:
        raise _hint("empty", "indiquez au moins une condition.")
    return Filter(" ".join(shown), tuple(required), tuple(excluded), tuple(actors), tuple(excluded_actors), legal)


def _alternatives(raw: str) -> list[str]:
    parts = [p.strip() for p in raw.split(",")]
    if any(not p for p in parts):
        raise _hint("empty alternative", f"« {raw[:40]} » : une virgule sépare deux mots, sans vide entre eux.")
    if len(parts) > MAX_ALTERNATIVES:
        raise _hint("too many alternatives", f"{MAX_ALTERNATIVES} possibilités au plus par condition.")
    return parts


def _text_term(raw: str, *, phrase: bool) -> Term:
    raw = raw.strip()
    if not any(c.isalnum() for c in raw):
        raise _hint("empty term", "un + ou un - doit être suivi d'un mot ou d'une expression entre guillemets.")
    parts = [raw] if phrase else _alternatives(raw)
    stems = []
    for part in parts:
        found = tuple(content_stems(part))
        if not found:
            raise _hint("stop words", f"« {part[:40]} » est trop courant pour filtrer : choisissez un mot précis.")
        stems.append(found)
    shown = f'"{raw}"' if phrase else raw
    return Term(shown, tuple(stems), phrase=phrase)


def _actor_term(value: str) -> ActorTerm:
    if not value:
        raise _hint("empty actor", "indiquez un nom après acteur:, par exemple acteur:CNIL.")
    names = []
    for part in _alternatives(value):
        folded = " ".join(folded_words(part))
        if not folded:
            raise _hint("empty actor", "indiquez un nom après acteur:, par exemple acteur:CNIL.")
        names.append((folded, *(n for n in _gazetteer_names().get(folded, ()) if n != folded)))
    return ActorTerm(_quoted(value), tuple(names))


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


@lru_cache(maxsize=1)
def _gazetteer_names() -> dict[str, tuple[str, ...]]:
    """Map each folded name of a known body to every folded name of that body."""
    found: dict[str, tuple[str, ...]] = {}
    for body in BODIES:
        names = tuple(dict.fromkeys(" ".join(folded_words(n)) for n in (body.name, *body.aliases, *body.exact)))
        for name in names:
            found.setdefault(name, names)
    return found


def _term_in(term: Term, text: DigestText) -> bool:
    if not term.phrase:
        return any(all(s in words for s in stems) for stems in term.alternatives for words in text.words)
    return any(_has_phrase(field, stems) for stems in term.alternatives for field in text.fields)


def _has_phrase(field: tuple[str, ...], stems: tuple[str, ...]) -> bool:
    size = len(stems)
    return any(field[i : i + size] == stems for i in range(len(field) - size + 1))


def _actor_in(term: ActorTerm, names: tuple[str, ...]) -> bool:
    return any(f" {wanted} " in name for alternative in term.names for wanted in alternative for name in names)
