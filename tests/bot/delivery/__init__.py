"""Tests for bot/delivery/."""
