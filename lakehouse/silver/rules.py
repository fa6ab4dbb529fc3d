"""Data standards applied to Arrow arrays: normalise, type and check whole columns at once.

``check(std, raw, required)`` returns ``(values, reasons)``: the normalised typed values and
a reason per row (NULL when the value passes). Its semantics are exactly those of
``catalog.standards.validate_value`` (the reference): a vectorised fast path accepts the
common, unambiguous spellings (ISO dates, plain numbers, well-formed codes with their check
digit computed in numpy) and every other value — the rare dirty ones — is decided by the
reference itself, so values and reasons are the reference's, only faster.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.standards import validate_value
from lakehouse.check_digits import (  # noqa: F401  (USCC_ALPHABET, USCC_WEIGHTS: the names silver's checks are known by)
    RIC_PATTERN,
    USCC_ALPHABET,
    USCC_PATTERN,
    USCC_WEIGHTS,
    as_bytes,
    ric_checks_match,
    valid_usccs,
)

if TYPE_CHECKING:
    from catalog.standards import Standard

FULL_WIDTH = r"[\x{FF01}-\x{FF5E}\x{3000}]"
PHONE = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-[0-9]{7,8})$"

ARROW_TYPES = {
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


def arrow_type(std: Standard) -> pa.DataType:
    """The silver column type of a standard."""
    return ARROW_TYPES.get(std.validator, pa.string())


def normalised_text(raw: pa.Array) -> pa.Array:
    """Full-width ASCII → half-width, then surrounding whitespace removed (as the reference)."""
    from catalog.standards import normalise_text

    raw = raw.cast(pa.string())
    fw = pc.fill_null(pc.match_substring_regex(raw, FULL_WIDTH), False)
    if pc.any(fw).as_py():
        idx = np.flatnonzero(fw.to_numpy(zero_copy_only=False))
        fixed = pa.array([normalise_text(v) for v in raw.take(pa.array(idx)).to_pylist()], pa.string())
        raw = pc.replace_with_mask(raw, fw, fixed)
    return pc.utf8_trim_whitespace(raw)


def _re2(pattern: str) -> str:
    """Python regex → RE2 (Arrow's engine): \\uXXXX escapes become \\x{XXXX}."""
    import re

    return re.sub(r"\\u([0-9a-fA-F]{4})", r"\\x{\1}", pattern)


def _matches(text: pa.Array, regex: str) -> np.ndarray:
    """Rows matching; a pattern RE2 cannot run matches nothing (the reference decides those rows)."""
    try:
        return pc.fill_null(pc.match_substring_regex(text, _re2(regex)), False).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return np.zeros(len(text), dtype=bool)


def _uscc_fast(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Well-formed codes whose check character is right (upper-cased, without separators)."""
    value = pc.replace_substring_regex(pc.utf8_upper(text), "[ -]", "")
    ok = _matches(value, USCC_PATTERN)
    if ok.any():
        idx = np.flatnonzero(ok)
        ok[idx[~valid_usccs(as_bytes(value.take(pa.array(idx)).to_pylist()))]] = False
    return ok, value


@lru_cache(maxsize=65536)
def _ric_place_known(area: str, year: int) -> bool:
    """python-stdnum's birth-place rule (the area code was assigned in the birth year), once per pair."""
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    try:
        ric.get_birth_place(f"{area}{year:04d}0101000")
        return True
    except ValidationError:
        return False


def _ric_fast(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Resident IDs in plain form with a right check character, a real birth date and an area code
    python-stdnum knows for the birth year (asked once per distinct area and year)."""
    value = pc.utf8_upper(text)
    ok = _matches(value, RIC_PATTERN)
    if ok.any():
        idx = np.flatnonzero(ok)
        good = ric_checks_match(as_bytes(value.take(pa.array(idx)).to_pylist()))
        born = pc.utf8_slice_codeunits(value.take(pa.array(idx)), 6, 14)
        dated, _ = _iso_round_trip(born, r"^[0-9]{8}$", "%Y%m%d")
        good &= dated
        area_year = pc.utf8_slice_codeunits(value.take(pa.array(idx)), 0, 10)
        pairs = pc.unique(area_year).to_pylist()
        known = pa.array([p for p in pairs if _ric_place_known(p[:6], int(p[6:]))], pa.string())
        good &= pc.is_in(area_year, value_set=known).to_numpy(zero_copy_only=False)
        ok[idx[~good]] = False
    return ok, value


_PARTS = {"%Y": (4, pc.year), "%m": (2, pc.month), "%d": (2, pc.day), "%H": (2, pc.hour), "%M": (2, pc.minute), "%S": (2, pc.second)}


def _iso_round_trip(text: pa.Array, regex: str, fmt: str) -> tuple[np.ndarray, pa.Array]:
    """Values in exactly ``fmt`` (fixed-width digits) that name a real date/time.

    Arrow's parser rolls over (02-30 becomes 03-02), so each parsed part must equal the digits
    written; years before 1000 are left to the reference.
    """
    shaped = _matches(text, regex)
    ts = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
    ok = shaped & ts.is_valid().to_numpy(zero_copy_only=False)
    if not ok.any():
        return ok, ts
    idx = np.flatnonzero(ok)
    written, parsed = text.take(pa.array(idx)), ts.take(pa.array(idx))
    good = pc.greater_equal(pc.year(parsed), 1000).to_numpy(zero_copy_only=False)
    pos = i = 0
    while i < len(fmt):
        if fmt[i] != "%":
            pos, i = pos + 1, i + 1
            continue
        width, part = _PARTS[fmt[i : i + 2]]
        digits = pc.cast(pc.utf8_slice_codeunits(written, pos, pos + width), pa.int64()).to_numpy(zero_copy_only=False)
        good &= digits == part(parsed).to_numpy(zero_copy_only=False)
        pos, i = pos + width, i + 2
    ok[idx[~good]] = False
    return ok, ts


def _fast(std: Standard, text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(rows the fast path accepts, their values) — a subset of what the reference accepts."""
    v = std.validator
    n = len(text)
    if v == "uscc":
        return _uscc_fast(text)
    if v == "phone":
        return _matches(text, PHONE), text
    if v == "code_table":
        ok = pc.fill_null(pc.is_in(text, value_set=pa.array(sorted(std.codes), pa.string())), False).to_numpy(zero_copy_only=False)
        return ok, text
    if v in ("pattern", "text"):
        ok = np.ones(n, dtype=bool)
        if std.length is not None:
            ok &= pc.fill_null(pc.less_equal(pc.utf8_length(text), std.length), False).to_numpy(zero_copy_only=False)
        if std.pattern:
            ok &= _matches(text, f"^(?:{std.pattern})$")
        return ok, text
    if v == "integer":
        ok = _matches(text, r"^[+-]?[0-9]{1,18}$")
        values = pc.cast(pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string())), pa.int64())
        return ok & _in_range(std, values), values
    if v == "decimal":
        frac = f"{{0,{std.scale}}}" if std.scale is not None else "*"
        ok = _matches(text, rf"^[+-]?[0-9]{{1,15}}(\.[0-9]{frac})?$")
        values = pc.cast(pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string())), pa.float64())
        return ok & _in_range(std, values), values
    if v == "date":
        ok, ts = _iso_round_trip(text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "%Y-%m-%d")
        return ok, pc.cast(ts, pa.date32())
    if v == "datetime":
        ok, ts = _iso_round_trip(text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$", "%Y-%m-%d %H:%M:%S")
        return ok, pc.assume_timezone(ts, "UTC") if ts.type.tz is None else ts
    if v == "resident_id":
        return _ric_fast(text)
    return np.zeros(n, dtype=bool), text


def _in_range(std: Standard, values: pa.Array) -> np.ndarray:
    import math

    ok = np.ones(len(values), dtype=bool)
    integers = pa.types.is_integer(values.type)
    if std.min_value is not None:
        low = math.ceil(std.min_value) if integers else std.min_value
        ok &= pc.fill_null(pc.greater_equal(values, pa.scalar(low, values.type)), False).to_numpy(zero_copy_only=False)
    if std.max_value is not None:
        high = math.floor(std.max_value) if integers else std.max_value
        ok &= pc.fill_null(pc.less_equal(values, pa.scalar(high, values.type)), False).to_numpy(zero_copy_only=False)
    return ok


def _to_arrow(values: list, std: Standard) -> pa.Array:
    typ = arrow_type(std)
    if std.validator == "datetime":
        import datetime as dt

        values = [v.replace(tzinfo=dt.timezone.utc) if v is not None and v.tzinfo is None else v for v in values]
    return pa.array(values, typ)


def check(std: Standard, raw: pa.Array, required: bool = True) -> tuple[pa.Array, pa.Array]:
    """(normalised typed values, reasons or NULL) for a column of delivered text."""
    typ = arrow_type(std)
    n = len(raw)
    text = normalised_text(raw)
    missing = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    ok, values = _fast(std, text)
    ok &= ~missing
    values = pc.if_else(pa.array(ok), values.cast(typ), pa.scalar(None, typ))
    reasons = pa.nulls(n, pa.string())

    if missing.any() and required:
        reason = validate_value(std, None, True)[2]
        reasons = pc.if_else(pa.array(missing), pa.scalar(reason), reasons)
    slow = ~ok & ~missing
    if slow.any():
        idx = np.flatnonzero(slow)
        decided = [validate_value(std, v, required) for v in raw.take(pa.array(idx)).to_pylist()]
        mask = pa.array(slow)
        values = pc.replace_with_mask(values, mask, _to_arrow([d[1] if d[0] else None for d in decided], std))
        reasons = pc.replace_with_mask(reasons, mask, pa.array([None if d[0] else d[2] for d in decided], pa.string()))
    return values, reasons
