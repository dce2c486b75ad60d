"""Veille's async core: config, storage, fetch, parse, pipeline, schedule, deliver, commands."""

__version__ = "0.1.0"
