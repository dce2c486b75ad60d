"""Slash commands and buttons generated from the core's command specs.

Each `CommandSpec` becomes one slash command: French name and description, English ones as
localizations (given to Discord by `SpecTranslator` at sync), the spec's one text option, feed
autocomplete when the spec asks for it, and `default_permissions` for admin-only commands.
Reply buttons are `CommandButton`s whose custom id is the command line they run. Both hand the
interaction to an `InteractionRunner` (the adapter), which builds the context and answers.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Protocol, runtime_checkable

import discord
from discord import app_commands

from adapters import discord_render as render
from bot.chat.commands import CommandSpec

ADMIN_PERMISSIONS = discord.Permissions(manage_channels=True)
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
ENGLISH = (discord.Locale.american_english, discord.Locale.british_english)
FRENCH = discord.Locale.french


@runtime_checkable
class InteractionRunner(Protocol):
    """What commands and buttons need from the adapter."""

    async def run_interaction(
        self, interaction: discord.Interaction[Any], name: str, args: str, *, ephemeral_hint: bool
    ) -> None:
        """Run one command line for the interaction's user and answer it."""
        ...

    async def feed_choices(
        self, interaction: discord.Interaction[Any], typed: str
    ) -> list[app_commands.Choice[str]]:
        """Return autocomplete choices among the channel's feeds."""
        ...


def valid_name(name: str) -> bool:
    """Tell whether Discord accepts `name` as a slash command name (lowercase, ≤ 32)."""
    return bool(COMMAND_NAME.match(name)) and name == name.lower()


class SpecTranslator(app_commands.Translator):
    """Give Discord the English names and descriptions carried in each `locale_str`'s extras."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        """Return the English text for English locales, the accented name for French ones.

        French is the base language; only a name such as "desabonner" (Discord wants one
        spelling for every locale) carries its written form "désabonner" for French users.
        """
        if locale in ENGLISH:
            return string.extras.get("en")
        return string.extras.get("fr") if locale == FRENCH else None


class CommandButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"veille:(?P<line>.+)"):
    """A button whose custom id is a command line ("veille:desabonner 3"), run when clicked.

    A dynamic item survives restarts: old messages' buttons still work, and no view is kept
    in memory per message.
    """

    def __init__(self, line: str, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, custom_id=f"{render.BUTTON_PREFIX}{line}", style=discord.ButtonStyle.secondary
            )
        )
        self.line = line

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CommandButton:
        """Rebuild the button from a clicked custom id."""
        return cls(match["line"], getattr(item, "label", None) or "…")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Route the button's command line as if its user had typed it."""
        runner = getattr(interaction.client, "adapter", None)
        if isinstance(runner, InteractionRunner):
            name, _, args = self.line.partition(" ")
            await runner.run_interaction(interaction, name, args.strip(), ephemeral_hint=True)


def slash_command(adapter: InteractionRunner, spec: CommandSpec) -> app_commands.Command[Any, ..., None]:
    """Build one slash command from a core spec: French name, English localization, one option.

    discord.py reads a command's options from its callback's signature, so the callback gets a
    signature naming the spec's option.
    """

    async def callback(interaction: discord.Interaction[Any], **options: str) -> None:
        args = (options.get(spec.option) or "").strip() if spec.option else ""
        await adapter.run_interaction(interaction, spec.name, args, ephemeral_hint=spec.admin_only)

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if spec.option:
        parameters.append(
            inspect.Parameter(
                spec.option,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=str,
                default=inspect.Parameter.empty if spec.option_required else "",
            )
        )
        callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]  # discord.py reads this attribute
            spec.option: app_commands.locale_str(
                render.cut(spec.option_description_fr or spec.option, 100),
                en=render.cut(spec.option_description_en or spec.option, 100),
            )
        }
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # read by inspect.signature
    names: dict[str, str] = {}
    alias = spec.alias.lower() if valid_name(spec.alias.lower()) else None
    if alias and alias != spec.name:
        names["en"] = alias
    if spec.written_fr and spec.written_fr != spec.name and valid_name(spec.written_fr):
        names["fr"] = spec.written_fr
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=app_commands.locale_str(spec.name, **names),
        description=app_commands.locale_str(
            render.cut(spec.description_fr, 100), en=render.cut(spec.description_en, 100)
        ),
        callback=callback,
    )
    if spec.admin_only:
        # Discord can only require all listed permissions; the check in code also accepts
        # Manage Server, and server admins can widen access in Server Settings → Integrations.
        command.default_permissions = ADMIN_PERMISSIONS
    if spec.option and spec.autocomplete_feeds:

        async def complete(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            return await adapter.feed_choices(interaction, current)

        command.autocomplete(spec.option)(complete)
    return command
