"""Adapter tests: Telegram and Discord against fakes on 127.0.0.1, driven by the real libraries."""
