"""Find who the story is about: named bodies and people, and the unnamed parties that matter.

Mentions come from spaCy's NER (with the gazetteer ruler ahead of it) and from patterns for
unnamed parties ("un Italien de 44 ans", "179 vendeurs présumés", "les hackers"). They are
corrected (press outlets and stray fragments dropped, places kept only when they act),
merged into one actor per real-world party, given a role from the gazetteer or from the
words around them, and ranked by salience: title, lead, frequency, function and role.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from digests import roles
from digests.gazetteer import BY_KEY, MEDIA_EXACT
from digests.model import Actor
from digests.nlp import ALIAS_INDEX, MEDIA_LABEL
from digests.textutil import fold

_DETERMINERS = re.compile(r"^(?:(?:le|la|les|un|une|des|du|de|au|aux)\s+|[ld]['’]\s*)", re.I)
_HONORIFIC = re.compile(r"^(?:M\.|MM\.|Mme|Mmes|Me|Mlle|Dr|Pr)\s+")
_MEDIA = {fold(name) for name in MEDIA_EXACT} | {"figaro", "obs", "express", "parisien"}
_NOT_ACTORS = {
    "justice", "europe", "moyen-orient", "ndlr", "etat", "etats", "internet", "web", "dark web",
    "darknet", "net", "premier ministre", "president", "gouvernement", "constitution",
}
_PARTICLES = {"de", "du", "des", "la", "le", "van", "von", "der", "den", "da", "di", "del", "y",
              "bin", "ben", "al", "el", "et", "&"}
_CAMEL = re.compile(r"[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]")
_NOT_ACTING_BEFORE = re.compile(r"\b(?:en|au|aux|à|de|du|des|d['’]|vers|dans|sur|par|pour)\s*$", re.I)
_ORG_ROLE = (
    (re.compile(r"^parquets?\b", re.I), roles.PARQUET),
    (re.compile(r"^(?:tribunal|cour)\b", re.I), roles.COURT),
    (re.compile(r"^(?:ministère|département|gouvernement)\b", re.I), roles.GOV),
)
_TITLED_PERSON = re.compile(
    r"^(?i:procureure?|juge|ministre|présidente?|directeur|directrice|avocate?)\b.*?\s"
    r"((?!République)[A-ZÉ][\w'’-]+\s+[A-ZÉ][\w'’-]+)$"
)
_STOP_END = {"de", "du", "des", "la", "le", "les", "et", "à", "en", "d'", "l'", "pour", "par"}
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
_NUMBER_WORDS = (
    r"\d[\d  .]*|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente"
    r"|cent|une dizaine d['e]|une vingtaine d['e]|des dizaines d['e]|des centaines d['e]"
    r"|plusieurs"
)
_PEOPLE = (
    r"hommes|femmes|personnes|suspects|individus|jeunes|mineurs|proches|complices|membres|"
    r"militants|hackers|pirates|cybercriminels|vendeurs|administrateurs|policiers|gendarmes|"
    r"victimes|clients|utilisateurs|internautes|salariés|adhérents|prévenus|accusés|"
    r"ressortissants|étudiants|trafiquants|escrocs|employés"
)
_GROUP = re.compile(
    rf"(?<!\w)((?:{_NUMBER_WORDS})\s*(?:de (?:ses|leurs|nos) )?(?:{_PEOPLE})"
    r"(?:\s+(?:présumés|présumées|soupçonnés|interpellés|arrêtés|russes|français|américains))?)"
    r"(?!\w)",
    re.I,
)
_PERSON_AGE = re.compile(
    r"(?<!\w)(?:[Uu]n|[Uu]ne)\s+((?:jeune\s+)?(?:homme|femme|adolescente?|étudiante?|"
    r"[A-ZÉ][a-zéèëïô]+(?:ien|ienne|ais|aise|ain|aine|ois|oise|and|ande|ol|ole|e))"
    r"\s+(?:âgée?\s+)?de\s+\d{1,2}\s+ans)(?!\w)"
)
_PLATFORM_ACCOUNT = re.compile(
    r"(?<!\w)((?:groupe|page|compte|chaîne|serveur|canal|boucle)\s+"
    r"(?:Facebook|Twitter|YouTube|Youtube|Telegram|Discord|Instagram|TikTok|Snapchat|WhatsApp))"
    r"(?!\w)"
)


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


@dataclass(slots=True)
class Cluster:
    """All mentions of one party, with what is needed to name, role and rank it."""

    key: str
    kind: str
    mentions: list[Mention] = field(default_factory=list)
    role: str = ""
    function: str = ""
    score: float = 0.0


def _clean_surface(text: str, label: str) -> str:
    text = text.strip(" \n\t,;:.«»\"“”()[]")
    text = _DETERMINERS.sub("", text) if label != "PER" else text
    text = _HONORIFIC.sub("", text)
    words = text.split()
    while words and words[-1].lower() in _STOP_END:
        words.pop()
    return " ".join(words).strip(" ,;:.'’")


def _plausible(surface: str, label: str) -> bool:
    """Reject fragments, headings in capitals, common words and press outlets."""
    if len(surface) < 2 or "\n" in surface or any(c in surface for c in "()[]{}+#@"):
        return False
    folded = fold(surface)
    if folded in _MEDIA or folded in _NOT_ACTORS:
        return False
    words = surface.split()
    if label in ("PER", "MISC") and not all(w[:1].isupper() or w.lower() in _PARTICLES for w in words):
        return False  # "LV tabouret", "Feu vert": a capitalised sentence start, not a name
    if len(words) > 1 and surface.isupper():
        return False  # "ACTIVISTES TURCS": a heading in capitals
    if label == "MISC" and len(words) == 1 and not _CAMEL.search(surface):
        return False  # "Sexiste", "Chrome", "ACAB": MISC single words are rarely parties
    if label == "PER" and (len(words) > 4 or (len(words) == 1 and _CAMEL.search(surface))):
        return False  # a one-word CamelCase "person" is a product or malware name
    return any(c.isupper() for c in surface)


def ner_mentions(doc, title_end: int) -> list[Mention]:  # noqa: ANN001  # spaCy Doc, lazily imported
    """Turn the pipeline's entities into mentions, correcting spaCy's known mistakes."""
    text = doc.text
    mentions: list[Mention] = []
    rejected: list[tuple[str, int, int]] = []
    for ent in doc.ents:
        label = ent.label_
        if label == MEDIA_LABEL:
            continue
        surface = _clean_surface(ent.text, label)
        if not surface:
            continue
        titled = _TITLED_PERSON.match(surface)
        if titled:  # "Procureure de la République Laure Beccuau", tagged as a place
            surface, label = titled.group(1), "PER"
        start = text.find(surface, ent.start_char, ent.end_char + 1)
        start = start if start >= 0 else ent.start_char
        end = start + len(surface)
        body = BY_KEY.get(ent.ent_id_) or BY_KEY.get(ALIAS_INDEX.get(fold(surface), ""))
        if body is not None:
            kind = body.kind
            mentions.append(Mention(surface, kind, start, end, f"gaz:{body.key}", body.role, 1.5))
            continue
        if not _plausible(surface, label):
            rejected.append((surface, start, end))
            continue
        before = text[max(0, start - 40) : start]
        after = text[end : end + 40]
        if _DOMAIN.search(surface) or _PLATFORM_CUE.search(before):
            mentions.append(Mention(surface, "organisation", start, end, "", roles.COMPANY))
        elif label == "PER":
            mentions.append(Mention(surface, "personne", start, end, ""))
        elif label == "ORG":
            role = next((r for regex, r in _ORG_ROLE if regex.search(surface)), "")
            mentions.append(Mention(surface, "organisation", start, end, "", role, 1.3 if role else 1.0))
        elif label == "LOC":
            # A place is an actor only when it acts or is targeted: "l'Australie a affirmé".
            acting = _ACTING_VERB.match(after) and not _NOT_ACTING_BEFORE.search(before)
            if acting or (start < title_end and _VICTIM_CUE.search(after)):
                mentions.append(Mention(surface, "lieu", start, end, "", "", 0.8))
        elif label == "MISC":
            mentions.append(Mention(surface, "organisation", start, end, "", "", 0.6))
        else:
            rejected.append((surface, start, end))
    # spaCy labels one name differently from one sentence to the next ("Coco" as a place,
    # a person, a platform): once one occurrence is accepted, its other occurrences count.
    accepted = {fold(m.surface): m for m in mentions}
    for surface, start, end in rejected:
        same = accepted.get(fold(surface))
        if same is not None:
            mentions.append(Mention(surface, same.kind, start, end, same.key, same.role, same.weight))
    return mentions


def pattern_mentions(text: str) -> list[Mention]:
    """Find unnamed parties: "un Italien de 44 ans", "trois de ses proches", "groupe Facebook"."""
    found: list[Mention] = []
    for regex, kind, role, weight in (
        (_PERSON_AGE, "personne", roles.SUSPECT, 1.5),
        (_GROUP, "groupe", "", 1.2),
        (_PLATFORM_ACCOUNT, "groupe", "", 1.5),
    ):
        for match in regex.finditer(text):
            surface = match.group(1).strip()
            words = fold(surface).split()
            if regex is _PERSON_AGE:
                key = "per:" + words[0]  # "Italien de 44 ans" and a bare "Italien" are one
            elif regex is _PLATFORM_ACCOUNT:
                key = "grp:" + " ".join(words)
            elif re.match(r"\d", surface):
                key = "grp:n" + re.sub(r"\D", "", surface)  # "56 000 membres" = "56 000 hommes"
            else:
                key = "grp:" + _group_head(surface)
            found.append(Mention(surface, kind, match.start(1), match.end(1), key, role, weight))
    found.extend(roles.generic_mentions(text, Mention))
    return found


def _group_head(surface: str) -> str:
    words = fold(surface).split()
    heads = [w for w in words if re.fullmatch(_PEOPLE, w)]
    return (heads[-1] if heads else words[-1]).rstrip("s")


def _person_key(surface: str) -> str:
    return "per:" + re.sub(r"['’]s?$", "", fold(surface).split()[-1])


def cluster(mentions: list[Mention], text: str) -> list[Cluster]:
    """Merge mentions of one party: gazetteer ids, surnames, acronyms, name prefixes."""
    clusters: dict[str, Cluster] = {}
    aliases = acronym_aliases(text)
    for mention in mentions:
        key = mention.key
        if not key:
            if mention.kind == "personne":
                key = _person_key(mention.surface)
            else:
                folded = fold(mention.surface)
                key = "org:" + aliases.get(folded, folded)
        mention.key = key
        clusters.setdefault(key, Cluster(key, mention.kind)).mentions.append(mention)
    # "Coco" and "Coco.gg", "Quadrature" and "Quadrature du Net", "Evil Corp" and "Evil".
    keys = sorted(clusters, key=len)
    for short in keys:
        if not short.startswith("org:") or short not in clusters:
            continue
        name = short[4:]
        for long in keys:
            if long == short or long not in clusters or not long.startswith(("org:", "gaz:")):
                continue
            surfaces = {fold(m.surface) for m in clusters[long].mentions}
            if any(s.startswith(name + " ") or s.startswith(name + ".") for s in surfaces):
                clusters[long].mentions.extend(clusters.pop(short).mentions)
                break
    # "Dieudonné" and "Dieudonné M'Bala M'Bala": a lone first name joins the full name.
    for key in [k for k in clusters if k.startswith("per:")]:
        surfaces = {fold(m.surface) for m in clusters[key].mentions}
        if any(" " in s for s in surfaces):
            continue
        for other_key, other in clusters.items():
            if other_key == key or not other_key.startswith("per:"):
                continue
            if any(fold(m.surface).startswith(tuple(f"{s} " for s in surfaces))
                   for m in other.mentions):
                other.mentions.extend(clusters.pop(key).mentions)
                break
    # A bare "le parquet" is the parquet already named, when there is one.
    if "grp:parquet" in clusters:
        named = next((c for k, c in clusters.items() if k.startswith(("org:parquet", "gaz:"))
                      and any(m.role == "parquet/accusation" for m in c.mentions)), None)
        if named is not None:
            named.mentions.extend(clusters.pop("grp:parquet").mentions)
    return list(clusters.values())


_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9]{1,9})\)")


def acronym_aliases(text: str) -> dict[str, str]:
    """Map each "Long Name (ACR)" of the text both ways onto one folded key.

    "Collectif féministe contre le viol (CFCV)" makes "cfcv" and the long name one actor.
    """
    aliases: dict[str, str] = {}
    for match in _ACRONYM.finditer(text):
        acronym = match.group(1)
        words = re.findall(r"[\wÀ-ÿ'’-]+", text[max(0, match.start() - 160) : match.start()])
        initials = acronym.lower()
        for size in range(len(initials), min(len(words), 14) + 1):
            window = words[-size:]
            if not window[0].lower().startswith(initials[0]):
                continue
            content = [w[0].lower() for w in window if w.lower() not in _STOP_END]
            if _subsequence(initials, "".join(content)):
                long_name = fold(" ".join(window))
                aliases[long_name] = fold(acronym)
                break
    return aliases


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(char in it for char in needle) and bool(needle) and hay[:1] == needle[:1]


def display_name(cl: Cluster, folded_text: str) -> str:
    """Pick the name to show: canonical if the (folded) article uses it, else the fullest."""
    if cl.key.startswith("gaz:"):
        body = BY_KEY[cl.key[4:]]
        if fold(body.name) in folded_text:
            surfaces = [m.surface for m in cl.mentions if fold(m.surface) == fold(body.name)]
            return surfaces[0] if surfaces else body.name
    named = [m for m in cl.mentions if not m.key.startswith("grp:")] or cl.mentions
    surfaces = Counter(m.surface for m in named)
    if cl.kind == "personne":
        return max(surfaces, key=lambda s: (len(s.split()), surfaces[s], -len(s)))
    # Shortest frequent surface: acronyms beat their long names within a tight budget.
    return min(surfaces, key=lambda s: (-surfaces[s] if len(s) > 12 else -99, len(s)))


def rank(clusters: list[Cluster], text: str, title_end: int, lead_end: int) -> list[Cluster]:
    """Score clusters by salience and return them best first."""
    for cl in clusters:
        starts = [m.start for m in cl.mentions]
        count = len({s for s in starts})
        weight = max(m.weight for m in cl.mentions)
        score = min(count, 6) * weight
        if any(s < title_end for s in starts):
            score += 3.0
        if any(title_end <= s < lead_end for s in starts):
            score += 2.0
        if cl.function:
            score += roles.function_bonus(cl.function)
        if cl.role in roles.LEGAL_ROLES:
            score += 1.0
        first = min(starts)
        if len(text) > 0 and first > 0.75 * len(text) and count == 1:
            score -= 1.0
        if cl.kind == "groupe" and count < 2 and first >= lead_end:
            score -= 1.5
        if cl.kind == "personne" and count == 1 and not cl.function and first >= lead_end:
            score -= 1.5 if cl.role in roles.LEGAL_ROLES else 2.5
        cl.score = score
    return sorted(clusters, key=lambda c: (-c.score, min(m.start for m in c.mentions)))


def to_actor(cl: Cluster, folded_text: str, title_end: int) -> Actor:
    """Build the digest's Actor: name, kind, role, other spellings and one span."""
    name = display_name(cl, folded_text)
    aliases = tuple(sorted({m.surface for m in cl.mentions if m.surface != name}))
    first = min(cl.mentions, key=lambda m: m.start)
    body_start = title_end
    span = (first.start - body_start, first.end - body_start) if first.start >= body_start else (
        -1,
        -1,
    )
    return Actor(
        name=name,
        kind=cl.kind,
        role=cl.role or "autre",
        aliases=aliases,
        span=span,
        function=cl.function,
    )
