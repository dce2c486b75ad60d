"""Tests for bot/feeds/."""
