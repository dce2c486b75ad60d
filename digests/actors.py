"""Merge mentions into one actor per real-world party, name, role and rank them.

Mentions come from `digests.mentions`. Variants of one party are merged (acronym and full
name, "la procureure Anne Roussel" and "Roussel", gazetteer aliases); each actor gets a role
from the gazetteer or from the words around it and is ranked by salience: title, lead,
frequency, function and role.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from digests import roles
from digests.gazetteer import BY_KEY
from digests.mentions import STOP_END, Mention
from digests.model import Actor
from digests.nlp import ALIAS_INDEX
from digests.textutil import fold


@dataclass(slots=True)
class Cluster:
    """All mentions of one party, with what is needed to name, role and rank it."""

    key: str
    kind: str
    mentions: list[Mention] = field(default_factory=list)
    role: str = ""
    function: str = ""
    score: float = 0.0
    # Set when a short name in parentheses joined this body: the body's own name stays on show
    # ("parquet de Paris (J3)" is shown as "parquet de Paris", not as "J3").
    preferred: str = ""


def _other_person(existing: Cluster | None, surface: str) -> bool:
    """Tell two full names sharing a last word apart ("Kim Min Jun", "Lee Seo Jun")."""
    words = fold(surface).split()
    if existing is None or len(words) < 2:
        return False
    full = [fold(m.surface).split() for m in existing.mentions if " " in m.surface.strip()]
    return bool(full) and all(f[0] != words[0] for f in full)


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
                if _other_person(clusters.get(key), mention.surface):
                    key = "per:" + fold(mention.surface)  # "Kim Min Jun" ≠ "Lee Seo Jun"
            else:
                folded = fold(mention.surface)
                key = "org:" + aliases.get(folded, folded)
        mention.key = key
        clusters.setdefault(key, Cluster(key, mention.kind)).mentions.append(mention)
    _merge_same_names(clusters, aliases)
    # "Lirenet" and "Lirenet.fr", "Vigie" and "Vigie du Net", "Dark Crew" and "Dark".
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
    # "Zinedine" and "Zinedine Moreau-Lefort": a lone first name joins the full name.
    for key in [k for k in clusters if k.startswith("per:")]:
        surfaces = {fold(m.surface) for m in clusters[key].mentions}
        if any(" " in s for s in surfaces):
            continue
        for other_key, other in clusters.items():
            if other_key == key or not other_key.startswith("per:"):
                continue
            if any(fold(m.surface).startswith(tuple(f"{s} " for s in surfaces)) for m in other.mentions):
                other.mentions.extend(clusters.pop(key).mentions)
                break
    # "un Allemand de 34 ans" and a bare "Allemand" elsewhere: one described person.
    for key in [k for k in clusters if k.startswith("age:")]:
        for bare in [k for k in clusters if k[:4] in ("per:", "org:") and k[4:] == key[4:]]:
            clusters[key].mentions.extend(clusters.pop(bare).mentions)
    # "l'administrateur présumé", "le prévenu": the one unnamed person the story describes.
    described = [k for k in clusters if k.startswith("age:")]
    if len(described) == 1:
        for key in [k for k in clusters if k.startswith("one:")]:
            clusters[described[0]].mentions.extend(clusters.pop(key).mentions)
        # "Le hacker a reconnu les faits": a singular noun for the same person, no group.
        for key in [k for k in clusters if k.startswith("grp:")]:
            singular = [m for m in clusters[key].mentions if m.role == roles.SUSPECT and not m.surface.endswith("s")]
            if singular and len(singular) == len(clusters[key].mentions):
                clusters[described[0]].mentions.extend(clusters.pop(key).mentions)
    _merge_parenthesised(clusters, text)
    # A bare "le parquet", "le tribunal" is the one already named, when there is one.
    for bare, role in (("grp:parquet", roles.PARQUET), ("grp:tribunal", roles.COURT)):
        if bare not in clusters:
            continue
        named = next(
            (
                c
                for k, c in clusters.items()
                if k != bare and k.startswith(("org:", "gaz:")) and any(m.role == role for m in c.mentions)
            ),
            None,
        )
        if named is not None:
            named.mentions.extend(clusters.pop(bare).mentions)
    return list(clusters.values())


_PAREN = re.compile(r"\s*\(\s*$")


def _merge_parenthesised(clusters: dict[str, Cluster], text: str) -> None:
    """"le parquet de Paris (J3)": a body's short name in parentheses right after it is the body."""
    owner = {(m.start, m.end): key for key, cl in clusters.items() for m in cl.mentions}
    for key in list(clusters):
        cl = clusters.get(key)
        if cl is None or cl.kind == "personne" or key.startswith(("grp:", "one:", "age:")):
            continue
        for m in list(cl.mentions):
            if m.start < 2 or not _PAREN.search(text[max(0, m.start - 3) : m.start]):
                continue
            prev = next(
                (k for (s, e), k in owner.items() if e <= m.start and _PAREN.fullmatch(text[e : m.start])), ""
            )
            if prev and prev != key and prev in clusters and not prev.startswith(("per:", "grp:", "age:")):
                owner_cluster = clusters[prev]
                owner_cluster.preferred = owner_cluster.preferred or owner_cluster.mentions[0].surface
                owner_cluster.mentions.extend(clusters.pop(key).mentions)
                owner = {(x.start, x.end): prev if k == key else k for (x, k) in _owners(clusters)}
                break


def _owners(clusters: dict[str, Cluster]) -> list[tuple[Mention, str]]:
    return [(m, key) for key, cl in clusters.items() for m in cl.mentions]


def _merge_same_names(clusters: dict[str, Cluster], aliases: dict[str, str]) -> None:
    """Merge clusters that name one party under different keys.

    spaCy may tag "Lirenet" as a person once and an organisation once; "Fédération" alone is
    the "Fédération des éditeurs indépendants" named in full elsewhere; "Office central de lutte contre
    la criminalité" is the truncated long name of an acronym given in parentheses.
    """
    by_surface: dict[str, str] = {}
    for key, cl in clusters.items():
        if key.startswith(("org:", "gaz:")):
            for m in cl.mentions:
                by_surface.setdefault(fold(m.surface), key)
    long_names = sorted(aliases, key=len, reverse=True)
    for key in list(clusters):
        cl = clusters[key]
        surfaces = {fold(m.surface) for m in cl.mentions}
        target = ""
        if key.startswith(("per:", "alias:")):
            target = next((by_surface[s] for s in surfaces if s in by_surface), "")
            if not target and all(" " not in s for s in surfaces):
                target = next(
                    (
                        k
                        for s in surfaces
                        for f, k in by_surface.items()
                        if f.startswith(s + " ") and not k.startswith("per:")
                    ),
                    "",
                )
        elif key.startswith("org:") and key[4:] not in aliases.values():
            prefix = next(
                (n for n in long_names for s in surfaces if len(s.split()) >= 3 and n.startswith(s) and n != s), ""
            )
            if prefix and "org:" + aliases[prefix] in clusters:
                target = "org:" + aliases[prefix]
            elif prefix and aliases[prefix] in ALIAS_INDEX:
                target = "gaz:" + ALIAS_INDEX[aliases[prefix]]
        if target and target != key and target in clusters:
            clusters[target].mentions.extend(clusters.pop(key).mentions)


_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9]{1,9})\)")
_ELIDED = re.compile(r"^[LlDd]['’]")


def acronym_aliases(text: str) -> dict[str, str]:
    """Map each "Long Name (ACR)" of the text both ways onto one folded key.

    "Collectif féministe contre le viol (CFCV)" makes "cfcv" and the long name one actor.
    """
    aliases: dict[str, str] = {}
    for match in _ACRONYM.finditer(text):
        acronym = match.group(1)
        words = re.findall(r"[\wÀ-ÿ'’-]+", text[max(0, match.start() - 160) : match.start()])
        # "L'Association nationale des supporters (ANS)": the elided article is no initial.
        words = [_ELIDED.sub("", w) for w in words]
        initials = acronym.lower()
        for size in range(len(initials), min(len(words), 14) + 1):
            window = words[-size:]
            if not window[0].lower().startswith(initials[0]):
                continue
            content = [w[0].lower() for w in window if w.lower() not in STOP_END]
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
    if cl.preferred:
        return cl.preferred
    if cl.key.startswith("gaz:"):
        body = BY_KEY[cl.key[4:]]
        if fold(body.name) in folded_text:
            matching = [m.surface for m in cl.mentions if fold(m.surface) == fold(body.name)]
            return matching[0] if matching else body.name
    named = [m for m in cl.mentions if not m.key.startswith(("grp:", "one:"))] or cl.mentions
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
        if cl.key.startswith("gaz:") and cl.role == roles.COMPANY and count == 1 and first >= lead_end:
            score -= 1.0  # a company cited once in passing ("Lirenet n'a pas souhaité commenter")
        if cl.kind == "groupe" and count < 2 and first >= lead_end:
            score -= 1.5
        if cl.kind == "personne" and count == 1 and not cl.function and first >= lead_end:
            if cl.key.startswith("age:"):
                score -= 0.5  # "un Canadien de 37 ans" is described, not dropped in passing
            else:
                score -= 1.5 if cl.role in roles.LEGAL_ROLES else 2.5
        cl.score = score
    return sorted(clusters, key=lambda c: (-c.score, min(m.start for m in c.mentions)))


def to_actor(cl: Cluster, folded_text: str, title_end: int) -> Actor:
    """Build the digest's Actor: name, kind, role, other spellings and one span."""
    name = display_name(cl, folded_text)
    aliases = tuple(sorted({m.surface for m in cl.mentions if m.surface != name}))
    first = min(cl.mentions, key=lambda m: m.start)
    body_start = title_end
    span = (
        (first.start - body_start, first.end - body_start)
        if first.start >= body_start
        else (
            -1,
            -1,
        )
    )
    return Actor(
        name=name,
        kind=cl.kind,
        role=cl.role or "autre",
        aliases=aliases,
        span=span,
        function=cl.function,
    )
