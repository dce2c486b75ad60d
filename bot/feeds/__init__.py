"""Feeds in: fetch (conditional GET, SSRF guard), parse into `Entry`, discover, poll, digest."""
