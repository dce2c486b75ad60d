"""Persistence behind repository protocols: `protocols` says what the core needs, `sqlite/` does it.

The core (search, follows, daily digests, the demo) depends on the protocols and the frozen
domain dataclasses only, never on a driver's rows or its SQL dialect, so another backend can be
added beside `sqlite/` without touching the features.
"""
