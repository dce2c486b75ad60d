"""The `veille` command: `run`, `demo`, `digest` and `opml`.

It reads the settings and the command line; `bot.compose` builds what the command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from bot import __version__
from bot.config import Settings, load_settings, shown_db
from bot.errors import VeilleError
from bot.logs import configure_logging

if TYPE_CHECKING:
    from bot.llm import LLMSummarizer
    from digests.model import Article, Digest

log = structlog.get_logger(__name__)


# The roles of `veille run --role` (bot.app.ROLES, spelled here so that --help needs no import).
ROLES = ("all", "poller", "chat")


def console_chat(settings: Settings) -> bool:
    """Tell whether `veille run` will be a chat in this terminal (no token, stdin a terminal)."""
    return not (settings.telegram_bot_token or settings.discord_bot_token) and sys.stdin.isatty()


def log_level(settings: Settings, command: str) -> str:
    """Pick the log level: the setting for `run`, but only warnings in a console chat.

    In a console chat the logs share the terminal with the conversation: info lines between a
    command and its answer bury it. An explicit VEILLE_LOG_LEVEL still wins.
    """
    if command == "run:poller":  # no console chat in a poller: its logs are all it shows
        return settings.log_level
    if command != "run":
        return "ERROR"
    if console_chat(settings) and "log_level" not in settings.model_fields_set:
        return "WARNING"
    return settings.log_level


async def run(settings: Settings, *, role: str = "all") -> int:
    """Run the bot in `role` until SIGINT/SIGTERM; in-flight sends are drained before exit.

    A poller runs no chat platform (it only fills the outbox); `chat` and `all` run them.
    """
    from bot.compose import build, build_platforms
    from bot.ops.metrics import Metrics

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    metrics = Metrics()  # shared by the adapters (429s) and the core
    platforms = [] if role == "poller" else build_platforms(settings, interactive=sys.stdin.isatty(), metrics=metrics)
    async with build(settings, platforms, metrics=metrics, role=role) as app:
        app.start_background()
        log.info(
            "veille.running",
            role=role,
            worker=app.leases.owner,
            platforms=[p.platform for p in platforms],
            db=shown_db(settings.db),
        )
        waiters = [asyncio.create_task(stop.wait())]
        console = next((p for p in platforms if p.platform == "console"), None)
        closed = getattr(console, "closed", None)
        if isinstance(closed, asyncio.Event):
            waiters.append(asyncio.create_task(closed.wait()))
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        log.info("veille.stopping")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run a subcommand; errors are one line on stderr."""
    parser = argparse.ArgumentParser(
        prog="veille", description="Veille: French legal-news digests for chats."
    )
    parser.add_argument("--version", action="version", version=f"veille {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser(
        "run", help="run the bot (Telegram/Discord when their tokens are set, else the console)"
    )
    run_parser.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="poller: fetch, digest, fill the outbox (run N of them); chat: platforms, dispatcher, "
        "daily digests (one per bot token); all: both in one process (default)",
    )
    demo = sub.add_parser("demo", help="offline demo: local sample feeds, a console chat, one polling cycle")
    demo.add_argument("--interactive", action="store_true", help="keep the console chat open afterwards")
    db = sub.add_parser("db", help="database chores")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    copy = db_sub.add_parser("copy", help="copy a SQLite database into an empty PostgreSQL one")
    copy.add_argument("sqlite_path", help="the SQLite file (only read)")
    copy.add_argument("postgres_url", help="postgresql://user:password@host:port/db, empty")
    digest = sub.add_parser("digest", help="print the digest of a page, text file, feed or URL")
    digest.add_argument(
        "source", nargs="+", help=".html, .txt (title first), .xml/.json feed, or http(s) URL"
    )
    digest.add_argument("--json", action="store_true", help="one JSON object per article, one per line")
    opml = sub.add_parser("opml", help="import or export a chat's subscriptions as OPML")
    opml_sub = opml.add_subparsers(dest="opml_command", required=True)
    opml_import = opml_sub.add_parser("import", help="subscribe a chat to the feeds of an OPML file")
    opml_import.add_argument("file", type=Path, help="the .opml file")
    opml_export = opml_sub.add_parser("export", help="print (or write) a chat's subscriptions as OPML 2.0")
    opml_export.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    for opml_command in (opml_import, opml_export):
        opml_command.add_argument("--chat", required=True, help="platform:id, e.g. telegram:-1001234 or console")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
        configure_logging(
            level=log_level(settings, "run:poller" if getattr(args, "role", "") == "poller" else args.command),
            secrets=(
                settings.telegram_bot_token,
                settings.discord_bot_token,
                settings.telegram_webhook_secret,
                settings.llm_api_key,
            ),
        )
        if args.command == "run":
            return asyncio.run(run(settings, role=args.role))
        if args.command == "db":
            return asyncio.run(db_copy(Path(args.sqlite_path), args.postgres_url))
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(interactive=args.interactive))
        if args.command == "opml":
            return asyncio.run(run_opml(settings, args))
        # trafilatura logs its parser's complaints about odd pages; the CLI's one line says enough.
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
        return asyncio.run(print_digests(settings, args.source, as_json=args.json))
    except VeilleError as exc:
        print(f"veille: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return reader_gone()


async def run_opml(settings: Settings, args: argparse.Namespace) -> int:
    """Run `veille opml import|export` on the configured database, once the input is read."""
    from bot.compose import open_store, subscription_service
    from bot.opml import operator

    operator.parse_chat(args.chat)  # bad input is refused before the database is opened
    feeds = operator.read_import(args.file) if args.opml_command == "import" else []
    async with open_store(settings) as storage:
        if args.opml_command == "import":
            async with subscription_service(settings, storage) as subscriptions:
                return await operator.import_file(storage, subscriptions, feeds, args.chat)
        return await operator.export_file(settings, storage, args.chat, args.output)


async def db_copy(sqlite_path: Path, postgres_url: str) -> int:
    """Copy a SQLite store into an empty PostgreSQL one and say what was copied."""
    from bot.store.copy import copy_sqlite_to_postgres

    counts = await copy_sqlite_to_postgres(sqlite_path, postgres_url)
    print("copied: " + ", ".join(f"{table} {count}" for table, count in counts.items()))
    return 0


def reader_gone() -> int:
    """End quietly, as `cat` does, when the reader of stdout left (`veille digest … | head -1`).

    stdout is pointed at /dev/null so that the interpreter's final flush finds no broken pipe
    either; the status is the shell's for a process killed by SIGPIPE.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


async def print_digests(settings: Settings, sources: Sequence[str], *, as_json: bool) -> int:
    """Digest each source and print it; an unreadable source is one line on stderr."""
    from bot.llm import SOURCE_KEY, build_summarizer

    llm = build_summarizer(settings)  # None unless VEILLE_LLM_URL is set
    try:
        return await _print_sources(settings, sources, as_json=as_json, llm=llm, source_key=SOURCE_KEY)
    finally:
        if llm is not None:
            await llm.close()


async def _print_sources(
    settings: Settings, sources: Sequence[str], *, as_json: bool, llm: LLMSummarizer | None, source_key: str
) -> int:
    from bot.compose import new_engine
    from bot.feeds.sources import load_articles

    engine = new_engine()
    status = 0
    for source in sources:
        try:
            articles = await load_articles(source, settings)
        except (VeilleError, OSError, UnicodeError) as exc:
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"veille: cannot read {source}: {message}", file=sys.stderr)
            status = 1
            continue
        digests = engine.summarize_many(articles)
        if llm is not None:
            digests = await _with_model(llm, articles, digests)
        for digest in digests:
            if as_json:
                data = digest.to_json_dict()
                if llm is not None:  # evaluation compares both paths on the same articles
                    data[source_key] = digest.extra.get(source_key, "extractive")
                print(json.dumps(data, ensure_ascii=False), flush=True)
            else:
                print(digest.text + (f"\n{digest.url}" if digest.url else "") + "\n", flush=True)
    return status


async def _with_model(llm: LLMSummarizer, articles: Sequence[Article], digests: Sequence[Digest]) -> list[Digest]:
    """Improve digests with the model, `concurrency` at a time so none waits out its timeout."""
    out: list[Digest] = []
    step = max(1, llm.concurrency)
    pairs = list(zip(articles, digests, strict=True))
    for i in range(0, len(pairs), step):
        out += await asyncio.gather(*(llm.improve(a, d) for a, d in pairs[i : i + step]))
    return out


if __name__ == "__main__":
    sys.exit(main())
