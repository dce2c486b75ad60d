from digests.language import detect_language


def test_french_and_english_are_told_apart():
    assert detect_language("Le parquet de Paris a ouvert une enquête sur la fuite des données.") == "fr"
    assert detect_language("The French police arrested the admin of the forum after the breach.") == "en"


def test_too_little_text_is_undetermined():
    assert detect_language("Europol") == "und"
