from datetime import datetime

from digests.model import Actor, Digest, LegalItem
from digests.render import MAX_CHARS, NO_LEGAL, render_text
from digests.sentences import split_sentences
from digests.summary import build_summary
from digests.textutil import trim_words

TEXT = ("La CNIL a sanctionné mardi la société Exemplo pour avoir conservé des données. "
        "Le siège de l'entreprise est situé à Lille. "
        "L'amende atteint 2 millions d'euros, un record pour un hébergeur.")


def test_trim_never_cuts_inside_a_word():
    cut = trim_words("information judiciaire ouverte", 15)
    assert cut == "information…"
    assert len(cut) <= 15


def test_summary_takes_lead_and_legal_stake_sentence():
    spans = split_sentences(TEXT)
    stake = TEXT.index("2 millions")
    summary = build_summary(TEXT, spans, stake_start=stake)
    assert summary.startswith("La CNIL a sanctionné")
    assert "2 millions d'euros" in summary
    assert "Lille" not in summary


def test_summary_respects_limit_at_word_boundary():
    spans = split_sentences(TEXT)
    summary = build_summary(TEXT, spans, limit=60)
    assert len(summary) <= 60 and summary.endswith("…")
    assert summary[:-1].split()[-1] in TEXT.split()


def _digest(n_actors: int, legal: tuple[LegalItem, ...]) -> Digest:
    actors = tuple(
        Actor(name=f"Société Numéro{i}", kind="organisation", role="entreprise/plateforme")
        for i in range(n_actors)
    )
    return Digest(title="Titre " * 40, url="", published=datetime(2024, 6, 28), source="Exemple",
                  summary="Une phrase de résumé assez longue. " * 20, actors=actors, legal=legal)


def test_render_fits_budget_with_many_actors_and_items():
    legal = tuple(LegalItem(kind="infraction", text=f"infraction numéro {i}") for i in range(30))
    text = render_text(_digest(30, legal))
    assert len(text) <= MAX_CHARS
    assert "Acteurs : " in text and "Enjeux juridiques : " in text
    assert "28 juin 2024" in text


def test_render_says_when_no_legal_angle():
    text = render_text(_digest(2, ()))
    assert NO_LEGAL in text
    assert len(text) <= MAX_CHARS


def _people_digest(*people: tuple[str, str]) -> Digest:
    actors = tuple(Actor(name=n, kind="personne", role=r) for n, r in people)
    return Digest(title="Procès d'un réseau d'escrocs", url="", published=None, source="",
                  summary="Le tribunal a rendu son jugement.", actors=actors)


def test_co_defendants_share_one_slot_under_one_label():
    digest = _people_digest(("Léa Morin", "mis en cause"), ("Marc Roux", "victime"),
                            ("Paul Verdier", "mis en cause"), ("Hugo Lenoir", "mis en cause"))
    text = render_text(digest)
    assert "Léa Morin, Paul Verdier et Hugo Lenoir (mis en cause) · Marc Roux (victime)" in text


def test_role_label_is_dropped_when_the_name_says_it():
    digest = Digest(title="Enquête", url="", published=None, source="", summary="Résumé.",
                    actors=(Actor(name="parquet de Lille", kind="organisation",
                                  role="parquet/accusation"),
                            Actor(name="Lumivex", kind="organisation", role="mis en cause")))
    text = render_text(digest)
    assert "parquet de Lille · Lumivex (mis en cause)" in text


def test_procedure_opening_a_sentence_is_shown_in_lower_case():
    legal = (LegalItem(kind="procédure", text="Interpellé"),
             LegalItem(kind="loi", text="Digital Services Act"))
    text = render_text(_digest(2, legal))
    assert "Enjeux juridiques : interpellé ; Digital Services Act." in text


def test_companies_cited_together_share_one_slot():
    digest = Digest(title="Blocage", url="", published=None, source="", summary="Résumé.",
                    actors=(Actor(name="Lumivex", kind="organisation", role="entreprise/plateforme"),
                            Actor(name="tribunal de Lille", kind="organisation", role="juridiction"),
                            Actor(name="Ormeau", kind="organisation", role="entreprise/plateforme")))
    text = render_text(digest)
    assert "Lumivex et Ormeau (entreprises) · tribunal de Lille" in text
