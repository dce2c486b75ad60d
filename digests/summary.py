"""Pick the one or two whole sentences that tell who did what to whom.

Extractive on purpose: every word of the summary is the article's, so nothing is invented,
and nothing is cut either. A sentence that is too long is shortened only by dropping a part
French marks as incidental (a parenthesis, a clause between dashes or commas, a trailing
"a-t-on appris de source judiciaire"); a sentence that still does not fit is not used.

Selection is a small, explainable score over the first sentences of the article: what a
sentence carries (legal items, named actors, a number or a penalty) plus a bonus for coming
first. The lead wins whenever it carries something, as newsrooms write it to.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from digests.textutil import fold

SUMMARY_MAX = 320
_MIN_LEAD = 40  # shorter "sentences" are headings or captions, not a lead
_CANDIDATES = 8  # sentences of the article's opening considered for the summary
_MIN_WORDS = 6

# --- what a sentence is -------------------------------------------------------------------

_UPPER = "A-ZÀ-ÖØ-Ý"
_LOWER = "a-zß-öø-ÿœ"
_END = re.compile(r"[.!?][\"»”)]*$")
# Glued at the start of a sentence by page extraction: a byline ("Par Léa Morin "), a dateline
# ("LILLE (AFP) - "), a run of words in capitals (a sub-heading), a credit or a "Lire aussi".
_NAME_WORDS = rf"(?:[{_UPPER}][\w'’-]+\s+){{1,3}}"
_BYLINE = re.compile(rf"^Par\s+{_NAME_WORDS}(?:et\s+{_NAME_WORDS})?(?=[{_UPPER}])")
_DATELINE = re.compile(rf"^[{_UPPER}][{_UPPER}' -]+\s*\((?:AFP|Reuters|AP|ANSA|Belga)\)\s*[-–—:]?\s*")
_CAPS_RUN = re.compile(
    rf"^[\"«“]?\s*(?:[{_UPPER}0-9][{_UPPER}0-9'’-]*[\s,:!?]+){{2,}}(?:[{_UPPER}0-9][{_UPPER}0-9'’-]*)?"
    rf"[\"»”]?[\s:.!?]*(?=[\"«“]?[{_UPPER}][{_LOWER}])"
)
_CREDIT = re.compile(
    r"^(?:\(?\s*(?:photo|crédits?|illustration|image|vidéo|video|infographie)\b[^.]*?[:©/]|©|"
    r"lire aussi|à lire aussi|a lire aussi|voir aussi|à voir aussi|sur le même sujet|"
    r"publicité|abonnez-vous|retrouvez)",
    re.I,
)
_LOOSE_CREDIT = re.compile(r"\s*(?:\((?:photo|crédit|illustration)[^()]*\)|©\s*[\w./ -]+$)", re.I)
# A sentence that only makes sense after another one ("Il a été écroué.", "Mais ...").
_ANAPHOR = re.compile(
    r"^(?:il|elle|ils|elles|lui|leur|ce dernier|cette dernière|ces derniers|celui-ci|celle-ci|"
    r"mais|et|or|pourtant|cependant|toutefois|ainsi|alors|aussi|là|cela|ça|son|sa|ses|leur|leurs|"
    r"c'est|c’est|ce n'est|ce n’est|ce sont)(?!\w)"
    r"|^(?:\S+\s+){0,3}(?:ces|cet|cette|ce dernier|cette dernière)\b",
    re.I,
)
_QUOTE_OPEN = re.compile(r"^[\"«“]")


def clean_sentence(sentence: str) -> str:
    """Strip what page extraction glued onto a sentence; return "" when no prose is left."""
    text = " ".join(sentence.split())
    for _ in range(3):  # a byline, then a dateline, then a heading may all be glued
        before = text
        for pattern in (_BYLINE, _DATELINE, _CAPS_RUN):
            text = pattern.sub("", text, count=1).lstrip(" -–—:")
        if text == before:
            break
    text = _LOOSE_CREDIT.sub("", text).strip()
    if not text or _CREDIT.match(text):
        return ""
    return text


def is_prose(sentence: str) -> bool:
    """Tell a sentence a reader can take alone from a heading, a caption or a fragment."""
    if len(sentence) < _MIN_LEAD or len(sentence.split()) < _MIN_WORDS or "…" in sentence:
        return False
    if not re.match(rf"[\"«“]?[{_UPPER}0-9]", sentence) or sentence.rstrip(".!?»\"” ").endswith("?"):
        return False
    letters = [c for c in sentence if c.isalpha()]
    return sum(c.islower() for c in letters) >= 0.6 * len(letters)


def complete(sentence: str) -> str:
    """End a sentence with its full stop (a lead paragraph often comes without one)."""
    sentence = sentence.rstrip(" ,;:")
    return sentence if _END.search(sentence) else sentence + "."


# --- clean compression ----------------------------------------------------------------------

# A part that carries the story's legal stake is never dropped to save room.
_PROTECTED = re.compile(
    r"\b(?:\d[\d\s.,]*|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|vingt|cent|mille)\s+"
    r"(?:ans?|mois|jours?|euros?|millions?|milliards?|dollars?|morts?)\b|"
    r"\b(?:condamn|mis(?:e|es)? en (?:examen|cause|accusation)|écrou|inculp|poursuivi|accusé|"
    r"soupçonn|suspect|plainte|prison|amende|réclusion|jugé|interpell|arrêté|garde à vue|"
    r"victime|tué|meurtre|assassin|viol(?:s|é|ée|és|ées)?\b|relax|acquitt|sursis|procès|renvoy|mandat|incarcér|"
    r"détention|perquisition|saisi)",
    re.I,
)
# Between dashes, names are the point ("deux anciens ministres - X et Y -").
_PROTECTED_OR_NAMED = re.compile(rf"{_PROTECTED.pattern}|\b[{_UPPER}][{_LOWER}]", re.I)
# An attribution ("a indiqué une source proche de l'enquête") goes unless it holds a penalty.
_PENALTY = re.compile(r"\b(?:prison|amende|réclusion|sursis|perpétuité)\b", re.I)
_PARENTHESIS = re.compile(r"\s*\([^()]{1,120}\)")
_DASHES = re.compile(r"\s+[-–—]\s+([^-–—]{2,160}?)\s+[-–—](?=[\s,.])")
_REPORTING = (
    r"indiqué|annoncé|déclaré|affirmé|expliqué|précisé|rapporté|révélé|confirmé|souligné|"
    r"estimé|assuré|ajouté|appris|fait savoir|mis en garde|dénoncé|regretté|réagi|écrit|"
    r"souligne|indique|indiquent|annonce|annoncent|rapporte|rapportent|révèle|révèlent|précise|"
    r"précisent|explique|affirme|affirment|assure|ajoute|estime|confirme|écrit|selon"
)
_ATTRIBUTION = re.compile(
    r",\s+(?:a-t-on\s+appris|apprend-on|selon|d'après|de source|"
    rf"(?:(?:a|ont|avait|avaient)(?:-t-(?:il|elle|on)|-(?:ils|elles))?\s+(?:\w+\s+)?(?:{_REPORTING})|"
    rf"(?:{_REPORTING})(?:-t-(?:il|elle|on)|-(?:ils|elles))?)\b)[^;:«»\"]*?(?=[.!?][\"»”]?$)",
    re.I,
)
# A trailing relative, participle or comment ("..., un record pour un hébergeur.") goes last.
_NOT_GERUND = (
    r"avant|devant|pendant|durant|cependant|maintenant|suivant|moyennant|néanmoins|auparavant|"
    r"enfant|enfants|étudiant|habitant|restaurant|montant|gérant|commerçant|président|tant"
)
_TRAILING = re.compile(
    rf",\s+(?:qui|dont|où|un|une|nouvel|nouvelle|nouveau|(?!(?:{_NOT_GERUND})\b)[{_LOWER}]+ant)\b"
    r"[^;:,«»\"]*?(?=[.!?][\"»”]?$)"
)
_INCIDENTAL = re.compile(
    rf",\s+(?:qui|dont|où|lequel|laquelle|déjà|notamment|elle-même|lui-même|selon|d'après|"
    rf"[{_LOWER}]+(?:é|ée|és|ées)\b)[^,;:()«»\"]{{2,160}}?,\s+"
)
_DETERMINER = r"(?:le|la|les|l'|l’|un|une|des|ce|cet|cette|ces|son|sa|ses|leur|leurs)\b"
# A leading adverbial ("Selon le parquet, ", "Classé parmi les plus recherchés, ", "Mardi, "),
# never the subject and verb of the sentence.
_OPENER = (
    r"selon|d'après|après|avant|depuis|lors|pour|dans|en|au|aux|à|dès|malgré|face|outre|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|mercredi|ce|cette"
)
_LEADING = re.compile(
    rf"^(?:(?:{_OPENER})\b|[{_UPPER}][{_LOWER}]+(?:é|ée|és|ées|ant)\b|[^,;:«»\"]+?\s(?:après|plus tard)(?=,))"
    rf"[^,;:«»\"]{{0,90}},\s+(?={_DETERMINER})",
    re.I,
)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.])", r"\1", " ".join(text.split()))  # French keeps " :", " ;"
    text = re.sub(r",(?=[,.])", "", text)
    return text[0].upper() + text[1:] if text else text


def _drop(
    text: str, pattern: re.Pattern[str], repl: str = "", *, group: int = 0, protect: re.Pattern[str] = _PROTECTED
) -> str:
    """Drop every match of `pattern` whose dropped part carries no legal stake."""

    def keep_or_drop(match: re.Match[str]) -> str:
        return match.group(0) if protect.search(match.group(group)) else repl

    return pattern.sub(keep_or_drop, text)


def compressed_forms(sentence: str) -> list[str]:
    """Return the sentence and its cleanly compressed forms, from the fullest to the shortest.

    Each step drops more of what the sentence marks as incidental; each form is a complete
    sentence ending with its full stop, and none loses a legal stake (a number, a penalty,
    "mis en examen"...).
    """
    return list(_compressed(sentence))


@functools.lru_cache(maxsize=512)
def _compressed(sentence: str) -> tuple[str, ...]:
    """Cached: choosing and rendering ask for the same sentence's forms many times."""
    steps = [complete(sentence)]

    def add(text: str) -> None:
        text = _tidy(text)
        if len(text.split()) >= _MIN_WORDS and text not in steps and len(text) < len(steps[-1]):
            steps.append(complete(text))

    current = steps[0]
    current = _drop(current, _PARENTHESIS)
    add(current)
    current = _drop(current, _ATTRIBUTION, protect=_PENALTY)
    add(current)
    current = _drop(current, _DASHES, group=1, protect=_PROTECTED_OR_NAMED)
    add(current)
    current = _drop(current, _INCIDENTAL, " ")
    add(current)
    current = _drop(current, _TRAILING)
    add(current)
    match = _LEADING.match(current)
    if match and not _PROTECTED.search(match.group(0)):
        add(current[match.end() :])
    return tuple(steps)


def _sentences_of(text: str) -> list[str]:
    from digests.sentences import split_sentences  # local: sentences is the lower layer

    return [text[s:e] for s, e in split_sentences(text)]


_NOTE = re.compile(r"^\([^()]{1,40}\)\s+")  # "(article en anglais) " leads, it is not a parenthesis


def summary_forms(summary: str) -> list[str]:
    """Return the whole-sentence forms of a summary, from the fullest to the shortest.

    The renderer walks down this list when the budget is tight: both sentences, then the
    first with a compressed second, then one sentence alone and its compressed forms. The
    sentence kept alone is the first, unless the second carries the legal stake and the
    first does not (and the second does not lean on it: "Il a été écroué."). Any sentence
    already cut ("…") is left out; [] when nothing whole remains.
    """
    note = _NOTE.match(summary)
    prefix = note.group(0) if note else ""
    body = summary[len(prefix) :]
    sentences = [s for s in _sentences_of(body) if "…" not in s]
    if not sentences:
        return []
    first = compressed_forms(sentences[0])
    pairs: list[str] = []
    alone = first
    if len(sentences) > 1:
        rest = " ".join(sentences[1:])
        second = compressed_forms(rest)
        pairs += [f"{first[0]} {f}" for f in second]
        pairs += [f"{f} {second[-1]}" for f in first[1:]]
        if not _ANAPHOR.match(rest) and _weight(rest) > _weight(sentences[0]):
            alone = second
    ordered: list[str] = []
    for form in sorted(pairs, key=len, reverse=True) + alone:
        if prefix + form not in ordered:
            ordered.append(prefix + form)
    return ordered


def _weight(sentence: str) -> int:
    """How much of a legal story a sentence tells on its own: a predicate, a penalty."""
    return int(bool(_PREDICATE.search(sentence))) + int(bool(_PROTECTED.search(sentence)))


def whole_sentences(text: str, limit: int) -> str:
    """Return the fullest whole-sentence form of `text` within `limit` characters, or "".

    For renderers with their own limits (chat platforms): call this before any word-level
    trimming, which is then only a last resort.
    """
    text = " ".join(text.split())
    if len(text) <= limit and "…" not in text:
        return text
    return next((form for form in summary_forms(text) if len(form) <= limit), "")


# --- choosing the sentences --------------------------------------------------------------------

_NUMBER = re.compile(
    r"\b(?:\d[\d\s.,]*|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|"
    r"trente|cent|mille)\s+(?:ans?|mois|jours?|euros?|millions?|milliards?|dollars?|personnes|"
    r"morts?|victimes)\b",
    re.I,
)


# The predicates of a legal story, for a sentence whose items the engine did not pass.
_PREDICATE = re.compile(
    r"\b(?:condamn|sanctionn|mis(?:e|es)? en (?:examen|cause|accusation)|écrou|inculp|poursuivi|"
    r"accusé|soupçonn|porté plainte|saisi|interpell|arrêté|jugé|relax|acquitt|renvoy|requis|"
    r"tué|assassin|agress|violé|escroqu|piraté|censur|suspendu|interdit|ouvert une (?:enquête|information))",
    re.I,
)


def lead_sentences(text: str, spans: list[tuple[int, int]], *, count: int = 2) -> list[int]:
    """Return the indexes of the first real sentences (skipping headings)."""
    picked = [i for i, (s, e) in enumerate(spans) if e - s >= _MIN_LEAD][:count]
    return picked or list(range(min(count, len(spans))))


class _Candidate:
    """One sentence of the opening, cleaned, with what it carries."""

    def __init__(self, rank: int, index: int, text: str, legal: set[int], actors: set[int]) -> None:
        self.rank = rank  # position among the prose sentences: 0 is the lead
        self.index = index  # position among all sentence spans
        self.text = text
        self.legal = legal
        self.actors = actors
        self.number = bool(_NUMBER.search(text))
        self.predicate = bool(_PREDICATE.search(text))

    def carried(self) -> float:
        """What the sentence tells: legal items weigh most, then actors, then figures."""
        top_actor = 0.5 if 0 in self.actors else 0.0
        return (
            2.0 * min(len(self.legal), 2)
            + 1.0 * min(len(self.actors), 3)
            + top_actor
            + (1.0 if self.number else 0.0)
            + (1.0 if self.predicate else 0.0)
        )

    def score(self, after: _Candidate | None = None) -> float:
        """Worth as the first sentence, or as the one read `after` another.

        Coming early counts: newsrooms tell the story first. A sentence that leans on the
        one before it ("Il a été écroué.") is only worth something right after that one.
        """
        follows = after is not None and self.rank == after.rank + 1
        penalty = 0.0
        if _ANAPHOR.match(self.text) and not follows:
            penalty += 3.0
        if is_quote(self.text):
            penalty += 3.0  # what someone said is not yet what happened
        bonus = max(0.0, 3.0 - 0.5 * self.rank) + (1.0 if follows else 0.0)
        return self.carried() + bonus - penalty


def is_quote(text: str) -> bool:
    """Tell a sentence that is mostly a quotation."""
    if _QUOTE_OPEN.match(text):
        return True
    # Only speech counts: a charge quoted in a few words ("association de malfaiteurs") is
    # the article's fact, not someone's words.
    quotes = (m.group() for m in re.finditer(r"[\"«“][^\"«»“”]*[\"»”]", text))
    quoted = sum(len(q) for q in quotes if len(q.split()) >= 8)
    return quoted > 0.4 * len(text)


def _quote_piece(text: str) -> bool:
    """A quotation's end or start split off by the sentence splitter ('dangereux", a dit X.')."""
    return bool(text.count('"') % 2 or text.count("«") != text.count("»"))


def _candidates(
    text: str,
    spans: list[tuple[int, int]],
    legal_starts: Sequence[int],
    actor_names: Sequence[str],
    stake_start: int | None = None,
) -> list[_Candidate]:
    """The first prose sentences, plus the one holding the top legal stake wherever it is."""
    folded_names = [fold(n) for n in actor_names]
    out: list[_Candidate] = []
    for index, (start, end) in enumerate(spans):
        holds_stake = stake_start is not None and start <= stake_start < end
        if len(out) >= _CANDIDATES and not holds_stake:
            if stake_start is None or start > stake_start:
                break
            continue
        sentence = clean_sentence(text[start:end])
        if not is_prose(sentence):
            continue
        legal = {i for i, pos in enumerate(legal_starts) if start <= pos < end}
        folded = fold(sentence)
        actors = {
            i
            for i, name in enumerate(folded_names)
            if name and re.search(rf"(?<!\w){re.escape(name)}s?(?!\w)", folded)
        }
        out.append(_Candidate(len(out), index, sentence, legal, actors))
    return out


def _fit(sentence: str, limit: int) -> str:
    return next((form for form in compressed_forms(sentence) if len(form) <= limit), "")


def build_summary(
    text: str,
    spans: list[tuple[int, int]],
    *,
    stake_start: int | None = None,
    legal_starts: Sequence[int] = (),
    actor_names: Sequence[str] = (),
    limit: int = SUMMARY_MAX,
    prefix: str = "",
) -> str:
    """Return one or two whole sentences of the opening, at most `limit` characters.

    `legal_starts` are the offsets of the legal items found and `actor_names` the ranked
    actors' names: a sentence is worth what it carries of them. `stake_start` (the top legal
    item) counts as a legal item when `legal_starts` is not given. The first sentence is the
    lead when the lead carries anything; the second, when one fits, is the best remaining
    sentence that adds a legal item or an actor; both stay in article order.
    """
    starts = list(legal_starts) or ([stake_start] if stake_start is not None else [])
    room = limit - len(prefix)
    pool = [c for c in _candidates(text, spans, starts, actor_names, stake_start) if _fit(c.text, room)]
    if not pool:
        return _shortest_whole(text, spans, prefix)
    lead, best = pool[0], max(pool, key=lambda c: c.score())
    # The lead wins unless it carries nothing and another sentence clearly carries the story,
    # or it leans on the headline ("Ces décès portent à 75..."), or it is a quotation.
    informative = (
        lead.rank == 0
        and not _ANAPHOR.match(lead.text)
        and not is_quote(lead.text)
        and (lead.carried() > 0 or best.carried() < 3)
    )
    first = lead if informative else best
    for second in _seconds(pool, first):  # the best second sentence that fits beside the first
        pair = sorted((first, second), key=lambda c: c.index)
        joined = _fit_pair(pair[0].text, pair[1].text, room)
        if joined:
            return prefix + joined
    return prefix + _fit(first.text, room)


def _seconds(pool: list[_Candidate], first: _Candidate) -> list[_Candidate]:
    """The other sentences that add a legal item or an actor to the first, best first."""
    others = [
        c
        for c in pool
        if c is not first
        and (c.legal - first.legal or c.actors - first.actors)
        and c.score(first) > 2.0
        and not is_quote(c.text)
        and not _quote_piece(c.text)
        # "Il a été écroué." needs what came before it, not something after
        and not (c.index < first.index and _ANAPHOR.match(first.text))
    ]
    return sorted(others, key=lambda c: -c.score(first))


def _fit_pair(one: str, two: str, room: int) -> str:
    """Join two sentences within `room`, compressing the second first, then the first.

    The first sentence only loses small parts (a parenthesis, an attribution): it is the
    story, and a second sentence is not worth mangling it.
    """
    forms = compressed_forms(one)
    for a in (f for f in forms if len(f) >= 0.7 * len(forms[0])):
        for b in compressed_forms(two):
            if len(a) + 1 + len(b) <= room:
                return f"{a} {b}"
    return ""


def _shortest_whole(text: str, spans: list[tuple[int, int]], prefix: str) -> str:
    """No sentence of the opening fits: take the shortest prose sentence of the opening."""
    sentences = [clean_sentence(text[s:e]) for s, e in spans[: _CANDIDATES * 2]]
    prose = [s for s in sentences if is_prose(s)]
    if not prose:
        return ""
    return prefix + min((compressed_forms(s)[-1] for s in prose), key=len)
