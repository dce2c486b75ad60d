"""The one French date formatter every platform and feature shows dates with."""

from __future__ import annotations

from datetime import datetime

from digests.render import french_date


def test_the_first_day_of_a_month_is_written_1er() -> None:
    assert french_date(datetime(2026, 12, 1)) == "1er décembre 2026"
    assert french_date(datetime(2026, 3, 1, 23, 59)) == "1er mars 2026"


def test_other_days_are_written_as_plain_numbers() -> None:
    assert french_date(datetime(2026, 3, 7)) == "7 mars 2026"
    assert french_date(datetime(2026, 12, 31)) == "31 décembre 2026"
