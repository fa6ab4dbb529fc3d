"""Data catalogs and data standards that drive every step."""
