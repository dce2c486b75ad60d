"""Give each party a role from the words around it, and find unnamed parties named by a noun.

Roles come first from the gazetteer (a parquet is the prosecution), then from a person's
function ("la procureure Laure Beccuau", "Mark Brnovich, le procureur général"), then from
cue words near the mentions ("soupçonné", "a porté plainte", "victime de").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from digests.gazetteer import COMPANY, COURT, GOV, OTHER, PARQUET, POLICE, REGULATOR
from digests.textutil import trim_words

SUSPECT = "mis en cause"
VICTIM = "victime"
PLAINTIFF = "plaignant"
LEGAL_ROLES = frozenset({PARQUET, COURT, POLICE, REGULATOR, SUSPECT, PLAINTIFF, VICTIM})
__all__ = [
    "COMPANY", "COURT", "GOV", "LEGAL_ROLES", "OTHER", "PARQUET", "PLAINTIFF", "POLICE",
    "REGULATOR", "SUSPECT", "VICTIM",
]  # fmt: skip

_FUNCTION_WORDS = (
    r"procureure?s?(?: général(?:e)?| de la République| fédéral)?|juges?|magistrate?|"
    r"ministres?|Premier ministre|vice-ministre|secrétaire d['’][ÉE]tat|secrétaire général(?:e)?"
    r"(?: adjointe?)?|présidente?|porte-parole|directeur|directrice|avocate?|Me|députée?|"
    r"sénat(?:eur|rice)|délégué(?:e)?(?: interministériel(?:le)?)?|chef(?: de file)?|patron(?:ne)?|"
    r"fondat(?:eur|rice)|cofondat(?:eur|rice)|PDG|hacker|pirate informatique|analyste|"
    r"experte?|juriste|commissaire|"
    r"préfète?|maire|gouverneur|chercheu(?:r|se)|responsable|dirigeante?"
)
# Words that may follow a function word inside a function ("procureur général de l'Arizona"),
# but not a clause ("chercheurs affirment que …").
_FN_TAIL = r"(?:\s+(?!(?:que|qui|a|ont|est|sont|était|avait|selon|dont|mais|car)\b)[\w'’-]+){0,7}?"
_FUNCTION_BEFORE = re.compile(
    rf"(?:^|[\s,(])(?:le |la |l['’])?((?:{_FUNCTION_WORDS})(?!\w){_FN_TAIL})\s*,?\s*$", re.I
)
_FUNCTION_AFTER = re.compile(
    rf"^\s*,\s*(?:le |la |l['’]|un |une )?((?:{_FUNCTION_WORDS})(?!\w)[^,.;:!?\"«»()]{{0,45}})",
    re.I,
)
_FUNCTION_ROLE = (
    (re.compile(r"procureur", re.I), PARQUET),
    (re.compile(r"\bjuges?\b|magistrat", re.I), COURT),
    (re.compile(r"ministre|secrétaire d['’][ÉE]tat|député|sénat|gouverneur|maire|préfet", re.I), GOV),
    (re.compile(r"commissaire", re.I), REGULATOR),
)
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (SUSPECT, re.compile(
        r"soupçonn|accusée?s?\b|inculp|mise? en examen|interpellé|arrêtée?s?\b|condamnée?s?\b|"
        r"poursuivie?s?\b|suspect|présumée?s?\b|mise? en cause|revendiqu|plaidé coupable|"
        r"à la tête d|administrateur", re.I)),
    (PLAINTIFF, re.compile(
        r"porté plainte|porter plainte|déposé plainte|plaignant|saisi(?:t|r|ra)?\b|dénonc|"
        r"intenté|attaque en justice|assign|courriers? aux parquets|a signalé|signalements", re.I)),
    (VICTIM, re.compile(
        r"victimes?\b|piratée?s?\b|ciblée?s?\b|dérobé|volée?s?\b|a subi|ont subi|visée?s? par des",
        re.I)),
    (POLICE, re.compile(r"enquêteurs?|perquisition|démantel|a saisi|ont saisi|opération", re.I)),
    (COMPANY, re.compile(
        r"société|entreprise|géant|plateforme|application|réseau social|enseigne|"
        r"maisons? d['’]édition|start-up|opérateur|groupe (?:américain|chinois|californien)",
        re.I)),
)

# Unnamed parties named by a common noun: (pattern, key, kind, role, weight).
_GENERICS: tuple[tuple[re.Pattern[str], str, str, str, float], ...] = tuple(
    (re.compile(rf"(?<!\w)(?:{regex})(?!\w)", re.I), key, kind, role, weight)
    for regex, key, kind, role, weight in (
        (r"hackers?|pirates? informatiques|pirates", "grp:hacker", "groupe", SUSPECT, 0.9),
        (r"(?:cyber-?)?militants", "grp:militant", "groupe", SUSPECT, 0.9),
        (r"(?:groupes )?(?:cyber-?)?activistes(?: \w+s)?", "grp:activiste", "groupe", SUSPECT, 0.8),
        (r"cybercriminels", "grp:cybercriminel", "groupe", SUSPECT, 0.8),
        (r"suspects", "grp:suspect", "groupe", SUSPECT, 0.8),
        (r"(?:l['’])?administrateur(?: présumé| probable)?", "grp:administrateur", "personne",
         SUSPECT, 0.9),
        (r"acteurs? étatiques?", "grp:etat", "groupe", SUSPECT, 1.0),
        (r"plaignants", "grp:plaignant", "groupe", PLAINTIFF, 1.0),
        (r"maisons d['’]édition|éditeurs", "grp:editeur", "groupe", PLAINTIFF, 0.9),
        (r"parents", "grp:parent", "groupe", "", 0.7),
        (r"enfants", "grp:enfant", "groupe", VICTIM, 0.7),
        (r"policiers", "grp:policier", "groupe", "", 0.7),
        (r"sites (?:internet )?institutionnels", "grp:sites", "groupe", VICTIM, 1.0),
        (r"plateformes(?: et (?:les )?moteurs de recherche)?", "grp:plateforme", "groupe",
         COMPANY, 0.7),
        (r"gouvernement(?! \w+ain)", "grp:gouvernement", "organisation", GOV, 0.8),
        (r"Parlement(?! européen)", "grp:parlement", "organisation", GOV, 0.9),
        (r"(?<=\b(?:le|au|du) )parquet(?! d[eu'’])", "grp:parquet", "organisation", PARQUET, 1.0),
        (r"cabinet(?= d[eu])", "grp:cabinet", "organisation", GOV, 0.8),
    )
)


def generic_mentions(text: str, make: Callable[..., Any]) -> list[Any]:
    """Find parties named by a common noun ("les hackers", "le gouvernement")."""
    out = []
    for regex, key, kind, role, weight in _GENERICS:
        for match in regex.finditer(text):
            out.append(make(match.group(0), kind, match.start(), match.end(), key, role, weight))
    return out


def person_function(text: str, start: int, end: int) -> str:
    """Return the function a person is introduced with, or "" (grounded, ≤ 40 chars)."""
    before = text[max(0, start - 70) : start]
    match = _FUNCTION_BEFORE.search(before)
    if match is None:
        match = _FUNCTION_AFTER.match(text[end : end + 80])
    if match is None:
        return ""
    return trim_words(match.group(1).strip(" ,'’"), 40, ellipsis="")


def function_role(function: str) -> str:
    """Map a function ("procureur général de l'Arizona") to a role, or ""."""
    for regex, role in _FUNCTION_ROLE:
        if regex.search(function):
            return role
    return ""


def function_bonus(function: str) -> float:
    """Weigh how much a stated function makes a person matter to a legal story."""
    return 2.0 if function_role(function) else 1.2


def context_role(
    text: str,
    spans: list[tuple[int, int]],
    *,
    default: str = "",
    sentences: list[tuple[int, int]] | None = None,
) -> str:
    """Vote a role from cue words in the sentence of each mention and the one after it."""
    votes: Counter[str] = Counter()
    for start, end in spans:
        window = text[max(0, start - 90) : min(len(text), end + 90)]
        if sentences:
            idx = next((i for i, (s, e) in enumerate(sentences) if s <= start < e), None)
            if idx is not None:
                window = text[sentences[idx][0] : sentences[min(idx + 1, len(sentences) - 1)][1]]
        for role, regex in _CUES:
            if regex.search(window):
                votes[role] += 1
    if not votes:
        return default
    best = max(votes.values())
    for role, _regex in _CUES:  # the order of _CUES breaks ties
        if votes[role] == best:
            return role
    return default
