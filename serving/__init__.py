"""Serving: the scoring API (``serving.api``) and the Trino server over the gold tables (``serving.trino``: launcher, catalog sync, export for an existing cluster)."""
