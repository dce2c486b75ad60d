"""The subscription filter language: parsing with French errors, and which digests pass."""

from __future__ import annotations

import pytest

from bot.delivery.filters import MAX_CONDITIONS, parse_filter
from bot.errors import InputError
from tests.support.newsroom import make_digest

CNIL = ("CNIL", "Commission nationale de l'informatique et des libertés")


def passes(text: str, title: str, summary: str = "", **digest: object) -> bool:
    return parse_filter(text).accepts(make_digest(title, summary, **digest))  # type: ignore[arg-type]


def test_plus_words_are_required_and_folded_like_search() -> None:
    assert passes("+rançongiciel", "Deux rançongiciels visent des hôpitaux")
    assert passes("+condamnee", "La dirigeante condamnée à une amende")
    assert passes("+HOPITAL", "Un hôpital paralysé")
    assert passes("rançongiciel", "Un rançongiciel frappe")  # a bare word is a +
    assert not passes("+rançongiciel", "Une fuite de données")
    assert not passes("+rançongiciel +hôpital", "Un rançongiciel frappe une mairie")


def test_minus_words_exclude() -> None:
    assert not passes("-sport", "Le club de sport condamné")
    assert passes("-sport", "Le club de foot condamné")
    assert not passes("+fuite -sport", "Fuite de données", "Un club de sport visé")


def test_a_word_is_never_a_regular_expression() -> None:
    with pytest.raises(InputError):
        parse_filter("+.*")  # no word at all: refused, not "match anything"
    assert not passes("+fu.*", "Une fuite de données")  # the word "fu", not a pattern
    assert passes("+(cnil)", "La CNIL sanctionne")  # punctuation is dropped, never interpreted


def test_phrases_match_word_for_word_in_order() -> None:
    assert passes('+"mise en examen"', "Le dirigeant mis en examen")
    assert not passes('+"mise en examen"', "Un examen de la mise à jour")
    assert not passes('-"mise en examen"', "Il a été mis en examen")


def test_a_comma_means_or() -> None:
    assert passes("+rançongiciel,ransomware", "A ransomware hits")
    assert passes("+rançongiciel,ransomware", "Un rançongiciel frappe")
    assert not passes("+rançongiciel,ransomware", "Une fuite")
    assert passes("acteur:CNIL,Arcom", "x", actors=[("Arcom",)])


def test_actor_by_name_or_alias_as_whole_words() -> None:
    assert passes("acteur:CNIL", "Sanction", actors=[CNIL])
    assert passes("acteur:cnil", "Sanction", actors=[CNIL])
    assert passes('acteur:"Commission nationale de l\'informatique et des libertés"', "x", actors=[CNIL])
    assert not passes("acteur:Arc", "L'Arcom sanctionne", actors=[("Arcom",)])
    assert not passes("acteur:CNIL", "La CNIL est citée dans le titre seulement")
    assert not passes("-acteur:CNIL", "Sanction", actors=[CNIL])
    assert passes("-acteur:CNIL", "Sanction", actors=[("Arcom",)])


def test_actor_names_known_to_the_gazetteer_bring_their_aliases() -> None:
    # the digest names the CNIL by its acronym only; the user types the long name
    assert passes('acteur:"Commission nationale de l\'informatique et des libertés"', "x", actors=[("CNIL",)])
    assert passes("acteur:ANSSI", "x", actors=[("Agence nationale de la sécurité des systèmes d'information",)])


def test_juridique_keeps_only_digests_with_a_legal_stake() -> None:
    assert passes("juridique", "Fuite", legal=[("infraction", "escroquerie")])
    assert not passes("juridique", "Fuite")
    assert passes("-juridique", "Fuite")
    assert not passes("-juridique", "Fuite", legal=[("peine", "deux ans de prison")])


def test_words_match_legal_stakes_and_actor_names_too() -> None:
    assert passes("+escroquerie", "Un dirigeant jugé", legal=[("infraction", "escroquerie en bande organisée")])
    assert passes("+parquet", "Enquête ouverte", actors=[("parquet de Paris",)])


def test_the_stored_form_and_description_say_what_was_understood() -> None:
    parsed = parse_filter('  rançongiciel   -sport acteur:"Conseil d\'État" JURIDIQUE ')
    assert parsed.text == '+rançongiciel -sport acteur:"Conseil d\'État" juridique'
    assert parsed.describe() == (
        'contient rançongiciel ; ne contient pas sport ; acteur "Conseil d\'État" ; au moins un enjeu juridique'
    )
    assert parse_filter(parsed.text) == parsed  # the stored text parses back to the same filter


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('+"mise en examen', "guillemet"),
        ("+", "doit être suivi"),
        ("flux:2", "« flux: » est inconnu"),
        ("acteur:", "indiquez un nom après acteur:"),
        ("+le", "trop courant"),
        ("+cnil,,arcom", "virgule"),
        ("juridique -juridique", "à la fois"),
        ("", "au moins une condition"),
        ("x" * 301, "300 caractères"),
        (" ".join(f"+mot{i}" for i in range(MAX_CONDITIONS + 1)), "20 conditions"),
    ],
)
def test_a_malformed_filter_gets_a_french_explanation_and_the_syntax(text: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_filter(text)
    assert says in caught.value.french
    assert "Syntaxe : +mot" in caught.value.french
