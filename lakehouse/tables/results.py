"""What table operations return, and the add action of a file written outside a commit."""

from __future__ import annotations

from typing import NamedTuple


class FileAdd(NamedTuple):
    """A Parquet file already written into a table's folder, described for its commit."""

    path: str  # raw relative path (delta-rs encodes it)
    size: int
    partition_values: dict[str, str | None]
    modification_time: int
    stats: str
    data_change: bool = True


class CommitResult(NamedTuple):
    version: int | None
    skipped: bool  # True: the app transaction was already committed; nothing written


class MergeResult(NamedTuple):
    version: int | None
    skipped: bool
    rows_updated: int
    rows_inserted: int
    files_removed: int
    files_added: int


class DeleteResult(NamedTuple):
    version: int | None
    rows_deleted: int
    files_removed: int
    files_added: int
