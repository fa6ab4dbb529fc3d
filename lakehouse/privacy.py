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
    from pyspark.sql import Column

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


def hmac_column(col: Column, key: bytes) -> Column:
    """HMAC-SHA256 hex of a string column (NULL stays NULL), computed in Arrow batches."""
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("string")
    def keyed_hash(values):
        import pandas as pd

        return pd.Series([hmac_hex(key, v) for v in values], dtype=object)

    return keyed_hash(col)


def mask_column(col: Column, pii_class: str) -> Column:
    """Display form: ID 440604********123X, phone 138****8000, names 张**."""
    from pyspark.sql import functions as F

    n = F.length(col)
    if pii_class == "id_number":
        return F.when(n > 10, F.concat(F.substring(col, 1, 6), F.repeat(F.lit("*"), n - 10), F.substring(col, -4, 4))).otherwise(F.lit("****"))
    if pii_class in ("phone", "contact"):
        return F.when(n >= 7, F.concat(F.substring(col, 1, 3), F.lit("****"), F.substring(col, -4, 4))).otherwise(F.lit("****"))
    if pii_class == "person_name":
        return F.when(n >= 1, F.concat(F.substring(col, 1, 1), F.repeat(F.lit("*"), F.greatest(n - 1, F.lit(1)))))
    return col
