"""OPML import and export: a chat's subscriptions as a file, and a file as subscriptions."""
