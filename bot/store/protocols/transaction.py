"""The opaque transaction and the queue hook: shared by entries, follows and options, so none imports another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from digests.model import Digest

# The backend's open transaction, handed to a hook that must write inside it (a follow alert
# is queued in the transaction storing its digest). Opaque to the core: only passed back.
Transaction = Any

# Queues more deliveries for a new digest inside `EntryRepository.store_digest`'s transaction
# (follow alerts): called with the transaction, the digest id and the digest; returns how many.
QueueHook = Callable[[Transaction, int, Digest], Awaitable[int]]
