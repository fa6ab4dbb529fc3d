"""Commit files written by Spark as ONE Delta transaction with delta-rs.

delta-rs checks little of what it is handed, so this module does the checking:

- files exist and carry stats (the writer built the actions from what it listed);
- schema: types never change; new columns only when the writer opted in;
- exactly once: an app transaction (``txn`` app id + version) already in the log
  means the batch is committed and nothing is written again;
- write-serializable: a transaction that read version ``v`` (overwrite, merge, delete)
  fails with ``ConcurrentModificationError`` when a commit after ``v`` touched the
  partitions it read or removed a file it removes; blind appends never conflict;
- never lost: each commit carries a unique id in its commitInfo and is looked up in
  the log afterwards; a commit the log does not hold raises ``LostCommitError``.

Committers of one table on one file system are serialised by a file lock; object
stores rely on delta-rs's atomic put (see ``TableStorage.commit_lock``).
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import unquote

from lakehouse.tables import schema as schemas
from lakehouse.tables.exceptions import (
    ConcurrentModificationError,
    LostCommitError,
    SchemaMismatchError,
    TableNotFoundError,
)

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

    from lakehouse.tables.storage import TableStorage

log = logging.getLogger(__name__)

Operation = Literal["WRITE", "OVERWRITE", "MERGE", "DELETE", "OPTIMIZE", "CREATE"]


class FileAdd(NamedTuple):
    path: str                                # raw relative path (delta-rs encodes it)
    size: int
    partition_values: dict[str, str | None]
    modification_time: int
    stats: str
    data_change: bool = True


class FileRemove(NamedTuple):
    path: str
    size: int | None
    partition_values: dict[str, str | None] | None
    data_change: bool = True


@dataclass
class Commit:
    """What one transaction changes and what it depends on."""

    table: str                                      # name, for messages
    operation: Operation
    schema: StructType                              # the table's schema after this commit
    partition_by: list[str]
    adds: list[FileAdd] = field(default_factory=list)
    removes: list[FileRemove] = field(default_factory=list)
    read_version: int | None = None                 # None: a blind append
    conflict_partitions: list[dict[str, str | None]] | None = None  # None: the whole table
    app_txn: tuple[str, int] | None = None
    configuration: dict[str, str] | None = None     # for a new table
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def blind(self) -> bool:
        return self.read_version is None and not self.removes


class CommitResult(NamedTuple):
    version: int | None
    skipped: bool          # True: the app transaction was already committed; nothing written


def _load(storage: TableStorage):
    from deltalake import DeltaTable

    if not DeltaTable.is_deltatable(storage.root_uri, storage_options=storage.storage_options or None):
        return None
    return DeltaTable(storage.root_uri, storage_options=storage.storage_options or None)


def _commit_properties(commit: Commit, commit_id: str, max_retries: int):
    from deltalake import CommitProperties, Transaction

    meta: dict[str, Any] = {
        "regulake.commitId": commit_id,
        "regulake.operation": commit.operation,
        "regulake.table": commit.table,
        "operationParameters": {k: (v if isinstance(v, str) else json.dumps(v, default=str)) for k, v in commit.parameters.items()},
        "isBlindAppend": commit.blind,
        "isolationLevel": "WriteSerializable",
    }
    if commit.read_version is not None:
        meta["readVersion"] = int(commit.read_version)
    txns = [Transaction(commit.app_txn[0], int(commit.app_txn[1]), int(time.time() * 1000))] if commit.app_txn else None
    return CommitProperties(custom_metadata=meta, max_commit_retries=max_retries, app_transactions=txns)


def _actions(commit: Commit) -> list:
    from deltalake.transaction import AddAction, RemoveAction

    now = int(time.time() * 1000)
    out: list = [
        AddAction(a.path, a.size, dict(a.partition_values), a.modification_time, a.data_change, a.stats)
        for a in commit.adds
    ]
    out += [
        RemoveAction(r.path, r.data_change, now, r.size, dict(r.partition_values) if r.partition_values is not None else None)
        for r in commit.removes
    ]
    return out


def _in_scope(values: dict[str, str | None] | None, scope: list[dict[str, str | None]] | None) -> bool:
    if scope is None or values is None:
        return True
    return any(all(values.get(k) == v for k, v in part.items()) for part in scope)


def read_commit_actions(storage: TableStorage, version: int) -> list[dict] | None:
    text = storage.read_text(f"_delta_log/{version:020d}.json")
    if text is None:
        return None
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def check_conflicts(storage: TableStorage, commit: Commit, latest: int) -> None:
    """Raise when a commit after ``commit.read_version`` invalidates what this one read."""
    assert commit.read_version is not None
    removing = {r.path for r in commit.removes}
    for version in range(commit.read_version + 1, latest + 1):
        actions = read_commit_actions(storage, version)
        if actions is None:
            raise ConcurrentModificationError(
                f"{commit.table}: cannot check version {version} for conflicts (its log entry is gone); re-run the job"
            )
        for action in actions:
            what = None
            if "metaData" in action or "protocol" in action:
                what = "changed the table's schema or protocol"
            for kind in ("add", "remove"):
                a = action.get(kind)
                if not a:
                    continue
                path = unquote(a["path"])
                if kind == "remove" and path in removing:
                    what = f"removed file {path}, which this {commit.operation.lower()} also replaces"
                elif a.get("dataChange", True) and _in_scope(a.get("partitionValues"), commit.conflict_partitions):
                    where = f"partition {a.get('partitionValues')}" if a.get("partitionValues") else "the table"
                    what = f"{'added' if kind == 'add' else 'removed'} data in {where}"
            if what:
                raise ConcurrentModificationError(
                    f"{commit.table}: version {version} (committed by another writer after this "
                    f"{commit.operation.lower()} read version {commit.read_version}) {what}; nothing was committed. "
                    "Re-run the job: it reads the new version and is idempotent."
                )


def _find_commit(storage: TableStorage, commit_id: str, after: int, latest: int) -> int | None:
    for version in range(latest, after, -1):
        for action in read_commit_actions(storage, version) or []:
            info = action.get("commitInfo")
            if info and info.get("regulake.commitId") == commit_id:
                return version
    return None


def commit(storage: TableStorage, commit: Commit, max_retries: int = 10) -> CommitResult:
    """Commit ``commit`` to the table at ``storage``; see the module docstring."""
    from deltalake import Field
    from deltalake.exceptions import CommitFailedError
    from deltalake.transaction import create_table_with_add_actions

    commit_id = uuid.uuid4().hex
    attempt = 0
    with storage.commit_lock():
        while True:
            attempt += 1
            dt = _load(storage)
            if commit.app_txn and dt is not None:
                done = dt.transaction_version(commit.app_txn[0])
                if done is not None and done >= commit.app_txn[1]:
                    log.info("%s: app transaction %s v%s already committed", commit.table, *commit.app_txn)
                    return CommitResult(None, True)
            if dt is None:
                if commit.read_version is not None or commit.removes:
                    raise TableNotFoundError(f"{commit.table}: the table disappeared after it was read; re-run the job")
                try:
                    create_table_with_add_actions(
                        storage.root_uri,
                        schemas.to_delta(commit.schema),
                        _actions(commit),
                        mode="error",
                        partition_by=commit.partition_by or None,
                        name=commit.table,
                        configuration=commit.configuration or None,
                        storage_options=storage.storage_options or None,
                        commit_properties=_commit_properties(commit, commit_id, max_retries),
                    )
                except Exception as exc:  # created by a writer we could not lock against
                    if attempt <= max_retries and _load(storage) is not None:
                        continue
                    raise ConcurrentModificationError(f"{commit.table}: creating the table failed: {exc}") from exc
                before = -1
            else:
                before = dt.version()
                if commit.read_version is not None and before > commit.read_version:
                    check_conflicts(storage, commit, before)
                table_schema = schemas.from_delta(dt.schema())
                new_fields = schemas.evolve(table_schema, commit.schema, commit.table, add_columns=True)
                if new_fields:
                    dt.alter.add_columns([Field.from_json(json.dumps(f.jsonValue())) for f in new_fields])
                    dt = _load(storage)
                    table_schema = schemas.from_delta(dt.schema())
                existing_parts = list(dt.metadata().partition_columns)
                if commit.partition_by and existing_parts != list(commit.partition_by):
                    raise SchemaMismatchError(
                        f"{commit.table}: the table is partitioned by {existing_parts or 'nothing'}, not {commit.partition_by}; "
                        "write with the table's partitioning or overwrite it into a new table"
                    )
                try:
                    dt.create_write_transaction(
                        _actions(commit),
                        mode="append",
                        schema=schemas.to_delta(table_schema),
                        partition_by=existing_parts or None,
                        commit_properties=_commit_properties(commit, commit_id, max_retries),
                    )
                except CommitFailedError as exc:
                    if commit.blind and attempt <= max_retries:
                        log.warning("%s: commit race lost (%s); retrying", commit.table, exc)
                        continue
                    raise ConcurrentModificationError(f"{commit.table}: commit failed: {exc}; nothing was committed, re-run the job") from exc
            try:
                latest = _load(storage).version()
                version = _find_commit(storage, commit_id, before, latest)
            except Exception as exc:
                exc.files_may_be_referenced = True  # the commit may have landed: keep its files
                raise
            if version is None:
                raise LostCommitError(
                    f"{commit.table}: delta-rs reported success but no version after {before} holds commit {commit_id}; "
                    "the storage does not give atomic puts — configure a locking provider or conditional put in warehouse.storage_options"
                )
            return CommitResult(version, False)
