"""Check a model-written summary against its article before anyone reads it.

Veille's promise is that nothing in a digest is invented, so a summary written by a language
model is used only when every fact it states can be found in the article:

- every proper name (a capitalised word or run of words) occurs in the article, or is a known
  alias of an actor of the digest or of a gazetteer body the article names ("CNIL" for
  "Commission nationale de l'informatique et des libertés");
- every figure (number in digits or words, amount with its unit, percentage) and every date
  (day and month, weekday, "hier") occurs in the article, in whatever format
  (`digests.figures` reads both sides alike);
- every role word the summary gives a named actor ("mis en examen", "condamné", "victime",
  "plainte") agrees with the role the engine gave that actor (`digests.roles`), which comes
  from sentence structure and never from the model;
- the summary is French, at most two sentences and 320 characters, and carries no link.

Anything else rejects the whole summary, with the reasons (English, for logs); the caller then
keeps the engine's extractive one. Pure text logic: no model, no spaCy, a few milliseconds a call.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from digests import figures as fig
from digests import roles
from digests.gazetteer import BODIES, Body
from digests.language import detect_language
from digests.model import Article, Digest
from digests.textutil import fold, fold_keep_length

MAX_CHARS = 320
MAX_SENTENCES = 2


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a summary may be shown, and why not (one short English reason per problem)."""

    ok: bool
    reasons: tuple[str, ...] = ()


# French names of places and bodies an English article spells its own way.
_TRANSLATIONS: dict[str, tuple[str, ...]] = {
    "etats-unis": ("united states", "us", "u.s", "usa", "america"),
    "royaume-uni": ("united kingdom", "uk", "u.k", "britain"),
    "grande-bretagne": ("britain", "great britain", "uk"),
    "angleterre": ("england",), "ecosse": ("scotland",), "irlande": ("ireland",),
    "allemagne": ("germany",), "espagne": ("spain",), "italie": ("italy",), "chine": ("china",),
    "russie": ("russia",), "japon": ("japan",), "inde": ("india",), "bresil": ("brazil",),
    "belgique": ("belgium",), "suisse": ("switzerland",), "pays-bas": ("netherlands",),
    "suede": ("sweden",), "norvege": ("norway",), "pologne": ("poland",), "grece": ("greece",),
    "turquie": ("turkey",), "australie": ("australia",), "coree du sud": ("south korea",),
    "coree du nord": ("north korea",), "mexique": ("mexico",), "israel": ("israel",),
    "europe": ("europe", "eu"), "union europeenne": ("european union", "eu"), "ue": ("eu", "european union"),
    "londres": ("london",), "bruxelles": ("brussels",), "pekin": ("beijing",), "moscou": ("moscow",),
    "washington": ("washington",), "californie": ("california",), "floride": ("florida",),
    "new york": ("new york",), "texas": ("texas",), "europol": ("europol",), "interpol": ("interpol",),
    "ministere americain de la justice": ("department of justice", "justice department", "doj"),
    "ministere de la justice": ("department of justice", "justice department", "ministry of justice"),
    "justice": ("justice",), "fbi": ("fbi", "federal bureau of investigation"),
    "commission europeenne": ("european commission",), "parlement europeen": ("european parliament",),
    "cour supreme": ("supreme court",), "americains": ("american", "americans"),
}  # fmt: skip

# Capitalised words that start a sentence without being names, and the connectors a name may
# hold ("Conseil d'État", "Jean de La Fontaine").
_COMMON = frozenset(
    """le la les l un une des du de d au aux en et ou mais donc or ni car ce cet cette ces
    il elle ils elles on nous vous je tu son sa ses leur leurs selon apres avant pour par sur
    dans avec sans sous entre depuis lors quand alors ainsi deja aussi encore enfin mais
    deux trois quatre cinq six sept huit neuf dix cent mille plusieurs certains certaines
    aucun aucune chaque tout tous toute toutes qui que quoi dont ou cela ceci ca si face
    faute malgre grace suite contrairement outre comme tandis parmi vers pres environ plus moins
    desormais jusqu voici voila seul seule seuls seules autre autres nouveau nouvel nouvelle
    premier premiere dernier derniere ancien ancienne hier aujourd demain cette ici la-bas
    mardi lundi mercredi jeudi vendredi samedi dimanche pendant durant entre-temps puis
    notamment finalement actuellement selon d'apres au-dela lorsque puisque bien meme""".split()
)
# A past participle opening a sentence ("Interrogé par …", "Placée en garde à vue, …") is no
# name; a first name ending in é ("René a porté plainte") is followed by a verb instead.
_PARTICIPLE_OPENING = re.compile(
    r"[^\W\d_]+(?:é|ée|és|ées)(?=\s*,|\s+(?:par|pour|à|au|aux|de|des|du|d'|d’|en|dans|sur|après|lors|depuis|avec|sans)\b)"
)
_CONNECTORS = frozenset({"de", "du", "des", "d", "la", "le", "l", "et", "von", "van", "der", "den", "al", "ben", "bin"})
_TITLES = frozenset({"m", "mm", "mme", "mmes", "mlle", "me", "dr", "pr", "maitre", "monsieur", "madame"})
_DATE_WORDS = frozenset([*fig.MONTHS_FR, *fig.WEEKDAYS_FR])
_WORD = re.compile(r"[^\W\d_](?:[\w-]*\w)?|\d[\w-]*")
_URL = re.compile(r"https?://|www\.|\w+\.(?:fr|com|org|net|io)\b|<[a-z/!]", re.I)
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)")
_ABBREV_END = re.compile(r"(?:\b(?:M|MM|Mme|Me|Dr|Pr|St|[A-Z]))\.$")

# Role words a summary may give an actor, as folded regexes, and the engine roles that agree.
_SUSPECT_WORDS = (
    r"mise?s? en (?:examen|cause|accusation|detention)|condamnee?s?|inculpee?s?|accusee?s?|"
    r"soupconnee?s?|suspecte?s?|prevenue?s?|interpellee?s?|arretee?s?|ecrouee?s?|poursuivie?s?|"
    r"reconnue?s? coupables?|coupables?|place(?:e|s|es)? en garde a vue|en garde a vue|"
    r"auteure?s? presumee?s?|inculpation|condamnation"
)
_VICTIM_WORDS = r"victimes?|lesee?s?"
_PLAINT_WORDS = r"(?:a|ont|avait|avaient) (?:porte|depose) plainte|plaintes?|plaignante?s?|parties? civiles?"
_ROLE_WORDS: tuple[tuple[re.Pattern[str], str, frozenset[str]], ...] = (
    (re.compile(rf"(?<![\w-])(?:{_SUSPECT_WORDS})(?![\w-])"), "suspect", frozenset({roles.SUSPECT})),
    (re.compile(rf"(?<![\w-])(?:{_VICTIM_WORDS})(?![\w-])"), "victim", frozenset({roles.VICTIM, roles.PLAINTIFF})),
    (re.compile(rf"(?<![\w-])(?:{_PLAINT_WORDS})(?![\w-])"), "plaintiff",
     frozenset({roles.PLAINTIFF, roles.VICTIM})),
)  # fmt: skip
# A role word states a stage of the case ("condamné" is not "mis en examen"): its stem must
# occur in the article too, or the summary claims a step the article never reports.
_STAGES = (
    r"en examen",
    r"en cause",
    r"accusation",
    r"detention",
    r"condamn",
    r"inculp",
    r"accus",
    r"soupcon",
    r"suspect",
    r"prevenu",
    r"interpell",
    r"arret",
    r"ecrou",
    r"poursui",
    r"coupable",
    r"garde a vue",
    r"presume",
    r"victime",
    r"lese",
    r"plainte",
    r"plaign",
    r"partie civile|parties civiles",
)
_STAGES_EN = {
    "en examen": r"charged|indicted", "en cause": r"accused|suspect|charged|implicated",
    "accusation": r"charged|indicted|accused", "detention": r"detained|custody|jailed",
    "condamn": r"convicted|sentenced", "inculp": r"charged|indicted", "accus": r"accused|charged",
    "soupcon": r"suspect|suspicion|alleged", "suspect": r"suspect", "prevenu": r"defendant",
    "interpell": r"arrested|detained", "arret": r"arrested|arrest", "ecrou": r"jailed|imprisoned|custody",
    "poursui": r"prosecuted|charged|sued", "coupable": r"guilty", "garde a vue": r"custody|detained",
    "presume": r"alleged|suspected", "victime": r"victim", "lese": r"victim|harmed",
    "plainte": r"complaint|lawsuit|sued",
    "plaign": r"plaintiff|complainant", "partie civile|parties civiles": r"plaintiff|civil party",
}  # fmt: skip
# "a été mis en examen": the subject holds the role; "a mis en examen X": the object does.
_PASSIVE_BEFORE = re.compile(
    r"(?:\s(?:(?:a|ont|avait|avaient|aurait|auraient) ete|est|sont|etait|etaient|sera|seront|serait|"
    r"seraient|reste|restent|demeure|demeurent)(?:\s(?:deja|aussi|egalement|finalement))?|,)\s*$"
)
_ACTIVE_BEFORE = re.compile(r"\b(?:a|ont|avait|avaient|aurait|auraient|va|vont|doit|doivent|pourrait)\s*$")
_AGAINST = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:contre|visant)\s")
_BY = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:de|du|des|d'|par)\s*")


def verify_summary(summary: str, article: Article, digest: Digest) -> Verdict:
    """Tell whether `summary` states only what `article` says, with the engine's roles."""
    source = f"{article.title}\n{article.text}"
    folded_source = fold(source)
    english = digest.language == "en"
    reasons: list[str] = []
    reasons += _form_problems(summary)
    lower_words = _lower_words(source)
    reasons += _name_problems(summary, folded_source, source, digest, lower_words)
    reasons += _figure_problems(fold(summary), folded_source, article, english=english)
    reasons += _stage_problems(fold(summary), folded_source, english=english)
    reasons += _role_problems(fold(summary), digest, _name_runs(summary, lower_words))
    return Verdict(not reasons, tuple(dict.fromkeys(reasons)))


# -- form ------------------------------------------------------------------------------------


def sentence_count(text: str) -> int:
    """Count a summary's sentences ("M. Dupont" does not end one)."""
    return sum(1 for start, end in _sentences(text) if text[start:end].strip())


def _form_problems(summary: str) -> list[str]:
    text = summary.strip()
    if not text:
        return ["empty summary"]
    problems = []
    if len(text) > MAX_CHARS:
        problems.append(f"too long ({len(text)} > {MAX_CHARS} characters)")
    if sentence_count(text) > MAX_SENTENCES:
        problems.append(f"more than {MAX_SENTENCES} sentences")
    if _URL.search(text):
        problems.append("link or markup in summary")
    if detect_language(text) == "en":
        problems.append("summary not in French")
    return problems


# -- names -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Run:
    """A capitalised run of words in the summary: a candidate proper name."""

    text: str
    start: int
    end: int


def _name_runs(summary: str, lower_words: frozenset[str]) -> list[_Run]:
    """Find the summary's proper names: capitalised runs of words, connectors inside allowed.

    A capitalised word opening a sentence is a name only if the article never writes it in
    lower case and it is no common word ("Condamné", "Selon").
    """
    words = list(_WORD.finditer(summary))
    runs: list[_Run] = []
    current: list[re.Match[str]] = []
    pending: list[re.Match[str]] = []  # connectors waiting for the next capitalised word

    def close() -> None:
        if current:
            runs.append(_Run(summary[current[0].start() : current[-1].end()], current[0].start(), current[-1].end()))
        current.clear()
        pending.clear()

    for m in words:
        word = m.group()
        low = fold(word)
        previous = pending[-1] if pending else (current[-1] if current else None)
        gap = summary[previous.end() : m.start()] if previous is not None else ""
        if previous is None or re.fullmatch(r"\s+|\s*['’]\s*|-", gap) is None:
            close()
        if word[0].isupper() and low not in _TITLES and not _common_start(summary, m, low, lower_words):
            current.extend(pending)
            pending.clear()
            current.append(m)
        elif current and low in _CONNECTORS:
            pending.append(m)
        else:
            close()
    close()
    return runs


def _common_start(summary: str, m: re.Match[str], low: str, lower_words: frozenset[str]) -> bool:
    """Tell a capitalised word that is no name: a date word, or a common word opening a sentence."""
    if low in _DATE_WORDS:
        return True  # checked as a date
    before = summary[: m.start()].rstrip()
    initial = not before or before[-1] in '.!?:«"(—–-…'
    if not initial or m.group().isupper():
        return False  # an acronym is a name wherever it stands
    if low in _COMMON or low in lower_words or any(p.fullmatch(low) for p, _, _ in _ROLE_WORDS):
        return True
    participle = _PARTICIPLE_OPENING.match(summary, m.start())
    return participle is not None and participle.end() == m.end()


def _lower_words(source: str) -> frozenset[str]:
    """Return the folded words the article writes in lower case."""
    return frozenset(fold(word) for word in {m.group() for m in _WORD.finditer(source) if m.group()[0].islower()})


def _alias_spans(summary: str, aliases: Iterable[str]) -> list[tuple[int, int]]:
    """Return where known aliases occur in the summary (offsets of the summary itself)."""
    text = fold_keep_length(summary)
    spans: list[tuple[int, int]] = []
    for alias in sorted({fold_keep_length(a) for a in aliases if len(a) > 1}, key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w]){re.escape(alias)}(?![\w])", text):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    return spans


def _name_problems(
    summary: str, folded_source: str, source: str, digest: Digest, lower_words: frozenset[str]
) -> list[str]:
    known = _known_aliases(summary, digest, folded_source, source)
    problems = []
    spans = _alias_spans(summary, known)
    for run in _name_runs(summary, lower_words):
        name = fold(run.text)
        if _occurs(name, folded_source) or any(s <= run.start and run.end <= e for s, e in spans):
            continue  # the article's words, or inside a known alias ("Commission nationale de …")
        if any(_occurs(alt, folded_source) for alt in _TRANSLATIONS.get(name, ())):
            continue
        problems.append(f"name not in article: {run.text}")
    return problems


def _occurs(needle: str, haystack: str) -> bool:
    return bool(needle) and re.search(rf"(?<![\w]){re.escape(needle)}(?![\w])", haystack) is not None


def _known_aliases(summary: str, digest: Digest, folded_source: str, source: str) -> set[str]:
    """Return the names and aliases of what the article names: digest actors, gazetteer bodies.

    Only bodies the summary mentions are looked up in the article (the article is long, the
    gazetteer has hundreds of names, the summary two sentences).
    """
    known: set[str] = set()
    for actor in digest.actors:
        known.update(n for n in (actor.name, *actor.aliases) if n)
    folded_summary = fold(summary)
    for body, folded_names in _folded_bodies():
        if any(n in folded_summary for n in folded_names) and _body_named(body, folded_source, source):
            known.update((body.name, *body.aliases, *body.exact))
    return known


@functools.cache
def _folded_bodies() -> tuple[tuple[Body, tuple[str, ...]], ...]:
    return tuple((b, tuple(fold(n) for n in (b.name, *b.aliases, *b.exact))) for b in BODIES)


def _body_named(body: Body, folded_source: str, source: str) -> bool:
    if any(_occurs(fold(alias), folded_source) for alias in (body.name, *body.aliases)):
        return True
    return any(re.search(rf"(?<![\w]){re.escape(e)}(?![\w])", source) for e in body.exact)


# -- figures and dates -------------------------------------------------------------------------


def _figure_problems(folded_summary: str, folded_source: str, article: Article, *, english: bool) -> list[str]:
    problems = []
    known = fig.figures(folded_source, article=True)
    published = article.published
    if published is not None:
        known.append(fig.Figure(float(published.year), "", str(published.year)))
    for figure in fig.figures(folded_summary):
        if not any(_same(figure, k) for k in known):
            problems.append(f"figure not in article: {figure.surface}")
    missing = fig.approximations(folded_summary) - fig.approximations(folded_source)
    problems += [f"magnitude not in article: {word}" for word in sorted(missing)]

    known_dates = fig.dates(folded_source, english=english)
    if published is not None:
        known_dates.append(fig.Date(published.month, published.day, "published"))
    for date in fig.dates(folded_summary):
        if not any(k.month == date.month and (date.day == 0 or k.day == date.day) for k in known_dates):
            problems.append(f"date not in article: {date.surface}")
    days = fig.weekdays(folded_source, english=english)
    if published is not None:
        days.add(published.weekday())
    for day in sorted(fig.weekdays(folded_summary) - days):
        problems.append(f"weekday not in article: {fig.WEEKDAYS_FR[day]}")
    for word, sayings in fig.RELATIVE_DAYS.items():
        if _occurs(word, folded_summary) and not any(_occurs(s, folded_source) for s in sayings):
            problems.append(f"relative date not in article: {word}")
    return problems


def _same(figure: fig.Figure, known: fig.Figure) -> bool:
    if abs(figure.value - known.value) > 1e-9 * max(1.0, abs(known.value)):
        return False
    return not figure.unit or figure.unit == known.unit


# -- roles -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Holder:
    """A named actor as it occurs in the folded summary, with the engine's role ("" if none)."""

    name: str
    start: int
    end: int
    role: str


def _holders(folded_summary: str, digest: Digest, runs: Sequence[_Run]) -> list[_Holder]:
    """Place the digest's actors, and any other name, in the folded summary."""
    found: list[_Holder] = []
    for actor in digest.actors:
        if not any(word[:1].isupper() for word in actor.name.split()):
            continue  # an unnamed party ("un homme", "deux frères"): only named actors are checked
        for alias in sorted({fold(n) for n in (actor.name, *actor.aliases) if n}, key=len, reverse=True):
            for m in re.finditer(rf"(?<![\w]){re.escape(alias)}(?![\w])", folded_summary):
                if not any(h.start <= m.start() < h.end for h in found):
                    found.append(_Holder(actor.name, m.start(), m.end(), actor.role))
    for run in runs:
        name = fold(run.text)
        for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", folded_summary):
            if not any(h.start < m.end() and m.start() < h.end for h in found):
                found.append(_Holder(run.text, m.start(), m.end(), ""))
    return sorted(found, key=lambda h: h.start)


def _stage_problems(folded_summary: str, folded_source: str, *, english: bool) -> list[str]:
    problems = []
    for pattern, _, _ in _ROLE_WORDS:
        for m in pattern.finditer(folded_summary):
            stage = next((st for st in _STAGES if re.search(st, m.group())), None)
            if stage is None or re.search(stage, folded_source):
                continue
            if english and re.search(rf"\b(?:{_STAGES_EN[stage]})", folded_source):
                continue
            problems.append(f"legal step not in article: {m.group()}")
    return problems


def _role_problems(folded_summary: str, digest: Digest, runs: Sequence[_Run]) -> list[str]:
    holders = _holders(folded_summary, digest, runs)
    problems = []
    for start, end in _sentences(folded_summary):
        inside = [h for h in holders if start <= h.start and h.end <= end]
        for pattern, label, agreeing in _ROLE_WORDS:
            for m in pattern.finditer(folded_summary, start, end):
                for holder, wanted in _role_targets(folded_summary, m, inside, label, agreeing):
                    if holder.role not in wanted:
                        shown = holder.role or "no role"
                        problems.append(f"role '{m.group()}' for {holder.name}, engine says {shown}")
    return problems


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if not _ABBREV_END.search(text[max(0, m.end() - 5) : m.end()]):
            yield start, m.end()
            start = m.end()
    if start < len(text):
        yield start, len(text)


def _role_targets(
    text: str, m: re.Match[str], holders: Sequence[_Holder], label: str, agreeing: frozenset[str]
) -> list[tuple[_Holder, frozenset[str]]]:
    """Say which named actors a role word is about, and the roles that would agree.

    Only the plain French constructions are read, and a word whose holder is not a name right
    beside it (an unnamed "le gérant", a pronoun) checks nothing:

    - "X a été mis en examen", "X, mis en examen," "X, gérant de Y, a été condamné": the
      subject before the auxiliary (an apposition skipped) holds the role;
    - "le parquet a mis en examen X": the object right after the word holds it;
    - "X a porté plainte contre Y": X is a plaintiff, Y a suspect; "la plainte de X": X files;
    - "la victime, X", "victime X": the name right beside the word.
    """
    before = text[: m.start()]
    after = text[m.end() :]
    targets: list[tuple[_Holder, frozenset[str]]] = []
    if label == "plaintiff":
        against = _AGAINST.match(after)
        if against:
            accused = _holder_at(holders, m.end() + against.end(), text)
            if accused is not None:
                targets.append((accused, frozenset({roles.SUSPECT})))
        by = _BY.match(after)
        filer = _holder_at(holders, m.end() + by.end(), text) if by and not against else None
        filer = filer or _subject(before, holders)
        if filer is not None:
            targets.append((filer, agreeing))
        return targets
    passive = _PASSIVE_BEFORE.search(before)
    if passive:
        subject = _subject(before[: passive.start()], holders)
        return [(subject, agreeing)] if subject is not None else []
    if _ACTIVE_BEFORE.search(before):
        target = _holder_at(holders, m.end(), text)
        return [(target, agreeing)] if target is not None else []
    beside = _holder_at(holders, m.end(), text) or _holder_ending(holders, len(before.rstrip(" ,")))
    return [(beside, agreeing)] if beside is not None else []


_DETERMINERS = re.compile(
    r"(?:\s*(?:le|la|les|l'|un|une|des|du|de|d'|son|sa|ses|leur|leurs|m\.|mme|me|maitre)\b\s*)*\s*"
)


def _holder_at(holders: Sequence[_Holder], position: int, text: str) -> _Holder | None:
    """Return the named actor starting at `position`, past determiners and titles."""
    start = _DETERMINERS.match(text, position)
    at = start.end() if start else position
    return next((h for h in holders if h.start == at), None)


def _holder_ending(holders: Sequence[_Holder], end: int) -> _Holder | None:
    return next((h for h in holders if h.end == end), None)


def _subject(before: str, holders: Sequence[_Holder]) -> _Holder | None:
    """Return the named subject that ends `before` and opens its clause.

    One apposition is skipped ("X, gérant de Y, a été condamné" is about X, never Y), and a
    name inside a longer noun phrase ("le suspect du meurtre de X a été mis en examen") is
    no subject: the phrase's head is, and it is unnamed.
    """
    head = before.rstrip()
    holder = _holder_ending(holders, len(head))
    if holder is None and head.endswith(","):
        inner = head[:-1].rstrip()
        comma = inner.rfind(",")
        holder = _holder_ending(holders, len(inner[:comma].rstrip())) if comma >= 0 else None
    if holder is None or not _opens_clause(before, holder.start):
        return None
    return holder


_CLAUSE_START = re.compile(r"(?:^|[,;:(«\".!?…]|\b(?:que|qu'|et|mais|puis|car|lorsque|quand|si|dont|ou))\s*$")
_LEADING = re.compile(r"(?:\b(?:le|la|les|l'|un|une|m\.|mme|me|maitre|son|sa|ses)\s*)+$")


def _opens_clause(text: str, start: int) -> bool:
    """Tell whether only a determiner or a title stands between a clause's start and `start`."""
    prefix = _LEADING.sub("", text[:start].rstrip()).rstrip() if text[:start].strip() else ""
    return not prefix or _CLAUSE_START.search(prefix) is not None
