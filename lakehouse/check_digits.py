"""Check characters of the two identifiers every department delivers, vectorised with numpy:
the unified social credit code (USCC, GB 32100) and the citizen ID number (RIC, GB 11643).

One home for the rule: silver checks delivered codes with it, the scoring API checks the codes
it indexes, the simulator makes valid codes with it. ``tests/unit/test_check_digits.py`` checks
it against python-stdnum (``stdnum.cn.uscc``, ``stdnum.cn.ric``) on generated codes.

Arrays of codes are ``uint8`` matrices, one row of ASCII bytes per code (``as_bytes``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_PATTERN = f"^[0-9]{{8}}[{USCC_ALPHABET}]{{10}}$"  # the form (the check character aside)
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)  # 3^i mod 31: 1, 3, 9, 27, 19, ...
RIC_PATTERN = r"^[0-9]{17}[0-9X]$"
RIC_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)  # 2^(17-i) mod 11: 7, 9, 10, ...
RIC_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)  # check character by weighted sum mod 11

_USCC_CHARS = np.frombuffer(USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
_USCC_VALUE = np.full(256, -1, dtype=np.int64)
_USCC_VALUE[_USCC_CHARS] = np.arange(len(USCC_ALPHABET))


def as_bytes(codes: Iterable[str], width: int = 18) -> np.ndarray:
    """Codes of ``width`` ASCII characters as a (n, width) ``uint8`` matrix."""
    text = "".join(codes).encode("ascii")
    return np.frombuffer(text, dtype=np.uint8).reshape(-1, width)


def uscc_values(codes: np.ndarray) -> np.ndarray:
    """Each character's value in the USCC alphabet (0..30), -1 for a character outside it."""
    return _USCC_VALUE[codes]


def uscc_check_values(values: np.ndarray) -> np.ndarray:
    """The check character's value of each row of 17 character values."""
    return (31 - (values[:, :17] @ USCC_WEIGHTS) % 31) % 31


def uscc_check_chars(values: np.ndarray) -> np.ndarray:
    """The check character (``uint8``) of each row of 17 character values."""
    return _USCC_CHARS[uscc_check_values(values)]


def valid_usccs(codes: np.ndarray) -> np.ndarray:
    """Rows of ``codes`` (n, 18), or fixed-width byte strings (``S18``), that are valid USCCs as
    ``stdnum.cn.uscc.validate`` has it: eight digits, then ten characters of the alphabet, the last
    the check character."""
    if len(codes) == 0:
        return np.zeros(0, dtype=bool)
    if codes.dtype.kind == "S":
        codes = np.frombuffer(codes.astype("S18").tobytes(), dtype=np.uint8).reshape(len(codes), 18)
    v = uscc_values(codes)
    ok = (v >= 0).all(axis=1) & (v[:, :8] <= 9).all(axis=1)
    return ok & (v[:, 17] == uscc_check_values(np.where(v < 0, 0, v)))


def ric_check_chars(codes: np.ndarray) -> np.ndarray:
    """The check character (``uint8``) of each row whose first 17 bytes are ASCII digits."""
    return RIC_CHECK[((codes[:, :17].astype(np.int64) - ord("0")) @ RIC_WEIGHTS) % 11]


def ric_checks_match(codes: np.ndarray) -> np.ndarray:
    """Rows of ``codes`` (n, 18: 17 digits and a digit or X) whose last character is their check
    character. The birth date and birth place are the caller's to check."""
    if len(codes) == 0:
        return np.zeros(0, dtype=bool)
    return codes[:, 17] == ric_check_chars(codes)
