"""The dispatcher's policy against a scripted platform: what is retried, what fails, what is released.

The platform here is a small fake `Sender` whose answer per message is scripted (an error to
raise, or success); the outbox is the real SQLite storage of a running core.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

from adapters.console import ConsoleAdapter
from bot.app import Veille
from bot.delivery.dispatch import MAX_RETRY_DELAY, Dispatcher
from bot.errors import RejectedError, RetryLaterError, SendError
from bot.models import Entry, Reply, utcnow
from bot.store.sqlite import SqliteStore
from digests.model import Digest
from tests.support.sqlite_rows import delivery_rows, make_deliveries_due

Script = Callable[[str, Digest], BaseException | None]


class ScriptedSender:
    """A platform that raises what `script(chat_id, digest)` returns, else records the send."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.sent: list[tuple[str, str]] = []

    async def send_digest(self, chat_id: str, digest: Digest, *, note: str | None = None) -> None:
        error = self.script(chat_id, digest)
        if error is not None:
            raise error
        self.sent.append((chat_id, digest.title))

    async def send_reply(self, chat_id: str, reply: Reply) -> None:
        self.sent.append((chat_id, reply.text))


async def queue(app: Veille, chats: list[str], titles: list[str]) -> None:
    """Subscribe console chats to one feed and queue one digest per title for each of them."""
    feed, _ = await app.storage.feeds.add("https://juridique.example/rss.xml", "Juridique")
    for external_id in chats:
        chat = await app.storage.chats.upsert("console", external_id, external_id)
        await app.storage.chats.subscribe(chat.id, feed.id)
    for index, title in enumerate(titles):
        url = f"https://juridique.example/{index}"
        [entry_id] = await app.storage.entries.add(feed.id, [Entry(uid=f"e{index}", url=url, title=title)])
        digest = Digest(title=title, url=url, published=None, source="Juridique", summary=f"Résumé : {title}.")
        await app.storage.entries.store_digest(entry_id, digest)


async def rows(app: Veille, external_id: str) -> list[tuple[str, datetime | None, str | None]]:
    """Return (state, next attempt, last error) of one chat's deliveries, oldest first."""
    return [
        (r.state, r.next_attempt_at, r.last_error) for r in await delivery_rows(app.storage) if r.chat == external_id
    ]


TITLES = [
    "La CNIL sanctionne Datalix pour une fuite de données",
    "Le parquet de Lyon ouvre une enquête sur Hospitalix",
]


async def test_an_unexpected_error_in_one_chat_releases_its_jobs_with_a_finite_delay_and_other_chats_are_served(
    core: tuple[Veille, ConsoleAdapter],
) -> None:
    app, _ = core
    await queue(app, ["a", "b"], TITLES)
    sender = ScriptedSender(lambda chat, _: RuntimeError("adapter bug") if chat == "a" else None)
    dispatcher = Dispatcher(app.storage, {"console": sender})
    assert await dispatcher.run_once() == 2
    assert sender.sent == [("b", TITLES[0]), ("b", TITLES[1])]
    held = await rows(app, "a")
    assert [state for state, _, _ in held] == ["pending", "pending"], "nothing left in 'sending'"
    for _, next_attempt, _ in held:
        assert next_attempt is not None and utcnow() < next_attempt <= utcnow() + MAX_RETRY_DELAY
    assert "adapter bug" in (held[0][2] or "")


async def test_a_retry_after_of_infinity_or_nan_becomes_a_finite_delay(core: tuple[Veille, ConsoleAdapter]) -> None:
    app, _ = core
    await queue(app, ["a", "b"], TITLES[:1])
    waits = {"a": math.inf, "b": math.nan}
    sender = ScriptedSender(lambda chat, _: RetryLaterError("paced", retry_after=waits[chat]))
    dispatcher = Dispatcher(app.storage, {"console": sender})
    assert await dispatcher.run_once() == 0
    for chat in waits:
        [(state, next_attempt, _)] = await rows(app, chat)
        assert state == "pending"
        assert next_attempt is not None and next_attempt <= utcnow() + MAX_RETRY_DELAY


async def test_a_rejected_message_fails_at_once_with_the_platforms_answer_and_the_next_one_is_sent(
    core: tuple[Veille, ConsoleAdapter],
) -> None:
    app, _ = core
    await queue(app, ["a"], TITLES)
    answer = "telegram refused the message: Bad Request: can't parse entities"

    def script(chat: str, digest: Digest) -> BaseException | None:
        return RejectedError(answer) if digest.title == TITLES[0] else None

    sender = ScriptedSender(script)
    dispatcher = Dispatcher(app.storage, {"console": sender})
    assert await dispatcher.run_once() == 1
    assert sender.sent == [("a", TITLES[1])], "the chat's next message is not held back"
    [(first, _, error), (second, _, _)] = await rows(app, "a")
    assert (first, second) == ("failed", "sent")
    assert error == answer


async def test_transient_errors_stay_queued_for_a_later_try(core: tuple[Veille, ConsoleAdapter]) -> None:
    app, _ = core
    await queue(app, ["a"], TITLES[:1])
    sender = ScriptedSender(lambda *_: SendError("telegram unreachable: Connection reset"))
    dispatcher = Dispatcher(app.storage, {"console": sender})
    await dispatcher.run_once()
    [(state, next_attempt, error)] = await rows(app, "a")
    assert state == "pending" and error == "telegram unreachable: Connection reset"
    assert next_attempt is not None and next_attempt > utcnow() + timedelta(seconds=1)


class LockedOnMarkSent(SqliteStore):
    """The real storage, but recording a sent message fails once, as a locked database would."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.locked = True
        record = self.outbox.mark_sent

        async def mark_sent(delivery_id: int) -> None:
            if self.locked:
                self.locked = False
                raise sqlite3.OperationalError("database is locked")
            await record(delivery_id)

        self.outbox.mark_sent = mark_sent  # type: ignore[method-assign]  # the one failing call


async def test_a_failure_outside_the_send_still_puts_the_chats_jobs_back_and_the_loop_goes_on(
    core: tuple[Veille, ConsoleAdapter],
) -> None:
    app, _ = core
    await queue(app, ["a"], TITLES)
    sender = ScriptedSender(lambda *_: None)
    async with LockedOnMarkSent(str(app.settings.db)) as storage:
        dispatcher = Dispatcher(storage, {"console": sender})
        assert await dispatcher.run_once() == 0
        held = await rows(app, "a")
        assert [state for state, _, _ in held] == ["pending", "pending"], "nothing left in 'sending'"
        assert all(n is not None and n <= utcnow() + MAX_RETRY_DELAY for _, n, _ in held)
        await make_deliveries_due(storage)
        assert await dispatcher.run_once() == 2, "the next round sends them"
    assert [title for _, title in sender.sent] == [TITLES[0], TITLES[0], TITLES[1]], (
        "the one message the platform took before the failure is sent again, as after a crash"
    )
