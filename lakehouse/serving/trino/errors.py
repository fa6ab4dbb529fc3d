"""Trino's error codes (io.trino.spi.StandardErrorCode) and the error object of the client protocol."""
from __future__ import annotations

CODES: dict[str, tuple[int, str]] = {
    "GENERIC_USER_ERROR": (0, "USER_ERROR"),
    "SYNTAX_ERROR": (1, "USER_ERROR"),
    "ABANDONED_QUERY": (2, "USER_ERROR"),
    "USER_CANCELED": (3, "USER_ERROR"),
    "PERMISSION_DENIED": (4, "USER_ERROR"),
    "NOT_FOUND": (5, "USER_ERROR"),
    "FUNCTION_NOT_FOUND": (6, "USER_ERROR"),
    "INVALID_FUNCTION_ARGUMENT": (7, "USER_ERROR"),
    "DIVISION_BY_ZERO": (8, "USER_ERROR"),
    "INVALID_CAST_ARGUMENT": (9, "USER_ERROR"),
    "NOT_SUPPORTED": (13, "USER_ERROR"),
    "NUMERIC_VALUE_OUT_OF_RANGE": (19, "USER_ERROR"),
    "READ_ONLY_VIOLATION": (23, "USER_ERROR"),
    "CATALOG_NOT_FOUND": (44, "USER_ERROR"),
    "SCHEMA_NOT_FOUND": (45, "USER_ERROR"),
    "TABLE_NOT_FOUND": (46, "USER_ERROR"),
    "COLUMN_NOT_FOUND": (47, "USER_ERROR"),
    "MISSING_CATALOG_NAME": (56, "USER_ERROR"),
    "MISSING_SCHEMA_NAME": (57, "USER_ERROR"),
    "TYPE_MISMATCH": (58, "USER_ERROR"),
    "INVALID_PARAMETER_USAGE": (80, "USER_ERROR"),
    "GENERIC_INTERNAL_ERROR": (65536, "INTERNAL_ERROR"),
    "EXCEEDED_TIME_LIMIT": (131075, "INSUFFICIENT_RESOURCES"),
    "EXCEEDED_LOCAL_MEMORY_LIMIT": (131079, "INSUFFICIENT_RESOURCES"),
}


class TrinoError(Exception):
    """A query failure as Trino reports it: a message, an error name from CODES and an optional location."""

    def __init__(self, name: str, message: str, line: int | None = None, column: int | None = None):
        if name not in CODES:
            raise ValueError(f"unknown Trino error name {name}")
        super().__init__(message)
        self.name = name
        self.message = message
        self.line = line
        self.column = column

    def to_json(self) -> dict:
        code, kind = CODES[self.name]
        location = {"lineNumber": self.line, "columnNumber": self.column} if self.line else None
        out = {
            "message": self.message,
            "errorCode": code,
            "errorName": self.name,
            "errorType": kind,
            "failureInfo": {
                "type": "io.trino.spi.TrinoException",
                "message": self.message,
                "suppressed": [],
                "stack": [],
                **({"errorLocation": location} if location else {}),
            },
        }
        if location:
            out["errorLocation"] = location
        return out


def refuse(function: str, why: str, instead: str = "") -> TrinoError:
    """A function whose Trino semantics DuckDB does not reproduce."""
    tail = f"; {instead}" if instead else ""
    return TrinoError("NOT_SUPPORTED", f"Function '{function}' is not supported by the regulake Trino endpoint: {why}{tail}")
