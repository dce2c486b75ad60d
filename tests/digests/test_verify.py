"""The verifier of model summaries: only the article's names, figures, dates and the engine's roles.

Every article and summary here is written by us (invented people and companies).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from digests.model import Actor, Article, Digest
from digests.verify import sentence_count, verify_summary

TEXT = (
    "Le parquet de Nantes a mis en examen mardi Paul Lemarchand, gérant de la société Brivelle, "
    "pour escroquerie en bande organisée. Près de 800 000 clients ont été touchés et le préjudice "
    "atteint 1,5 million d'euros. La Commission nationale de l'informatique et des libertés a été "
    "saisie le 1er décembre. Une cliente, Odile Ferrand, a porté plainte contre Paul Lemarchand. "
    "L'amende peut atteindre 4 % du chiffre d'affaires, et le gérant encourt sept ans de prison."
)
ARTICLE = Article(
    title="Escroquerie chez Brivelle : le gérant mis en examen", text=TEXT, published=datetime(2026, 12, 2)
)
DIGEST = Digest(
    title=ARTICLE.title,
    url="",
    published=ARTICLE.published,
    source="",
    summary="",
    actors=(
        Actor("parquet de Nantes", "organisation", "parquet/accusation"),
        Actor("Paul Lemarchand", "personne", "mis en cause", aliases=("Lemarchand",)),
        Actor("Odile Ferrand", "personne", "plaignant"),
        Actor("Commission nationale de l'informatique et des libertés", "organisation", "régulateur"),
        Actor("Brivelle", "organisation", "entreprise/plateforme"),
    ),
)


def check(summary: str) -> tuple[str, ...]:
    verdict = verify_summary(summary, ARTICLE, DIGEST)
    assert verdict.ok == (not verdict.reasons)
    return verdict.reasons


@pytest.mark.parametrize(
    "summary",
    [
        "Le parquet de Nantes a mis en examen Paul Lemarchand, gérant de Brivelle, pour une escroquerie "
        "ayant touché 800 000 clients. Odile Ferrand a porté plainte contre lui.",
        "Paul Lemarchand a été mis en examen pour escroquerie ; le préjudice atteint 1,5 million d’euros.",
        "Le préjudice atteint 1 500 000 euros et l'amende peut atteindre 4 % du chiffre d'affaires.",
        "Le préjudice atteint 1,5 M€ selon le parquet de Nantes.",
        "Mardi, le parquet de Nantes a mis en examen le gérant de Brivelle, qui encourt 7 ans de prison.",
        "La CNIL a été saisie le 1er décembre après l'escroquerie reprochée à M. Lemarchand.",
        "La Cnil a été saisie le premier décembre ; près de 800.000 clients sont touchés.",
        "L'amende peut atteindre quatre pour cent du chiffre d'affaires de Brivelle.",
    ],
)
def test_a_faithful_summary_passes_whatever_the_formats(summary: str) -> None:
    assert check(summary) == ()


def test_a_person_the_article_never_names_is_rejected() -> None:
    reasons = check("Le parquet de Nantes a mis en examen Jean Lemarchand pour escroquerie.")
    assert any("Jean Lemarchand" in r for r in reasons)


def test_two_real_name_parts_do_not_make_an_invented_person() -> None:
    reasons = check("Odile Lemarchand a porté plainte contre Brivelle.")
    assert any("name not in article: Odile Lemarchand" == r for r in reasons)


def test_a_company_the_article_never_names_is_rejected() -> None:
    assert any("Vantorix" in r for r in check("Brivelle et Vantorix sont visées par une enquête."))


@pytest.mark.parametrize(
    ("summary", "bad"),
    [
        ("Près de 900 000 clients ont été touchés.", "900000"),
        ("Le préjudice atteint 2,5 millions d'euros.", "2,5 million"),
        ("L'amende peut atteindre 5 % du chiffre d'affaires.", "5 %"),
        ("Le gérant encourt dix ans de prison.", "dix"),
        ("Le préjudice atteint 1,5 million de dollars.", "1,5 million de dollars"),
    ],
)
def test_a_number_or_amount_absent_from_the_article_is_rejected(summary: str, bad: str) -> None:
    reasons = check(summary)
    assert any(r.startswith("figure not in article") and bad in r for r in reasons), reasons


def test_an_order_of_magnitude_the_article_never_gives_is_rejected() -> None:
    assert "magnitude not in article: centaine" in check("Des centaines de clients ont été touchés.")


@pytest.mark.parametrize(
    ("summary", "bad"),
    [
        ("Paul Lemarchand a été mis en examen le 3 décembre.", "date not in article: 3 decembre"),
        ("La CNIL a été saisie le 1er novembre.", "date not in article: 1er novembre"),
        ("Jeudi, le parquet de Nantes a mis en examen Paul Lemarchand.", "weekday not in article: jeudi"),
        ("Paul Lemarchand a été mis en examen hier.", "relative date not in article: hier"),
    ],
)
def test_a_date_absent_from_the_article_is_rejected(summary: str, bad: str) -> None:
    assert bad in check(summary)


def test_the_publication_date_counts_as_said() -> None:
    # published on Wednesday 2 December 2026: "2026" and "mercredi" are the digest's own facts
    assert check("Mercredi, en 2026, Paul Lemarchand était mis en examen.") == ()


@pytest.mark.parametrize(
    "summary",
    [
        "Odile Ferrand a été mise en examen pour escroquerie.",
        "Le parquet de Nantes a mis en examen Odile Ferrand.",
        "Paul Lemarchand, victime d'une escroquerie, a porté plainte.",
        "Brivelle a été mise en cause par le parquet de Nantes.",
    ],
)
def test_a_role_word_against_the_engines_role_is_rejected(summary: str) -> None:
    assert any(r.startswith("role ") for r in check(summary)), check(summary)


def test_a_plaint_against_someone_makes_them_the_suspect_not_the_plaintiff() -> None:
    assert check("Odile Ferrand a porté plainte contre Paul Lemarchand.") == ()
    reasons = check("Paul Lemarchand a porté plainte contre Odile Ferrand.")
    assert any("Odile Ferrand, engine says plaignant" in r for r in reasons)
    assert any("Paul Lemarchand, engine says mis en cause" in r for r in reasons)


def test_a_legal_step_the_article_never_reports_is_rejected() -> None:
    # the engine's role agrees (suspect), but the article reports no conviction
    assert "legal step not in article: condamne" in check("Paul Lemarchand a été condamné pour escroquerie.")


def test_a_known_alias_grounds_a_name_the_article_spells_out() -> None:
    assert check("La CNIL a été saisie.") == ()
    # the article says only "CNIL" and the digest holds no CNIL actor: the gazetteer knows the name
    other = Article(
        title="Brivelle", text=TEXT.replace("La Commission nationale de l'informatique et des libertés", "La CNIL")
    )
    no_actor = replace(DIGEST, actors=DIGEST.actors[:3])
    spelled = "La Commission nationale de l'informatique et des libertés a été saisie."
    assert verify_summary(spelled, other, no_actor).ok
    assert not verify_summary("La Commission nationale des jeux a été saisie.", other, no_actor).ok


def test_an_alias_of_a_body_the_article_does_not_name_is_rejected() -> None:
    assert any("ANSSI" in r for r in check("L'ANSSI a été saisie."))


@pytest.mark.parametrize(
    ("summary", "reason"),
    [
        ("", "empty summary"),
        ("Paul Lemarchand a été mis en examen. " * 10, "too long"),
        ("Brivelle est visée. Paul Lemarchand a été mis en examen. Odile Ferrand a porté plainte.", "more than 2"),
        ("Paul Lemarchand a été mis en examen, voir https://exemple.fr/article.", "link"),
        ("The Nantes prosecutor charged Paul Lemarchand over a fraud that hit the company's clients.", "not in French"),
    ],
)
def test_a_summary_of_the_wrong_form_is_rejected(summary: str, reason: str) -> None:
    assert any(reason in r for r in check(summary))


def test_an_abbreviation_does_not_end_a_sentence() -> None:
    assert sentence_count("M. Lemarchand a été mis en examen. Brivelle se tait.") == 2


ENGLISH = Article(
    title="Ransomware suspect arrested over hospital attack",
    text=(
        "Police in Spain arrested a 32-year-old man, Dmitri Volkan, on Tuesday over a ransomware attack "
        "that crippled the Harlow County hospital in March. The Department of Justice said the group "
        "extorted $2.5 million from 14 victims in the United States. He faces up to 20 years in prison."
    ),
)
ENGLISH_DIGEST = Digest(
    title=ENGLISH.title,
    url="",
    published=None,
    source="",
    summary="",
    language="en",
    actors=(
        Actor("Dmitri Volkan", "personne", "mis en cause", aliases=("Volkan",)),
        Actor("Department of Justice", "organisation", "parquet/accusation"),
    ),
)


def test_a_french_summary_of_an_english_article_is_checked_against_the_english_text() -> None:
    good = (
        "Dmitri Volkan, 32 ans, a été arrêté mardi en Espagne après une attaque par rançongiciel ; "
        "aux États-Unis, le groupe aurait extorqué 2,5 millions de dollars à 14 victimes."
    )
    assert verify_summary(good, ENGLISH, ENGLISH_DIGEST).reasons == ()
    bad = "Dmitri Volkan a été arrêté en Italie et encourt 25 ans de prison."
    reasons = verify_summary(bad, ENGLISH, ENGLISH_DIGEST).reasons
    assert "name not in article: Italie" in reasons
    assert "figure not in article: 25" in reasons


@pytest.mark.parametrize(
    "summary",
    [
        "Près de 800 000 clients ont été touchés par l'escroquerie reprochée à Paul Lemarchand.",
        "Interrogé par les enquêteurs, Paul Lemarchand a été mis en examen pour escroquerie.",
        "Selon le parquet de Nantes, le préjudice atteint 1,5 million d'euros.",
    ],
)
def test_a_common_word_opening_a_sentence_is_no_name(summary: str) -> None:
    assert check(summary) == ()


def test_an_invented_first_name_opening_a_sentence_is_still_a_name() -> None:
    assert "name not in article: René" in check("René a porté plainte contre Paul Lemarchand.")


def test_an_apposition_is_skipped_to_find_who_holds_the_role() -> None:
    assert check("Paul Lemarchand, gérant de Brivelle, a été mis en examen pour escroquerie.") == ()
    reasons = check("Odile Ferrand, cliente de Brivelle, a été mise en examen.")
    assert any("for Odile Ferrand, engine says plaignant" in r for r in reasons)


def test_a_name_inside_the_subjects_noun_phrase_does_not_hold_the_role() -> None:
    # the subject is "le gérant" (unnamed), not Brivelle, a company for the engine
    assert check("Le gérant de Brivelle a été mis en examen pour escroquerie.") == ()
    assert check("Le gérant, qui dirige Brivelle à Nantes, a été mis en examen.") == ()


def test_the_subject_of_a_second_sentence_is_found_too() -> None:
    reasons = check("Brivelle est visée par une enquête. Odile Ferrand a été mise en examen.")
    assert any("for Odile Ferrand" in r for r in reasons)


def test_an_unnamed_party_is_not_checked_for_roles() -> None:
    unnamed = replace(DIGEST, actors=(*DIGEST.actors, Actor("800 000 clients", "groupe", "autre")))
    assert verify_summary("Près de 800 000 clients ont porté plainte contre Paul Lemarchand.", ARTICLE, unnamed).ok


def test_a_name_with_a_curly_apostrophe_is_one_name() -> None:
    other = Article(title="Recours", text="Le Conseil d'État a rejeté mardi le recours de Brivelle contre la sanction.")
    assert verify_summary("Le Conseil d’État a rejeté le recours de Brivelle.", other, DIGEST).ok
    assert not verify_summary("Le Conseil d’Administration a rejeté le recours.", other, DIGEST).ok
