"""End-to-end checks of actors, roles and grounding on sentences we wrote ourselves."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digests.engine import DigestEngine
from digests.model import Article
from digests.render import MAX_CHARS
from digests.textutil import fold

COCO_LIKE = Article(
    title="Un Suédois de 39 ans à la tête du forum Darkpixel fermé par la justice",
    text=(
        "Le Parquet de Paris a ouvert une information judiciaire après la fermeture de la "
        "plateforme Darkpixel, dont un Suédois de 39 ans serait l'administrateur.\n\n"
        "La procureure de la République Marie Dufresne a précisé que les faits sont passibles "
        "de 10 ans de prison et 500 000 € d'amende. Selon Mme Dufresne, trois hommes ont été "
        "entendus par les enquêteurs de l'UNCyber de la Gendarmerie nationale.\n\n"
        "La Commission nationale de l'informatique et des libertés (CNIL) a été avertie. "
        "La CNIL rappelle que les données volées restent protégées."
    ),
    source="Test",
)


def names(engine: DigestEngine, article: Article) -> dict[str, object]:
    return {a.name: a for a in engine.summarize(article).actors}


def test_parquet_de_paris_is_the_prosecution_not_a_place(engine):
    actors = names(engine, COCO_LIKE)
    parquet = next(a for n, a in actors.items() if fold(n) == "parquet de paris")
    assert parquet.kind == "organisation"
    assert parquet.role == "parquet/accusation"


def test_cnil_long_name_and_acronym_are_one_actor(engine):
    actors = [a for a in engine.summarize(COCO_LIKE).actors if "cnil" in fold(a.name + " ".join(a.aliases))]
    assert len(actors) == 1
    assert actors[0].role == "régulateur"


def test_prosecutor_gets_role_and_surname_merges(engine):
    actors = names(engine, COCO_LIKE)
    assert "Marie Dufresne" in actors
    person = actors["Marie Dufresne"]
    assert person.role == "parquet/accusation"
    assert "procureure" in person.function
    assert "Dufresne" not in actors  # merged into the full name


def test_unnamed_parties_are_kept(engine):
    found = {fold(a.name) for a in engine.summarize(COCO_LIKE).actors}
    assert "suedois de 39 ans" in found
    assert "trois hommes" in found


def test_digest_text_names_actors_and_penalty_within_budget(engine):
    digest = engine.summarize(COCO_LIKE)
    assert len(digest.text) <= MAX_CHARS
    assert "Acteurs : " in digest.text
    assert "10 ans de prison" in digest.text
    assert digest.language == "fr"


def test_press_outlet_is_never_an_actor(engine):
    article = Article(
        title="Fuite de données chez Exemplo",
        text="Selon Le Parisien et l'AFP, la société Exemplo a subi une fuite de données, "
             "révèle L'Express. Exemplo a porté plainte.",
    )
    found = {fold(a.name) for a in engine.summarize(article).actors}
    assert not found & {"le parisien", "parisien", "afp", "l'express", "express"}


def test_english_article_is_flagged_in_summary(engine):
    article = Article(
        title="Police arrest forum admins",
        text="French police arrested four people who ran the forum, and the prosecutor said "
             "they face charges of fraud and money laundering. The site was seized by Europol.",
    )
    digest = engine.summarize(article)
    assert digest.language == "en"
    assert digest.summary.startswith("(article en anglais)")
    assert "Acteurs" in digest.text  # French labels stay


def test_summarize_many_matches_one_by_one(engine):
    other = Article(
        title="La CNIL inflige une amende",
        text="La CNIL inflige 2 millions d'euros d'amende à Exemplo pour fuite de données.",
    )
    batch = engine.summarize_many([COCO_LIKE, other])
    assert [d.text for d in batch] == [engine.summarize(COCO_LIKE).text, engine.summarize(other).text]


_WORDS = st.sampled_from(
    ["Le parquet de Paris", "la CNIL", "Europol", "a ouvert", "une enquête", "pour", "escroquerie",
     "et", "blanchiment", "Jean Dupont", "la société Exemplo", "trois hommes", "ont été",
     "condamnés à", "2 ans de prison", "10 000 euros d'amende", "selon", "le tribunal de Lyon",
     "garde à vue", "RGPD", "plainte", "victimes", "hackers", "."]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_WORDS, min_size=3, max_size=40), st.text(string.ascii_letters + " ", max_size=20))
def test_every_actor_and_legal_item_occurs_in_the_source(engine, words, noise):
    text = " ".join(words) + " " + noise
    article = Article(title=" ".join(words[:4]), text=text)
    digest = engine.summarize(article)
    source = fold(article.title + " " + article.text)
    for actor in digest.actors:
        assert fold(actor.name) in source
    for item in digest.legal:
        assert fold(item.text) in source
    assert len(digest.text) <= MAX_CHARS
