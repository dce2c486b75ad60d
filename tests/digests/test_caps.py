"""Length caps before NLP, and JSON article objects."""

from __future__ import annotations

from digests.engine import MAX_TEXT_CHARS, MAX_TITLE_CHARS, capped
from digests.extract import article_from_json
from digests.model import Article


def test_title_and_text_are_cut_at_a_word_boundary_before_nlp() -> None:
    article = Article(title="Titre " * 200, text="Le parquet de Paris enquête. " * 5000)
    cut = capped(article)
    assert len(cut.title) <= MAX_TITLE_CHARS and len(cut.text) <= MAX_TEXT_CHARS
    assert article.text.startswith(cut.text)
    assert not cut.text.endswith(("enquêt", "Pari", "parque"))  # never mid-word


def test_a_normal_article_is_left_untouched() -> None:
    article = Article(title="Un titre", text="Un texte court.")
    assert capped(article) is article


def test_a_json_article_object_is_read_with_its_date() -> None:
    article = article_from_json('{"title": "Titre", "text": "Le tribunal a tranché.", "date": "2025-06-25"}')
    assert article.title == "Titre" and "tribunal" in article.text
    assert article.published is not None and article.published.year == 2025
