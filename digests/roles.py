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
    r"experte?|juriste|commissaire|chef de l['’][EÉ]tat|garde des [Ss]ceaux|eurodéputée?|"
    r"parlementaire|élue?|militante?|enquêteur|enquêtrice|policier|policière|gendarme|"
    r"colonel|commandant|capitaine|général|lieutenant|"
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
    (re.compile(r"procureur|avocat général", re.I), PARQUET),
    (re.compile(r"\bjuges?\b|magistrat", re.I), COURT),
    (re.compile(r"ministre|secrétaire d['’][ÉE]tat|député|sénat|gouverneur|maire|préfet|"
                r"président(?:e)? de la République|chef de l['’][ÉE]tat|garde des sceaux|"
                r"eurodéputé|parlementaire|\bélue?\b|président(?:e)? (?:américain|français|russe|"
                r"chinois)|commissaire européen", re.I), GOV),
    (re.compile(r"policier|policière|gendarme|enquêt|commissaire de police|colonel|commandant|"
                r"capitaine|lieutenant|général de (?:gendarmerie|police)", re.I), POLICE),
    (re.compile(r"commissaire", re.I), REGULATOR),
)
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (SUSPECT, re.compile(
        r"soupçonn|accusée?s?\b|inculp|mise? en examen|interpellé|arrêtée?s?\b|condamnée?s?\b|"
        r"poursuivie?s?\b|suspect|présumée?s?\b|mise? en cause|revendiqu|plaidé coupable|"
        r"à la tête d|administrateur|entendue?s?\b|auditionné|gardes? à vue|déférée?s?\b|"
        r"écrouée?s?\b|prévenue?s?\b|relaxée?s?\b", re.I)),
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
        # Unnamed attackers and suspects.
        (r"hackers?|pirates? informatiques|pirates|hacktivistes", "grp:hacker", "groupe",
         SUSPECT, 0.9),
        (r"(?:cyber-?)?militants", "grp:militant", "groupe", SUSPECT, 0.9),
        (r"(?:groupes )?(?:cyber-?)?activistes(?: \w+s)?", "grp:activiste", "groupe", SUSPECT, 0.8),
        (r"cybercriminels|escrocs|fraudeurs|attaquants|rançonneurs|trafiquants",
         "grp:cybercriminel", "groupe", SUSPECT, 0.8),
        (r"suspects|prévenus|accusés", "grp:suspect", "groupe", SUSPECT, 0.8),
        (r"acteurs? (?:étatiques?|malveillants?)|(?:un |une )?(?:puissance|état) étrangère?",
         "grp:etat", "groupe", SUSPECT, 1.0),
        # One unnamed person the story keeps referring to; merged with "un Italien de 44 ans".
        (r"(?:l['’])?administrat(?:eur|rice)(?: présumée?| probable)?", "one:administrateur",
         "personne", SUSPECT, 0.9),
        (r"(?<=\b(?:le|du|au) )(?:suspect|prévenu|mis en cause|jeune homme)"
         r"|(?<=\b[lL]['’])(?:accusée?|adolescente?|auteur présumé)", "one:suspect", "personne",
         SUSPECT, 0.8),
        # Parties who complain or sue.
        (r"plaignants|parties civiles|ayants droit", "grp:plaignant", "groupe", PLAINTIFF, 1.0),
        (r"maisons d['’]édition|éditeurs|producteurs|auteurs-compositeurs", "grp:editeur", "groupe",
         PLAINTIFF, 0.9),
        (r"familles des victimes|associations de victimes", "grp:familles", "groupe", PLAINTIFF,
         0.9),
        # Parties harmed.
        (r"parents", "grp:parent", "groupe", "", 0.7),
        (r"enfants|mineurs", "grp:enfant", "groupe", VICTIM, 0.7),
        (r"sites (?:internet )?(?:institutionnels|gouvernementaux|officiels|publics|"
         r"ministériels)", "grp:sites",
         "groupe", VICTIM, 1.0),
        # Unnamed investigators.
        (r"policiers|gendarmes|enquêteurs", "grp:policier", "groupe", POLICE, 0.7),
        (r"autorités (?:américaines|françaises|britanniques|allemandes|chinoises|russes|"
         r"australiennes|européennes|néerlandaises|belges|italiennes|espagnoles)"
         r"|administration (?:américaine|Trump|Obama|Biden)", "grp:autorites", "organisation",
         GOV, 0.9),
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
    function = match.group(1).strip(" ,'’")
    if _CLIENT_END.search(function):
        return ""  # "l'avocat de Mme Lemoine" names Lemoine's lawyer, not Lemoine
    return _trim_tail(trim_words(function, 40, ellipsis=""))


_CLIENT_END = re.compile(r"\b(?:de|du|d['’])\s*(?:M\.|Mme|Me|Mlle|MM\.)?\s*$", re.I)
_TAIL_STOP = re.compile(r"(?:\s+(?:de|du|des|la|le|les|et|à|au|aux|en|d['’]|l['’]))+$", re.I)


def _trim_tail(function: str) -> str:
    """Drop the dangling words a length cut leaves ("porte-parole du ministère des")."""
    return _TAIL_STOP.sub("", function).strip(" ,'’")


def function_role(function: str) -> str:
    """Map a function ("procureur général de l'Arizona") to a role, or ""."""
    for regex, role in _FUNCTION_ROLE:
        if regex.search(function):
            return role
    return ""


def function_bonus(function: str) -> float:
    """Weigh how much a stated function makes a person matter to a legal story."""
    role = function_role(function)
    if role in (PARQUET, COURT, POLICE, REGULATOR):
        return 3.0  # the prosecutor or judge who speaks for the case
    return 2.0 if role else 1.2


_PERSON_ROLES = frozenset({SUSPECT, PLAINTIFF, VICTIM})


def context_role(
    text: str,
    spans: list[tuple[int, int]],
    *,
    default: str = "",
    sentences: list[tuple[int, int]] | None = None,
    kind: str = "",
) -> str:
    """Vote a role from cue words in the sentence of each mention and the one after it.

    People and unnamed groups are voted from a closer window (a name dropped in a sentence
    about someone else's trial is no suspect) and only into roles a person can hold.
    """
    votes: Counter[str] = Counter()
    people = kind in ("personne", "groupe")
    for start, end in spans:
        window = text[max(0, start - 90) : min(len(text), end + 90)]
        if people:
            window = text[max(0, start - 60) : min(len(text), end + 60)]
        elif sentences:
            idx = next((i for i, (s, e) in enumerate(sentences) if s <= start < e), None)
            if idx is not None:
                window = text[sentences[idx][0] : sentences[min(idx + 1, len(sentences) - 1)][1]]
        for role, regex in _CUES:
            if people and role not in _PERSON_ROLES:
                continue
            if regex.search(window):
                votes[role] += 1
    if not votes:
        return default
    best = max(votes.values())
    for role, _regex in _CUES:  # the order of _CUES breaks ties
        if votes[role] == best:
            return role
    return default
