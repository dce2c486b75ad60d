"""Find the mentions of parties in an article: named bodies and people, and unnamed parties.

Mentions come from spaCy's NER (with the gazetteer ruler ahead of it) and from patterns for
unnamed parties ("un Belge de 51 ans", "250 acheteurs présumés", "les hackers"). They are
corrected here — press outlets and stray fragments dropped, places kept only when they act —
and `digests.actors` merges them into actors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from digests import roles
from digests.gazetteer import AMBIGUOUS, BY_KEY, COMPANY, MEDIA_EXACT, resolve_ambiguous
from digests.nlp import ALIAS_INDEX, MEDIA_LABEL, PARTY_LABEL
from digests.textutil import fold, overlaps

_DETERMINERS = re.compile(r"^(?:(?:le|la|les|un|une|des|du|de|au|aux)\s+|[ld]['’]\s*)", re.I)
_PER_DETERMINER = re.compile(r"^(?:le|la|les|l['’])\s*(?=[A-ZÉ])")
# A name that is a legal text, not a party: "Convention européenne des droits de l'homme".
_LEGAL_TEXT = re.compile(
    r"^(?:convention|traité|directive|règlement|loi|code|charte|constitution|décret|article|"
    r"ordonnance|accord|pacte|protocole)\b",
    re.I,
)
# A word that completes a title ("ministre de la Santé", "secrétaire d'Etat aux Transports") is
# part of a function, not a party of its own.
_TITLE_BEFORE = re.compile(
    r"\b(?:ministres?|ministère|secrétaire d['’][EÉ]tat|secrétariat|délégué|commissaire|procureure?s?|"
    r"direction|directeur|directrice|chargée?)\s+(?:\w+\s+)?(?:de la|de l['’]|du|des|de|à la|au|aux)"
    r"\s*$",
    re.I,
)
_OPERATION_BEFORE = re.compile(
    r"\bopération,?\s+(?:(?:baptisée|nommée|appelée|dénommée|dite|intitulée|de police)\s+)?"
    r"[«\"“]?\s*$",
    re.I,
)
_LAW_ACRONYM_BEFORE = re.compile(r"\bloi [^.;()\n]{3,80}\(\s*$", re.I)  # read 90 chars back
_ARTICLE_NUMBER = re.compile(r"[LRD]?\.?\s?\d[\d.\-]*")  # "L7124-1": an article of a code
_HONORIFIC = re.compile(r"^(?:M\.|MM\.|Mme|Mmes|Me|Mes|Maître|Maîtres|Mlle|Dr|Pr)\s+")
MEDIA = {fold(name) for name in MEDIA_EXACT} | {"figaro", "obs", "express", "parisien", "monde"}
NOT_ACTORS = {
    "justice",
    "europe",
    "moyen-orient",
    "ndlr",
    "etat",
    "etats",
    "internet",
    "web",
    "dark web",
    "darknet",
    "net",
    "premier ministre",
    "republique",  # "procureur de la République": part of a title, never a party
    "ve republique",  # the regime, not a party
    "ive republique",
    "iiie republique",
    "president",
    "gouvernement",
    "constitution",
    # Function words spaCy sometimes tags at a sentence start ("Les mots de passe …").
    "le",
    "la",
    "les",
    "l'",
    "un",
    "une",
    "des",
    "du",
    "ce",
    "ces",
    "cet",
    "cette",
    "il",
    "elle",
    "ils",
    "elles",
    "on",
    "selon",
    "contactee",
    "contacte",
    "interroge",
    "interrogee",
    # Sports competitions, never parties ("les droits de la Ligue 1").
    "ligue 1",
    "ligue 2",
    "ligue des champions",
    "coupe de france",
    "coupe du monde",
    "premier league",
    "top 14",
    # Attack techniques, never parties.
    "ddos",
    "ransomware",
    "rancongiciel",
    "phishing",
    "malware",
    "botnet",
    "spam",
}
_PARTICLES = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "van",
    "von",
    "der",
    "den",
    "da",
    "di",
    "del",
    "y",
    "bin",
    "ben",
    "al",
    "el",
    "et",
    "&",
}
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]")
_NOT_ACTING_BEFORE = re.compile(r"\b(?:en|au|aux|à|de|du|des|d['’]|vers|dans|sur|par|pour)\s*$", re.I)
_ORG_ROLE = (
    (re.compile(r"^parquets?\b", re.I), roles.PARQUET),
    (re.compile(r"^(?:tribunal|cour|haute cour|conseil de prud)", re.I), roles.COURT),
    (re.compile(r"^(?:ministère|département|gouvernement)\b", re.I), roles.GOV),
)
_TITLED_PERSON = re.compile(
    r"^(?i:procureure?|juge|ministre|présidente?|directeur|directrice|avocate?)\b.*?\s"
    r"((?!République)[A-ZÉ][\w'’-]+\s+[A-ZÉ][\w'’-]+)$"
)
STOP_END = {"de", "du", "des", "la", "le", "les", "et", "à", "en", "d'", "l'", "pour", "par"}
_DOMAIN = re.compile(r"\.(?:gg|com|fr|net|org|io|to|cc|me|tv|ru|eu)$", re.I)
_PLATFORM_CUE = re.compile(
    r"(?:site|plateforme|application|appli|réseau social|forum|messagerie|service|marketplace|"
    r"place de marché)\s+(?:de \w+\s+)?$",
    re.I,
)
_ACTING_VERB = re.compile(
    r"^\s*(?:a|ont|avait|avaient|aurait|est|sont|était|serait|se|s['’]|y|va|doit|veut|"
    r"affirme|accuse|dénonce|annonce|attaque|poursuit|réclame|exige|dément|nie|conteste|"
    r"condamne|sanctionne|saisit|porte|rejette|répond|réplique|demande|menace|juge|estime|"
    r"enquête|interdit|bloque|suspend|assure|déclare|reproche)\b",
    re.I,
)
_VICTIM_CUE = re.compile(r"\bvictimes?\b|\bcibl", re.I)
@dataclass(slots=True)
class Mention:
    """One occurrence of a party in the combined title + text."""

    surface: str
    kind: str
    start: int
    end: int
    key: str
    role: str = ""
    weight: float = 1.0
    # Named with a descriptor that introduces a party ("l'association X", "la plateforme « X »",
    # "surnommé X"): the article means it, even when it names it once.
    introduced: bool = False


def _clean_surface(text: str, label: str) -> str:
    text = text.strip(' \n\t,;:.«»"“”()[]')
    text = _DETERMINERS.sub("", text) if label != "PER" else _PER_DETERMINER.sub("", text)
    text = _HONORIFIC.sub("", text)
    words = text.split()
    while words and words[-1].lower() in STOP_END:
        words.pop()
    return " ".join(words).strip(" ,;:.'’")


def _plausible(surface: str, label: str) -> bool:
    """Reject fragments, headings in capitals, common words and press outlets."""
    if len(surface) < 2 or "\n" in surface or any(c in surface for c in "()[]{}+#@"):
        return False
    folded = fold(surface)
    if folded in MEDIA or folded in NOT_ACTORS:
        return False
    words = surface.split()
    if label in ("PER", "MISC") and not all(w[:1].isupper() or w.lower() in _PARTICLES for w in words):
        return False  # "Grand froid", "Mise au point": a capitalised sentence start, not a name
    if len(words) > 1 and surface.isupper():
        return False  # "PIRATES RUSSES": a heading in capitals
    if label == "MISC" and len(words) == 1 and not _CAMEL.search(surface):
        return False  # "Raciste", "Firefox", "LOL": MISC single words are rarely parties
    if label == "PER" and (len(words) > 4 or (len(words) == 1 and _CAMEL.search(surface))):
        return False  # a one-word CamelCase "person" is a product or malware name
    if _LEGAL_TEXT.match(surface) or _ARTICLE_NUMBER.fullmatch(surface):
        return False
    return any(c.isupper() for c in surface)


# "des plateformes comme TikTok, Snapchat ou Instagram": names given as examples.
_EXAMPLE_BEFORE = re.compile(
    r"\b(?:comme|tels? que|telles? que|notamment|par exemple|ou encore|à l['’]instar d[eu']?)"
    r"\s+(?:(?:[\w'’-]+\s+){0,3}[\w'’-]+(?:,\s+|\s+(?:et|ou)\s+))*$",
    re.I,
)


# English copy: spaCy's French model tags sentence starts, nationalities and months.
_EN_NOISE = re.compile(
    r"^(?:the|this|that|these|those|a|an|public|french|german|british|irish|american|european|"
    r"english|spanish|italian|dutch|russian|chinese|january|february|march|april|may|june|"
    r"july|august|september|october|november|december|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|deputy|operation)\b",
    re.I,
)


def english_noise(surface: str) -> bool:
    """Tell a fragment of English prose from a name (only used on English articles)."""
    words = surface.split()
    if any(c in surface for c in "/%=") or len(words) > 4:
        return True
    if any(w[:1].islower() and w.lower() not in _PARTICLES | {"of", "for", "and"} for w in words):
        return True  # "Ministry of the Interior earlier this month"
    return bool(_EN_NOISE.match(surface)) and not surface.isupper()


def _common_word(surface: str, text: str, start: int) -> bool:
    """Tell a capitalised common noun at a sentence start ("Publicité : …") from a name.

    One word, not an acronym, at the start of a line or sentence, and written in lower case
    elsewhere in the article: a common noun spaCy took for an entity.
    """
    if " " in surface or surface.isupper() or _CAMEL.search(surface):
        return False
    before = text[max(0, start - 3) : start]
    if start > 0 and not re.search(r"(?:^|[.!?:\n«\"]\s*)$", before):
        return False
    lower = surface[:1].lower() + surface[1:]
    return re.search(rf"(?<!\w){re.escape(lower)}(?!\w)", text) is not None


def _without_common_head(surface: str, text: str, start: int) -> str:
    """Drop a capitalised common noun that starts a line or sentence before a name.

    "Campagne Balladur : …", "Procès Dupont : …": the first word is written in lower case
    elsewhere in the article and the rest is named there without it, so spaCy glued a headline
    noun to the name.
    """
    first, _, rest = surface.partition(" ")
    if not rest or not rest[:1].isupper() or first.isupper() or not _common_word(first, text, start):
        return surface
    alone = re.search(rf"(?<!{re.escape(first)} )(?<!\w){re.escape(rest)}(?!\w)", text)
    return rest if alone is not None else surface


_SEAT_BEFORE = re.compile(
    r"\b(?:groupe|géant|firme|société|constructeur|éditeur|fabricant|entreprise)"
    r"(?: (?:américaine?|californienne?|chinoise?|informatique|technologique))? (?:de|basée? à)\s*$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class _Ent:
    text: str
    label_: str
    start_char: int
    end_char: int
    ent_id_: str


def joined_entities(doc) -> list[_Ent]:  # noqa: ANN001  # spaCy Doc
    """Join a known company and the name spaCy split off it: "Lirenet" + "France Services"."""
    out: list[_Ent] = []
    for ent in doc.ents:
        cur = _Ent(ent.text, ent.label_, ent.start_char, ent.end_char, ent.ent_id_)
        prev = out[-1] if out else None
        body = BY_KEY.get(prev.ent_id_) if prev is not None else None
        if (
            prev is not None
            and body is not None
            and body.role == COMPANY
            and cur.label_ in ("ORG", "MISC", "LOC")
            and not cur.ent_id_
            and cur.start_char == prev.end_char + 1
            and doc.text[prev.end_char] == " "
        ):
            out[-1] = _Ent(prev.text + " " + cur.text, "ORG", prev.start_char, cur.end_char, "")
            continue
        out.append(cur)
    return out


def ner_mentions(  # noqa: ANN001  # spaCy Doc, lazily imported
    doc, title_end: int, *, english: bool = False, party_spans: Sequence[tuple[int, int]] = ()
) -> list[Mention]:
    """Turn the pipeline's entities into mentions, correcting spaCy's known mistakes.

    `party_spans` are the words a frame put on a side of the case: a place there is a party
    ("la mutuelle Hexaplus", tagged as a place, "a porté plainte").
    """
    text = doc.text
    mentions: list[Mention] = []
    rejected: list[tuple[str, int, int]] = []
    for ent in joined_entities(doc):
        label = ent.label_
        if label in (MEDIA_LABEL, PARTY_LABEL):
            continue
        surface = _clean_surface(ent.text, label)
        if not surface:
            continue
        head, _, last = surface.rpartition(" ")
        if ent.start_char < title_end and head and last.islower() and head in text[title_end:]:
            surface = head  # "la Fédération des éditeurs attaque …": the title's verb
        surface = _without_common_head(surface, text, ent.start_char)
        titled = _TITLED_PERSON.match(surface)
        if titled:  # "Procureure de la République Anne Roussel", tagged as a place
            surface, label = titled.group(1), "PER"
        start = text.find(surface, ent.start_char, ent.end_char + 1)
        start = start if start >= 0 else ent.start_char
        end = start + len(surface)
        if surface in AMBIGUOUS:
            body = resolve_ambiguous(surface, text)
        else:
            body = BY_KEY.get(ent.ent_id_) or BY_KEY.get(ALIAS_INDEX.get(fold(surface), ""))
        if body is not None:
            # An institution named once matters more than a company cited among examples.
            weight = 1.3 if body.role == COMPANY else 1.8
            if body.role == COMPANY and _EXAMPLE_BEFORE.search(text[max(0, start - 45) : start]):
                weight = 0.6
            mentions.append(Mention(surface, body.kind, start, end, f"gaz:{body.key}", body.role, weight))
            continue
        before = text[max(0, start - 40) : start]
        if " " not in surface and _SEAT_BEFORE.search(before):
            continue  # "le groupe de Cupertino": the company's seat, not a party
        if _OPERATION_BEFORE.search(before):
            continue  # "l'opération baptisée « Coup de filet »" names a police operation
        if _LAW_ACRONYM_BEFORE.search(text[max(0, start - 90) : start]):
            continue  # "la loi sur la protection des mineurs (LPM)" names a law
        if not _plausible(surface, label) or _TITLE_BEFORE.search(before):
            rejected.append((surface, start, end))
            continue
        if _common_word(surface, text, start) or (english and english_noise(surface)):
            continue
        after = text[end : end + 40]
        if _DOMAIN.search(surface) or _PLATFORM_CUE.search(before):
            mentions.append(Mention(surface, "organisation", start, end, "", roles.COMPANY))
        elif label == "PER":
            mentions.append(Mention(surface, "personne", start, end, ""))
        elif label == "ORG":
            role = next((r for regex, r in _ORG_ROLE if regex.search(surface)), "")
            mentions.append(Mention(surface, "organisation", start, end, "", role, 1.3 if role else 1.0))
        elif label == "LOC":
            # A place is an actor only when it acts or is targeted: "la Norvège a affirmé".
            acting = _ACTING_VERB.match(after) and not _NOT_ACTING_BEFORE.search(before)
            party = any(overlaps(start, end, s, e) for s, e in party_spans)
            if acting or party or (start < title_end and _VICTIM_CUE.search(after)):
                mentions.append(Mention(surface, "lieu", start, end, "", "", 0.8))
        elif label == "MISC":
            mentions.append(Mention(surface, "organisation", start, end, "", "", 0.6))
        else:
            rejected.append((surface, start, end))
    # spaCy labels one name differently from one sentence to the next ("Lirenet" as a place,
    # a person, a platform): once one occurrence is accepted, its other occurrences count.
    accepted = {fold(m.surface): m for m in mentions}
    for surface, start, end in rejected:
        same = accepted.get(fold(surface))
        if same is not None:
            mentions.append(Mention(surface, same.kind, start, end, same.key, same.role, same.weight))
    return mentions
