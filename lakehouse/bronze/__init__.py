"""bronze layer."""
