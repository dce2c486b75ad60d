"""Give the French pipeline its tokenizer without spaCy's five-second regular expression.

Why: `spacy.lang.fr.tokenizer_exceptions` builds, at import, one 1.4 MB regular expression
(`TOKEN_MATCH`: the hyphenated and elided words that stay one token, "Bouches-du-Rhône",
"prud'hommes") whose every letter class spells out thousands of characters; compiling it takes
about five seconds, and loading the model compiles it a second time from the model's own
tokenizer file. That was most of the model's load time, paid by every process and every
`veille digest`. The same expression with each letter class written `[^\\W\\d_]` (any letter)
compiles in a tenth of a second and matches the same words (`tests/digests/test_tokenizer.py`
checks it against the original on real and generated words).

So the French module's tables are replaced, before spaCy imports them, by empty ones (the
model's tokenizer file holds the real exceptions), the model is loaded without its tokenizer,
and the tokenizer is then read from the model's files with the rewritten expression.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

_TABLES = "spacy.lang.fr.tokenizer_exceptions"
LETTER = r"[^\W\d_]"


def skip_french_tables() -> None:
    """Stand in for spaCy's French exception tables before `spacy.lang.fr` is imported.

    Only a pipeline loaded from a model may be built after this: its tokenizer file brings
    the exceptions back (`load_tokenizer`). A process that imported the tables already keeps
    them (nothing is replaced).
    """
    if _TABLES in sys.modules:
        return
    from spacy.lang.tokenizer_exceptions import BASE_EXCEPTIONS

    stand_in = types.ModuleType(_TABLES, "Empty French tables: see digests.tokenizer.")
    stand_in.TOKENIZER_EXCEPTIONS = dict(BASE_EXCEPTIONS)  # type: ignore[attr-defined]  # module attribute
    stand_in.TOKEN_MATCH = None  # type: ignore[attr-defined]  # module attribute
    sys.modules[_TABLES] = stand_in


def letters_pattern(pattern: str) -> str:
    """Rewrite spaCy's French `token_match` pattern with compact letter classes.

    The pattern is case-insensitive, so its lower-case letter class already meant any letter
    of the Latin, Greek and Cyrillic scripts; `[^\\W\\d_]` means any letter at all.
    """
    from spacy.lang.char_classes import ALPHA, ALPHA_LOWER

    pattern = pattern.replace(f"[-–—‐‑{ALPHA_LOWER}'’]", rf"(?:{LETTER}|[-–—‐‑'’])")
    return pattern.replace(f"[{ALPHA}]", LETTER).replace(f"[{ALPHA_LOWER}]", LETTER)


def model_tokenizer_file(nlp: Language) -> Path:
    """Return the tokenizer file of the model `nlp` was loaded from."""
    import spacy.util

    meta = nlp.meta
    package = spacy.util.get_package_path(f"{meta['lang']}_{meta['name']}")
    return package / f"{meta['lang']}_{meta['name']}-{meta['version']}" / "tokenizer"


def load_tokenizer(nlp: Language) -> None:
    """Read the model's tokenizer into `nlp`, with the rewritten `token_match`."""
    import srsly

    data = model_tokenizer_file(nlp).read_bytes()
    nlp.tokenizer.from_bytes(data, exclude=["vocab", "token_match"])  # type: ignore[union-attr]  # spaCy Tokenizer
    pattern = srsly.msgpack_loads(data).get("token_match")
    if isinstance(pattern, str):
        nlp.tokenizer.token_match = re.compile(letters_pattern(pattern)).match  # type: ignore[union-attr]  # spaCy Tokenizer
