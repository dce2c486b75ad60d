"""Full-text search over stored digests (`/recherche`)."""
