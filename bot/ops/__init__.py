"""Operating Veille: Prometheus metrics and a health check, served over HTTP when asked."""
