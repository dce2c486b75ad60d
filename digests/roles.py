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
    # A lawyer speaks for a party without being one: no cue word around them decides a role.
    (re.compile(r"^(?:Me|Maître)$|\bavocate?s?\b", re.I), OTHER),
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
        r"écrouée?s?\b|prévenue?s?\b|relaxée?s?\b|écop|reconnue?s? coupables?|"
        r"(?:ans|mois) (?:de prison|d['’]emprisonnement|avec sursis|ferme)|instigat|complices?\b|"
        r"\b(?:sa|leur|leurs) peines?\b|cerveau", re.I)),
    (PLAINTIFF, re.compile(
        r"porté plainte|porter plainte|déposé plainte|plaignant|"
        r"saisi(?:t|r|ra|ssent|ront)?\s+(?:(?:à nouveau|également|aussi) )?(?:la |le |les |l['’])?"
        r"(?:justice|tribunal|tribunaux|juges?|cour|conseil|cnil|arcom|parquet|autorité|défenseur"
        r"|médiateur)|(?:ont|a|avaient|avait) saisi\b(?! de l['’]enquête| des| du| les| plus)|"
        r"dénonc\w* (?:les faits |ces faits |ces agissements )?(?:à la justice|au parquet|aux autorités"
        r"|auprès)|dénonciation|"
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
        # Plural parties named by their trade: "les clubs", "les fournisseurs d'accès".
        (r"(?<=\b[Ll]es )(?:fournisseurs d['’]accès(?: à internet)?|opérateurs(?: télécoms?)?|FAI)",
         "grp:fai", "groupe", COMPANY, 1.6),
        (r"(?<=\b[Ll]es )(?:clubs|syndicats|banques|assureurs|hébergeurs|annonceurs|médias)",
         "grp:secteur", "groupe", "", 1.6),
        (r"associations (?:de (?:parents|consommateurs|familles|victimes|défense \w+ \w+)|"
         r"féministes|antiracistes|de lutte contre \w+ \w+)", "grp:association", "groupe", "", 1.6),
        (r"(?:plusieurs |des |les )?(?:Etats|États) (?:américains|membres)", "grp:etats", "organisation",
         GOV, 1.6),
        # Publishers sue often, but only the words around them say they do here.
        (r"maisons d['’]édition|éditeurs|producteurs|auteurs-compositeurs", "grp:editeur", "groupe",
         "", 0.9),
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
    match = _FUNCTION_BEFORE.search(before)
    after = _FUNCTION_AFTER.match(text[end : end + 80].partition("\n")[0])
    if match is None or (after is not None and match.group(1).strip() in ("Me", "me")):
        match = after or match  # "Me X, avocate de Y" says more than "Me"
    if match is not None and match.group(1).strip() in ("Me", "me"):
        match = _LAWYER_OF.search(before) or match  # "l'avocat de Z, Me X"
    if match is None:
        return ""
    function = match.group(1).strip(" ,'’")
    if _CLIENT_END.search(function):
        return ""  # "l'avocat de Mme Lemoine" names Lemoine's lawyer, not Lemoine
    return _trim_tail(trim_words(function, 40, ellipsis=""))


_LAWYER_OF = re.compile(
    r"(avocate?s?(?: (?:de|du|des|d['’])\s*[^,.;:!?«»\"]{1,40})?),\s*Me\s*$", re.I
)
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
    if role == OTHER:
        return 1.2
    if role in (PARQUET, COURT, POLICE, REGULATOR):
        return 3.0  # the prosecutor or judge who speaks for the case
    return 2.0 if role else 1.2


_PERSON_ROLES = frozenset({SUSPECT, PLAINTIFF, VICTIM})
_PLAINT_VERB = re.compile(
    r"porté plainte|porter plainte|déposé plainte|intenté|attaque en justice|assign", re.I
)
_ORDER = (SUSPECT, PLAINTIFF, VICTIM, POLICE, COMPANY)

# An organisation's role read from the words right next to it, as a parse would: "plainte
# contre X", "X a porté plainte", "X, victime de". Patterns over the text before / after.
# A determiner, then at most two common nouns or adjectives ("la mutuelle", "le groupe
# hospitalier") before the name.
_DET = r"\s*(?:la |le |l['’]|les |sa |son |ses )?(?:[a-zéèêàçôû-]+ ){0,2}"
_ORG_BEFORE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (SUSPECT, re.compile(r"revendiquée?s? par(?: le| la| les| l['’])?(?: [\w'’-]+){0,3} ?$", re.I)),
    (SUSPECT, re.compile(
        r"(?:plaintes?|poursuites|enquêtes?|procédures?|actions?|sanctions?|amendes?|procès|"
        r"information judiciaire|mises? en demeure|accusations?|recours|condamnations?)"
        rf"(?: [\w'’-]+){{0,3}} (?:contre|visant|à l['’]encontre d[eu'’]s?){_DET}$", re.I)),
    (VICTIM, re.compile(
        r"(?:cyberattaques?|attaques?(?: informatiques?)?|piratages?|intrusions?|"
        r"fuites? de données|rançongiciels?)(?: \w+){0,2} (?:contre|visant|ciblant|chez|de|du|"
        rf"des|d['’]){_DET}$", re.I)),
    (PLAINTIFF, re.compile(
        r"(?:plaintes?|assignation|requête|action en justice|signalements?)(?: \w+){0,2} "
        rf"(?:de|du|des|d['’]){_DET}$", re.I)),
)
_ORG_AFTER: tuple[tuple[str, re.Pattern[str]], ...] = (
    (PLAINTIFF, re.compile(
        r"^\s*(?:a|ont|avait|avaient|va|vont|doit|devrait)\s+(?:(?:déjà|également|aussi|alors)\s+)?"
        r"(?:porté plainte|porter plainte|déposé (?:une )?plainte|saisi|assigné|attaqué|intenté)",
        re.I)),
    (VICTIM, re.compile(
        r"^\s*,?\s*(?:(?:elle-même|lui-même|déjà)\s+)?(?:victimes?|ciblée?s?|piratée?s?)\b|"
        r"^\s*(?:a|ont|avait|avaient) été (?:victimes?|piratée?s?|ciblée?s?|attaquée?s?|visée?s?)",
        re.I)),
    (SUSPECT, re.compile(
        r"^\s*(?:a|ont|avait|avaient) été (?:condamnée?s?|sanctionnée?s?|mise?s? en demeure|"
        r"poursuivie?s?|mise?s? en cause|épinglée?s?|mise?s? en examen)|"
        r"^\s*,?\s*(?:soupçonnée?s?|accusée?s?|poursuivie?s?|condamnée?s?|mise?s? en cause|"
        r"sanctionnée?s?|épinglée?s?|mise?s? en demeure|visée?s? par une (?:enquête|plainte))\b",
        re.I)),
)


# A next sentence that goes on about the same people: "Les deux hommes ont été inculpés".
_ANAPHOR = re.compile(
    r"^\s*(?:Ils|Elles|Il|Elle|Les (?:deux|trois|quatre) (?:hommes|femmes|suspects)|"
    r"Le (?:jeune )?homme|La (?:jeune )?femme|L['’](?:homme|intéressée?|adolescente?))\b"
)


def _anaphoric_next(text: str, end: int, sentences: list[tuple[int, int]] | None) -> str:
    """Return the start of the next sentence when it refers back to the mention's people."""
    if not sentences:
        return ""
    idx = next((i for i, (s, e) in enumerate(sentences) if s <= end <= e), None)
    if idx is None or idx + 1 >= len(sentences):
        return ""
    start, stop = sentences[idx + 1]
    following = text[start:stop]
    return " " + following[:90] if _ANAPHOR.match(following) else ""


def _neighbour_votes(text: str, spans: list[tuple[int, int]]) -> Counter[str]:
    """Vote an organisation's role from the words touching its mentions only."""
    votes: Counter[str] = Counter()
    for start, end in spans:
        before = text[max(0, start - 70) : start]
        after = text[end : end + 50]
        for role, regex in _ORG_BEFORE:
            if regex.search(before):
                votes[role] += 1
                break
        for role, regex in _ORG_AFTER:
            if regex.match(after):
                votes[role] += 1
                break
    return votes


# A person named as the target of an offence: "des messages haineux visant la députée X".
_PERSON_TARGET = re.compile(
    r"(?:(?:harcèlement|menaces?|injures?|insultes|messages|propos|attaques?|campagne|violences)"
    r"[^.;]{0,60}(?:à l['’]encontre d[eu'’]s?|contre|visant|ciblant)"
    r"|(?:cyber-?)?harcèlement(?: moral| sexuel| en ligne)? (?:de|d['’]|du))"
    r"(?: la| le| les| l['’])?(?: [\w'’-]+){0,3} ?$",
    re.I,
)


def _sentence_bounds(
    pos: int, sentences: list[tuple[int, int]] | None, size: int
) -> tuple[int, int]:
    """Return the bounds of the sentence holding `pos` (the whole text when unknown)."""
    for start, end in sentences or ():
        if start <= pos < end:
            return start, end
    return 0, size


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
    people = kind in ("personne", "groupe")
    if not people:
        close = _neighbour_votes(text, spans)
        if close:
            return max(close, key=lambda r: (close[r], -_ORDER.index(r)))
    votes: Counter[str] = Counter()
    for start, end in spans:
        window = text[max(0, start - 90) : min(len(text), end + 90)]
        if people:
            lo, hi = _sentence_bounds(start, sentences, len(text))
            if _PERSON_TARGET.search(text[max(lo, start - 110) : start]):
                votes[VICTIM] += 2  # "menaces de mort à l'encontre de la journaliste X"
            # Cues stay within the paragraph: the next one may be about someone else.
            window = text[max(0, start - 60) : start].rpartition("\n")[2]
            window += text[start : min(len(text), end + 60)].partition("\n")[0]
            window += _anaphoric_next(text, end, sentences)
        elif sentences:
            idx = next((i for i, (s, e) in enumerate(sentences) if s <= start < e), None)
            if idx is not None:
                window = text[sentences[idx][0] : sentences[min(idx + 1, len(sentences) - 1)][1]]
        for role, regex in _CUES:
            if people and role not in _PERSON_ROLES:
                continue
            if kind == "lieu" and role == COMPANY:
                continue  # "la Grèce a extradé … via une plateforme": a state, not a company
            if role in (SUSPECT, PLAINTIFF) and not people:
                # A body is no suspect (or plaintiff) because its sentence mentions suspects
                # (or plaintiffs): the cue must sit right next to it ("la banque, soupçonnée"),
                # unless it is a complaint verb ("quatre éditeurs, dont X, ont porté plainte").
                near = text[max(0, start - 20) : min(len(text), end + 40)]
                strong = role == PLAINTIFF and _PLAINT_VERB.search(window)
                if strong or regex.search(near):
                    votes[role] += 1
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
