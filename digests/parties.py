"""Decide each actor's role: institutions by what they are, parties only by what a frame says.

A legal digest that calls a victim "mis en cause" harms real people, so the rules are
deliberately one-sided:

- a court, a prosecutor, a police body or a regulator of the gazetteer keeps its role;
- a party role (mis en cause, victime, plaignant) comes only from a frame of
  `digests.frames` that attaches it to one of the actor's mentions, or from a noun that is the
  role itself ("les prévenus", "les plaignants"); when frames put one actor on both sides,
  the actor gets no party role at all;
- a person's stated function gives the institutional role it names (procureur, juge,
  policier); anything else, an office included, is shown without a role.

A role is never taken from a word that merely stands near a name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from digests import roles
from digests.actors import Cluster
from digests.frames import Attachment, party_nouns
from digests.gazetteer import BY_KEY
from digests.mentions import Mention
from digests.textutil import fold, overlaps
from digests.unnamed import group_head

PARTY_ROLES = frozenset({roles.SUSPECT, roles.VICTIM, roles.PLAINTIFF})
# What the gazetteer says of these bodies holds whatever a sentence seems to say of them.
_INSTITUTIONAL = frozenset({roles.PARQUET, roles.COURT, roles.POLICE, roles.REGULATOR})
# An unnamed party noun that only repeats a role ("la victime") stands for the named party
# that holds that role, when there is one.
_ROLE_NOUNS = frozenset(
    "victime suspect suspecte prevenu prevenue accuse accusee plaignant plaignante".split()
)


def with_unnamed_parties(attachments: Sequence[Attachment], mentions: Sequence[Mention]) -> list[Mention]:
    """Add actors for common nouns a frame puts on a side ("deux frères", "la mère").

    The new mention takes the place of a shorter unnamed group inside it ("Trois jeunes" in
    "Trois jeunes femmes"); plural nouns share the keys of `digests.unnamed` groups, so "deux
    hommes" found by a frame and by a pattern are one actor.
    """
    nouns = party_nouns()
    kept = list(mentions)
    for att in attachments:
        if att.role not in PARTY_ROLES or att.head not in nouns:
            continue
        if any(overlaps(m.start, m.end, att.start, att.end) for m in kept):
            continue  # a named actor or a known group already covers this word
        end = att.phrase_start + len(att.phrase)
        kept = [m for m in kept if not (m.key.startswith("grp:") and att.phrase_start <= m.start and m.end <= end)]
        if att.plural:
            key, kind = "grp:" + group_head(att.phrase), "groupe"
        else:
            key, kind = "gen:" + att.head, "personne"
        kept.append(Mention(att.phrase, kind, att.phrase_start, end, key, "", 1.2))
    return kept


def party_votes(cl: Cluster, attachments: Sequence[Attachment]) -> Counter[str]:
    """Count the roles frames attach to any of the cluster's mentions."""
    votes: Counter[str] = Counter()
    for att in attachments:
        if att.kinds and cl.kind not in att.kinds:
            continue
        if any(att.covers(m.start, m.end) for m in cl.mentions):
            votes[att.role] += 1
    return votes


def party_role(votes: Counter[str]) -> str:
    """Return the one side the frames agree on, or "" when they disagree or say nothing."""
    sides = {r for r in votes if r in PARTY_ROLES}
    if roles.SUSPECT in sides and sides & {roles.VICTIM, roles.PLAINTIFF}:
        return ""  # on both sides of the case: say nothing rather than guess
    if roles.SUSPECT in sides:
        return roles.SUSPECT
    if sides:
        return max(sorted(sides), key=lambda r: (votes[r], r == roles.VICTIM))
    return ""


def assign_role(cl: Cluster, text: str, attachments: Sequence[Attachment]) -> None:
    """Set `cl.role` (and `cl.function` for people) by the rules of this module."""
    votes = party_votes(cl, attachments)
    side = party_role(votes)
    preset = next((m.role for m in cl.mentions if m.role), "")
    if cl.key.startswith("gaz:"):
        body_role = BY_KEY[cl.key[4:]].role
        cl.role = body_role if body_role in _INSTITUTIONAL or not side else side
        return
    if cl.kind == "personne" and cl.key.startswith(("per:", "alias:")):
        for m in sorted(cl.mentions, key=lambda m: m.start):
            cl.function = roles.person_function(text, m.start, m.end)
            if cl.function:
                break
        function_role = roles.function_role(cl.function) if cl.function else ""
        if function_role == roles.GOV:
            # "député", "ancien ministre": an office says nothing of the person's side in the
            # case (a minister may be the accused); the function is shown, the role is not.
            function_role = ""
        if function_role in _INSTITUTIONAL and not side:
            cl.role = function_role
        else:
            cl.role = side or function_role or roles.OTHER
        return
    if preset in _INSTITUTIONAL:
        cl.role = preset  # "parquet de Lyon", "tribunal de Nanterre": the name says it
        return
    if side:
        cl.role = side
    elif preset:
        cl.role = preset
    elif votes[roles.POLICE]:
        cl.role = roles.POLICE  # "les gendarmes ont interpellé …"
    else:
        cl.role = roles.OTHER
    if cl.role == roles.COMPANY and any(roles.is_public_body(m.surface) for m in cl.mentions):
        cl.role = roles.GOV  # "Union européenne", "Commission": never a company


def drop_echoes(clusters: list[Cluster]) -> list[Cluster]:
    """Drop "la victime" / "le suspect" when a named actor holds that very role."""
    named_roles = {c.role for c in clusters if not c.key.startswith(("gen:", "grp:", "one:"))}
    return [
        c
        for c in clusters
        if not (c.key.startswith(("gen:", "grp:")) and fold(c.key[4:]) in _ROLE_NOUNS and c.role in named_roles)
    ]
