"""OPML subscription lists: read any dialect feed readers export, write OPML 2.0.

Reading checks the bytes first with defusedxml (well-formed XML, no entity declarations, an
`<opml>` root) and hands listparser, which knows the dialects (nested folders, `xmlUrl`
spelled in any case, OPML 1.0 and 2.0), the document re-encoded in UTF-8: listparser's lxml
path would read a Latin-1 file as mojibake. Writing uses the standard library only; every
title and URL goes through ElementTree's attribute escaping.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree.ElementTree import ParseError

import listparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.errors import InputError

MAX_OPML_BYTES = 512 * 1024  # a 200-feed export is ~40 KB; anything far bigger is not a feed list
MAX_OPML_FEEDS = 200  # as many as a chat may subscribe to
MAX_TITLE = 300
# Characters XML 1.0 cannot carry at all, escaped or not (C0 controls but tab and newlines).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class OpmlError(InputError):
    """A file is not a usable OPML subscription list; `french` says why."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One outline with a feed address: its URL as written and its title (may be empty)."""

    url: str
    title: str = ""


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Return the feeds an OPML file lists, in document order, each URL once.

    Raise `OpmlError` with a French message for a file too large, not XML, not OPML, or
    without any feed outline; nothing is read from the network.
    """
    if len(data) > MAX_OPML_BYTES:
        raise too_large(len(data))
    if not data.strip():
        raise OpmlError("empty OPML file", french="Le fichier est vide : envoyez un export OPML de vos abonnements.")
    try:
        root = fromstring(data)
    except DefusedXmlException:
        raise OpmlError(
            "OPML file declares entities",
            french="Fichier refusé : il déclare des entités XML (DTD), ce qu'un export OPML ne fait jamais.",
        ) from None
    except (ParseError, ValueError) as exc:
        where = getattr(exc, "position", None)
        line = f" (ligne {where[0]})" if where else ""
        raise OpmlError(
            f"not XML: {exc}",
            french=f"Ce fichier n'est pas un document XML lisible{line} : envoyez un fichier OPML (.opml).",
        ) from None
    name = root.tag.rsplit("}", 1)[-1] if isinstance(root.tag, str) else ""
    if name.lower() != "opml":
        raise OpmlError(
            f"root element is <{name[:40]}>, not <opml>",
            french=f"Ce fichier XML n'est pas un OPML (son élément racine est <{name[:40]}>, pas <opml>).",
        )
    parsed = listparser.parse(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for found in parsed.feeds:
        url = str(found.get("url") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        feeds.append(OpmlFeed(url=url, title=" ".join(str(found.get("title") or "").split())[:MAX_TITLE]))
    if not feeds:
        raise OpmlError(
            "OPML without feed outlines",
            french="Aucun flux dans ce fichier OPML (aucun élément <outline> avec un attribut xmlUrl).",
        )
    if len(feeds) > MAX_OPML_FEEDS:
        raise OpmlError(
            f"{len(feeds)} feeds in one OPML file",
            french=f"Trop de flux dans ce fichier ({len(feeds)}) : {MAX_OPML_FEEDS} au plus par discussion.",
        )
    return feeds


def too_large(size: int) -> OpmlError:
    """Return the error for a file over `MAX_OPML_BYTES` (also raised before a download)."""
    return OpmlError(
        f"OPML file of {size} bytes",
        french=f"Fichier trop volumineux ({size // 1024} Ko) : {MAX_OPML_BYTES // 1024} Ko au plus pour un OPML.",
    )


def write_opml(feeds: Iterable[OpmlFeed], *, title: str, created: datetime) -> bytes:
    """Return an OPML 2.0 document listing `feeds` as RSS outlines, UTF-8 encoded."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = NOT_XML.sub("", title)
    ET.SubElement(head, "dateCreated").text = format_datetime(created)
    ET.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        url = NOT_XML.sub("", feed.url)
        label = NOT_XML.sub("", feed.title) or url
        ET.SubElement(body, "outline", type="rss", text=label, title=label, xmlUrl=url)
    ET.indent(opml)
    return ET.tostring(opml, encoding="utf-8", xml_declaration=True) + b"\n"
