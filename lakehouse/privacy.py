"""Personal data: keyed hashes for joins, masked values for display.

ID numbers and phones of legal representatives stay in restricted bronze/silver columns.
Anything downstream (gold, API, public tables) carries ``HMAC-SHA256(key, value)`` for
joining and a masked display value, never the value itself. The key comes from the
configuration (``privacy.hmac_key``) or the environment variable it names.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lakehouse.errors import ConfigError

if TYPE_CHECKING:
    from lakehouse.config import RegulakeConfig

PII_MASKED = {"id_number", "phone", "person_name", "contact"}


def hmac_key(cfg: RegulakeConfig) -> bytes:
    p = cfg.privacy
    key = p.hmac_key or os.environ.get(p.hmac_key_env, "")
    if not key:
        raise ConfigError(
            f"no key for hashing personal data: set privacy.hmac_key in conf/{cfg.env}.yaml "
            f"or the environment variable {p.hmac_key_env} (a long random secret; keep it out of version control)"
        )
    if len(key) < 16:
        raise ConfigError("privacy.hmac_key must be at least 16 characters long")
    return key.encode("utf-8")


def hmac_hex(key: bytes, value: str | None) -> str | None:
    import hashlib
    import hmac

    if value is None or value == "":
        return None
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def mask_value(value: str | None, pii_class: str | None) -> str | None:
    """Display form: ID 440604********123X, phone 138****8000, names 张**."""
    if value is None or value == "" or not pii_class:
        return value
    if pii_class == "id_number":
        return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else "****"
    if pii_class in ("phone", "contact"):
        return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"
    if pii_class == "person_name":
        return value[0] + "*" * max(len(value) - 1, 1)
    return value
