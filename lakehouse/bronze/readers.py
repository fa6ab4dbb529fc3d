"""Parse one delivered file into records (as delivered: text, original field names) and rejects.

Pure Python, no Spark: the bronze job calls ``iter_parse`` inside its Spark tasks, which reads
a file as a stream and hands back bounded chunks. Every
physical line of a file ends either in a record or in a reject with a reason; a file that
cannot be read at all becomes a single reject naming the file.

Line numbers are 1-based physical lines (line 1 of a CSV is its header); XLSX rows use
the sheet's row number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

Format = Literal["csv_utf8", "csv_gbk", "jsonl", "xlsx"]
ENCODINGS = {"csv_utf8": "utf-8", "csv_gbk": "gbk", "jsonl": "utf-8"}
MAX_RAW = 2000  # characters of a rejected line kept for the reject table


@dataclass
class Parsed:
    """Records and rejects of one file, column-wise for cheap Arrow conversion."""

    header: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)  # values in header order
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


BOM = b"\xef\xbb\xbf"


class _Lines:
    """The decoded lines of a binary stream, one at a time (a file is never held whole).

    A line that is not valid in ``encoding`` is rejected into ``state.cur`` and becomes an empty
    line (which the CSV reader skips), so physical line numbers stay right. GBK's trail bytes
    never take the value of '\\n', so splitting the bytes on newlines is safe before decoding.
    ``pending`` keeps (up to MAX_RAW characters of) the lines read since ``clear``: the raw
    text of the record being read, for its reject row.
    """

    def __init__(self, fh: BinaryIO, encoding: str, state: _State):
        self.fh, self.encoding, self.state = fh, encoding, state
        self.pending: list[str] = []
        self.pending_chars = 0
        self.invalid = 0

    def clear(self) -> None:
        self.pending.clear()
        self.pending_chars = 0

    def raw(self) -> str:
        return "".join(self.pending).removesuffix("\n")

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self.fh, start=1):
            if number == 1 and raw.startswith(BOM):
                raw = raw[3:]
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                body = raw.rstrip(b"\n")
                self.state.cur.reject(
                    number,
                    body.decode(self.encoding, errors="replace"),
                    f"invalid {self.encoding.upper()} byte 0x{raw[exc.start]:02X} at byte {exc.start} of the line",
                )
                self.invalid += 1
                text = "\n" if raw.endswith(b"\n") else ""
            if self.pending_chars < MAX_RAW:
                self.pending.append(text)
                self.pending_chars += len(text)
            yield text


@dataclass
class _State:
    cur: Parsed


def _full(parsed: Parsed, chunk_rows: int | None) -> bool:
    return chunk_rows is not None and len(parsed.lines) >= chunk_rows


def _iter_csv(fh: BinaryIO, encoding: str, chunk_rows: int | None) -> Iterator[Parsed]:
    state = _State(Parsed())
    source = _Lines(fh, encoding, state)
    reader = csv.reader(source, strict=True)
    header: list[str] = []
    start = 1
    try:
        for row in reader:
            end = reader.line_num
            if not row or (len(row) == 1 and row[0] == ""):
                start = end + 1
                source.clear()
                continue
            if not header:
                header = [h.strip() for h in row]
                state.cur.header = header
                if len(set(header)) != len(header):
                    dupes = sorted({h for h in header if header.count(h) > 1})
                    state.cur.reject(start, ",".join(row), f"header repeats column names {dupes}; the file cannot be read")
                    yield state.cur
                    return
            elif len(row) != len(header):
                state.cur.reject(start, source.raw(), f"expected {len(header)} fields as in the header, found {len(row)}")
            else:
                state.cur.lines.append(start)
                state.cur.rows.append(row)
                if _full(state.cur, chunk_rows):
                    yield state.cur
                    state.cur = Parsed(header=header)
            start = end + 1
            source.clear()
    except csv.Error as exc:
        state.cur.reject(
            start, source.raw(), f"malformed CSV from this line to the end of the file ({exc}); the file is probably truncated"
        )
    if not header and not source.invalid:
        state.cur.reject(None, None, "empty file: no header line")
    yield state.cur


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


def _iter_jsonl(fh: BinaryIO, chunk_rows: int | None) -> Iterator[Parsed]:
    """Each chunk's header is the union of its objects' keys in order of appearance."""
    state = _State(Parsed())
    order: dict[str, int] = {}
    objects: list[tuple[int, dict]] = []

    def flush() -> Parsed:
        parsed = state.cur
        parsed.header = list(order)
        for number, obj in objects:
            parsed.lines.append(number)
            parsed.rows.append([_text(obj.get(k)) if k in obj else None for k in parsed.header])
        order.clear()
        objects.clear()
        state.cur = Parsed()
        return parsed

    source = _Lines(fh, "utf-8", state)
    for number, line in enumerate(source, start=1):
        source.clear()
        line = line.removesuffix("\n")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            state.cur.reject(number, line, f"not valid JSON ({exc.msg} at column {exc.colno}); the line may be truncated")
            continue
        if not isinstance(obj, dict):
            state.cur.reject(number, line, f"a JSON line must be an object of fields, found {type(obj).__name__}")
            continue
        for k in obj:
            order.setdefault(k, len(order))
        objects.append((number, obj))
        if chunk_rows is not None and len(objects) >= chunk_rows:
            yield flush()
    yield flush()


def _iter_xlsx(fh: BinaryIO, chunk_rows: int | None) -> Iterator[Parsed]:
    from openpyxl import load_workbook

    parsed = Parsed()
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # not a zip, not a workbook
        parsed.reject(None, None, f"not a readable XLSX workbook ({type(exc).__name__}: {exc})")
        yield parsed
        return
    header_seen = False
    rejected = False
    try:
        ws = wb.worksheets[0]
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            values = [_text(v) for v in row]
            if not any(v not in (None, "") for v in values):
                continue
            if not header_seen:
                parsed.header = [(v or "").strip() for v in values]
                while parsed.header and parsed.header[-1] == "":
                    parsed.header.pop()
                header_seen = True
                continue
            extra = values[len(parsed.header) :]
            if any(v not in (None, "") for v in extra):
                parsed.reject(
                    number, json.dumps(values, ensure_ascii=False), f"row has {len(values)} cells, the header {len(parsed.header)}"
                )
                rejected = True
                continue
            values = (values + [None] * len(parsed.header))[: len(parsed.header)]
            parsed.lines.append(number)
            parsed.rows.append(values)
            if _full(parsed, chunk_rows):
                yield parsed
                parsed = Parsed(header=parsed.header)
    except Exception as exc:
        parsed.reject(None, None, f"XLSX sheet could not be read to the end ({type(exc).__name__}: {exc})")
        rejected = True
    finally:
        wb.close()
    if not header_seen and not rejected:
        parsed.reject(None, None, "empty workbook: no header row")
    yield parsed


def iter_parse(fh: BinaryIO, fmt: str, chunk_rows: int | None = None) -> Iterator[Parsed]:
    """Records and rejects of a delivered file (a binary stream) in format ``fmt``, in chunks of
    at most ``chunk_rows`` records; rejects come with the chunk in which they were found. The
    file is read as a stream (XLSX in openpyxl's read-only mode), so memory stays bounded by the
    chunk, not the file."""
    if fmt in ("csv_utf8", "csv_gbk"):
        return _iter_csv(fh, ENCODINGS[fmt], chunk_rows)
    if fmt == "jsonl":
        return _iter_jsonl(fh, chunk_rows)
    if fmt == "xlsx":
        return _iter_xlsx(fh, chunk_rows)
    parsed = Parsed()
    parsed.reject(None, None, f"unknown delivery format {fmt!r}; the catalog must declare csv_utf8, csv_gbk, jsonl or xlsx")
    return iter([parsed])


def parse_file(data: bytes, fmt: str) -> Parsed:
    """Records and rejects of a whole delivered file in format ``fmt`` (one chunk)."""
    return next(iter_parse(io.BytesIO(data), fmt, None))


def read_csv_arrow(path: str, encoding: str = "utf-8") -> tuple[list[str], object] | None:
    """A clean CSV read by Arrow's C++ reader: (header, table of string columns), or None when the
    file needs the line-by-line reader (``iter_parse``) to account for every line.

    Clean means: no byte-order mark, a header without repeated names, valid in ``encoding`` (a
    GBK file is transcoded to UTF-8 as it is read), every row with the header's field count, and
    exactly one physical line per row (no blank lines, no newline inside a quoted value) —
    checked by counting the newlines, so row i is line i + 2. Values are text as delivered
    (empty fields are empty strings, nothing trimmed).
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    with open(path, "rb") as fh:
        first = fh.readline()
        if not first or first.startswith(BOM):
            return None
        newlines = first.count(b"\n")
        last = first
        while True:
            block = fh.read(1 << 24)
            if not block:
                break
            newlines += block.count(b"\n")
            last = block
    try:
        header = next(csv.reader([first.decode(encoding)]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    header = [h.strip() for h in header]
    if not header or len(set(header)) != len(header):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False, encoding=encoding),
            parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=True
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError):
        return None
    rows_expected = newlines - 1 + (0 if last.endswith(b"\n") else 1)
    if table.num_rows != rows_expected:
        return None
    return header, table
