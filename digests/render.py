"""Render a Digest as plain French text of at most 700 characters (the link is sent apart).

Within that budget the summary yields first: the actors and legal stakes are the part of the
digest a reader cannot get from the headline, so the summary is shortened until they fit --
by whole sentences and clean compression only. Nothing is ever cut with "…": an actor or a
legal item that does not fit is left out, a too long title loses its trailing clause.
"""

from __future__ import annotations

import re
from datetime import datetime

from digests.model import Actor, Digest, LegalItem
from digests.summary import summary_forms
from digests.textutil import contains_word, fold, trim_words

MAX_CHARS = 700
_TITLE_MAX = 150
_ITEM_MAX = 110
_WANTED_ACTORS = 9
_WANTED_LEGAL = 7
_MAX_LEGAL_SHOWN = 10
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip
_SHORT_ROLE = {
    "parquet/accusation": "parquet",
    "entreprise/plateforme": "entreprise",
    "législateur/gouvernement": "gouvernement",
    "autre": "",
}
NO_LEGAL = "Enjeux juridiques : aucun angle juridique relevé dans l'article."


# Names that already say the role ("parquet de Paris", "tribunal de Lyon", "les prévenus"): the
# label would only repeat it, and every character counts within the budget.
_OBVIOUS = {
    "parquet/accusation": re.compile(r"^(?:parquets?|procureure?s?)\b", re.I),
    "juridiction": re.compile(
        r"^(?:tribunal|tribunaux|cour|conseil d'[ée]tat|conseil constitutionnel|conseil de "
        r"prud|juges?)\b", re.I),
    "enquêteur": re.compile(
        r"^(?:police|gendarmerie|gendarmes|policiers|brigade|sûreté|section de recherches|"
        r"enquêteurs)\b", re.I),
    "législateur/gouvernement": re.compile(
        r"^(?:gouvernement|ministère|ministre|Sénat|Assemblée|Parlement|Congrès)\b", re.I),
    "mis en cause": re.compile(
        r"\b(?:prévenus|suspects|accusés|pirates|hackers|cybercriminels|escrocs|fraudeurs|"
        r"trafiquants)$", re.I),
    "victime": re.compile(r"\bvictimes$", re.I),
    "plaignant": re.compile(r"\b(?:plaignants|parties civiles)$", re.I),
}
# Parties several people share: they are listed together under one label.
_GROUPED_ROLES = frozenset({"mis en cause", "victime", "plaignant"})
# Companies cited together ("Orange, SFR et Free") share one slot and one label too.
_COMPANY = "entreprise/plateforme"
_MAX_GROUPED = 4


def actor_label(actor: Actor) -> str:
    """Return "Name (role)", the function standing in for the role when the article gives one."""
    detail = getattr(actor, "function", "") or _SHORT_ROLE.get(actor.role, actor.role)
    obvious = _OBVIOUS.get(actor.role)
    if not actor.function and obvious is not None and obvious.search(actor.name):
        detail = ""
    return f"{actor.name} ({detail})" if detail else actor.name


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def _group_label(names: list[str], role: str) -> str:
    obvious = _OBVIOUS.get(role)
    if obvious is not None and obvious.search(names[-1]):
        return _joined(names)  # "escrocs et 250 acheteurs présumés" ends on a role word
    if role == _COMPANY:
        return f"{_joined(names)} (entreprises)" if len(names) > 1 else f"{names[0]} (entreprise)"
    return f"{_joined(names)} ({role})"


def actor_entries(actors: tuple[Actor, ...]) -> list[list[str]]:
    """Return one entry per slot, each a list of labels from fullest to shortest.

    People who share a role and have no stated function ("X, Y et Z (mis en cause)") fill
    one slot at the rank of the first of them; the shorter variants drop the last names
    when the whole group does not fit.
    """
    groups: dict[tuple[str, str], list[Actor]] = {}
    for actor in actors:
        if not actor.function and (
            (actor.kind in ("personne", "groupe") and actor.role in _GROUPED_ROLES)
            or (actor.kind == "organisation" and actor.role == _COMPANY)
        ):
            groups.setdefault((actor.kind, actor.role), []).append(actor)
    entries: list[list[str]] = []
    for actor in actors:
        group = groups.get((actor.kind, actor.role), [])
        if actor in group and len(group) > 1:
            if actor is not group[0]:
                continue
            names = [a.name for a in group[:_MAX_GROUPED]]
            entries.append([_group_label(names[:n], actor.role) for n in range(len(names), 0, -1)])
        else:
            entries.append(_single_variants(actor))
    return entries


def _single_variants(actor: Actor) -> list[str]:
    """One actor's labels, fullest first: its function, then its short role, then its name.

    A long function ("procureur de la République de Paris") is the first thing to give up
    when the budget is tight; a party's side never is ("X (mis en cause)" stays whole).
    """
    variants = [actor_label(actor)]
    role = _SHORT_ROLE.get(actor.role, actor.role)
    if actor.function and role:
        variants.append(f"{actor.name} ({role})")
    if actor.role not in _GROUPED_ROLES:
        variants.append(actor.name)
    return list(dict.fromkeys(variants))


def french_date(moment: datetime) -> str:
    """Format a date the French way: "7 mars 2026", and "1er décembre 2026" (ordinal first day)."""
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {_MONTHS[moment.month - 1]} {moment.year}"


def _footer(digest: Digest) -> str:
    parts = []
    source = digest.source.strip()
    if source and ("/" not in source or " " in source):  # a URL or a path names no source
        parts.append(source)
    if digest.published:
        d = digest.published
        parts.append(french_date(d))
    return ("Source : " + ", ".join(parts)) if parts else ""


def _legal_labels(legal: tuple[LegalItem, ...], seen_text: str) -> list[str]:
    labels: list[str] = []
    seen = fold(seen_text)
    for item in legal:
        label = " ".join(item.text.split())
        if len(label) > _ITEM_MAX:  # "(ITT)" is the first thing a long item can do without
            label = " ".join(re.sub(r"\s*\([^()]*\)", "", label).split())
        if len(label) > _ITEM_MAX or not label or "…" in label:
            continue  # an item is shown whole or not at all
        if label.isupper() and len(label.split()) > 1:
            label = label.lower()  # "ONT ÉTÉ RELAXÉS" came from a sub-heading in capitals
        if item.kind == "procédure" and re.match(r"[A-ZÉÈ][a-zéèêàçôûî]+(?:\s|$)", label):
            label = label[0].lower() + label[1:]  # "Interpellé mardi, …" opened a sentence
        folded = fold(item.text)
        if folded in seen or any(folded in fold(other) for other in labels):
            continue  # already visible in the title, the summary or a longer item
        labels.append(label)
    return labels


def _assemble(
    title: str, summary: str, actors: list[str], legal: list[str], footer: str, has_legal: bool
) -> str:
    lines = [title, summary]
    if actors:
        lines.append("Acteurs : " + " · ".join(actors))
    if legal:
        lines.append("Enjeux juridiques : " + " ; ".join(legal) + ".")
    elif not has_legal:
        lines.append(NO_LEGAL)
    if footer:
        lines.append(footer)
    return "\n".join(line for line in lines if line)


def _fill(
    title: str,
    summary: str,
    actors: list[list[str]],
    legal: list[str],
    footer: str,
    has_legal: bool,
) -> tuple[str, int, int]:
    """Add actors and legal items alternately, best first, while the text fits the budget."""
    shown_a: list[str] = []
    shown_l: list[str] = []
    queue: list[tuple[list[str], list[str]]] = []
    # Actors first at each rank: a weak legal keyword is worth less than a party.
    for i in range(max(len(actors), len(legal))):
        if i < len(actors):
            queue.append((shown_a, actors[i]))
        if i < len(legal) and i < _WANTED_LEGAL:
            queue.append((shown_l, [legal[i]]))
    queue.extend((shown_l, [item]) for item in legal[_WANTED_LEGAL:])
    closed: list[list[str]] = []
    for target, variants in queue:
        if any(target is c for c in closed):
            continue
        variants = [v for v in variants if "…" not in v]
        for item in variants:
            target.append(item)
            if len(_assemble(title, summary, shown_a, shown_l, footer, has_legal)) <= MAX_CHARS:
                break
            target.pop()
        else:
            # Rank order holds: a shorter, lesser item may not take the place of a better one
            # that did not fit (the caller shortens the summary to make room instead).
            closed.append(target)
    text = _assemble(title, summary, shown_a, shown_l, footer, has_legal)
    return text, len(shown_a), len(shown_l)


_TITLE_BREAKS = re.compile(r"\s+[:|–—-]\s+|\s*[:;]\s+")


def title_forms(title: str) -> list[str]:
    """Return the title, then its shorter forms made of whole leading clauses.

    "Affaire X : le parquet fait appel" can lose " : le parquet fait appel"; a title is never
    cut inside a clause, so a title with no break keeps only its whole form.
    """
    title = " ".join(title.split())
    forms = [title]
    for match in reversed(list(_TITLE_BREAKS.finditer(title))):
        head = title[: match.start()].rstrip(" ,")
        if len(head.split()) >= 2 and head not in forms:
            forms.append(head)
    return forms


def _title(digest: Digest) -> str:
    forms = title_forms(digest.title)
    return next((f for f in forms if len(f) <= _TITLE_MAX), forms[-1])


def render_text(digest: Digest) -> str:
    """Render the digest as the French text chats and the scorer read (≤ 700 characters)."""
    title = _title(digest)
    footer = _footer(digest)
    actors = actor_entries(digest.actors)
    has_legal = bool(digest.legal)
    want_a = min(len(actors), _WANTED_ACTORS)
    best = ""
    forms = summary_forms(digest.summary) or [""]
    for summary in forms:
        legal = _legal_labels(digest.legal, title + " " + summary)[:_MAX_LEGAL_SHOWN]
        text, shown_a, shown_l = _fill(title, summary, actors, legal, footer, has_legal)
        if shown_a < want_a:
            # Short of room: an actor the title or summary already names gives its slot to
            # one the reader would not see at all (it keeps its place if room remains).
            seen = fold(title + " " + summary)
            named: list[list[str]] = []
            unseen: list[list[str]] = []
            for entry in actors:
                (named if contains_word(seen, _name_of(entry[-1])) else unseen).append(entry)
            if named and unseen:
                text, shown_a, shown_l = _fill(title, summary, unseen + named, legal, footer, has_legal)
        best = text
        if shown_a >= want_a and shown_l >= min(len(legal), _WANTED_LEGAL):
            break
    if len(best) > MAX_CHARS:  # a very long title: drop the summary, then shorten the title
        best = _last_resort(digest, footer, has_legal)
    return best


def _name_of(label: str) -> str:
    """The name in "Name (role)"."""
    return label.split(" (", 1)[0]


def _last_resort(digest: Digest, footer: str, has_legal: bool) -> str:
    """Title and footer only; a title that still does not fit loses whole clauses, then words.

    Titles are capped well below the budget by the engine, so only a hand-made digest can
    reach the word-level step; it cuts without "…" like every other shortening here.
    """
    tail = "\n".join(line for line in ("" if has_legal else NO_LEGAL, footer) if line)
    room = MAX_CHARS - (len(tail) + 1 if tail else 0)
    forms = title_forms(digest.title)
    title = next((f for f in forms if len(f) <= room), "")
    if not title:
        title = trim_words(forms[-1], max(room, 0), ellipsis="")
    return "\n".join(line for line in (title, tail) if line)[:MAX_CHARS]
