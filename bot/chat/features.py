"""The feature commands (search, daily digests, follows): their specs and their handlers.

`bot.compose.build` registers them on `Commands` and wires the features' hooks and start-time
work (index catch-up, daily jobs); this module only says which command each handler answers.
"""

from __future__ import annotations

from bot.chat.commands import CommandSpec, Handler
from bot.chat.follows import Follows
from bot.delivery.daily import DailyDigests
from bot.search.search import SearchCommand

SPECS = {
    "recherche": CommandSpec(
        "recherche",
        "search",
        'Chercher dans les résumés (mots, "expression", acteur:, depuis:, flux:)',
        'Search digests (words, "phrase", acteur:, depuis:, flux:)',
        argument_fr="mots",
        option="requete",
        option_description_fr='Mots, "expression exacte", acteur:CNIL, depuis:7j, flux:2',
        option_description_en='Words, "exact phrase", acteur:CNIL, depuis:7d, flux:2',
        option_required=True,
    ),
    "quotidien": CommandSpec(
        "quotidien",
        "daily",
        "Recevoir un digest chaque jour à HH:MM (ou off)",
        "Get a daily digest at HH:MM (or off)",
        admin_only=True,
        argument_fr="HH:MM ou off",
        option="heure",
        option_description_fr="Heure locale, par exemple 08:00, ou off",
        option_description_en="Local time such as 08:00, or off",
    ),
    "fuseau": CommandSpec(
        "fuseau",
        "timezone",
        "Choisir le fuseau horaire du digest quotidien",
        "Set the daily digest's time zone",
        admin_only=True,
        argument_fr="Europe/Paris",
        option="fuseau",
        option_description_fr="Fuseau IANA, par exemple Europe/Paris",
        option_description_en="IANA time zone such as Europe/Paris",
    ),
    "mode": CommandSpec(
        "mode",
        "mode",
        "Articles en direct, digest quotidien, ou les deux",
        "Instant articles, daily digest, or both",
        admin_only=True,
        argument_fr="instant|quotidien|both",
        option="mode",
        option_description_fr="instant, quotidien ou both",
        option_description_en="instant, quotidien or both",
    ),
    "suivre": CommandSpec(
        "suivre",
        "follow",
        "Être alerté quand un article nomme un acteur ou contient un mot",
        "Get an alert when an article names an actor or contains a keyword",
        admin_only=True,
        argument_fr="acteur ou mot",
        option="sujet",
        option_description_fr="Acteur ou mot-clé, par exemple CNIL",
        option_description_en="Actor or keyword such as CNIL",
        option_required=True,
    ),
    "suivis": CommandSpec("suivis", "following", "Lister les suivis", "List follows"),
    "nepassuivre": CommandSpec(
        "nepassuivre",
        "unfollow",
        "Ne plus suivre un acteur ou un mot (numéro ou nom)",
        "Stop following (number or name)",
        admin_only=True,
        argument_fr="numéro ou nom",
        option="sujet",
        option_description_fr="Numéro donné par /suivis, ou le nom suivi",
        option_description_en="Number from /following, or the followed name",
        option_required=True,
    ),
}


def feature_handlers(search: SearchCommand, daily: DailyDigests, follows: Follows) -> dict[str, Handler]:
    """Map each feature command of `SPECS` to the handler that answers it."""
    return {
        "recherche": search,
        "quotidien": daily.daily_command,
        "fuseau": daily.timezone_command,
        "mode": daily.mode_command,
        "suivre": follows.follow,
        "suivis": follows.following,
        "nepassuivre": follows.unfollow,
    }
