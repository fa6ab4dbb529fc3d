"""Trino types: names, client type signatures, JSON values; mapped from DuckDB results and Delta schemas.

Trino's client protocol sends each column as ``{"name", "type", "typeSignature"}`` and each value
in the JSON form Trino uses: numbers for integers, floats and booleans; strings for decimals
(exact), dates, times, timestamps (with as many fraction digits as the precision) and the
special doubles ``NaN`` / ``Infinity``; base64 for varbinary; arrays, objects and lists for
array, map and row.
"""
from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from lakehouse.serving.trino.errors import TrinoError

VARCHAR_MAX = 2147483647
TS_TZ_PRECISION = 3          # Trino's Delta Lake connector reads Delta timestamps as timestamp(3) with time zone
_BIGINT = (-(2**63), 2**63 - 1)


@dataclass
class TrinoType:
    raw: str                                   # rawType: bigint, varchar, decimal, array, row ...
    params: list = field(default_factory=list)  # ints (LONG), TrinoType (TYPE) or (name, TrinoType) (NAMED_TYPE)

    @property
    def name(self) -> str:
        if self.raw == "varchar" and self.params == [VARCHAR_MAX]:
            return "varchar"
        if self.raw in ("timestamp with time zone", "time with time zone"):
            base = self.raw.split(" ", 1)
            return f"{base[0]}({self.params[0]}) {base[1]}"
        if not self.params:
            return self.raw
        if self.raw == "row":
            return "row(" + ", ".join(f"{n} {t.name}" if n else t.name for n, t in self.params) + ")"
        if all(isinstance(p, int) for p in self.params):
            return f"{self.raw}(" + ",".join(str(p) for p in self.params) + ")"
        return f"{self.raw}(" + ", ".join(p.name if isinstance(p, TrinoType) else str(p) for p in self.params) + ")"

    def signature(self) -> dict:
        args = []
        for p in self.params:
            if isinstance(p, TrinoType):
                args.append({"kind": "TYPE", "value": p.signature()})
            elif isinstance(p, tuple):
                n, t = p
                value = {"typeSignature": t.signature()}
                if n:
                    value["fieldName"] = {"name": n}
                args.append({"kind": "NAMED_TYPE", "value": value})
            else:
                args.append({"kind": "LONG", "value": p})
        return {"rawType": self.raw, "arguments": args}

    def column(self, name: str) -> dict:
        return {"name": name, "type": self.name, "typeSignature": self.signature()}


def varchar() -> TrinoType:
    return TrinoType("varchar", [VARCHAR_MAX])


_SIMPLE = {
    "boolean": "boolean", "tinyint": "tinyint", "smallint": "smallint", "integer": "integer", "bigint": "bigint",
    "hugeint": "bigint", "uhugeint": "bigint", "ubigint": "bigint", "uinteger": "bigint", "usmallint": "integer",
    "utinyint": "smallint", "float": "real", "double": "double", "date": "date", "blob": "varbinary",
    "uuid": "uuid", "json": "json", "null": "unknown",
}


def from_duckdb(t) -> TrinoType:
    """DuckDBPyType → TrinoType."""
    tid = t.id
    text = str(t)
    if text == "JSON":
        return TrinoType("json")
    if tid in _SIMPLE:
        return TrinoType(_SIMPLE[tid])
    if tid in ("varchar", "enum"):
        return varchar()
    if tid == "decimal":
        inner = text[text.index("(") + 1:-1]
        p, s = (int(x) for x in inner.split(","))
        return TrinoType("decimal", [p, s])
    if tid == "timestamp":
        return TrinoType("timestamp", [6])
    if tid == "timestamp_s":
        return TrinoType("timestamp", [0])
    if tid == "timestamp_ms":
        return TrinoType("timestamp", [3])
    if tid == "timestamp_ns":
        return TrinoType("timestamp", [9])
    if tid == "timestamp with time zone":
        return TrinoType("timestamp with time zone", [TS_TZ_PRECISION])
    if tid == "time":
        return TrinoType("time", [6])
    if tid == "interval":
        return TrinoType("interval day to second")
    if tid in ("list", "array"):
        return TrinoType("array", [from_duckdb(t.child)])
    if tid == "map":
        return TrinoType("map", [from_duckdb(t.key), from_duckdb(t.value)])
    if tid == "struct":
        return TrinoType("row", [(n, from_duckdb(c)) for n, c in t.children])
    raise TrinoError("NOT_SUPPORTED", f"result type {text} has no Trino equivalent on this endpoint; cast the column")


def from_delta(t) -> TrinoType:
    """A Delta schema type (as JSON: a string or a dict) → the type Trino's Delta Lake connector gives it."""
    if isinstance(t, str):
        if t.startswith("decimal"):
            p, s = (int(x) for x in t[t.index("(") + 1:-1].split(","))
            return TrinoType("decimal", [p, s])
        simple = {"string": varchar(), "long": TrinoType("bigint"), "integer": TrinoType("integer"),
                  "short": TrinoType("smallint"), "byte": TrinoType("tinyint"), "float": TrinoType("real"),
                  "double": TrinoType("double"), "boolean": TrinoType("boolean"), "binary": TrinoType("varbinary"),
                  "date": TrinoType("date"), "timestamp": TrinoType("timestamp with time zone", [TS_TZ_PRECISION]),
                  "timestamp_ntz": TrinoType("timestamp", [6])}
        if t in simple:
            return simple[t]
        raise TrinoError("NOT_SUPPORTED", f"Delta type {t} is not supported")
    kind = t.get("type")
    if kind == "array":
        return TrinoType("array", [from_delta(t["elementType"])])
    if kind == "map":
        return TrinoType("map", [from_delta(t["keyType"]), from_delta(t["valueType"])])
    if kind == "struct":
        return TrinoType("row", [(f["name"], from_delta(f["type"])) for f in t["fields"]])
    raise TrinoError("NOT_SUPPORTED", f"Delta type {t} is not supported")


# -- values ----------------------------------------------------------------------


def _double(v):
    if v is None:
        return None
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _ts(v: dt.datetime, precision: int) -> str:
    base = v.strftime("%Y-%m-%d %H:%M:%S")
    if precision == 0:
        return base
    frac = f"{v.microsecond:06d}"
    return base + "." + (frac + "000")[:precision]


def encoder(t: TrinoType, duck=None):
    """A function mapping one Python value (as pyarrow's to_pylist gives it) to its Trino JSON form."""
    raw = t.raw
    if raw in ("boolean", "tinyint", "smallint", "integer", "varchar", "json", "unknown"):
        return None                                   # identity
    if raw == "bigint":
        def big(v):
            if v is None:
                return None
            v = int(v)
            if not _BIGINT[0] <= v <= _BIGINT[1]:
                raise TrinoError("NUMERIC_VALUE_OUT_OF_RANGE", f"bigint value out of range: {v}")
            return v
        return big
    if raw in ("double", "real"):
        return _double
    if raw == "decimal":
        scale = t.params[1]
        q = Decimal(1).scaleb(-scale)
        return lambda v: None if v is None else format(Decimal(v).quantize(q), "f")
    if raw == "date":
        return lambda v: None if v is None else v.isoformat()
    if raw == "timestamp":
        p = t.params[0]
        if p == 9:
            return lambda v: None if v is None else _ts_ns(v)
        return lambda v: None if v is None else _ts(v, p)
    if raw == "timestamp with time zone":
        p = t.params[0]

        def tz(v):
            if v is None:
                return None
            return _ts(v.astimezone(dt.timezone.utc), p) + " UTC"
        return tz
    if raw == "time":
        return lambda v: None if v is None else v.strftime("%H:%M:%S.%f")
    if raw == "varbinary":
        return lambda v: None if v is None else base64.b64encode(v).decode()
    if raw == "uuid":
        return lambda v: None if v is None else str(v)
    if raw == "interval day to second":
        def interval(v):
            if v is None:
                return None
            months, days, nanos = v.months, v.days, v.nanoseconds
            if months:
                raise TrinoError("NOT_SUPPORTED", "interval results with months are not supported; use date_diff")
            total_ms = days * 86_400_000 + nanos // 1_000_000
            sign = "-" if total_ms < 0 else ""
            total_ms = abs(total_ms)
            d, rem = divmod(total_ms, 86_400_000)
            h, rem = divmod(rem, 3_600_000)
            m, rem = divmod(rem, 60_000)
            s, ms = divmod(rem, 1000)
            return f"{sign}{d} {h:02d}:{m:02d}:{s:02d}.{ms:03d}"
        return interval
    if raw == "array":
        inner = encoder(t.params[0])
        if inner is None:
            return None
        return lambda v: None if v is None else [inner(x) for x in v]
    if raw == "map":
        kenc = encoder(t.params[0]) or (lambda x: x)
        venc = encoder(t.params[1]) or (lambda x: x)

        def mapping(v):
            if v is None:
                return None
            items = v.items() if isinstance(v, dict) else v
            return {str(kenc(k)): venc(x) for k, x in items}
        return mapping
    if raw == "row":
        fields = [(n, encoder(ft) or (lambda x: x)) for n, ft in t.params]

        def row(v):
            if v is None:
                return None
            return [enc(v.get(n)) for n, enc in fields]
        return row
    return None


def _ts_ns(v) -> str:
    # pyarrow gives pandas Timestamps for ns when available, else datetime
    ns = getattr(v, "nanosecond", 0)
    return _ts(v, 6) + f"{ns:03d}"
