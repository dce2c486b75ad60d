"""Domain objects of the digest engine: what goes in (an Article) and what comes out (a Digest).

Frozen dataclasses, free of spaCy, feedparser and chat-platform types, so that storage, the
dispatcher and every adapter can consume a digest without knowing how it was made.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

# Role labels shown to readers (French). The engine assigns exactly one per actor.
ROLES = (
    "enquêteur",
    "parquet/accusation",
    "juridiction",
    "régulateur",
    "mis en cause",
    "victime",
    "plaignant",
    "entreprise/plateforme",
    "législateur/gouvernement",
    "autre",
)

# Kinds of legal items. An "enjeu" is a right or legal question the story is about (vie
# privée, liberté d'expression, données personnelles) rather than a text or a procedure.
LEGAL_KINDS = ("infraction", "procédure", "peine", "loi", "enjeu")


@dataclass(frozen=True, slots=True)
class Article:
    """Clean article text ready for NLP, with the metadata a digest shows."""

    title: str
    text: str
    url: str = ""
    published: datetime | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Actor:
    """A person, organisation or unnamed party that matters to the story.

    `name` is the canonical display name and always occurs in the article (grounding);
    `aliases` are the other spellings found or known (CNIL / Commission nationale …), used by
    search and follows. `span` is (start, end) of one occurrence in `Article.text`, or of the
    title when the actor appears only there (then start is negative: -1 marks the title).
    """

    name: str
    kind: str  # "personne", "organisation", "groupe", "lieu"
    role: str  # one of ROLES
    aliases: tuple[str, ...] = ()
    span: tuple[int, int] | None = None
    function: str = ""  # as the article introduces a person ("procureure de la République")


@dataclass(frozen=True, slots=True)
class LegalItem:
    """One legal fact (offence, procedure, penalty, law) with the span it was read from."""

    kind: str  # one of LEGAL_KINDS
    text: str
    span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """A French digest of one article: the fields every renderer works from.

    `text` is the engine's own plain rendering (≤ 700 characters without the link), the one
    the console shows and the scorer reads; platform adapters render the fields their own way.
    """

    title: str
    url: str
    published: datetime | None
    source: str
    summary: str
    actors: tuple[Actor, ...] = ()
    legal: tuple[LegalItem, ...] = ()
    language: str = "fr"
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json_dict(self) -> dict[str, Any]:
        """Return the `veille digest --json` contract (title, url, …, actors, legal, text)."""
        return {
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "source": self.source,
            "summary": self.summary,
            "language": self.language,
            "actors": [
                {"name": a.name, "kind": a.kind, "role": a.role, "aliases": list(a.aliases)}
                for a in self.actors
            ],
            "legal": [{"kind": item.kind, "text": item.text} for item in self.legal],
            "text": self.text,
        }

    def to_json(self) -> str:
        """Serialise for storage; `from_json` reads it back."""
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Digest:
        """Rebuild a digest stored by `to_json`."""
        data = json.loads(raw)
        published = datetime.fromisoformat(data["published"]) if data.get("published") else None
        return cls(
            title=data["title"],
            url=data["url"],
            published=published,
            source=data["source"],
            summary=data["summary"],
            actors=tuple(
                Actor(
                    name=a["name"],
                    kind=a["kind"],
                    role=a["role"],
                    aliases=tuple(a.get("aliases", ())),
                    span=tuple(a["span"]) if a.get("span") else None,  # type: ignore[arg-type]  # JSON lists back to pairs
                    function=a.get("function", ""),
                )
                for a in data.get("actors", ())
            ),
            legal=tuple(
                LegalItem(
                    kind=item["kind"],
                    text=item["text"],
                    span=tuple(item["span"]) if item.get("span") else None,  # type: ignore[arg-type]  # JSON lists back to pairs
                )
                for item in data.get("legal", ())
            ),
            language=data.get("language", "fr"),
            text=data.get("text", ""),
            extra=data.get("extra", {}),
        )
