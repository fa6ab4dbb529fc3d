"""Trino: catalog export for a real cluster and an embedded Trino-protocol endpoint over DuckDB.

    >>> from lakehouse.serving.trino.server import TrinoEndpoint   # doctest: +SKIP
"""
