"""Draw keys: the per-entity random numbers of a draw, derived from the revealed seed material.

Anyone holding the seed can recompute every key (``python -m lakehouse.gold.plans.verifier``)."""

from __future__ import annotations

import hashlib

import numpy as np


def draw_keys(material: bytes, purpose: str, ids) -> np.ndarray:
    """uint64 draw key of every id: the first 8 bytes (big-endian) of SHA-256(material|purpose|id)."""
    prefix = material + b"|" + purpose.encode("utf-8") + b"|"
    sha = hashlib.sha256
    out = np.fromiter(
        (int.from_bytes(sha(prefix + str(i).encode("utf-8")).digest()[:8], "big") for i in ids), dtype=np.uint64, count=len(ids)
    )
    return out


def uniforms(keys: np.ndarray) -> np.ndarray:
    """Draw keys as uniforms in (0, 1)."""
    return (keys.astype(np.float64) + 0.5) / 2.0**64


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()
