"""API keys (``X-API-Key``) with scopes. Keys are compared by their SHA-256 digest."""

from __future__ import annotations

import hashlib

from lakehouse.config.api import KEY_HASH_PREFIX, ApiKey, ApiSettings

HEADER = "X-API-Key"


class KeyRing:
    def __init__(self, settings: ApiSettings):
        self._by_digest = {k.key_hash.split("$", 1)[1]: k for k in settings.api_keys}

    def lookup(self, key: str | None) -> ApiKey | None:
        if not key or len(key) > 512:
            return None
        return self._by_digest.get(hashlib.sha256(key.encode("utf-8", "replace")).hexdigest())

    def __len__(self) -> int:
        return len(self._by_digest)


__all__ = ["HEADER", "KEY_HASH_PREFIX", "KeyRing"]
