"""Tests for bot/store/."""
