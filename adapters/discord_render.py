"""Render digests and replies as Discord messages: embeds, plain content and button rows.

Pure functions of the core's `Digest` and `Reply`, no network: the adapter sends what they
build. Everything from a feed is escaped (markdown and mentions) and cut to Discord's limits
(title 256, description 4,096, field 1,024, footer 2,048, embed total 6,000, content 2,000), so
a feed can neither break the layout nor get a message refused.

Links are where a feed could lie: a title such as `Fuite](https://evil.example) [lire` put
inside Veille's own `[title](<url>)` would show "Fuite" linking to evil.example. Discord's link
rule reads the raw text, backslashes ignored (and shown, inside link text), so no escape can
protect a bracket: a `]` anywhere after our `[`, even escaped and lines below, can close our
link onto the feed's target. Feed and user text therefore never carries a bracket:

    clean(text)      brackets become parentheses, other markdown is escaped with backslashes,
                     mentions are broken
    link_text(text)  the same inside our link's brackets, where escapes would show: brackets
                     become parentheses, the text one line, mentions broken
    masked_link(text, url)  "[link_text](<url>)", or clean(text) alone when `link_target`
                     refuses the URL (the title is then shown unlinked)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import discord

from bot.feeds.urls import link_target
from bot.models import Button, Reply
from digests.model import Digest
from digests.render import actor_label, french_date

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
MAX_BUTTONS = 25  # five rows of five

# Buttons carry their command line in the custom id: "veille:desabonner 3".
BUTTON_PREFIX = "veille:"


# One colour per broad topic, so a busy channel can be scanned at a glance.
TOPIC_COLOURS = {
    "cyber": 0x7B2CBF,  # attacks, ransomware, intrusions
    "données": 0x1D4ED8,  # personal data, CNIL, GDPR
    "pénal": 0xB91C1C,  # offences, prosecutions, trials
    "régulation": 0x15803D,  # laws, regulators, sanctions of companies
}
DEFAULT_COLOUR = 0x475569
TOPIC_WORDS = {
    "cyber": ("cyber", "rançongiciel", "ransomware", "piratage", "pirate", "intrusion", "hameçonnage",
              "phishing", "ddos", "logiciel malveillant", "fuite de données"),
    "données": ("cnil", "rgpd", "données personnelles", "vie privée", "traitement de données"),
    "pénal": ("parquet", "procureur", "garde à vue", "mis en examen", "tribunal correctionnel",
              "cour d'assises", "condamné", "prison", "plainte", "enquête"),
    "régulation": ("loi", "décret", "règlement", "directive", "arcom", "autorité de la concurrence",
                   "amende", "sanction"),
}  # fmt: skip
LEGAL_LABELS = {"infraction": "Infraction", "procédure": "Procédure", "peine": "Peine", "loi": "Texte"}


@dataclass(frozen=True, slots=True)
class Rendered:
    """One Discord message: content, at most one embed, and the command buttons under it."""

    content: str = ""
    embed: discord.Embed | None = None
    buttons: tuple[Button, ...] = ()


# What Discord reads as markdown, once brackets are gone. A URL (discord.py's own pattern) is
# kept whole so it stays a working autolink; every other markdown character is escaped, and
# block syntax (quote, heading, list) where it starts a line.
_MARKDOWN = re.compile(
    r"(?P<url><[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s])"
    r"|(?P<char>[\\*_~|`])"
    r"|^(?P<lead>[ \t]*)(?P<block>>|#|-|[0-9]+\.)(?=[ \t#])",
    re.MULTILINE,
)
_NO_BRACKETS = str.maketrans({"[": "(", "]": ")"})
_ONE_LINE = str.maketrans({"[": "(", "]": ")", "\n": " ", "\r": " "})


def _escape(match: re.Match[str]) -> str:
    if match["url"]:
        return match["url"]
    if match["char"]:
        return "\\" + match["char"]
    return f"{match['lead']}\\{match['block']}"


def clean(text: str) -> str:
    """Make text from a feed or a user inert: brackets as parentheses, markdown escaped, no mention."""
    return discord.utils.escape_mentions(_MARKDOWN.sub(_escape, text.translate(_NO_BRACKETS)))


def link_text(text: str) -> str:
    """Make feed text safe inside a masked link's brackets, where Discord honours no escape.

    A bracket would end our link text early (and open the feed's own link), so brackets
    become parentheses; the text is put on one line and its mentions are broken.
    """
    return discord.utils.escape_mentions(text.translate(_ONE_LINE))


def masked_link(text: str, url: str) -> str:
    """Return `[text](<url>)` with the text made safe, or the cleaned text when the URL is refused.

    Parentheses in the URL are percent-encoded: an unbalanced or nested one would end
    Discord's link target early.
    """
    target = link_target(url)
    if target is None:
        return clean(text)
    target = target.replace("(", "%28").replace(")", "%29")
    return f"[{link_text(text)}](<{target}>)"


def cut(text: str, limit: int) -> str:
    """Shorten `text` to `limit` characters with an ellipsis, never leaving a dangling escape."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1].rstrip()
    if (len(head) - len(head.rstrip("\\"))) % 2:  # an odd run of backslashes would escape "…"
        head = head[:-1]
    return head + "…"


def cut_lines(lines: Iterable[str], limit: int) -> str:
    """Join whole lines up to `limit` characters; say how many were left out."""
    kept: list[str] = []
    all_lines = list(lines)
    for index, line in enumerate(all_lines):
        rest = len(all_lines) - index
        tail = f"\n… et {rest} autre(s)" if rest > 1 else ""
        candidate = "\n".join([*kept, line])
        if len(candidate) + len(tail) > limit:
            more = f"… et {rest} autre(s)"
            return cut("\n".join([*kept, more]) if kept else line, limit)
        kept.append(line)
    return "\n".join(kept)


def topic_of(digest: Digest) -> str | None:
    """Guess the digest's broad topic (the engine's own when it gives one) for the embed colour."""
    given = digest.extra.get("topic") if isinstance(digest.extra, dict) else None
    if isinstance(given, str) and given in TOPIC_COLOURS:
        return given
    haystack = " ".join([digest.title, digest.summary, *(item.text for item in digest.legal)]).lower()
    for topic, words in TOPIC_WORDS.items():
        if any(word in haystack for word in words):
            return topic
    if any(item.kind in ("infraction", "peine") for item in digest.legal):
        return "pénal"
    return None


def digest_message(digest: Digest, *, note: str | None = None) -> Rendered:
    """Render a digest as an embed; `note` (a French line such as a follow alert) goes above it."""
    title = cut(clean(digest.title) or "Article sans titre", TITLE_LIMIT)
    embed = discord.Embed(
        title=title,
        url=link_target(digest.url),
        colour=TOPIC_COLOURS.get(topic_of(digest) or "", DEFAULT_COLOUR),
    )
    actors = [clean(actor_label(a)) for a in digest.actors]
    legal = []
    for item in digest.legal:
        line = f"{LEGAL_LABELS.get(item.kind, item.kind.capitalize())} : {clean(item.text)}"
        if line not in legal:
            legal.append(line)
    if actors:
        embed.add_field(name="Acteurs", value=cut_lines(actors, FIELD_LIMIT), inline=False)
    if legal:
        embed.add_field(name="Enjeux juridiques", value=cut_lines(legal, FIELD_LIMIT), inline=False)
    footer = " · ".join(
        part
        for part in (clean(digest.source), french_date(digest.published) if digest.published else "")
        if part
    )
    if footer:
        embed.set_footer(text=cut(footer, FOOTER_LIMIT))
    if digest.published:
        embed.timestamp = digest.published
    # The description takes what the other parts leave of the 6,000-character budget.
    budget = EMBED_TOTAL_LIMIT - len(embed)
    summary = clean(digest.summary or digest.text)
    embed.description = cut(summary, max(0, min(DESCRIPTION_LIMIT, budget))) or None
    return Rendered(content=cut(clean(note), CONTENT_LIMIT) if note else "", embed=embed)


def reply_message(reply: Reply) -> Rendered:
    """Render a core reply: its text as content, its items as an embed of links, its buttons."""
    text = clean(reply.text)
    embed = None
    if reply.items:
        lines = []
        for item in reply.items:
            line = masked_link(item.title, item.url)
            if item.detail:
                line += f" — {clean(item.detail)}"
            lines.append(line)
        embed = discord.Embed(description=cut_lines(lines, DESCRIPTION_LIMIT), colour=DEFAULT_COLOUR)
    if len(text) > CONTENT_LIMIT and embed is None:
        # Long help texts fit an embed's description better than a cut message.
        embed = discord.Embed(description=cut(text, DESCRIPTION_LIMIT), colour=DEFAULT_COLOUR)
        text = cut(text.split("\n", 1)[0], CONTENT_LIMIT)
    buttons = tuple(b for b in reply.buttons if len(BUTTON_PREFIX + b.data) <= CUSTOM_ID_LIMIT)[:MAX_BUTTONS]
    return Rendered(content=cut(text, CONTENT_LIMIT), embed=embed, buttons=buttons)


def plain_digest(digest: Digest, *, note: str | None = None) -> Rendered:
    """Render a digest as plain content, no embed: the degraded form of a refused embed.

    Title, link and summary only, within the 2,000-character content limit, escaped like
    the embed; Discord shows its own preview of the link.
    """
    url = link_target(digest.url)
    title = cut(clean(digest.title), TITLE_LIMIT)
    lines = [cut(clean(note), CONTENT_LIMIT // 4)] if note else []
    if title:
        lines.append(f"**{title}**")
    if url:
        lines.append(url)
    summary = clean(digest.summary or digest.text)
    used = len("\n".join(lines)) + 2
    if summary and used < CONTENT_LIMIT:
        lines.append("\n" + cut(summary, CONTENT_LIMIT - used))
    return Rendered(content=cut("\n".join(lines), CONTENT_LIMIT) or "…")


def plain_reply(reply: Reply) -> Rendered:
    """Render a reply as plain content, no embed and no buttons: the degraded form of a refusal."""
    lines = [clean(reply.text)] if reply.text else []
    for item in reply.items:
        url = link_target(item.url)
        lines.append(f"{clean(item.title)} — <{url}>" if url else clean(item.title))
    return Rendered(content=cut_lines(lines, CONTENT_LIMIT) or "…")


def button_label(button: Button) -> str:
    """Return a button's label within Discord's 80 characters."""
    return cut(button.label, BUTTON_LABEL_LIMIT) or "…"
