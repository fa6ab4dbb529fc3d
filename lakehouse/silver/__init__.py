"""silver layer."""
