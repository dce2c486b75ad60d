"""Read the figures of a text: numbers (in digits or words), amounts with their unit, and dates.

Why: a model's summary may only state figures the article states. Both sides are read the same
way, so "800 000", "800 000" and "800.000" are one value, "1,5 million" equals "1 500 000",
"5 %" equals "5 pour cent", "1er décembre" is day 1 of month 12, and "trois ans" is 3. The
article side also reads English ("$2 million", "December 3", "three"), since English articles
get a French summary.

All functions take text already passed through `digests.textutil.fold` (lower case, no
accents, straight apostrophes, thousands separators removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Units an amount may carry; anything else ("ans", "clients") leaves the unit empty and only
# the value is compared.
_UNITS = (
    (r"%|pour ?cent|per ?cent|percent", "pct"),
    (r"euros?|€|eur\b", "eur"),
    (r"dollars?|\$|usd\b", "usd"),
    (r"livres? sterling|livres?|£|pounds?|gbp\b", "gbp"),
)
_UNIT = "|".join(f"(?:{regex})" for regex, _ in _UNITS)
_MULTIPLIERS = {
    "mille": 1e3, "millier": 1e3, "milliers": 1e3, "thousand": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "m": 1e6, "mn": 1e6,
    "milliard": 1e9, "milliards": 1e9, "billion": 1e9, "billions": 1e9, "md": 1e9, "mds": 1e9, "bn": 1e9,
}  # fmt: skip
_MULT = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))

_FR_WORDS = {
    "zero": 0, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50,
    "soixante": 60, "cent": 100, "cents": 100,
}  # fmt: skip
_EN_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
# "un"/"une"/"one" are articles far more often than numbers: a summary's "un" is never checked,
# and the article's only counts before a multiplier ("un million").
_ONE = {"un": 1, "une": 1, "one": 1, "a": 1}
_WORD_VALUES = {**_FR_WORDS, **_EN_WORDS}
_NUMBER_WORD = "|".join(sorted(_WORD_VALUES, key=len, reverse=True))
_WORDS_RUN = re.compile(
    rf"(?<![\w-])(?<!pour )(?<!per )(?:{_NUMBER_WORD})(?:(?:-| et | and |-et-| )(?:{_NUMBER_WORD}|un|one))*(?![\w-])"
)

_DIGITS = re.compile(
    r"(?<![\w.,])(?P<cur>[$€£]\s?)?(?P<num>\d+(?:[.,]\d+)?)(?P<ord>er|re|e|eme|nd|rd|th|st)?(?![\w])"
    rf"(?:\s?(?P<mult>{_MULT})(?![\w]))?(?:\s?(?:d'|de )?(?P<unit>{_UNIT}))?"
)
_WORD_MULT = "mille|millions?|milliards?|thousand|billions?"
_WORD_AMOUNT = re.compile(
    rf"(?<![\w-])(?P<num>un|une|one|a)\s(?P<mult>{_WORD_MULT})(?![\w])(?:\s?(?:d'|de )?(?P<unit>{_UNIT}))?"
)
_APPROX = re.compile(r"(?<![\w-])(dizaines?|centaines?|milliers?|millions?|milliards?)(?![\w-])")
_COUNTED = re.compile(rf"(?:\d|(?<![\w])(?:{_NUMBER_WORD}|un|une|one|a))\s?$")

MONTHS_FR = (
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre",
)  # fmt: skip
_MONTHS_EN = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH_ABBR_EN = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sept", "oct", "nov", "dec")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Relative days: the French word, and what the article may say instead.
RELATIVE_DAYS = {"hier": ("hier", "yesterday"), "demain": ("demain", "tomorrow"),
                 "aujourd'hui": ("aujourd'hui", "today")}  # fmt: skip

_MONTH_FR = "|".join(MONTHS_FR)
_DAY = r"(?P<day>\d{1,2})(?:er|re|e)?|(?P<first>premier)"
_DATE_FR = re.compile(rf"(?<![\w])(?:(?:{_DAY})\s)?(?P<month>{_MONTH_FR})(?![\w])(?:\s(?P<year>\d{{4}}))?")
_MONTH_EN = "|".join([*_MONTHS_EN, *(rf"{a}\.?" for a in _MONTH_ABBR_EN)])
_DATE_EN = re.compile(rf"(?<![\w])(?P<month>{_MONTH_EN})(?![\w])\.?(?:\s(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?")
_NUMERIC_DATE = re.compile(r"(?<![\w/.,])(?P<day>\d{1,2})/(?P<month>\d{1,2})(?:/(?P<year>\d{2,4}))?(?![\w/])")


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of a text: its value, the unit it carries ("" if none) and how it was written."""

    value: float
    unit: str
    surface: str


@dataclass(frozen=True, slots=True)
class Date:
    """A date a text states: month (1-12), day (0 when absent), as written."""

    month: int
    day: int
    surface: str


def _unit(raw: str | None) -> str:
    if not raw:
        return ""
    for regex, name in _UNITS:
        if re.fullmatch(regex, raw.strip()):
            return name
    return ""


def _number(raw: str, *, english: bool) -> list[float]:
    """Read "1,5" (French decimal), "3,000" (English thousands, article side) as values."""
    if "," in raw:
        whole, _, frac = raw.partition(",")
        values = [float(f"{whole}.{frac}")]
        if english and len(frac) == 3:
            values.append(float(whole + frac))
        return values
    return [float(raw)]


def words_value(run: str) -> int:
    """Read a run of French or English number words: "vingt-cinq" 25, "quatre-vingt-dix" 90."""
    total = current = 0
    for word in re.split(r"[\s-]+", run):
        if word in ("et", "and", ""):
            continue
        value = _WORD_VALUES.get(word, _ONE.get(word, 0))
        if value == 100:
            current = max(current, 1) * 100
        elif value == 20 and current % 100 == 4 and word.startswith("vingt"):
            current += 76  # "quatre-vingt": 4 × 20
        else:
            current += value
    return total + current


def figures(folded: str, *, article: bool = False) -> list[Figure]:
    """Return every figure of a folded text: digits, number words, amounts with multipliers.

    On the `article` side a figure also counts for the looser readings a summary may rightly
    use: "1,5 million" gives 1.5 as well as 1 500 000, and "3,000" (English) gives 3 000.
    """
    found: list[Figure] = []
    for m in _DIGITS.finditer(folded):
        unit = _unit(m.group("unit")) or _unit(m.group("cur"))
        mult = _MULTIPLIERS.get(m.group("mult") or "", 1.0)
        if m.group("mult") in ("m", "k", "mn", "md", "mds", "bn") and not unit:
            mult = 1.0  # "5 m" is five metres or minutes; a bare letter multiplies money only
        for value in _number(m.group("num"), english=article):
            found.append(Figure(value * mult, unit, m.group()))
            if mult != 1.0 and article:
                found.append(Figure(value, "", m.group("num")))
    for m in _WORD_AMOUNT.finditer(folded):
        mult = _MULTIPLIERS[m.group("mult")]
        found.append(Figure(mult, _unit(m.group("unit")), m.group()))
    for m in _WORDS_RUN.finditer(folded):
        value = float(words_value(m.group()))
        rest = folded[m.end() :]
        amount = re.match(rf"\s?(?P<mult>{_WORD_MULT})(?![\w])(?:\s?(?:d'|de )?(?P<unit>{_UNIT}))?", rest)
        unit_only = re.match(rf"\s?(?:d'|de )?(?P<unit>{_UNIT})", rest)
        if amount:
            found.append(Figure(value * _MULTIPLIERS[amount.group("mult")], _unit(amount.group("unit")), m.group()))
            if not article:
                continue
        found.append(Figure(value, _unit(unit_only.group("unit")) if unit_only else "", m.group()))
    return found


def approximations(folded: str) -> set[str]:
    """Return the orders of magnitude a text names in words ("des milliers" → "millier")."""
    return {
        m.group(1).rstrip("s")
        for m in _APPROX.finditer(folded)
        if not _COUNTED.search(folded[max(0, m.start() - 12) : m.start()])  # "2,5 millions" is a figure
    }


def dates(folded: str, *, english: bool = False) -> list[Date]:
    """Return the dates of a folded text: "3 mars 2026", "1er mai", "03/12", "March 3"."""
    found: list[Date] = []
    for m in _DATE_FR.finditer(folded):
        if m.group("month") == "mai" and not (m.group("day") or m.group("first") or m.group("year")):
            continue  # "mai" alone is too rare to miss, and "mars" alone still counts
        day = 1 if m.group("first") else int(m.group("day") or 0)
        found.append(Date(MONTHS_FR.index(m.group("month")) + 1, day, m.group()))
    for m in _NUMERIC_DATE.finditer(folded):
        day, month = int(m.group("day")), int(m.group("month"))
        if 1 <= day <= 31 and 1 <= month <= 12:
            found.append(Date(month, day, m.group()))
    if english:
        for m in _DATE_EN.finditer(folded):
            name = m.group("month").rstrip(".")
            month = _MONTHS_EN.index(name) + 1 if name in _MONTHS_EN else _MONTH_ABBR_EN.index(name) + 1
            if name == "may" and not m.group("day"):
                continue  # the verb
            found.append(Date(month, int(m.group("day") or 0), m.group()))
        # "3 December 2026": day before an English month
        for m in re.finditer(rf"(?<![\w])(\d{{1,2}})(?:st|nd|rd|th)?\s({'|'.join(_MONTHS_EN)})(?![\w])", folded):
            found.append(Date(_MONTHS_EN.index(m.group(2)) + 1, int(m.group(1)), m.group()))
    return found


def weekdays(folded: str, *, english: bool = False) -> set[int]:
    """Return the weekdays (0 = Monday) a folded text names."""
    days = {i for i, name in enumerate(WEEKDAYS_FR) if re.search(rf"(?<![\w]){name}(?![\w])", folded)}
    if english:
        days |= {i for i, name in enumerate(_WEEKDAYS_EN) if re.search(rf"(?<![\w]){name}s?(?![\w])", folded)}
    return days


def is_summary_number_word(surface: str) -> bool:
    """Tell a number word a summary may use without the article stating it: none but "un"."""
    return surface in _ONE
