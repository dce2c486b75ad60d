"""Find the legal stakes of an article: offences, procedures, penalties, laws and rights.

The vocabulary is data, not code: `digests/data/legal*.toml` lists each rule as a canonical
group, a kind, a weight, French surface phrases and an example sentence of our own (the
phrase dialect is described in `phrase_regex`). This module only compiles those phrases
once at import and applies them: overlapping matches keep the longest, so "information
judiciaire" or "six ans et huit mois de prison" is never shown as a shorter piece, and
variants of one group ("plainte", "porté plainte", "plaintes") count once. Every item keeps
the span it was read from and its text is that span verbatim, so a digest never states a
legal fact the article does not contain.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from digests.model import LegalItem
from digests.textutil import fold

DATA_DIR = Path(__file__).parent / "data"
INF, PROC, PEINE, LOI, ENJEU = "infraction", "procédure", "peine", "loi", "enjeu"
KINDS = frozenset({INF, PROC, PEINE, LOI, ENJEU})
KIND_ORDER = {PROC: 0, INF: 1, PEINE: 2, LOI: 3, ENJEU: 4}
MAX_ITEM_CHARS = 80  # what a digest line shows of an item without cutting it

_AP = "['’]"
_N = (
    r"(?:\d[\d  .,]*\d|\d|(?:dix|vingt|trente|quarante|cinquante|soixante)-(?:et-un|et-une|un|une|deux|"
    r"trois|quatre|cinq|six|sept|huit|neuf|dix|onze)|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix"
    r"|onze|douze|treize|quatorze|quinze|seize|vingt|trente|quarante|cinquante|soixante|cent|mille)"
)
_MONEY = (
    rf"(?:plus d{_AP}|plus de |près de |quelque |environ |au moins )?(?:\d[\d  .,]*(?: ?(?:millions?|milliards?))?"
    rf"|(?:un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|cent) (?:millions?|milliards?))"
    rf"(?: d{_AP}euros| euros| €|€| de dollars| dollars| de livres| francs| de francs)"
)
_DUR = rf"(?:{_N} (?:ans?|années?|mois|jours?|semaines?)(?: et (?:demi|{_N} mois))?)"
# Auxiliaries that make a participle a verb phrase: "a été condamné", not "les condamnés".
_AUX = (  # never after a negation: "n'a pas été interpellé" is no arrest
    r"(?<!pas )(?<!jamais )(?<!plus )"
    r"(?:(?:a|ont|avait|avaient|aura|auront|aurait|auraient|ayant)(?: déjà| aussi| finalement| bien| été)*"
    r"|(?:est|sont|était|étaient|sera|seront|serait|seraient|été|soit|soient|a été|ont été|avait été|"
    r"avaient été|aurait été|auraient été|ayant été|va être|vont être|doit être|doivent être|devrait être"
    r"|se voit|se voient)(?: déjà| aussi| finalement| notamment| bien)?)"
)
MACROS = {"NUM": _N, "MONEY": _MONEY, "DUR": _DUR, "AUX": _AUX, "W": r"[\w'’-]+", "AP": _AP}
_MACRO = re.compile(r"\{([A-Z]+)\}")


_CHARS = {" ": r"\s+", "'": _AP, "-": r"[-\s]", "~": r"(?:e|s|es)?", "<": "(?P<show>", ">": ")"}


def phrase_regex(phrase: str, macros: Mapping[str, str] = MACROS) -> str:
    """Translate one phrase of the data dialect into a regular expression.

    Words are literal (case-folded at match time); a space matches any run of spaces; `'`
    matches either apostrophe; `-` matches a hyphen or a space; `~` after a word allows the
    feminine and plural endings (e, s, es); `[a|b]` is a choice and `[a|b|]` an optional one
    (the space before an optional choice goes with it); `<…>` marks the part shown when the
    phrase needs context it does not show; `{NUM}`, `{MONEY}`, `{DUR}`, `{AUX}`, `{W}` are the
    shared pieces above, and a data file may name its own in a `[macros]` table (phrases).
    """
    regex, end = _sequence(phrase, 0, macros)
    if end != len(phrase):
        raise ValueError(f"unbalanced ']' in phrase {phrase!r}")
    return regex


def _sequence(phrase: str, i: int, macros: Mapping[str, str]) -> tuple[str, int]:
    """Translate from `i` up to a `|` or `]` of the enclosing choice; return the regex and stop."""
    out: list[str] = []
    while i < len(phrase) and phrase[i] not in "|]":
        char = phrase[i]
        if char == "{":
            end = phrase.index("}", i)
            out.append(macros[phrase[i + 1 : end]])
            i = end + 1
        elif char == " " and phrase.startswith(" [", i):
            group, i, optional = _choice(phrase, i + 2, macros)
            # "meurtre [aggravé|]" may end after "meurtre"; "conduite [d'un véhicule |]en état"
            # still needs its space when the choice is skipped.
            glued = i < len(phrase) and phrase[i] not in " |]"
            if optional and not glued:
                out.append(rf"(?:\s+{group})?")
            else:
                out.append(rf"\s+{group}?" if optional else rf"\s+{group}")
        elif char == "[":
            group, i, optional = _choice(phrase, i + 1, macros)
            out.append(group + "?" if optional else group)
        else:
            out.append(_CHARS.get(char, re.escape(char)))
            i += 1
    return "".join(out), i


def _choice(phrase: str, i: int, macros: Mapping[str, str]) -> tuple[str, int, bool]:
    """Translate a `[a|b|]` choice opened before `i`; an empty branch makes it optional."""
    branches: list[str] = []
    while True:
        branch, i = _sequence(phrase, i, macros)
        branches.append(branch)
        if i >= len(phrase):
            raise ValueError(f"unclosed '[' in phrase {phrase!r}")
        i += 1
        if phrase[i - 1] == "]":
            break
    filled = [b for b in branches if b]
    return "(?:" + "|".join(filled) + ")", i, len(filled) < len(branches)


def _expand(regex: str, macros: Mapping[str, str] = MACROS) -> str:
    return _MACRO.sub(lambda m: macros[m.group(1)], regex)


@dataclass(frozen=True, slots=True)
class Rule:
    """One entry of the data: the kind of fact, the group that dedupes variants, its weight."""

    kind: str
    group: str
    pattern: re.Pattern[str]
    weight: float
    example: str
    needs: re.Pattern[str] | None = None  # must occur in the same sentence, when set
    by_numbers: bool = False  # penalties dedupe by their numbers, not by their group
    triggers: tuple[str, ...] = ()  # one must occur (lower-cased) for the pattern to be tried
    # Applied only where no other rule matched: a catch-all (the qualification an article
    # quotes after "pour") must not take the group of an offence the data knows by name.
    fallback: bool = False


def _strings(entry: dict[str, object], key: str) -> list[str]:
    value = entry.get(key, [])
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _trigger(phrase: str) -> str:
    """Return the longest word a phrase always contains (outside choices and macros), or ""."""
    depth, outside = 0, []
    for char in phrase:
        depth += char in "[{"
        outside.append(char if depth == 0 else " ")
        depth -= char in "]}"
    words = re.split(r"[\s'’\-~<>|]+", "".join(outside))
    return max(words, key=len).lower() if any(len(w) >= 3 for w in words) else ""


def _triggers(entry: dict[str, object]) -> tuple[str, ...]:
    """Words of which one must occur for the rule to match: a cheap test that skips the regex.

    Taken from each phrase; a raw regex names its own (`triggers`). When one phrase or regex
    has none, the rule is always tried; `triggers` in the data replaces them all.
    """
    if "triggers" in entry:
        return tuple(sorted({t.lower() for t in _strings(entry, "triggers")}))
    found = [_trigger(p) for p in _strings(entry, "phrases")] + ["" for _ in _strings(entry, "regex")]
    return () if "" in found else tuple(sorted(set(found)))


def _compile(entry: dict[str, object], default_kind: str, source: str, macros: Mapping[str, str]) -> Rule:
    group = str(entry["group"])
    kind = str(entry.get("kind", default_kind))
    if kind not in KINDS:
        raise ValueError(f"{source}: rule {group!r} has unknown kind {kind!r}")
    phrases = [phrase_regex(p, macros) for p in _strings(entry, "phrases")]
    phrases += [_expand(r, macros) for r in _strings(entry, "regex")]
    if not phrases or not entry.get("example"):
        raise ValueError(f"{source}: rule {group!r} needs phrases and an example")
    # One show group at most: several phrases marking one get numbered apart, then renamed.
    body = "|".join(f"(?:{p})" for p in phrases)
    count = 0

    def _number(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"(?P<show{count}>"

    body = re.sub(r"\(\?P<show>", _number, body)
    flags = 0 if entry.get("case") else re.IGNORECASE
    needs = entry.get("needs")
    return Rule(
        kind,
        group,
        re.compile(r"(?<![\w-])(?:" + body + r")(?![\w])", flags),
        float(str(entry.get("weight", 1.0))),
        str(entry["example"]),
        re.compile(str(needs), re.IGNORECASE) if needs else None,
        bool(entry.get("by_numbers", False)),
        _triggers(entry),
        bool(entry.get("fallback", False)),
    )


def load_rules(directory: Path = DATA_DIR) -> tuple[Rule, ...]:
    """Read every `legal*.toml` of `directory`; a bad entry fails at import, not in a digest."""
    rules: list[Rule] = []
    for path in sorted(directory.glob("legal*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path.name}: {exc}") from exc
        default_kind = str(data.get("kind", ""))
        macros = dict(MACROS)
        for name, phrase in data.get("macros", {}).items():
            macros[name] = "(?:" + phrase_regex(str(phrase), macros) + ")"
        rules.extend(_compile(entry, default_kind, path.name, macros) for entry in data.get("rule", []))
    return tuple(rules)


RULES: tuple[Rule, ...] = load_rules()


@dataclass(slots=True)
class Found:
    """A legal item with its ranking data, before selection for display."""

    kind: str
    group: str
    text: str
    start: int
    end: int
    weight: float
    count: int = 1
    rule: str = ""  # the data entry that found it


def _sentence(text: str, pos: int) -> str:
    """Return the sentence around `pos` (cut at full stops and blank lines)."""
    start = max(text.rfind(". ", 0, pos), text.rfind("\n", 0, pos)) + 1
    ends = [e for e in (text.find(". ", pos), text.find("\n", pos)) if e >= 0]
    return text[start : min(ends) if ends else len(text)]


def _numbers(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\d+(?:,\d+)?", fold(text)))


def _shown(match: re.Match[str]) -> tuple[int, int]:
    for name, value in match.groupdict().items():
        if name.startswith("show") and value is not None:
            return match.start(name), match.end(name)
    return match.start(), match.end()


def _subsumed(item: Found, other: Found) -> bool:
    """Tell whether `other` already says everything `item` says, in more words."""
    if item is other:
        return False
    if item.kind == PEINE and other.kind == PEINE and _numbers(item.text):
        mine, theirs = _numbers(item.text), _numbers(other.text)
        return mine <= theirs and len(item.text) < len(other.text)
    folded, bigger = fold(item.text), fold(other.text)
    return folded != bigger and re.search(r"(?<!\w)" + re.escape(folded) + r"(?!\w)", bigger) is not None


def find_legal(
    text: str,
    *,
    lead_end: int = 0,
    names: Sequence[tuple[int, int]] = (),
    rules: Sequence[Rule] = (),
) -> list[Found]:
    """Return the deduplicated legal items of `text`, most important first.

    Overlapping matches keep the longest ("information judiciaire" wins over "information",
    "six ans et huit mois de prison" over "huit mois de prison"); variants of one group merge
    and count. `names` are spans of bodies' names: the "fraudes" of "répression des fraudes"
    is no offence. `rules` defaults to the rules of the data files.
    """
    matches: list[tuple[int, int, int, Rule]] = []
    lowered = text.lower()
    for rule in rules or RULES:
        if rule.triggers and not any(word in lowered for word in rule.triggers):
            continue
        for match in rule.pattern.finditer(text):
            if rule.needs is not None and not rule.needs.search(_sentence(text, match.start())):
                continue
            if any(s <= match.start() and match.end() <= e for s, e in names):
                continue
            if match.end() - match.start() > MAX_ITEM_CHARS:
                # A digest line shows an item whole: take the longest reading that fits.
                shorter = rule.pattern.match(text, match.start(), match.start() + MAX_ITEM_CHARS)
                if shorter is None or (shorter.end() < len(text) and text[shorter.end()].isalnum()):
                    continue
                match = shorter
            start, end = _shown(match)
            matches.append((match.end() - match.start(), start, end, rule))
    # The longest whole match wins its place, context included, then the earliest; a fallback
    # rule only fills places no other rule touched.
    matches.sort(key=lambda m: (m[3].fallback, -m[0], m[1]))
    taken: list[tuple[int, int]] = []
    kept: list[tuple[int, int, Rule]] = []
    for _, start, end, rule in matches:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        kept.append((start, end, rule))
    kept.sort(key=lambda m: m[0])
    groups: dict[str, Found] = {}
    for start, end, rule in kept:
        surface = text[start:end].strip()
        key = rule.group
        if rule.by_numbers:  # a term or an amount: one item per figure the article states
            numbers = _numbers(surface)
            key = "peine:" + (" ".join(sorted(numbers)) if numbers else re.sub(r"s\b", "", fold(surface)))
        item = groups.get(key)
        if item is None:
            groups[key] = Found(rule.kind, key, surface, start, end, rule.weight, rule=rule.group)
        else:
            # Variants of one offence or penalty: show the fullest qualification ("violences
            # volontaires ayant entraîné la mort" over "violences conjugales"), counted once; a
            # procedure keeps its first wording.
            item.count += 1
            if rule.kind in (INF, PEINE) and len(surface) > len(item.text):
                item.text, item.start, item.end = surface, start, end
    items = list(groups.values())
    items = [item for item in items if not any(_subsumed(item, other) for other in items)]
    for item in items:
        item.weight += min(item.count - 1, 3) * 0.4 + (0.8 if item.start < lead_end else 0.0)
    items.sort(key=lambda i: (-i.weight, i.start))
    # A trial of many defendants lists a term for each: two say the stakes, the rest would
    # crowd out the offences.
    terms = [i for i in items if i.kind == PEINE and _TERM.search(i.text)]
    extra = {id(i) for i in terms[_MAX_TERMS:]}
    return [i for i in items if id(i) not in extra] + [i for i in items if id(i) in extra]


_TERM = re.compile(r"\b(?:ans?|mois)\b")
_MAX_TERMS = 2


def to_items(found: list[Found]) -> tuple[LegalItem, ...]:
    """Convert ranked findings into the digest's LegalItem values, keeping their spans."""
    return tuple(LegalItem(kind=f.kind, text=f.text, span=(f.start, f.end)) for f in found)
