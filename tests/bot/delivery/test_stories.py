"""Same-story detection on our test set, and cross-outlet dedupe of instant deliveries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.delivery.stories import SAME_STORY_THRESHOLD, make_signature, same_story, signature, similarity
from bot.models import ChatRecord
from tests.support.newsroom import add_feed, make_digest, publish, subscribe
from tests.support.sqlite_rows import age_deliveries

Core = tuple[Veille, ConsoleAdapter]
PAIRS = json.loads((Path(__file__).parents[2] / "data" / "stories.json").read_text("utf-8"))["pairs"]


def _signature(item: dict[str, Any]) -> Any:
    actors = [[a["name"], *a.get("aliases", [])] for a in item["actors"]]
    return make_signature(f"{item['title']} {item['summary']}", actors)


def _precision_recall(threshold: float) -> tuple[float, float]:
    scores = [(similarity(_signature(p["a"]), _signature(p["b"])), p["same"]) for p in PAIRS]
    tp = sum(1 for s, same in scores if s >= threshold and same)
    fp = sum(1 for s, same in scores if s >= threshold and not same)
    fn = sum(1 for s, same in scores if s < threshold and same)
    return tp / (tp + fp), tp / (tp + fn)


def test_test_set_has_enough_pairs_of_both_kinds() -> None:
    assert len(PAIRS) >= 20
    assert sum(p["same"] for p in PAIRS) >= 10 and sum(not p["same"] for p in PAIRS) >= 10


def test_same_story_precision_and_recall_on_our_pairs() -> None:
    precision, recall = _precision_recall(SAME_STORY_THRESHOLD)
    print(f"same-story threshold={SAME_STORY_THRESHOLD} precision={precision:.2f} recall={recall:.2f}")
    assert precision >= 0.85
    assert recall >= 0.9


def test_threshold_sits_on_a_stable_near_best_plateau() -> None:
    """Precision matters more than recall here: a false merge hides an article from a chat."""

    def f1(threshold: float) -> float:
        p, r = _precision_recall(threshold)
        return 2 * p * r / (p + r)

    best = max(f1(t / 100) for t in range(30, 90))
    assert f1(SAME_STORY_THRESHOLD) >= best - 0.01
    around = {_precision_recall(SAME_STORY_THRESHOLD + d) for d in (-0.03, 0.0, 0.03)}
    assert len(around) == 1  # not balanced on a knife edge of this small set


def test_actor_aliases_make_two_spellings_meet() -> None:
    a = make_digest("La CNIL sanctionne Mutualis", actors=[("CNIL",), ("Mutualis",)])
    b = make_digest(
        "Mutualis sanctionnée par le régulateur",
        actors=[("Commission nationale de l'informatique et des libertés", "CNIL"), ("Mutualis",)],
    )
    assert same_story(signature(a), signature(b))


async def _sent_titles(app: Veille, console: ConsoleAdapter) -> list[str]:
    await app.dispatcher.run_once()
    return [m.digest.title for m in console.messages if m.digest is not None]


async def test_instant_mode_does_not_repeat_a_story_told_by_another_feed(core: Core, chat: ChatRecord) -> None:
    app, console = core
    journal, actu = await add_feed(app, "journal"), await add_feed(app, "actu")
    await subscribe(app, chat, journal, actu)
    first = make_digest(
        "La CNIL inflige 5 millions d'euros d'amende à Mutualis pour une fuite de données",
        "La mutuelle Mutualis est sanctionnée après la fuite des données de santé de ses adhérents.",
        actors=[("CNIL",), ("Mutualis",)],
    )
    retold = make_digest(
        "Fuite de données : Mutualis sanctionnée de 5 M€ par la CNIL",
        "Les données de santé des adhérents de la mutuelle avaient fuité.",
        source="Actu (test)",
        actors=[("Commission nationale de l'informatique et des libertés", "CNIL"), ("Mutualis",)],
    )
    other = make_digest("Rançongiciel à l'hôpital de Valmont", "Le parquet enquête.", source="Actu (test)")
    await publish(app, journal, first)
    await publish(app, actu, retold)
    await publish(app, actu, other)
    assert await _sent_titles(app, console) == [first.title, other.title]


async def test_same_feed_follow_up_and_old_stories_are_delivered(core: Core, chat: ChatRecord) -> None:
    app, console = core
    journal, actu = await add_feed(app, "journal"), await add_feed(app, "actu")
    await subscribe(app, chat, journal, actu)
    story = ("Perquisition à la fédération française de voile", "Le PNF enquête pour corruption.")
    await publish(app, journal, make_digest(*story, actors=[("PNF",)]))
    await publish(app, journal, make_digest(*story, actors=[("PNF",)]))  # same outlet: its own update
    await age_deliveries(app.storage, datetime(2000, 1, 1, tzinfo=UTC))
    await publish(app, actu, make_digest(*story, actors=[("PNF",)]))  # last told > 48 h ago
    assert len(await _sent_titles(app, console)) == 3


def _with_roles(title: str, summary: str, actors: list[tuple[str, str]]) -> Any:
    from dataclasses import replace

    from digests.model import Actor

    digest = make_digest(title, summary)
    return signature(replace(digest, actors=tuple(Actor(name, "organisation", role) for name, role in actors)))


def test_two_stories_about_different_parties_never_merge_however_alike_their_wording() -> None:
    a = _with_roles(
        "La CNIL inflige une amende de 2 millions d'euros à Assurix",
        "La CNIL sanctionne l'assureur pour des cookies déposés sans consentement.",
        [("CNIL", "régulateur"), ("Assurix", "entreprise/plateforme")],
    )
    b = _with_roles(
        "La CNIL inflige une amende de 2 millions d'euros à Banquix",
        "La CNIL sanctionne la banque pour des cookies déposés sans consentement.",
        [("CNIL", "régulateur"), ("Banquix", "entreprise/plateforme")],
    )
    assert similarity(a, b) == 0.0
    assert not same_story(a, b)


def test_shared_institutions_alone_are_no_evidence_of_one_story() -> None:
    a = _with_roles(
        "Rançongiciel : le parquet de Paris ouvre une enquête",
        "Un hôpital de province est paralysé par une attaque informatique.",
        [("parquet de Paris", "parquet/accusation"), ("OFAC", "enquêteur")],
    )
    b = _with_roles(
        "Escroquerie aux faux placements : le parquet de Paris saisi",
        "Des épargnants ont perdu plusieurs millions d'euros sur de faux sites.",
        [("parquet de Paris", "parquet/accusation"), ("OFAC", "enquêteur")],
    )
    assert not same_story(a, b)


def test_the_same_party_told_by_two_outlets_still_merges_with_roles_known() -> None:
    a = _with_roles(
        "La CNIL inflige une amende de 5 millions d'euros à Mutualis pour une fuite de données",
        "La CNIL sanctionne la mutuelle Mutualis après la fuite des données de santé de 300 000 adhérents.",
        [("CNIL", "régulateur"), ("Mutualis", "entreprise/plateforme")],
    )
    b = _with_roles(
        "Fuite de données : Mutualis sanctionnée à hauteur de 5 M€ par la CNIL",
        "Le régulateur reproche à la mutuelle Mutualis la fuite des données de santé de ses adhérents.",
        [("CNIL", "régulateur"), ("Mutualis", "entreprise/plateforme")],
    )
    assert same_story(a, b)
