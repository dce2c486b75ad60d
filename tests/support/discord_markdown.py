"""Read Discord markdown the way Discord does, to find every masked link a message shows.

Discord's link rule (simple-markdown's) is a regular expression over the raw text: it ignores
backslashes (escapes are disabled inside link text) and its text part may run over lines and
over later brackets. `discord_links` tries it at every position that is not an escaped
character, so it finds at least every link Discord would render, and never fewer.
"""

from __future__ import annotations

import re

_INSIDE = r"(?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*"
_HREF = r"\s*<?((?:\([^)]*\)|[^\s\\])*?)>?(?:\s+['\"]([\s\S]*?)['\"])?\s*"
_LINK = re.compile(r"\[(" + _INSIDE + r")\]\(" + _HREF + r"\)")


def discord_links(markdown: str) -> list[tuple[str, str]]:
    """Return (text, target) of every masked link Discord could render in `markdown`."""
    links = []
    position = 0
    while position < len(markdown):
        if markdown[position] == "\\" and position + 1 < len(markdown) and not markdown[position + 1].isalnum():
            position += 2  # an escaped character is plain text
            continue
        match = _LINK.match(markdown, position)
        if match:  # and go on inside it: a link in link text counts too
            links.append((match[1], match[2]))
        position += 1
    return links
