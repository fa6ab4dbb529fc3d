"""Placeholder: the serving code (FastAPI app, Trino launcher and export) still lives in ``lakehouse.serving``;
moving it here is the layout step still open."""
