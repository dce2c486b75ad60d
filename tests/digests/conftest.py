"""Shared fixtures: one spaCy pipeline per test session, loaded through the engine."""

from __future__ import annotations

import pytest

from digests.engine import DigestEngine


@pytest.fixture(scope="session")
def engine() -> DigestEngine:
    """Load the model once for the whole session (it takes seconds)."""
    return DigestEngine()
