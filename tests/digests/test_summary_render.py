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


def test_summary_within_a_small_limit_is_a_whole_sentence_not_a_cut():
    spans = split_sentences(TEXT)
    summary = build_summary(TEXT, spans, limit=70)
    assert len(summary) <= 70 and "…" not in summary
    assert summary in [TEXT[s:e] for s, e in spans]


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


# --- never "…": the budget is met by dropping, choosing and compressing, not by cutting ----

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from digests.model import LEGAL_KINDS, ROLES  # noqa: E402
from digests.render import title_forms  # noqa: E402
from digests.summary import summary_forms  # noqa: E402

LONG_SUMMARY = (
    "Le tribunal correctionnel de Lille (Nord) a condamné mardi la société Lumivex à une amende "
    "de 2 millions d'euros pour la revente de données de ses clients, a-t-on appris de source "
    "judiciaire. L'entreprise, qui conteste les faits depuis le début de l'enquête, a annoncé "
    "son intention de faire appel de cette décision devant la cour de Douai."
)


def _crowded(title: str = "Revente de données : Lumivex condamnée", summary: str = LONG_SUMMARY) -> Digest:
    actors = tuple(
        Actor(name=f"Acteur Numéro{i} de la procédure", kind="organisation", role="autre",
              function=f"fonction assez longue numéro {i}")
        for i in range(14)
    )
    legal = tuple(LegalItem(kind="infraction", text=f"infraction assez longue numéro {i}") for i in range(14))
    return Digest(title=title, url="", published=datetime(2025, 3, 7), source="Exemple",
                  summary=summary, actors=actors, legal=legal)


def test_long_summary_and_many_actors_render_without_ellipsis():
    text = render_text(_crowded())
    assert "…" not in text and len(text) <= MAX_CHARS
    summary_line = text.split("\n")[1]
    assert summary_line in summary_forms(LONG_SUMMARY)  # whole sentences, cleanly compressed
    assert "Acteurs : " in text and "Enjeux juridiques : " in text


def test_budget_keeps_the_summary_by_whole_sentences():
    text = render_text(_crowded())
    assert text.split("\n")[1].startswith("Le tribunal correctionnel de Lille")


def test_very_long_title_loses_its_trailing_clause_not_a_word():
    title = ("Affaire des données revendues par une société lilloise spécialisée dans la publicité "
             "ciblée sur internet : le tribunal condamne lourdement l'entreprise et ses dirigeants")
    text = render_text(_crowded(title=title))
    assert text.split("\n")[0] == title.split(" : ")[0]
    assert "…" not in text


def test_long_title_without_a_break_is_kept_whole():
    title = ("Une société lilloise spécialisée dans la publicité ciblée condamnée pour avoir revendu "
             "les données de centaines de milliers de clients sans leur consentement explicite")
    text = render_text(_crowded(title=title))
    assert text.split("\n")[0] == title and len(text) <= MAX_CHARS


def test_title_forms_are_whole_leading_clauses():
    assert title_forms("Procès Lumivex : le parquet fait appel - la défense proteste") == [
        "Procès Lumivex : le parquet fait appel - la défense proteste",
        "Procès Lumivex : le parquet fait appel",
        "Procès Lumivex",
    ]


def test_legal_item_too_long_is_dropped_not_cut():
    long_item = "manquement " + "à l'obligation de sécurité des données " * 4
    digest = Digest(title="Sanction", url="", published=None, source="", summary="La CNIL a sanctionné l'hébergeur.",
                    legal=(LegalItem(kind="infraction", text=long_item), LegalItem(kind="peine", text="amende")))
    text = render_text(digest)
    assert "Enjeux juridiques : amende." in text and "…" not in text


_word = st.text(alphabet=st.sampled_from("abcdeéèfgàhijklmnopqrstuvwxyzABCDEÉ'()-"), min_size=1, max_size=14)
_separator = st.sampled_from([" ", " ", " ", " ", ", ", " : ", " - ", " (", ") ", "; "])


def _phrase(min_words: int, max_words: int) -> st.SearchStrategy[str]:
    """Long runs of words and separators: long enough to press on every limit."""
    pairs = st.lists(st.tuples(_word, _separator), min_size=min_words, max_size=max_words)
    return pairs.map(lambda ps: "".join(w + sep for w, sep in ps).strip() or "mot")


_sentence = _phrase(3, 70).map(lambda p: p[0].upper() + p[1:] + ".")


@settings(max_examples=80, deadline=None)
@given(
    title=_phrase(1, 150),
    summary=st.lists(_sentence, min_size=0, max_size=4).map(" ".join),
    actors=st.lists(st.tuples(_phrase(1, 8), st.sampled_from(ROLES), _phrase(0, 8)), max_size=16),
    legal=st.lists(st.tuples(st.sampled_from(LEGAL_KINDS), _phrase(1, 25)), max_size=16),
    source=_phrase(0, 6),
)
def test_any_digest_renders_within_budget_without_ellipsis(title, summary, actors, legal, source):
    digest = Digest(
        title=title, url="", published=datetime(2025, 1, 2), source=source, summary=summary,
        actors=tuple(Actor(name=n, kind="personne", role=r, function=f) for n, r, f in actors),
        legal=tuple(LegalItem(kind=k, text=t) for k, t in legal),
    )
    text = render_text(digest)
    assert len(text) <= MAX_CHARS
    assert "…" not in text



def test_when_room_is_short_an_actor_the_summary_names_gives_way_to_an_unseen_one():
    names = ["Paul Verdier", "Léa Fontaine", "Hugo Renard", "Marc Vidal", "Julie Perrin", "Anne Roussel"]
    summary = ", ".join(names[:-1]) + f" et {names[-1]} ont été entendus mardi par la juge d'instruction de Lyon."
    actors = tuple(
        Actor(name=name, kind="personne", role="autre", function="ancien conseiller municipal de la ville")
        for name in names
    ) + (Actor(name="Association Vigilance", kind="organisation", role="plaignant"),)
    legal = tuple(LegalItem(kind="infraction", text=f"infraction numéro {i} assez longue") for i in range(7))
    digest = Digest(title="Marchés publics : six anciens élus entendus par la juge", url="", published=None,
                    source="Test", summary=summary, actors=actors, legal=legal)
    text = render_text(digest)
    assert len(text) <= MAX_CHARS
    assert "Association Vigilance (plaignant)" in text
    assert all(name in text for name in names)  # still named, in the summary


def test_a_legal_item_in_capitals_is_shown_in_lower_case_but_an_acronym_is_kept():
    legal = (LegalItem(kind="procédure", text="ONT ÉTÉ RELAXÉS"), LegalItem(kind="loi", text="RGPD"))
    text = render_text(_digest(2, legal))
    assert "Enjeux juridiques : ont été relaxés ; RGPD." in text
