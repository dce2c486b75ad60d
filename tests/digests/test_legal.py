from digests.legal import find_legal
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
    folded = {fold(t) for t in found}
    assert {"relaxes", "controle judiciaire", "pourvoi en cassation", "action de groupe"} <= folded


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
    assert any(i.group == "abus-position" for i in found)


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
