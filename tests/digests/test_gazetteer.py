from digests.actors import acronym_aliases
from digests.gazetteer import BODIES, BY_KEY, MEDIA_EXACT
from digests.nlp import ALIAS_INDEX


def test_every_body_has_a_known_role_and_unique_key():
    from digests.model import ROLES

    assert len(BY_KEY) == len(BODIES)
    assert all(body.role in ROLES for body in BODIES)


def test_aliases_resolve_to_canonical_body():
    assert ALIAS_INDEX["commission nationale de l'informatique et des libertes"] == "cnil"
    assert ALIAS_INDEX["cnil"] == "cnil"
    assert ALIAS_INDEX["junalco"] == "junalco"


def test_press_is_listed_as_media_not_bodies():
    keys = {b.name for b in BODIES}
    assert "AFP" in MEDIA_EXACT and "AFP" not in keys


def test_acronym_in_parentheses_maps_long_name():
    aliases = acronym_aliases("Le Collectif féministe contre le viol (CFCV) a porté plainte.")
    assert aliases["collectif feministe contre le viol"] == "cfcv"


def test_ambiguous_acronym_follows_the_article():
    from digests.gazetteer import resolve_ambiguous

    french = resolve_ambiguous("OFAC", "L'Office anti-cybercriminalité (OFAC) a saisi le serveur.")
    american = resolve_ambiguous("OFAC", "L'OFAC, qui dépend du Trésor américain, gèle les avoirs.")
    assert french is not None and french.key == "ofac-fr"
    assert american is not None and american.key == "treasury"
