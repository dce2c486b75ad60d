import dataclasses
import re

import pytest

from digests.legal import MAX_ITEM_CHARS, RULES, find_legal, load_rules, phrase_regex
from digests.textutil import fold


def texts(text: str) -> list[str]:
    return [item.text for item in find_legal(text)]


def test_penalty_keeps_prison_and_fine_together():
    found = texts("Les auteurs encourent 10 ans de prison et 500 000 € d'amende pour ces faits.")
    assert "10 ans de prison et 500 000 € d'amende" in found
    assert not any(t == "10 ans de prison" for t in found)


def test_offences_procedures_and_laws_are_found_with_spans():
    text = ("Le parquet a ouvert une information judiciaire pour blanchiment et association de "
            "malfaiteurs, en vertu de l'article 323-1 du code pénal et du RGPD.")
    found = find_legal(text)
    kinds = {item.text: item.kind for item in found}
    assert kinds["information judiciaire"] == "procédure"
    assert kinds["blanchiment"] == "infraction"
    assert kinds["association de malfaiteurs"] == "infraction"
    assert kinds["article 323-1 du code pénal"] == "loi"
    assert kinds["RGPD"] == "loi"
    for item in found:
        assert text[item.start : item.end] == item.text


def test_variants_of_one_fact_count_once():
    found = texts("Une plainte a été déposée. Deux autres plaintes ont suivi, puis une plainte encore.")
    assert len([t for t in found if "plainte" in fold(t)]) == 1


def test_percentage_of_turnover_is_a_penalty():
    found = find_legal("La sanction peut atteindre 4 % du chiffre d'affaires mondial.")
    assert any(i.kind == "peine" and "4 % du chiffre d'affaires" in i.text for i in found)


def test_text_without_legal_angle_gives_nothing():
    assert texts("Le salon de l'automobile ouvre ses portes samedi à Paris.") == []


def test_procedures_of_a_trial_are_found():
    found = texts("Deux prévenus ont été relaxés, le troisième placé sous contrôle judiciaire a formé "
                  "un pourvoi en cassation, et une action de groupe est envisagée.")
    folded = " | ".join(fold(t) for t in found)
    for phrase in ("ont ete relaxes", "place sous controle judiciaire", "pourvoi en cassation", "action de groupe"):
        assert phrase in folded


def test_criminal_detention_and_turnover_share_are_penalties():
    found = find_legal("L'extorsion est passible de 20 ans de réclusion criminelle. Les plateformes "
                       "risquent jusqu'à 1 % de leur chiffre d'affaires mondial.")
    penalties = {item.text for item in found if item.kind == "peine"}
    assert "20 ans de réclusion criminelle" in penalties
    assert "1 % de leur chiffre d'affaires mondial" in penalties


def test_an_amount_is_a_stake_only_in_a_sentence_about_a_loss_or_penalty():
    assert any("3 millions" in t for t in texts("Les escrocs ont détourné 3 millions d'euros."))
    assert texts("Le chiffre d'affaires du groupe a atteint 3 millions d'euros cette année.") == []


def test_fine_written_in_words_joins_the_prison_term():
    found = texts("Il a été condamné à six ans de prison et un million d'euros d'amende.")
    assert "six ans de prison et un million d'euros d'amende" in found


def test_compound_number_terms_are_penalties():
    found = texts("Son complice écope de dix-huit mois de prison avec sursis.")
    assert "dix-huit mois de prison avec sursis" in found


def test_offence_word_inside_a_body_name_is_no_offence():
    text = "La direction de la répression des fraudes a publié un guide pour les vacanciers."
    start = text.index("direction")
    end = text.index(" a publié")
    assert not [i for i in find_legal(text, names=[(start, end)]) if "fraude" in fold(i.text)]


def test_sale_price_is_no_legal_fact():
    assert texts("Le vendeur réclame l'équivalent de 3.000 dollars pour le fichier.") == []


def test_settlement_biometric_data_and_acronym_laws_are_found():
    found = texts("La société a signé un accord transactionnel au titre de la loi KOSA sur les "
                  "données biométriques.")
    assert {"accord transactionnel", "loi KOSA", "données biométriques"} <= set(found)


def test_fine_after_d_joins_the_prison_term():
    found = texts("Ce délit est passible de sept ans d'emprisonnement et d'un million d'euros d'amende.")
    assert "sept ans d'emprisonnement et d'un million d'euros d'amende" in found


def test_loss_and_seized_amounts_are_penalties():
    found = texts("Le préjudice est évalué à 2,4 millions d'euros. Les gendarmes ont saisi "
                  "800.000 euros en espèces.")
    assert "préjudice est évalué à 2,4 millions d'euros" in found
    assert "saisi 800.000 euros" in found


def test_many_defendants_terms_do_not_crowd_out_offences():
    text = ("Le premier prévenu a été condamné à six ans de prison, le deuxième à quatre ans de "
            "prison, le troisième à deux ans de prison pour escroquerie et blanchiment.")
    found = texts(text)
    terms = [t for t in found if "ans de prison" in t]
    assert len(terms) == 3
    assert found.index("blanchiment") < found.index(terms[2])


def test_rights_the_story_is_about_are_stakes_of_their_own_kind():
    found = find_legal("Le texte menace la liberté d'expression et la vie privée des internautes, "
                       "et le secret des correspondances.")
    kinds = {item.text: item.kind for item in found}
    assert kinds["liberté d'expression"] == "enjeu"
    assert kinds["vie privée"] == "enjeu"
    assert kinds["secret des correspondances"] == "enjeu"


def test_appeal_announced_in_the_conditional_is_an_appeal():
    found = texts("La société Lumivex a fait savoir qu'elle ferait appel de cette décision.")
    assert any(fold(t).startswith("ferait appel") for t in found)


def test_abuse_of_dominance_as_a_verb_is_the_offence():
    found = find_legal("Le groupe Lumivex a abusé de sa position dominante pendant dix ans.")
    assert any(i.kind == "infraction" and "abusé de sa position dominante" in i.text for i in found)


def test_plural_penalty_payments_are_found():
    assert "astreintes" in texts("Elle devra cesser ces pratiques sous peine d'astreintes.")


def test_judged_as_an_adjective_is_no_trial():
    found = texts("Les messages jugés offensants ont été retirés par le forum.")
    assert not any("jug" in fold(t) for t in found)
    assert "jugé" in texts("Le prévenu sera jugé en mars à Lyon.")


def test_removal_deadline_before_the_removal_is_found():
    found = texts("Le texte obligeait les hébergeurs à opérer sous 24 heures le retrait des messages.")
    assert any("24 heures" in t for t in found)


def test_length_of_data_retention_is_a_stake():
    found = texts("La durée de conservation des données, fixée à six ans, est jugée excessive.")
    assert any("six ans" in t for t in found)


def test_law_named_with_its_acronym_shows_the_acronym():
    found = texts("Le groupe aurait violé la loi fédérale sur la vie privée des mineurs (KIDPA).")
    assert "KIDPA" in found


def test_inspection_opened_by_the_regulator_is_a_procedure():
    found = texts("Le régulateur a annoncé l'ouverture d'un contrôle chez l'hébergeur.")
    assert "contrôle" in found


def test_prosecution_asking_for_sentences_is_found():
    assert any("requis" in t for t in texts("Le parquet avait requis des peines de prison avec sursis."))


def test_wanted_notice_is_a_procedure():
    assert "avis de recherche" in texts("Le FBI a diffusé un avis de recherche contre les deux hommes.")


def test_length_of_a_blocking_order_is_a_stake():
    found = texts("Le juge ordonne de bloquer l'accès au site pendant douze mois.")
    assert "pendant douze mois" in found


def test_charter_of_fundamental_rights_is_a_law():
    found = find_legal("La Cour invoque la Charte des droits fondamentaux de l'UE.")
    assert any(i.kind == "loi" and i.text.startswith("Charte des droits fondamentaux") for i in found)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.kind}:{rule.group}")
def test_every_data_rule_finds_its_item_in_its_own_example(rule):
    found = [item for item in find_legal(rule.example) if item.rule == rule.group]
    assert found, f"{rule.group}: nothing found in {rule.example!r}"
    for item in found:
        assert item.kind == rule.kind
        assert rule.example[item.start : item.end] == item.text


def test_a_phrase_with_an_optional_ending_still_matches_without_it():
    pattern = re.compile(phrase_regex("mise en danger [délibérée|] [de la vie|] d'autrui"), re.I)
    assert pattern.fullmatch("mise en danger d’autrui")
    assert pattern.fullmatch("mise en danger délibérée de la vie d'autrui")
    assert re.compile(phrase_regex("condamné~"), re.I).fullmatch("condamnées")


def test_a_rule_without_example_is_refused_at_load(tmp_path):
    (tmp_path / "legal_bad.toml").write_text('kind = "peine"\n[[rule]]\ngroup = "x"\nphrases = ["amende"]\n')
    with pytest.raises(ValueError, match="example"):
        load_rules(tmp_path)


@pytest.mark.parametrize(
    "sentence",
    [
        "Le texte a été voté puis les élus sont rentrés.",
        "Les condamnés attendaient dans le couloir du palais.",
        "Les trafiquants se retrouvaient près de la gare.",
        "Des pédocriminels utilisent ces forums, selon l'association.",
        "La saisie des données prend du temps sur ce logiciel.",
        "Le club a fait appel à un nouvel entraîneur.",
        "Il a donné son avis sur la réforme des retraites.",
        "La fermeture de la boutique est prévue en juin.",
        "Le blocage des routes a duré toute la matinée.",
        "Le maire veut interdire les trottinettes.",
        "Les deux clubs se sont accusés de tricherie.",
        "Condamné l'an dernier, il paie un loyer de 11.000 euros.",
        "Un avertissement a été affiché à l'entrée du musée.",
    ],
)
def test_bare_participles_and_ordinary_nouns_are_no_legal_items(sentence):
    assert texts(sentence) == []


def test_a_longer_penalty_is_never_shown_as_its_tail():
    found = texts("Il a été condamné à six ans et huit mois de prison pour ces faits.")
    assert "six ans et huit mois de prison" in found
    assert "huit mois de prison" not in found


def test_a_verb_form_is_shown_with_the_words_that_make_it_a_procedure():
    found = texts("Le jeune homme a été condamné pour vol avec violence, puis placé en garde à vue.")
    assert "a été condamné" in found
    assert "vol avec violence" in found
    assert "placé en garde à vue" in found


def test_general_crime_news_vocabulary_is_covered():
    text = ("Mis en examen pour assassinat et enlèvement et séquestration, le suspect a été placé en "
            "détention provisoire. Ses complices sont renvoyés devant la cour d'assises pour "
            "non-assistance à personne en danger. Le parquet avait requis la réclusion criminelle à "
            "perpétuité.")
    folded = " | ".join(fold(t) for t in texts(text))
    for phrase in ("mis en examen", "assassinat", "enlevement et sequestration", "detention provisoire",
                   "renvoyes devant la cour d'assises", "non-assistance a personne en danger",
                   "reclusion criminelle a perpetuite"):
        assert phrase in folded


def test_political_financial_offences_keep_their_whole_qualification():
    text = ("L'ancien élu est jugé pour détournement de fonds publics, prise illégale d'intérêts et "
            "complicité d'abus de biens sociaux ; il encourt cinq ans d'inéligibilité.")
    found = texts(text)
    for phrase in ("détournement de fonds publics", "prise illégale d'intérêts",
                   "complicité d'abus de biens sociaux", "cinq ans d'inéligibilité"):
        assert phrase in found


def test_a_negated_arrest_is_no_arrest():
    assert texts("Son fils, qui l'accompagnait, n'a pas été interpellé.") == []


def test_distinct_qualifications_of_one_case_are_all_shown():
    found = texts("Ils sont poursuivis pour corruption passive et trafic d'influence passif, "
                  "pour génocide et pour crimes contre l'humanité.")
    for phrase in ("corruption passive", "trafic d'influence passif", "génocide", "crimes contre l'humanité"):
        assert phrase in found


def test_drug_quantities_and_bias_motives_are_found():
    found = texts("Il avait vendu 28,5 grammes d'héroïne. L'agression a été commise à raison de "
                  "l'identité de genre de la victime.")
    assert "28,5 grammes d'héroïne" in found
    assert any(t.startswith("à raison de l'identité de genre") for t in found)


def test_trigger_words_only_skip_rules_that_could_not_match():
    text = " ".join(rule.example for rule in RULES)
    untriggered = [dataclasses.replace(rule, triggers=()) for rule in RULES]
    fast = [(i.kind, i.text, i.start) for i in find_legal(text)]
    slow = [(i.kind, i.text, i.start) for i in find_legal(text, rules=untriggered)]
    assert fast == slow
    assert all(rule.triggers for rule in RULES)


def test_a_data_file_macro_chains_the_qualifiers_of_violence():
    found = texts("Le policier est mis en examen pour violences volontaires par personne dépositaire de "
                  "l'autorité publique ayant entraîné une incapacité totale de travail supérieure à huit jours.")
    assert "violences volontaires par personne dépositaire de l'autorité publique" in found
    found = texts("Il est jugé pour violences volontaires ayant entraîné une incapacité totale de travail.")
    assert "violences volontaires ayant entraîné une incapacité totale de travail" in found


def test_an_item_longer_than_a_digest_line_is_shortened_to_a_whole_reading():
    text = ("Le policier est mis en examen pour violences volontaires par personne dépositaire de "
            "l'autorité publique ayant entraîné une incapacité totale de travail supérieure à huit jours.")
    found = texts(text)
    assert "violences volontaires par personne dépositaire de l'autorité publique" in found
    assert all(len(t) <= MAX_ITEM_CHARS for t in found)


def test_file_macros_are_available_to_the_rules_of_that_file(tmp_path):
    (tmp_path / "legal_x.toml").write_text(
        'kind = "infraction"\n[macros]\nQ = "[grave~|légère~]"\n[[rule]]\ngroup = "faute"\n'
        'phrases = ["faute~ {Q}"]\nexample = "Une faute grave."\n', encoding="utf-8")
    (rule,) = load_rules(tmp_path)
    assert [i.text for i in find_legal("Ce sont des fautes graves.", rules=[rule])] == ["fautes graves"]


def test_hyphenated_and_elided_forms_are_whole_items():
    found = texts("Les associations ont déposé un référé-liberté et demandé la saisine d'un juge d'instruction.")
    assert "référé-liberté" in found
    assert "saisine d'un juge d'instruction" in found


def test_a_custody_after_and_shows_the_procedure_without_the_conjunction():
    items = [f.text for f in find_legal("Il a été interpellé mardi et écroué dans la foulée.")]
    assert "écroué" in items
    assert not any(i.startswith("et ") for i in items)


def test_a_quoted_charge_after_a_case_word_is_an_offence_when_no_rule_names_it():
    found = find_legal('Les investigations, également ouvertes pour "faux", ont été confiées à la police.')
    assert [(i.text, i.rule) for i in found] == [("faux", "qualification-citee")]
    found = find_legal("Il est poursuivi pour « soustraction de mineur » depuis mars.")
    assert [(i.text, i.kind) for i in found if i.kind == "infraction"] == [("soustraction de mineur", "infraction")]


def test_a_quoted_charge_a_rule_knows_keeps_that_rule():
    found = find_legal('Une enquête pour "violences volontaires" a été ouverte.')
    assert [(i.text, i.rule) for i in found if i.kind == "infraction"] == [("violences volontaires", "violences")]


def test_a_quoted_remark_or_a_quote_without_a_case_word_is_no_offence():
    assert not [i for i in find_legal('Il a été jugé pour "ce qu\'il a fait".') if i.kind == "infraction"]
    assert not [i for i in find_legal('Elle milite pour "liberté" depuis des années.') if i.kind == "infraction"]
