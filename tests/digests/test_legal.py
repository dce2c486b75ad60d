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
