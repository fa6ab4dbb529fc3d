"""A real Trino 476 over the warehouse: the launcher (``regulake serve trino``), the generated
server and catalog files (shared with ``regulake trino export``) and table registration."""
