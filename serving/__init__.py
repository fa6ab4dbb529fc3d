"""Serving: the scoring API and the Trino-protocol endpoint."""
