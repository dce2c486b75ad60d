"""Tests for bot/chat/."""
