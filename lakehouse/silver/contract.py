"""Silver's contract, one home for both backends (Spark: ``process``; the driver: ``local``):
the tables it writes and their schemas, which record wins a key, how a superseded record is
rejected, and the result and quality rows of an area's batch."""

from __future__ import annotations

from dataclasses import dataclass, field

KEYS = ["catalog", "record_key"]
# the latest record per key wins: the latest batch date, then the latest file, then the latest line
LATEST_FIRST = [("batch_date", "descending"), ("source_file", "descending"), ("source_line", "descending")]

REJECTS = "silver.rejects"
QUALITY = "silver.quality"
QUALITY_SCHEMA = "ingest_batch long, subject_area string, catalog string, metric string, rule string, count long"
SUPERSEDED = "同一主键有更新的记录 / superseded by a later record with the same key ("  # + "<file> line <n>)"
REJECT_COLUMNS = ["ingest_batch", "catalog", "department", "batch_date", "source_file", "source_line", "record_key"]  # + the failure
REJECTS_SCHEMA = (
    "ingest_batch long, catalog string, department string, batch_date date, source_file string, source_line int, "
    "record_key string, field string, standard string, reason string, raw_value string"
)


@dataclass
class AreaResult:
    area: str
    batch: int
    rows_in: int = 0
    rows_out: int = 0
    rejected: int = 0
    superseded: int = 0
    skipped: bool = False
    versions: dict[str, int | None] = field(default_factory=dict)


def app_id(area: str) -> str:
    return f"silver.{area}"


def quality_rows(
    batch: int, area: str, counts: dict[tuple[str, bool], int], superseded: dict[str, int], rule_counts: list, unmapped: list
) -> list[tuple]:
    """The rows of ``silver.quality`` for one area's batch (``QUALITY_SCHEMA``), from the tallies."""
    rows = []
    for c in sorted({c for c, _ in counts}):
        n_in = counts.get((c, False), 0) + counts.get((c, True), 0)
        n_bad = counts.get((c, True), 0)
        rows += [
            (batch, area, c, "rows_in", None, n_in),
            (batch, area, c, "rows_rejected", None, n_bad),
            (batch, area, c, "rows_superseded", None, superseded.get(c, 0)),
            (batch, area, c, "rows_out", None, n_in - n_bad - superseded.get(c, 0)),
        ]
    rows += [(batch, area, c, "rule_failed", rule, n) for c, rule, n in rule_counts]
    rows += [(batch, area, c, "unmapped_column", column, n) for c, column, n in unmapped]
    return rows


def ge_quality_rows(batch: int, area: str, code: str, summary: dict) -> list[tuple]:
    """The quality rows of one catalog's Great Expectations validation."""
    rows = [(batch, area, code, "ge_expectations", None, summary["expectations"])]
    return rows + [
        (batch, area, code, "ge_expectation_failed", f"{f['expectation']}({f['column']})", int(f["unexpected"] or 0))
        for f in summary["failed"]
    ]


@dataclass
class DataDocs:
    """Which catalogs get Great Expectations validation and Data Docs, and where."""

    root: str
    catalogs: list[str]
    standards: dict
