"""The summary is made of whole sentences: chosen for what they carry, cleaned, compressed.

Every sentence here is ours, written to show one behaviour; none comes from the corpus.
"""

from digests.sentences import split_sentences
from digests.summary import (
    SUMMARY_MAX,
    build_summary,
    clean_sentence,
    compressed_forms,
    summary_forms,
    whole_sentences,
)


def _summary(text: str, **kwargs: object) -> str:
    return build_summary(text, split_sentences(text), **kwargs)  # type: ignore[arg-type]


LONG_LEAD = (
    "Le tribunal correctionnel de Rennes (Ille-et-Vilaine) a condamné jeudi à trois ans de "
    "prison ferme Paul Verdier, un ancien comptable de la mairie, pour le détournement de "
    "fonds publics au profit d'une association fictive qu'il présidait depuis 2015 avec son "
    "beau-frère, a-t-on appris vendredi de source judiciaire auprès du parquet de la ville."
)


def test_long_sentence_is_compressed_never_cut():
    summary = _summary(LONG_LEAD, limit=260)
    assert "…" not in summary and len(summary) <= 260
    assert summary.endswith(".")
    assert "trois ans de prison ferme Paul Verdier" in summary  # the stake and the party stay
    assert "(Ille-et-Vilaine)" not in summary and "a-t-on appris" not in summary


def test_compression_drops_parenthesis_then_attribution_and_keeps_the_penalty():
    forms = compressed_forms(LONG_LEAD)
    assert forms[0] == LONG_LEAD
    assert "(Ille-et-Vilaine)" not in forms[1]
    assert any(f.endswith("avec son beau-frère.") for f in forms)
    assert all("trois ans de prison ferme" in f for f in forms)
    assert [len(f) for f in forms] == sorted((len(f) for f in forms), reverse=True)


def test_compression_drops_incidental_clause_between_commas():
    sentence = ("Léa Morin, qui dirigeait la filiale depuis une dizaine d'années, a été mise en "
                "examen pour abus de biens sociaux.")
    assert "Léa Morin a été mise en examen pour abus de biens sociaux." in compressed_forms(sentence)


def test_clause_between_dashes_that_names_people_is_kept():
    sentence = ("Deux anciens ministres - Marc Roux et Hugo Lenoir - ont été relaxés mardi par la "
                "cour, qui a jugé les faits prescrits.")
    assert all("Marc Roux et Hugo Lenoir" in f for f in compressed_forms(sentence))


def test_glued_capital_heading_is_stripped_from_the_sentence():
    text = ("La cour d'appel de Douai a confirmé mardi la condamnation de l'élu pour favoritisme. "
            "UNE DÉCISION TRÈS ATTENDUE Pour le moment, l'élu n'a pas annoncé de pourvoi en cassation.")
    spans = split_sentences(text)
    sentences = [text[s:e] for s, e in spans]
    assert "UNE DÉCISION TRÈS ATTENDUE" in sentences
    assert "Pour le moment, l'élu n'a pas annoncé de pourvoi en cassation." in sentences
    assert "ATTENDUE" not in _summary(text)


def test_heading_glued_without_a_full_stop_is_split_off():
    text = ("Le parquet a fait appel de la relaxe prononcée en juin LES VICTIMES SOULAGÉES "
            "Les parties civiles saluent une décision courageuse du ministère public.")
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == ["Le parquet a fait appel de la relaxe prononcée en juin",
                         "LES VICTIMES SOULAGÉES",
                         "Les parties civiles saluent une décision courageuse du ministère public."]


def test_byline_dateline_and_credit_are_not_prose():
    assert clean_sentence("Par Léa Morin Le tribunal de Lille a rendu son jugement mardi soir.") == (
        "Le tribunal de Lille a rendu son jugement mardi soir.")
    assert clean_sentence("LILLE (AFP) - Le tribunal de Lille a rendu son jugement mardi.") == (
        "Le tribunal de Lille a rendu son jugement mardi.")
    assert clean_sentence("Lire aussi : Le procès de l'année s'ouvre à Lille devant la cour") == ""
    assert clean_sentence("Photo d'illustration : un tribunal vu de l'extérieur, à Lille") == ""


def test_informative_lead_is_chosen_with_the_sentence_that_adds_the_stake():
    text = ("La société Lumivex a été mise en examen mardi pour pratiques commerciales trompeuses. "
            "Le siège de l'entreprise est situé dans un parc d'activités près de la rocade. "
            "Elle encourt une amende de 300 000 euros, selon le parquet de Lille.")
    legal = [text.index("mise en examen"), text.index("amende de 300 000 euros")]
    summary = _summary(text, legal_starts=legal, actor_names=["Lumivex", "parquet de Lille"])
    assert summary.startswith("La société Lumivex a été mise en examen")
    assert "300 000 euros" in summary and "rocade" not in summary


def test_lead_leaning_on_the_headline_gives_way_to_the_sentence_telling_the_story():
    text = ("Ce nouveau rebondissement était attendu depuis plusieurs semaines par les proches. "
            "Le frère de la victime, Marc Roux, a porté plainte lundi contre la société Ormeau pour "
            "homicide involontaire après l'accident du chantier. "
            "Une enquête a été ouverte par le parquet de Rennes.")
    legal = [text.index("porté plainte"), text.index("homicide involontaire"), text.index("enquête")]
    summary = _summary(text, legal_starts=legal, actor_names=["Marc Roux", "Ormeau", "parquet de Rennes"])
    assert summary.startswith("Le frère de la victime, Marc Roux, a porté plainte")
    assert "rebondissement" not in summary


def test_pronoun_sentence_is_taken_only_right_after_its_antecedent():
    text = ("Un homme de 35 ans a été interpellé dimanche à Nantes après une série de cambriolages. "
            "Les commerçants du quartier se disent soulagés par cette arrestation rapide. "
            "Il a été placé en détention provisoire et sera jugé en comparution immédiate.")
    legal = [text.index("interpellé"), text.index("détention provisoire")]
    summary = _summary(text, legal_starts=legal)
    assert not summary.endswith("comparution immédiate.")


def test_summary_avoids_quotes_and_cut_sentences_as_second_sentence():
    text = ("Le tribunal de Metz a condamné l'éditeur Ormeau à retirer l'application du marché. "
            "\"Nous ferons appel de cette décision injuste\", a déclaré son avocat, Me Hugo Lenoir. "
            "Le jugement est assorti d'une astreinte de 5 000 euros par jour.")
    legal = [text.index("condamné"), text.index("appel"), text.index("astreinte")]
    summary = _summary(text, legal_starts=legal, actor_names=["Ormeau", "Hugo Lenoir"])
    assert "Nous ferons appel" not in summary
    assert "astreinte de 5 000 euros" in summary


def test_summary_forms_shrink_by_whole_sentences():
    summary = ("Le tribunal de Lille (Nord) a condamné la société Lumivex à 2 millions d'euros "
               "d'amende, a-t-on appris mardi. L'entreprise, qui conteste les faits, fera appel.")
    forms = summary_forms(summary)
    assert forms[0] == summary
    assert "Le tribunal de Lille a condamné la société Lumivex à 2 millions d'euros d'amende." in forms
    assert all("…" not in f and f.endswith(".") for f in forms)
    assert [len(f) for f in forms] == sorted((len(f) for f in forms), reverse=True)


def test_summary_forms_keep_the_english_note():
    forms = summary_forms("(article en anglais) The court fined the company (a big one) heavily today.")
    assert all(f.startswith("(article en anglais) ") for f in forms)


def test_whole_sentences_fits_a_platform_limit_without_cutting():
    text = ("La cour a condamné la plateforme pour publicité trompeuse envers ses clients. "
            "La décision peut encore faire l'objet d'un appel devant la cour de Douai.")
    assert whole_sentences(text, 1000) == text
    assert whole_sentences(text, 80) == "La cour a condamné la plateforme pour publicité trompeuse envers ses clients."
    assert whole_sentences(text, 20) == ""


def test_no_sentence_fits_takes_the_shortest_whole_one():
    long = "Le procureur a requis " + "une peine très sévère et exemplaire, " * 12 + "contre le prévenu."
    text = long + " Le jugement sera rendu en septembre par le tribunal de Lyon."
    summary = _summary(text)
    assert summary == "Le jugement sera rendu en septembre par le tribunal de Lyon."
    assert len(summary) <= SUMMARY_MAX


def test_sentence_kept_alone_is_the_one_carrying_the_stake():
    summary = ("La jeune femme avait disparu un soir de juin en rentrant de son travail. "
               "Un homme de 40 ans a été mis en examen pour meurtre et placé en détention provisoire.")
    forms = summary_forms(summary)
    assert forms[-1].startswith("Un homme de 40 ans a été mis en examen pour meurtre")
    assert not any(f == "La jeune femme avait disparu un soir de juin en rentrant de son travail." for f in forms)


def test_quoted_lead_gives_way_to_the_sentence_that_tells_what_happened():
    text = ("\"Je veux seulement que justice soit faite pour ma fille\", a confié la mère devant le palais. "
            "Le tribunal de Nîmes a condamné mardi Paul Verdier à six ans de prison pour violences aggravées.")
    legal = [text.index("six ans de prison"), text.index("violences aggravées")]
    summary = _summary(text, legal_starts=legal, actor_names=["Paul Verdier"])
    assert summary.startswith("Le tribunal de Nîmes a condamné mardi Paul Verdier")


def test_compression_keeps_the_french_space_before_a_colon():
    sentence = ("La cour (qui siégeait à huis clos) a retenu deux circonstances : la préméditation et "
                "la vulnérabilité de la victime.")
    assert compressed_forms(sentence)[1] == ("La cour a retenu deux circonstances : la préméditation et "
                                             "la vulnérabilité de la victime.")


def test_charge_quoted_in_a_few_words_is_no_quotation():
    from digests.summary import is_quote

    assert not is_quote('Deux hommes ont été mis en examen pour "association de malfaiteurs terroriste".')
    assert is_quote('Le prévenu a lancé "je ne regrette rien de ce que j\'ai fait ce soir-là, rien du tout".')


def test_sentence_holding_the_top_stake_is_a_candidate_even_late_in_the_article():
    filler = " ".join(f"Le quartier numéro {i} compte de nombreux commerces et une école primaire." for i in range(10))
    text = ("Paul Verdier avait construit sa maison sans attendre la réponse de la mairie. " + filler
            + " Le tribunal administratif a condamné Paul Verdier à une amende de 15 000 euros.")
    stake = text.index("une amende de 15 000 euros")
    summary = _summary(text, stake_start=stake, actor_names=["Paul Verdier"])
    assert "amende de 15 000 euros" in summary
