"""Persistence behind repository protocols: `protocols` says what the core needs, the backends do it.

`sqlite/` (one file, the default) and `postgres/` (a server, `VEILLE_DB=postgresql://…`) pass
the same contract tests. The core (search, follows, daily digests, the demo) depends on the
protocols and the frozen domain dataclasses only, never on a driver's rows or its SQL dialect;
`rules` holds what both backends must decide alike.
"""
