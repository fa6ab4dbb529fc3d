"""Placeholder: the risk model and trainer still live in ``lakehouse.risk`` and ``lakehouse.ml``;
moving them here is the layout step still open."""
