"""Serving: gold tables for Trino (real-cluster export and an embedded Trino-protocol endpoint)."""
