"""Party roles come from sentence structure; functions give institutional roles only."""

from __future__ import annotations

import pytest

from digests import roles
from digests.engine import DigestEngine
from digests.model import Article
from digests.textutil import fold


def role_of(engine: DigestEngine, text: str, name: str, *, title: str = "Faits divers") -> str:
    digest = engine.summarize(Article(title=title, text=text, source="Test"))
    found = {fold(a.name): a.role for a in digest.actors}
    matches = [role for shown, role in found.items() if fold(name) in shown or shown in fold(name)]
    assert matches, f"{name!r} not among {sorted(found)}"
    return matches[0]


# One sentence of ours per frame family: (what it proves, text, actor, role).
SINGLE_ROLE_CASES = [
    (
        "body_that_files_a_complaint_is_the_plaintiff",
        "La mutuelle Hexaplus a porté plainte contre X mardi après une fuite de données.",
        "Hexaplus",
        roles.PLAINTIFF,
    ),
    (
        "complaint_of_a_body_makes_it_the_plaintiff",
        "Une enquête a été ouverte après une plainte de la mutuelle Hexaplus pour escroquerie.",
        "Hexaplus",
        roles.PLAINTIFF,
    ),
    (
        "body_targeted_by_an_investigation_is_the_suspect",
        "Le parquet a ouvert une enquête visant la société Lumivex pour fraude fiscale.",
        "Lumivex",
        roles.SUSPECT,
    ),
    (
        "body_hit_by_an_attack_is_the_victim",
        "Une cyberattaque contre le groupe hospitalier Saint-Aubin a paralysé les urgences.",
        "Saint-Aubin",
        roles.VICTIM,
    ),
    (
        "co_defendant_who_gets_a_sentence_is_a_suspect",
        "Son complice, Paul Verdier, a écopé de dix-huit mois avec sursis.",
        "Paul Verdier",
        roles.SUSPECT,
    ),
    (
        "group_claiming_an_attack_is_the_suspect",
        "La commune est victime d'un rançongiciel, attaque revendiquée par le groupe Vexlock.",
        "Vexlock",
        roles.SUSPECT,
    ),
    (
        "person_harassed_online_is_the_victim",
        "Quatre hommes sont jugés pour le cyberharcèlement de la chanteuse Nora Belkacem.",
        "Nora Belkacem",
        roles.VICTIM,
    ),
]


@pytest.mark.parametrize(("text", "name", "role"), [c[1:] for c in SINGLE_ROLE_CASES],
                         ids=[c[0] for c in SINGLE_ROLE_CASES])
def test_frame_gives_the_actor_its_side(engine, text, name, role):
    assert role_of(engine, text, name) == role


def test_name_near_a_cue_word_gets_no_role(engine):
    text = "Selon les enquêteurs, les suspects vidaient depuis des mois les comptes de clients de la Banque Ormeau."
    assert role_of(engine, text, "Banque Ormeau") not in (roles.SUSPECT, roles.VICTIM, roles.PLAINTIFF)


def test_murdered_woman_is_the_victim_and_her_killer_the_suspect(engine):
    text = ("Le meurtre de Julie Perrin, tuée en 2019 à Rennes, sera jugé en mars. Son ancien compagnon, "
            "Marc Vidal, a été mis en examen pour assassinat et écroué.")
    assert role_of(engine, text, "Julie Perrin") == roles.VICTIM
    assert role_of(engine, text, "Marc Vidal") == roles.SUSPECT


def test_man_who_died_during_an_arrest_is_the_victim_and_the_officers_suspects(engine):
    text = ("Karim Haddad est mort lors de son interpellation en janvier. Trois policiers ont été "
            "mis en examen pour homicide involontaire.")
    assert role_of(engine, text, "Karim Haddad") == roles.VICTIM
    assert role_of(engine, text, "policiers") == roles.SUSPECT


def test_complainant_and_accused_are_told_apart(engine):
    text = ("L'association Vigilance a porté plainte contre la ministre Hélène Roux pour prise illégale "
            "d'intérêts.")
    assert role_of(engine, text, "Vigilance") == roles.PLAINTIFF
    assert role_of(engine, text, "Hélène Roux") == roles.SUSPECT


def test_actor_on_both_sides_gets_no_party_role(engine):
    text = ("Paul Verdier a été condamné en 2015 pour vol. Paul Verdier a été agressé samedi par deux "
            "inconnus à Lille.")
    assert role_of(engine, text, "Paul Verdier") == roles.OTHER


def test_unnamed_relatives_put_on_a_side_become_actors(engine):
    text = "Deux frères ont été mis en examen pour violences aggravées. La mère de la victime a porté plainte."
    assert role_of(engine, text, "deux frères") == roles.SUSPECT
    assert role_of(engine, text, "mère") == roles.PLAINTIFF


def test_service_tasked_with_the_inquiry_is_no_plaintiff(engine):
    text = "Il a été entendu par l'Office Belvaux, saisi de l'enquête par le parquet."
    digest = engine.summarize(Article(title="Enquête", text=text, source="Test"))
    assert all(a.role != roles.PLAINTIFF for a in digest.actors)


def test_lawyer_function_is_read_after_the_title_me():
    text = "« Une décision juste », a réagi Me Lise Garnier, avocate de la société Lumivex."
    start = text.index("Lise Garnier")
    function = roles.person_function(text, start, start + len("Lise Garnier"))
    assert function.startswith("avocate de")
    assert roles.function_role(function) == roles.OTHER


def test_mayor_called_first_magistrate_is_no_court():
    assert roles.function_role("premier magistrat de la ville") != roles.COURT
    assert roles.function_role("juge d'instruction") == roles.COURT


def test_public_bodies_are_never_companies():
    assert roles.is_public_body("Union européenne")
    assert roles.is_public_body("Commission")
    assert not roles.is_public_body("Lumivex")


def test_lawyer_introduced_before_the_title_me_keeps_the_client():
    text = "L'avocat de la société Lumivex, Me Jean Morel, a annoncé un appel."
    start = text.index("Jean Morel")
    assert roles.person_function(text, start, start + len("Jean Morel")) == "avocat de la société Lumivex"


def test_function_never_runs_across_a_line_break():
    text = "Deux ans de prison pour un hacker\n\nUn technicien de 31 ans, Paul Verdier, a été condamné."
    start = text.index("Paul Verdier")
    assert "\n" not in roles.person_function(text, start, start + len("Paul Verdier"))


def test_lawyer_named_after_his_avocat_title_is_a_lawyer():
    text = "« Mon client regrette », a déclaré son avocat, Me Jean Morel."
    start = text.index("Jean Morel")
    assert roles.person_function(text, start, start + len("Jean Morel")) == "avocat"


def test_lawyer_named_after_a_person_lends_no_function_to_her():
    text = "La famille de Julie Perrin, Me Jean Morel, avocat de la famille, a réagi."
    start = text.index("Julie Perrin")
    assert roles.person_function(text, start, start + len("Julie Perrin")) == ""


def test_lawyer_of_a_client_named_with_an_elided_de_is_not_the_client_function():
    text = "L'avocat d'Alex Morin, Me Jean Morel, a plaidé la relaxe."
    start = text.index("Alex Morin")
    assert roles.person_function(text, start, start + len("Alex Morin")) == ""


def test_court_named_by_its_common_noun_is_the_court(engine):
    text = ("Le tribunal a condamné Paul Verdier à deux ans de prison pour escroquerie. "
            "Le tribunal a aussi ordonné la confiscation de ses biens.")
    assert role_of(engine, text, "tribunal") == roles.COURT


def test_name_dropped_once_after_the_lead_is_not_shown(engine):
    text = ("Paul Verdier a été condamné à deux ans de prison pour escroquerie. Le tribunal de Lyon a "
            "suivi les réquisitions. L'audience a duré trois heures. Le prévenu, qui a fait appel, "
            "avait publié ses offres sur Twitter.")
    digest = engine.summarize(Article(title="Escroquerie : deux ans de prison", text=text, source="Test"))
    assert "Twitter" not in {a.name for a in digest.actors}
    assert "Paul Verdier" in {a.name for a in digest.actors}


def test_function_stops_where_another_persons_function_begins():
    text = "L'ancien Premier ministre et son ministre de la Défense, Paul Verdier, sont jugés."
    start = text.index("Paul Verdier")
    assert " et son" not in roles.person_function(text, start, start + len("Paul Verdier"))


def test_unnamed_prosecutor_is_an_actor_and_a_named_one_keeps_it_as_function(engine):
    unnamed = "Le conducteur a été placé en garde à vue, a indiqué le procureur de la République de Nantes."
    assert role_of(engine, unnamed, "procureur de la République de Nantes") == roles.PARQUET
    named = "Le procureur de la République de Paris, Rémy Valmont, a requis deux ans de prison contre Paul Verdier."
    digest = engine.summarize(Article(title="Réquisitions", text=named, source="Test"))
    assert [a.name for a in digest.actors if a.role == roles.PARQUET] == ["Rémy Valmont"]


def _function_of(text: str, name: str) -> str:
    start = text.index(name)
    return roles.person_function(text, start, start + len(name))


def test_a_name_that_labels_a_case_has_no_function():
    text = "Il dénonce des pressions du parquet général dans la conduite de l'affaire Marchand, lundi."
    assert _function_of(text, "Marchand") == ""
    assert _function_of("Le juge suit le dossier Léa Fontaine depuis mars.", "Léa Fontaine") == ""


def test_general_is_a_rank_only_where_it_opens_the_function():
    assert _function_of("selon le général Paul Verdier, qui commande", "Paul Verdier") == "général"
    assert _function_of("a déclaré le procureur général Paul Verdier hier", "Paul Verdier") == "procureur général"
