"""Read a person's function, map it to a role, and find unnamed parties named by a noun.

A function is how the article introduces a person ("la procureure Anne Roussel", "Tom
Baker, le procureur général"); it names a role when it is one (procureur, juge, policier).
Party roles (mis en cause, victime, plaignant) are decided in `digests.parties` from sentence
structure, never here from nearby words.
"""

from __future__ import annotations

import re
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
    # "le général X", not the "général" of "le parquet général dans l'affaire X".
    r"colonel|commandant|capitaine|(?<!parquet )(?<!avocat )(?<!avocate )(?<!procureur )"
    r"(?<!procureure )(?<!directeur )(?<!directrice )(?<!secrétaire )(?<!conseil )général|lieutenant|"
    r"préfète?|maire|gouverneur|chercheu(?:r|se)|responsable|dirigeante?|"
    # Occupations a news story introduces people by: the reader learns who they are.
    r"homme d['’]affaires|femme d['’]affaires|entrepreneu(?:r|se)|industriel(?:le)?|banquier|"
    r"financier|intermédiaire|conseill(?:er|ère)|collaborat(?:eur|rice)|trésori(?:er|ère)|"
    r"journaliste|écrivaine?|humoriste|rappeu(?:r|se)|chanteu(?:r|se)|comédien(?:ne)?|actrice|"
    r"animat(?:eur|rice)|réalisat(?:eur|rice)|product(?:eur|rice)|influenceu(?:r|se)|"
    r"youtubeu(?:r|se)|footballeur|entraîneu(?:r|se)|médecin|chirurgien(?:ne)?|infirmi(?:er|ère)|"
    r"enseignante?|professeure?|prêtre|évêque|imam|rabbin|syndicaliste|"
    r"lanceu(?:r|se) d['’]alerte|ingénieure?|informaticien(?:ne)?"
)
# Words that may follow a function word inside a function ("procureur général du Texas"),
# but not a clause ("chercheurs affirment que …").
# "le maire et son adjoint aux finances" is two people's functions: "et son" ends one.
_FN_TAIL = (
    r"(?:\s+(?!(?:que|qui|a|ont|est|sont|était|avait|selon|dont|mais|car)\b|et (?:son|sa|ses|leur)\b)"
    r"[\w'’-]+){0,7}?"
)
_FUNCTION_BEFORE = re.compile(
    rf"(?:^|[\s,(])(?:le |la |l['’])?((?:{_FUNCTION_WORDS})(?!\w){_FN_TAIL})\s*,?\s*$", re.I
)
_FUNCTION_AFTER = re.compile(
    rf"^\s*,\s*(?:le |la |l['’]|un |une )?((?:{_FUNCTION_WORDS})(?!\w)[^,.;:!?\"«»()]{{0,45}})",
    re.I,
)
_FUNCTION_ROLE = (
    (re.compile(r"procureur|avocat général", re.I), PARQUET),
    # A lawyer speaks for a party without being one: no cue word around them decides a role.
    (re.compile(r"^(?:Me|Maître)$|\bavocate?s?\b", re.I), OTHER),
    # "le premier magistrat de la ville" is its mayor: only a judge is a court.
    (re.compile(r"\bjuges?\b", re.I), COURT),
    (re.compile(r"ministre|secrétaire d['’][ÉE]tat|député|sénat|gouverneur|maire|préfet|"
                r"président(?:e)? de la République|chef de l['’][ÉE]tat|garde des sceaux|"
                r"eurodéputé|parlementaire|\bélue?\b|président(?:e)? (?:américain|français|russe|"
                r"chinois)|commissaire européen", re.I), GOV),
    (re.compile(r"policier|policière|gendarme|enquêt|commissaire de police|colonel|commandant|"
                r"capitaine|lieutenant|général de (?:gendarmerie|police)", re.I), POLICE),
    (re.compile(r"commissaire", re.I), REGULATOR),
)
# The key of an unnamed office holder ("le procureur de la République de Nantes"): when a name
# stands right beside the office, the office is that person's function, not an actor of its own.
FUNCTION_KEY = "grp:procureur"

# Unnamed parties named by a common noun: (pattern, key, kind, role, weight).
_GENERICS: tuple[tuple[re.Pattern[str], str, str, str, float], ...] = tuple(
    (re.compile(rf"(?<!\w)(?:{regex})(?!\w)", re.I), key, kind, role, weight)
    for regex, key, kind, role, weight in (
        # Unnamed attackers and suspects.
        (r"hackers?|pirates? informatiques|pirates|hacktivistes", "grp:hacker", "groupe",
         SUSPECT, 0.9),
        (r"(?:cyber-?)?militants", "grp:militant", "groupe", "", 0.9),
        (r"(?:groupes )?(?:cyber-?)?activistes(?: \w+s)?", "grp:activiste", "groupe", "", 0.8),
        (r"cybercriminels|escrocs|fraudeurs|attaquants|rançonneurs|trafiquants",
         "grp:cybercriminel", "groupe", SUSPECT, 0.8),
        # The nouns, not the participles: "les prévenus", "deux suspects", not "accusés de vol".
        (r"(?:(?<=\bles )|(?<=\bdes )|(?<=\baux )|(?<=\bces )|(?<=\bses )|(?<=\bdeux )|(?<=\btrois )"
         r"|(?<=\bquatre )|(?<=\bcinq )|(?<=\bsix ))(?:suspects|prévenus|accusés)", "grp:suspect", "groupe",
         SUSPECT, 0.8),
        (r"acteurs? (?:étatiques?|malveillants?)|(?:un |une )?(?:puissance|état) étrangère?",
         "grp:etat", "groupe", SUSPECT, 1.0),
        # One unnamed person the story keeps referring to by a noun that is a role.
        (r"(?<=\b(?:le|du|au) )(?:suspect|prévenu|mis en cause)"
         r"|(?<=\b[lL]['’])(?:accusée?|auteur présumé)", "one:suspect", "personne",
         SUSPECT, 0.8),
        # Parties who complain or sue.
        (r"plaignants|parties civiles", "grp:plaignant", "groupe", PLAINTIFF, 1.0),
        # Plural parties named by their trade: "les clubs", "les fournisseurs d'accès".
        (r"(?<=\b[Ll]es )(?:fournisseurs d['’]accès(?: à internet)?|opérateurs(?: télécoms?)?|FAI)",
         "grp:fai", "groupe", COMPANY, 1.6),
        (r"(?<=\b[Ll]es )(?:clubs|syndicats|banques|assureurs|hébergeurs|annonceurs)",
         "grp:secteur", "groupe", "", 1.6),
        (r"associations (?:de (?:parents|consommateurs|familles|victimes|défense \w+ \w+)|"
         r"féministes|antiracistes|de lutte contre \w+ \w+)", "grp:association", "groupe", "", 1.6),
        (r"(?:plusieurs |des |les )?(?:Etats|États) (?:américains|membres)", "grp:etats", "organisation",
         GOV, 1.6),
        # Publishers sue often, but only the words around them say they do here.
        (r"maisons d['’]édition|éditeurs|producteurs|auteurs-compositeurs", "grp:editeur", "groupe",
         "", 0.9),
        (r"familles des victimes|associations de victimes", "grp:familles", "groupe", "", 0.9),
        # Parties harmed.
        (r"parents", "grp:parent", "groupe", "", 0.7),
        (r"enfants|mineurs", "grp:enfant", "groupe", "", 0.7),
        (r"sites (?:internet )?(?:institutionnels|gouvernementaux|officiels|publics|"
         r"ministériels)", "grp:sites",
         "groupe", "", 1.0),
        # Unnamed investigators.
        (r"enquêteurs", "grp:enqueteur", "groupe", POLICE, 0.7),
        (r"policiers|gendarmes", "grp:policier", "groupe", "", 0.7),
        # "les autorités israéliennes", "les autorités turques": any nationality adjective.
        (r"autorités (?:[a-zéèëï-]+(?:aises|aines|iennes|ennes|oises|andes|ques|ches|ses|bes|ines|ues|les))"
         r"|administration (?:américaine|Trump|Obama|Biden)", "grp:autorites", "organisation",
         GOV, 0.9),
        (r"plateformes(?: et (?:les )?moteurs de recherche)?", "grp:plateforme", "groupe",
         COMPANY, 0.7),
        (r"gouvernement(?! \w+ain)", "grp:gouvernement", "organisation", GOV, 0.8),
        (r"Parlement(?! européen)", "grp:parlement", "organisation", GOV, 0.9),
        (r"(?<=\b(?:le|au|du) )parquet(?! d[eu'’])", "grp:parquet", "organisation", PARQUET, 1.0),
        # A court named by its common noun alone: "le tribunal a condamné …", "les juges".
        (r"(?<=\b(?:le|au|du|ce) )tribunal(?! (?:de|d['’]|du|des|correctionnel|judiciaire|administratif|pour)\b)"
         r"|(?<=\b(?:la|La) )cour(?: d['’](?:assises|appel))?(?! d[eu'’]| de )", "grp:tribunal",
         "organisation", COURT, 1.0),
        (r"(?<=\b(?:les|des|aux) )juges(?! d['’]instruction| des)", "grp:juges", "groupe", COURT, 0.9),
        # A prosecutor the article does not name: "a précisé le procureur de la République de Nantes".
        (r"procureure? (?:de la République|général|générale|financier|antiterroriste)"
         r"(?: (?:de|d['’]|du) (?-i:[A-ZÉ])[\w'’-]+(?:-[\w'’-]+)*)?", FUNCTION_KEY, "personne", PARQUET, 1.2),
        # Institutions named by a common noun that file complaints or get targeted.
        (r"(?<=\b(?:le|au|du) )rectorat|(?<=\b(?:la|de) )préfecture(?! de police)",
         "grp:administration", "organisation", "", 0.9),
        (r"cabinet(?= d[eu])", "grp:cabinet", "organisation", GOV, 0.8),
    )
)


_PUBLIC_BODY = re.compile(
    r"^(?:Union européenne|UE|Commission|Conseil|Parlement|Etats?|États?|Etats-Unis|Haute Cour|"
    r"Cour|Tribunal|Agence|Autorité|Office|Parquet|"
    r"République|Gouvernement|Ministère|Sénat|Assemblée|Nations unies|ONU|OTAN|Otan|Région|"
    r"Mairie|Ville de|Banque centrale|BCE|Maison Blanche|Kremlin|Elysée|Élysée)\b"
)


def is_public_body(name: str) -> bool:
    """Tell a public body or a state ("Union européenne", "Commission") from a company."""
    return bool(_PUBLIC_BODY.match(name))


def without_named_offices(mentions: list[Any], text: str) -> list[Any]:
    """Drop an office mention that a person's name stands beside ("X, procureur de …")."""
    people = [(m.start, m.end) for m in mentions if m.kind == "personne" and not m.key]

    def touching(left_end: int, right_start: int) -> bool:
        return 0 <= right_start - left_end <= 3 and not text[left_end:right_start].strip(" ,")

    def beside(m: Any) -> bool:
        return any(touching(m.end, s) or touching(e, m.start) for s, e in people)

    return [m for m in mentions if m.key != FUNCTION_KEY or not beside(m)]


def generic_mentions(text: str, make: Callable[..., Any]) -> list[Any]:
    """Find parties named by a common noun ("les hackers", "le gouvernement")."""
    out = []
    for regex, key, kind, role, weight in _GENERICS:
        for match in regex.finditer(text):
            out.append(make(match.group(0), kind, match.start(), match.end(), key, role, weight))
    return out


def person_function(text: str, start: int, end: int) -> str:
    """Return the function a person is introduced with, or "" (grounded, ≤ 40 chars)."""
    # A function never runs across a line: the title's last words are not the lead's.
    before = text[max(0, start - 70) : start].rpartition("\n")[2]
    if _CASE_BEFORE.search(before):
        before = ""  # "l'affaire X", "le dossier X": the name labels a case, no function precedes it
    match = None if _SOURCE_BEFORE.search(before) else _FUNCTION_BEFORE.search(before)
    after = _FUNCTION_AFTER.match(text[end : end + 80].partition("\n")[0])
    if match is None or (after is not None and match.group(1).strip() in ("Me", "me")):
        match = after or match  # "Me X, avocate de Y" says more than "Me"
    if match is not None and match.group(1).strip() in ("Me", "me"):
        match = _LAWYER_OF.search(before) or match  # "l'avocat de Z, Me X"
    if match is None:
        return ""
    raw = match.group(1).rstrip(" ,")
    if _CLIENT_END.search(raw):
        return ""  # "l'avocat de Mme Roussel" names Roussel's lawyer, not Roussel
    function = raw.strip(" ,'’")
    if _OTHER_PERSON.match(function):
        return ""  # "X, Me Jean Morel, avocat de …": the function of the next person named
    return _trim_tail(trim_words(function, 40, ellipsis=""))


# "l'affaire X", not the "homme d'affaires X" (an occupation).
_CASE_BEFORE = re.compile(r"(?:^|[^'’\w])(?:affaire|dossier|volet)s?\s+$", re.I)
# "Selon son avocat, X souhaite …": the lawyer is X's, quoted; X is not a lawyer.
_SOURCE_BEFORE = re.compile(r"\b(?:selon|d['’]après|pour) (?:son|sa|ses|leur|leurs) [\w'’ -]{1,40},\s*$", re.I)
_LAWYER_OF = re.compile(
    r"(avocate?s?(?: (?:de|du|des|d['’])\s*[^,.;:!?«»\"]{1,40})?),\s*Me\s*$", re.I
)
_CLIENT_END = re.compile(r"\b(?:de|du|d['’])\s*(?:M\.|Mme|Me|Mlle|MM\.)?\s*$", re.I)
_OTHER_PERSON = re.compile(r"^(?:Me|Maître|M\.|Mme)\s+[A-ZÉ]")
_TAIL_STOP = re.compile(r"(?:\s+(?:de|du|des|la|le|les|et|à|au|aux|en|d['’]|l['’]))+$", re.I)


def _trim_tail(function: str) -> str:
    """Drop the dangling words a length cut leaves ("porte-parole du ministère des")."""
    return _TAIL_STOP.sub("", function).strip(" ,'’")


def function_role(function: str) -> str:
    """Map a function ("procureur général du Texas") to a role, or ""."""
    for regex, role in _FUNCTION_ROLE:
        if regex.search(function):
            return role
    return ""


def function_bonus(function: str) -> float:
    """Weigh how much a stated function makes a person matter to a legal story."""
    role = function_role(function)
    if role == OTHER:
        return 1.2
    if role in (PARQUET, COURT, POLICE, REGULATOR):
        return 3.0  # the prosecutor or judge who speaks for the case
    return 2.0 if role else 1.2
