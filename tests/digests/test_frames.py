"""Every party frame of digests/data/frames.toml finds, in its own example, what it promises."""

from __future__ import annotations

import pytest
from spacy.tokens import Doc

from digests import frames

FRAMES = frames.load_frames()


@pytest.mark.parametrize("frame", FRAMES, ids=[f.id for f in FRAMES])
def test_frame_attaches_its_roles_in_its_example(engine, frame):
    assert frame.example and frame.expect, f"frame {frame.id} needs an example and what it must find"
    doc = frames.parse(engine.nlp, [frame.example])[0]
    found = frames.attach(doc, 0, [frame])
    for name, role in frame.expect:
        covered = [a for a in found if name in doc.text[a.start : a.end] or name in a.phrase]
        assert covered, f"{frame.id}: nothing attached to {name!r} in {frame.example!r}"
        assert {a.role for a in covered} == {role}


def test_frame_ids_are_unique():
    ids = [f.id for f in FRAMES]
    assert len(ids) == len(set(ids))


def test_negated_predicate_attaches_nothing(engine):
    doc = frames.parse(engine.nlp, ["Paul Marchand n'a pas été mis en examen."])[0]
    assert frames.attach(doc) == []


def test_a_present_tense_arrest_verb_without_the_police_as_subject_attaches_nothing(engine):
    doc = frames.parse(engine.nlp, ["Cette annonce interpelle deux jeunes femmes de la ville."])[0]
    assert frames.attach(doc) == []


def test_relative_clause_gives_the_role_to_its_antecedent(engine):
    doc = frames.parse(engine.nlp, ["Il a croisé Paul Marchand, qui a été mis en examen mardi."])[0]
    attached = {doc.text[a.start : a.end]: a.role for a in frames.attach(doc)}
    assert attached.get("Paul Marchand") == "mis en cause"


def test_coordinated_arguments_share_the_role(engine):
    doc = frames.parse(engine.nlp, ["Paul Marchand et Léa Fontaine ont été condamnés à un an de prison."])[0]
    attached = {doc.text[a.start : a.end]: a.role for a in frames.attach(doc)}
    assert attached.get("Paul Marchand") == "mis en cause"
    assert attached.get("Léa Fontaine") == "mis en cause"


def test_trigger_pattern_skips_sentences_without_frame_words():
    pattern = frames.trigger_pattern()
    assert pattern.search("Le suspect a été mis en examen.")
    assert not pattern.search("La mairie a inauguré un nouveau parc dimanche.")


def test_possessive_role_noun_gives_nothing_to_the_noun_it_qualifies(engine):
    sentence = "Homme violent, qui « casse » ses victimes « comme un jouet », le quinquagénaire a demandé pardon."
    doc = frames.parse(engine.nlp, [sentence])[0]
    attached = {doc.text[a.start : a.end]: a.role for a in frames.attach(doc)}
    assert set(attached) == {"victimes"}


def test_subject_the_parser_hangs_on_the_auxiliary_still_gets_the_role(engine):
    doc = frames.parse(engine.nlp, ["Leur oncle, 51 ans, a quant à lui été mis en examen pour recel."])[0]
    attached = {doc.text[a.start : a.end]: a.role for a in frames.attach(doc)}
    assert attached.get("oncle") == "mis en cause"


def test_a_name_that_only_locates_the_argument_gets_no_role(engine):
    text = "Le parquet a ouvert une enquête visant l'avocat de Paul Marchand, Me Léo Fontaine."
    doc = frames.parse(engine.nlp, [text])[0]
    found = frames.attach(doc)
    fontaine, marchand = text.index("Léo Fontaine"), text.index("Paul Marchand")
    assert any(a.covers(fontaine, fontaine + 12) and a.role == "mis en cause" for a in found)
    assert not any(a.covers(marchand, marchand + 13) for a in found)


def test_a_name_after_a_clause_on_the_noun_is_not_its_apposition(engine):
    # The parse spaCy gave a real headline, with invented names: "Fontaine" hung on the
    # newspaper as an apposition, past the participle clause that holds "envers".
    words = ["«", "Courrier", "»", "condamné", "en", "appel", "pour", "injure", "envers", "Léa", "Fontaine"]
    heads = [1, 1, 1, 1, 5, 3, 7, 3, 1, 1, 9]
    deps = ["punct", "ROOT", "punct", "acl", "case", "obl:arg", "case", "obl:mod", "nmod", "appos", "flat:name"]
    doc = Doc(engine.nlp.vocab, words=words, heads=heads, deps=deps)
    fontaine = doc.text.index("Léa Fontaine")
    attached = frames.attach(doc)
    assert any(doc.text[a.start : a.end].startswith("Courrier") for a in attached)
    assert not any(a.covers(fontaine, fontaine + 12) for a in attached)


@pytest.mark.parametrize(
    "sentence",
    [
        "Paul Marchand est mort à 82 ans de complications liées à une pneumonie.",
        "La mort subite de Paul Marchand a surpris ses proches.",
    ],
)
def test_a_death_without_circumstances_makes_no_victim(engine, sentence):
    doc = frames.parse(engine.nlp, [sentence])[0]
    assert frames.attach(doc) == []


def test_a_name_starting_inside_a_complement_belongs_to_it_even_when_split():
    # "ex-maire de Levallois-Perret": the parser keeps "de Levallois" in the complement and
    # hangs "Perret" on the head, so the place's mention runs past the complement's end.
    attachment = frames.Attachment(
        start=0, end=30, role="mis en cause", frame="condamnation", head="ex-maire",
        phrase="ex-maire", phrase_start=0, plural=False, holes=((9, 21),),
    )
    assert attachment.covers(0, 8)  # the head itself
    assert not attachment.covers(12, 30)  # the place, split by the parser


def test_the_investigators_of_a_clause_in_custody_are_not_the_ones_in_custody(engine):
    doc = frames.parse(engine.nlp, ["En garde à vue depuis mardi, les enquêteurs ont interrogé Nadia Perrot."])[0]
    attached = {doc.text[a.start : a.end]: a.role for a in frames.attach(doc)}
    assert "enquêteurs" not in attached
    assert "policiers" not in {a.head for a in frames.attach(doc)}
