"""Roles read from the words right next to a party, not from its whole sentence."""

from __future__ import annotations

from digests import roles


def role_of(text: str, name: str, *, kind: str = "organisation") -> str:
    start = text.index(name)
    return roles.context_role(
        text, [(start, start + len(name))], default=roles.OTHER,
        sentences=[(0, len(text))], kind=kind,
    )


def test_body_that_files_a_complaint_is_the_plaintiff():
    assert role_of("La mutuelle Hexaplus a porté plainte contre X mardi.", "Hexaplus") == roles.PLAINTIFF


def test_complaint_of_a_body_makes_it_the_plaintiff():
    text = "Une enquête a été ouverte après une plainte de la mutuelle Hexaplus."
    assert role_of(text, "Hexaplus") == roles.PLAINTIFF


def test_body_targeted_by_an_investigation_is_the_suspect():
    text = "Le parquet a ouvert une enquête visant la société Lumivex pour fraude."
    assert role_of(text, "Lumivex") == roles.SUSPECT


def test_body_hit_by_an_attack_is_the_victim():
    text = "Une cyberattaque contre le groupe hospitalier Saint-Aubin a paralysé les urgences."
    assert role_of(text, "Saint-Aubin") == roles.VICTIM


def test_bank_is_no_suspect_because_its_sentence_mentions_suspects():
    text = "Selon les enquêteurs, les suspects vidaient depuis des mois les comptes de clients de la Banque Ormeau."
    assert role_of(text, "Banque Ormeau") != roles.SUSPECT


def test_co_defendant_named_near_his_sentence_is_a_suspect():
    text = "Son complice, Paul Verdier, 22 ans, écope de dix-huit mois avec sursis."
    assert role_of(text, "Paul Verdier", kind="personne") == roles.SUSPECT


def test_lawyer_function_is_read_after_the_title_me():
    text = "« Une décision juste », a réagi Me Lise Garnier, avocate de la société Lumivex."
    start = text.index("Lise Garnier")
    function = roles.person_function(text, start, start + len("Lise Garnier"))
    assert function.startswith("avocate de")
    assert roles.function_role(function) == roles.OTHER


def test_public_bodies_are_never_companies():
    assert roles.is_public_body("Union européenne")
    assert roles.is_public_body("Commission")
    assert not roles.is_public_body("Lumivex")


def test_next_sentence_about_the_same_people_gives_their_role():
    text = ("Deux Lituaniens, Tomas Varkala et Ona Zemke, dirigeaient le forum selon la police. "
            "Les deux hommes ont été inculpés en mai.")
    start = text.index("Ona Zemke")
    role = roles.context_role(text, [(start, start + 9)], default=roles.OTHER,
                              sentences=[(0, text.index(" Les")), (text.index("Les"), len(text))],
                              kind="personne")
    assert role == roles.SUSPECT


def test_lawyer_introduced_before_the_title_me_keeps_the_client():
    text = "L'avocat de la société Lumivex, Me Jean Morel, a annoncé un appel."
    start = text.index("Jean Morel")
    assert roles.person_function(text, start, start + len("Jean Morel")) == (
        "avocat de la société Lumivex"
    )


def test_target_of_threats_is_the_victim_not_the_suspect():
    text = ("Un homme de 29 ans a été mis en examen pour menaces de mort à l'encontre de "
            "l'animatrice Nora Belkacem.")
    assert role_of(text, "Nora Belkacem", kind="personne") == roles.VICTIM


def test_group_claiming_an_attack_is_the_suspect():
    text = "La commune est victime d'un rançongiciel, attaque revendiquée par le groupe Vexlock."
    assert role_of(text, "Vexlock") == roles.SUSPECT


def test_service_tasked_with_the_inquiry_is_no_plaintiff():
    text = "Il a été entendu par l'Office Belvaux, saisi de l'enquête par le parquet."
    assert role_of(text, "Office Belvaux") != roles.PLAINTIFF


def test_function_never_runs_across_a_line_break():
    text = "Deux ans de prison pour un hacker\n\nUn technicien de 31 ans, Paul Verdier, a été condamné."
    start = text.index("Paul Verdier")
    assert "\n" not in roles.person_function(text, start, start + len("Paul Verdier"))


def test_lawyer_named_after_his_avocat_title_is_a_lawyer():
    text = "« Mon client regrette », a déclaré son avocat, Me Jean Morel."
    start = text.index("Jean Morel")
    assert roles.person_function(text, start, start + len("Jean Morel")) == "avocat"


def test_person_harassed_online_is_the_victim():
    text = "Quatre hommes sont jugés pour le cyberharcèlement de la chanteuse Nora Belkacem."
    assert role_of(text, "Nora Belkacem", kind="personne") == roles.VICTIM
