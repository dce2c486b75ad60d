from digests.extract import (
    article_from_feed_item,
    article_from_html,
    article_from_text,
    is_full_article,
)

COPIED = """Fermeture d'un forum de piratage : le parquet ouvre une enquête

Jeanne Martin
Par Jeanne Martin, journaliste-reporter, chargée de l'actu.
Publié le 3 mars 2024 à 10h15
Le forum avant sa fermeture © Jeanne Martin / Exemple

Le parquet de Lyon a ouvert une enquête après la fermeture du forum Pixelbay, soupçonné \
d'héberger des fichiers volés.

Lire aussi
Un autre forum fermé en Allemagne

Les enquêteurs de la gendarmerie ont saisi deux serveurs.

A découvrir
Le meilleur VPN du moment
Par Jeanne Martin
Journaliste, chargée de l'actualité. Je suis journaliste de formation.
Commentaires (2)
Toto_du_92
Encore un forum fermé, bravo la justice.
"""


def test_text_title_is_first_line_and_date_is_read():
    article = article_from_text(COPIED, source="Exemple")
    assert article.title.startswith("Fermeture d'un forum")
    assert article.published is not None and article.published.day == 3
    assert article.source == "Exemple"


def test_text_drops_byline_credit_boxes_and_comments():
    text = article_from_text(COPIED).text
    assert "parquet de Lyon" in text
    assert "saisi deux serveurs" in text
    for noise in ("Jeanne Martin", "©", "Lire aussi", "Un autre forum", "VPN", "Toto_du_92",
                  "Commentaires", "bravo la justice"):
        assert noise not in text


def test_html_page_keeps_article_and_metadata():
    body = " ".join(["Le tribunal de Nanterre a condamné la société Exemplo pour escroquerie."] * 12)
    html = f"""<html><head><title>Escroquerie : Exemplo condamnée</title>
    <meta property="og:site_name" content="Journal Test">
    <meta property="article:published_time" content="2021-04-02T10:00:00+00:00"></head>
    <body><nav><a href="/">Accueil</a> <a href="/sport">Sport</a></nav>
    <article><h1>Escroquerie : Exemplo condamnée</h1><p>{body}</p></article>
    <footer>Mentions légales</footer></body></html>"""
    article = article_from_html(html, url="https://example.org/a")
    assert "Escroquerie" in article.title
    assert "tribunal de Nanterre" in article.text
    assert "Accueil" not in article.text and "Mentions légales" not in article.text
    assert article.url == "https://example.org/a"


def test_feed_item_html_is_stripped():
    article = article_from_feed_item(
        "La CNIL sanctionne", "<p>La CNIL inflige une amende.</p><p>Deuxième&nbsp;paragraphe.</p>"
    )
    assert article.title == "La CNIL sanctionne"
    assert "<p>" not in article.text and "Deuxième paragraphe." in article.text


def test_feed_item_title_is_plain_text_read_once():
    """bot.feeds.parse already read the feed's markup: the title's "<" and "&amp;" are its own words."""
    article = article_from_feed_item("Amende < 10 000 € si x > 3 : AT&amp;T\ntranche", "<p>Texte.</p>")
    assert article.title == "Amende < 10 000 € si x > 3 : AT&amp;T tranche"


def test_feed_html_keeps_a_lone_less_than_sign_and_drops_code_and_cdata_debris():
    article = article_from_feed_item(
        "Titre",
        "<p>Amende &lt; 10 000 € si x < 3 <![CDATA[a > b]]></p><script>var a = 1 < 2;</script>"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;Fin</p><style>p {}",
    )
    assert article.text == "Amende < 10 000 € si x < 3 a > b\n\nFin"


def test_an_escaped_script_tag_in_prose_drops_the_tag_not_the_rest_of_the_article():
    article = article_from_feed_item("Titre", "<p>La balise &lt;script&gt; permet l'attaque.</p><p>Suite.</p>")
    assert article.text == "La balise permet l'attaque.\n\nSuite."


def test_is_full_article_tells_standfirst_from_article():
    assert not is_full_article("<p>La CNIL inflige une amende à un hébergeur.</p>")
    assert is_full_article("<p>" + "La CNIL inflige une amende à un hébergeur. " * 20 + "</p>")
