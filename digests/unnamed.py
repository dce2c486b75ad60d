"""Find unnamed parties: "un Belge de 51 ans", "250 acheteurs présumés", "le gang DarkLock".

Named bodies and people come from `digests.mentions` (spaCy's NER); these patterns add the
parties an article names by a description, a pseudonym or a group name.
"""

from __future__ import annotations

import re

from digests import roles
from digests.mentions import MEDIA, NOT_ACTORS, Mention
from digests.nlp import ALIAS_INDEX
from digests.textutil import fold

# The weight `roles` gives plural parties named by their trade ("les clubs", "les FAI"): a
# story names them once and means them as parties.
TRADE_WEIGHT = 1.6

_NUMBER_WORDS = (
    r"\d[\d  .]*|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente"
    r"|cent|une dizaine d['e]|une vingtaine d['e]|des dizaines d['e]|des centaines d['e]"
    r"|plusieurs"
)
PEOPLE = (
    r"hommes|femmes|personnes|suspects|individus|jeunes|mineurs|proches|complices|membres|"
    r"militants|hackers|pirates|cybercriminels|vendeurs|administrateurs|policiers|gendarmes|"
    r"victimes|clients|utilisateurs|internautes|salariés|adhérents|prévenus|accusés|"
    r"ressortissants|étudiants|trafiquants|escrocs|employés"
)
_GROUP = re.compile(
    rf"(?<![\w-])((?:{_NUMBER_WORDS})\s*(?:de (?:ses|leurs|nos) )?(?:{PEOPLE})"
    r"(?:\s+(?:présumés|présumées|soupçonnés|interpellés|arrêtés|[a-zé]+(?:ains|iens|ais|ois|ands|ols|ens)))?)"
    r"(?!\w)",
    re.I,
)
_PERSON_AGE = re.compile(
    r"(?<!\w)(?:[Uu]n|[Uu]ne)\s+((?:jeune\s+)?(?:homme|femme|adolescente?|étudiante?|garçon|fille|"
    r"informaticien(?:ne)?|ingénieur|lycéen(?:ne)?|collégien(?:ne)?|militante?|pirate|hacker|"
    r"quadragénaire|salariée?|employée?|développeur|développeuse|chômeur|"
    r"trentenaire|quinquagénaire|retraitée?|"
    r"(?:[A-ZÉ][a-zéèëïô]+-)?[A-ZÉ][a-zéèëïô]+(?:ien|ienne|ais|aise|ain|aine|ois|oise|and|ande|"
    r"ol|ole|e|en|enne))"
    r",?\s+(?:âgée?\s+)?de\s+\d{1,2}\s+ans)(?!\w)"
)
# "un pirate se faisant appeler « Nyx »", "surnommé Le Baron".
_PSEUDONYM = re.compile(
    r"(?:se faisant appeler|se présentant sous le nom de|surnommée?|alias|sous le pseudonyme(?: de)?"
    r"|connue? sous le (?:nom|pseudonyme) de)\s+[\"«“]?\s*([A-Z0-9][\w.-]{2,30})"
)
# "le groupe de hackers Nimbus", "le gang DarkLock", "le collectif baptisé Hydra".
_NAMED_GROUP = re.compile(
    r"(?<!\w)(?:groupe|gang|collectif|réseau|botnet|forum|marché|groupuscule|association|syndicat"
    r"(?: de (?:police|policiers|magistrats|salariés))?|ONG|organisation|fédération)"
    r"(?: (?:de |d['’])?(?:hackers|pirates(?: informatiques)?|cybercriminels|hacktivistes|"
    r"rançongiciels?|ransomware|criminels|machines zombies|activistes))?"
    r"(?:,? (?:baptisé|nommé|appelé|dénommé|connu sous le nom de|surnommé))?"
    r"[ \t]+[\"«“]?[ \t]*((?-i:[A-Z][\w-]+(?: [A-Z][\w-]+){0,2}))"  # a name on the same line
)
# "un service de cyberattaques, baptisé « FloodKing »", "la plateforme Lirenet".
_NAMED_SERVICE = re.compile(
    r"(?<!\w)(?:site|service|plateforme|messagerie|application|logiciel|marketplace)"
    r"(?: [\w'’-]+){0,4}?,? (?:baptisée?|nommée?|appelée?|dénommée?|surnommée?) "
    r"[\"«“]?[ \t]*((?-i:[A-Z][\w.-]*\w))"
    r"|(?<!\w)(?:la plateforme|le site|la messagerie) ((?-i:[A-Z][\w-]*[A-Z0-9.-][\w.-]*\w))"
    # A quoted name says it is one: "la plateforme « Vente Libre »", "le forum "Dark Square"".
    r"|(?<!\w)(?:la plateforme|le site|la messagerie|le forum|l['’]application|le réseau) "
    r"[\"«“][ \t]*((?-i:[A-Z][\w.-]*(?: [A-Z][\w.-]*){0,2}))[ \t]*[\"»”]"
)
_CRIMINAL = re.compile(
    r"^(?:gang|groupuscule)|hackers|pirates|cybercriminels|rançongiciel|ransomware|criminels", re.I
)
_PLATFORM_ACCOUNT = re.compile(
    r"(?<!\w)((?:groupe|page|compte|chaîne|serveur|canal|boucle)\s+"
    r"(?:Facebook|Twitter|YouTube|Youtube|Telegram|Discord|Instagram|TikTok|Snapchat|WhatsApp))"
    r"(?!\w)"
)



def pattern_mentions(text: str) -> list[Mention]:
    """Find unnamed parties: "un Belge de 51 ans", "quatre de ses amis", "groupe Facebook"."""
    found: list[Mention] = []
    for regex, kind, role, weight in (
        (_PERSON_AGE, "personne", "", 1.5),
        (_GROUP, "groupe", "", 1.2),
        (_PLATFORM_ACCOUNT, "groupe", "", 1.5),
    ):
        for match in regex.finditer(text):
            surface = match.group(1).strip()
            words = fold(surface).split()
            if regex is _PERSON_AGE:
                key = "age:" + words[0]  # "Belge de 51 ans" and a bare "Belge" are one
            elif regex is _PLATFORM_ACCOUNT:
                key = "grp:" + " ".join(words)
            elif re.match(r"\d", surface):
                key = "grp:n" + re.sub(r"\D", "", surface)  # "12 000 membres" = "12 000 hommes"
            else:
                key = "grp:" + group_head(surface)
            found.append(Mention(surface, kind, match.start(1), match.end(1), key, role, weight))
    for match in _PSEUDONYM.finditer(text):
        found.append(
            Mention(
                match.group(1), "personne", match.start(1), match.end(1), "alias:" + fold(match.group(1)), "", 1.5,
                introduced=True,
            )
        )
    # "le gang DarkLock", "le groupe de rançongiciel Nimbus": a criminal group is a suspect.
    named = [
        (m.group(1), m.start(1), m.end(1), roles.SUSPECT if _CRIMINAL.search(m.group(0)) else "")
        for m in _NAMED_GROUP.finditer(text)
    ]
    named += [
        (m.group(g), m.start(g), m.end(g), "")
        for m in _NAMED_SERVICE.finditer(text)
        for g in (1, 2, 3)
        if m.group(g)
    ]
    for name, start, end, role in named:
        if fold(name) in ALIAS_INDEX or fold(name) in MEDIA or fold(name) in NOT_ACTORS:
            continue  # "groupe Facebook" is an account, "groupe Google" a company
        found.append(Mention(name, "organisation", start, end, "org:" + fold(name), role, 1.4, introduced=True))
    found.extend(roles.generic_mentions(text, Mention))
    return found


def group_head(surface: str) -> str:
    """Return the noun that names an unnamed group ("trois pirates" → "hacker"), for merging."""
    words = fold(surface).split()
    heads = [w for w in words if re.fullmatch(PEOPLE, w)]
    head = (heads[-1] if heads else words[-1]).rstrip("s")
    return SYNONYM_HEADS.get(head, head)


# Group heads that name the same unnamed party as `roles` generics ("trois pirates" = "pirates").
SYNONYM_HEADS = {
    "pirate": "hacker",
    "hacker": "hacker",
    "escroc": "cybercriminel",
    "trafiquant": "cybercriminel",
    "prevenu": "suspect",
    "accuse": "suspect",
    "policier": "policier",
    "gendarme": "policier",
    "plaignant": "plaignant",
}
