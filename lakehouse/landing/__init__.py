"""landing layer."""
