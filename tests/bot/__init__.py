"""Tests for the core, mirroring bot/."""
