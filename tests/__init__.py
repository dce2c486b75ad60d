"""Veille's test suite; a package so tests can import the shared doubles in tests.support."""
