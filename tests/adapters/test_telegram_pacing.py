"""The Telegram pacer: every wait it computes is finite, even while a chat's permit is in flight."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from adapters.telegram_pacing import Limits, Pacer, PacingWait, Window

LIMITS = Limits(per_second=30, chat_interval=0.2, group_limit=2, group_period=1.0)
PRIVATE, GROUP = "42", "-100123"


def test_a_window_whose_permits_are_all_in_flight_still_answers_a_finite_time() -> None:
    window = Window(2, 0.5)
    window.take()
    window.take()
    now = time.monotonic()
    assert window.ready_at(now) == now + 0.5, "one period from now: the earliest a send can complete"
    window.give_back(now + 0.1)
    assert window.ready_at(now + 0.2) == now + 0.6, "then one period after it completed"
    assert window.ready_at(now + 0.6) == now + 0.6


@pytest.mark.parametrize("chat_id", [PRIVATE, GROUP])
async def test_no_wait_is_infinite_while_a_send_to_the_chat_is_in_flight(chat_id: str) -> None:
    pacer = Pacer(LIMITS)
    group_fill = LIMITS.group_limit - 1 if chat_id == GROUP else 0
    for _ in range(group_fill):  # fill the group's window but for the send in flight
        async with pacer.slot(chat_id):
            pass
    async with pacer.slot(chat_id):  # e.g. a command's reply, still being answered
        now = time.monotonic()
        assert math.isfinite(pacer.chat_ready_at(chat_id, now))
        with pytest.raises(PacingWait) as wait:
            async with pacer.slot(chat_id, max_wait=0.0):
                pass
        assert math.isfinite(wait.value.seconds) and wait.value.seconds > 0


async def test_a_send_waiting_on_one_in_flight_gives_up_after_max_wait_with_a_finite_wait() -> None:
    pacer = Pacer(LIMITS)
    release = asyncio.Event()

    async def slow_reply() -> None:
        async with pacer.slot(PRIVATE):
            await release.wait()

    reply = asyncio.create_task(slow_reply())
    await asyncio.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(PacingWait) as wait:
        async with pacer.slot(PRIVATE, max_wait=0.4):
            pass
    assert time.monotonic() - started <= 0.4 + 0.1, "max_wait bounds the whole wait"
    assert math.isfinite(wait.value.seconds)
    release.set()
    await reply


async def test_a_send_waiting_on_one_in_flight_goes_one_interval_after_it_completes() -> None:
    pacer = Pacer(LIMITS)
    done_at: list[float] = []

    async def slow_reply() -> None:
        async with pacer.slot(PRIVATE):
            await asyncio.sleep(0.3)
        done_at.append(time.monotonic())

    reply = asyncio.create_task(slow_reply())
    await asyncio.sleep(0.01)
    async with pacer.slot(PRIVATE, max_wait=2.0):
        started = time.monotonic()
    await reply
    assert started >= done_at[0] + LIMITS.chat_interval - 0.01
