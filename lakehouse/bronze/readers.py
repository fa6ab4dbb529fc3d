"""Parse one delivered file into records (as delivered: text, original field names) and rejects.

Pure Python, no Spark: the bronze job calls ``parse_file`` inside its Spark tasks. Every
physical line of a file ends either in a record or in a reject with a reason; a file that
cannot be read at all becomes a single reject naming the file.

Line numbers are 1-based physical lines (line 1 of a CSV is its header); XLSX rows use
the sheet's row number.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Literal

Format = Literal["csv_utf8", "csv_gbk", "jsonl", "xlsx"]
ENCODINGS = {"csv_utf8": "utf-8", "csv_gbk": "gbk", "jsonl": "utf-8"}
MAX_RAW = 2000  # characters of a rejected line kept for the reject table


@dataclass
class Parsed:
    """Records and rejects of one file, column-wise for cheap Arrow conversion."""

    header: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)   # values in header order
    reject_lines: list[int | None] = field(default_factory=list)
    reject_raw: list[str | None] = field(default_factory=list)
    reject_reasons: list[str] = field(default_factory=list)

    def reject(self, line: int | None, raw: str | None, reason: str) -> None:
        self.reject_lines.append(line)
        self.reject_raw.append(raw[:MAX_RAW] if raw is not None else None)
        self.reject_reasons.append(reason)

    @property
    def record_count(self) -> int:
        return len(self.lines)


def _decode_lines(data: bytes, encoding: str, parsed: Parsed) -> str:
    """Text of the file; lines that are not valid in ``encoding`` are rejected and dropped.

    GBK's trail bytes never take the value of '\\n', so splitting the bytes on newlines is
    safe before decoding.
    """
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    good = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            good.append(raw.decode(encoding))
        except UnicodeDecodeError as exc:
            parsed.reject(number, raw.decode(encoding, errors="replace"), f"invalid {encoding.upper()} byte 0x{raw[exc.start]:02X} at byte {exc.start} of the line")
            good.append(None)
    # keep line numbering: a rejected line becomes an empty line the CSV reader skips
    return "\n".join(g if g is not None else "" for g in good)


def parse_csv(data: bytes, encoding: str) -> Parsed:
    parsed = Parsed()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = _decode_lines(data, encoding, parsed)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rejected_lines = set(parsed.reject_lines)
    start = 1
    try:
        for row in reader:
            end = reader.line_num
            if not row or (len(row) == 1 and row[0] == ""):
                start = end + 1
                continue
            if not parsed.header:
                parsed.header = [h.strip() for h in row]
                if len(set(parsed.header)) != len(parsed.header):
                    dupes = sorted({h for h in parsed.header if parsed.header.count(h) > 1})
                    parsed.reject(start, ",".join(row), f"header repeats column names {dupes}; the file cannot be read")
                    return _whole_file_rejected(parsed)
                start = end + 1
                continue
            if len(row) != len(parsed.header):
                raw = _raw_lines(text, start, end)
                parsed.reject(start, raw, f"expected {len(parsed.header)} fields as in the header, found {len(row)}")
            else:
                parsed.lines.append(start)
                parsed.rows.append(row)
            start = end + 1
    except csv.Error as exc:
        raw = _raw_lines(text, start, None)
        parsed.reject(start, raw, f"malformed CSV from this line to the end of the file ({exc}); the file is probably truncated")
    if not parsed.header and not rejected_lines:
        parsed.reject(None, None, "empty file: no header line")
    return parsed


def _whole_file_rejected(parsed: Parsed) -> Parsed:
    parsed.lines.clear()
    parsed.rows.clear()
    return parsed


def _raw_lines(text: str, start: int, end: int | None) -> str:
    lines = text.split("\n")
    return "\n".join(lines[start - 1:end])


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def parse_jsonl(data: bytes) -> Parsed:
    parsed = Parsed()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = _decode_lines(data, "utf-8", parsed)
    order: dict[str, int] = {}
    objects: list[tuple[int, dict]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.reject(number, line, f"not valid JSON ({exc.msg} at column {exc.colno}); the line may be truncated")
            continue
        if not isinstance(obj, dict):
            parsed.reject(number, line, f"a JSON line must be an object of fields, found {type(obj).__name__}")
            continue
        for k in obj:
            order.setdefault(k, len(order))
        objects.append((number, obj))
    parsed.header = list(order)
    for number, obj in objects:
        parsed.lines.append(number)
        parsed.rows.append([_text(obj.get(k)) if k in obj else None for k in parsed.header])
    return parsed


def parse_xlsx(data: bytes) -> Parsed:
    from openpyxl import load_workbook

    parsed = Parsed()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # not a zip, not a workbook
        parsed.reject(None, None, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})")
        return parsed
    try:
        ws = wb.worksheets[0]
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            values = [_text(v) for v in row]
            if not any(v not in (None, "") for v in values):
                continue
            if not parsed.header:
                parsed.header = [(v or "").strip() for v in values]
                while parsed.header and parsed.header[-1] == "":
                    parsed.header.pop()
                continue
            extra = values[len(parsed.header):]
            if any(v not in (None, "") for v in extra):
                parsed.reject(number, json.dumps(values, ensure_ascii=False), f"row has {len(values)} cells, the header {len(parsed.header)}")
                continue
            values = (values + [None] * len(parsed.header))[: len(parsed.header)]
            parsed.lines.append(number)
            parsed.rows.append(values)
    except Exception as exc:
        parsed.reject(None, None, f"XLSX sheet could not be read to the end ({type(exc).__name__}: {exc})")
    finally:
        wb.close()
    if not parsed.header and not parsed.reject_reasons:
        parsed.reject(None, None, "empty workbook: no header row")
    return parsed


def parse_file(data: bytes, fmt: str) -> Parsed:
    """Records and rejects of a delivered file in format ``fmt``."""
    if fmt in ("csv_utf8", "csv_gbk"):
        return parse_csv(data, ENCODINGS[fmt])
    if fmt == "jsonl":
        return parse_jsonl(data)
    if fmt == "xlsx":
        return parse_xlsx(data)
    parsed = Parsed()
    parsed.reject(None, None, f"unknown delivery format {fmt!r}; the catalog must declare csv_utf8, csv_gbk, jsonl or xlsx")
    return parsed
