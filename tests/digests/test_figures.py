"""Figures and dates read alike from an article and a summary, whatever their format."""

from __future__ import annotations

import pytest

from digests.figures import Date, approximations, dates, figures, weekdays, words_value
from digests.textutil import fold


def values(text: str, *, article: bool = False) -> set[tuple[float, str]]:
    return {(f.value, f.unit) for f in figures(fold(text), article=article)}


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("près de 800 000 adhérents", 800_000, ""),
        ("près de 800\u202f000 adhérents", 800_000, ""),
        ("près de 800.000 adhérents", 800_000, ""),
        ("une amende de 4 % du chiffre d'affaires", 4, "pct"),
        ("une amende de 4% du chiffre d'affaires", 4, "pct"),
        ("quatre pour cent du chiffre d'affaires", 4, "pct"),
        ("un préjudice de 1,5 million d'euros", 1_500_000, "eur"),
        ("un préjudice de 1 500 000 euros", 1_500_000, "eur"),
        ("un préjudice de 1,5 M€", 1_500_000, "eur"),
        ("a ransom of $2.5 million", 2_500_000, "usd"),
        ("vingt-cinq ans de réclusion", 25, ""),
        ("quatre-vingt-dix victimes", 90, ""),
        ("deux cent mille euros", 200_000, "eur"),
        ("le 1er décembre", 1, ""),
    ],
)
def test_each_format_of_a_figure_reads_as_its_value(text: str, value: float, unit: str) -> None:
    assert (value, unit) in values(text)


def test_a_summary_reads_no_figure_from_the_articles_un_or_une() -> None:
    assert values("Une cliente a porté plainte contre un gérant.") == set()


def test_only_the_article_side_keeps_the_looser_readings() -> None:
    assert (1.5, "") in values("1,5 million d'euros", article=True)
    assert (1.5, "") not in values("1,5 million d'euros")
    assert (3000, "") in values("3,000 users", article=True)


def test_pour_cent_is_a_unit_not_the_number_one_hundred() -> None:
    assert (100, "") not in values("cinq pour cent")


def test_a_bare_letter_after_a_number_multiplies_money_only() -> None:
    assert (5, "") in values("une file de 5 m")
    assert (5_000_000, "") not in values("une file de 5 m")


def test_words_value_reads_french_compounds() -> None:
    assert words_value("soixante et onze") == 71
    assert words_value("quatre-vingts") == 80
    assert words_value("trois cents") == 300


def test_dates_read_french_numeric_and_english_forms() -> None:
    assert Date(12, 1, "1er decembre") in dates(fold("le 1er décembre"))
    assert {(d.month, d.day) for d in dates(fold("le 03/12/2026"))} == {(12, 3)}
    assert (12, 3) in {(d.month, d.day) for d in dates(fold("on December 3"), english=True)}
    assert (12, 3) in {(d.month, d.day) for d in dates(fold("on 3 December"), english=True)}
    assert dates(fold("the court may rule"), english=True) == []


def test_a_decimal_is_not_a_date() -> None:
    assert dates(fold("2,5 millions")) == [] and dates(fold("2.5 millions")) == []


def test_weekdays_in_french_and_english() -> None:
    assert weekdays(fold("Mardi, le parquet")) == {1}
    assert weekdays(fold("on Tuesday"), english=True) == {1}


def test_an_order_of_magnitude_in_words_but_not_a_counted_one() -> None:
    assert approximations(fold("des milliers de clients")) == {"millier"}
    assert approximations(fold("2,5 millions de clients")) == set()
