"""Messages out: the outbox's dispatcher, daily digests, and same-story detection."""
