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
