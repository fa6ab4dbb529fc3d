"""Thin job entry points: each module exposes run(config, spark)."""
