"""Silver for a small batch in the driver: the outputs of ``process.process_area`` with no Spark job.

A day's delivery is a few thousand rows per subject area. The Spark path spends its time
planning and scheduling a dozen jobs over the wide area schema, not computing. Here the
same steps run on Arrow tables in the driver:

- pyarrow reads the batch's bronze files (found from the file statistics);
- ``standardise_catalog`` applies the same rules (the function the Spark path runs in its
  executors);
- the latest record per key is picked by the same order;
- ``Tables.merge`` / ``Tables.write`` commit pyarrow-written files with the same app
  transactions.

So a re-run converges the same way, and either path may pick up a batch the other left half
done. ``process`` takes this path for an area's batch of up to ``silver.driver_max_rows`` rows,
in parts of whole catalogs of up to ``silver.driver_part_rows`` rows each (rows of one key are
in one catalog, so each part is deduplicated alone), a larger catalog in slices spilled to
local disk: the driver's memory follows the part, and the area's table still gets one commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lakehouse.bronze.ingest import RECORDS as BRONZE_RECORDS
from lakehouse.silver.contract import (
    KEYS,
    LATEST_FIRST,
    QUALITY,
    QUALITY_SCHEMA,
    REJECT_COLUMNS,
    REJECTS,
    SUPERSEDED,
    AreaResult,
    DataDocs,
    app_id,
    ge_quality_rows,
    quality_rows,
)
from lakehouse.silver.standardise import ERRORS, UNMAPPED, AreaPlan, standardise_catalog

if TYPE_CHECKING:
    import pyarrow as pa

    from lakehouse.tables import Tables
    from lakehouse.tables.rs_delta import ArrowMerge
    from lakehouse.tables.snapshot import Snapshot, SnapshotFile
    from lakehouse.tables.storage import TableStorage

BRONZE_COLUMNS = ["catalog", "department", "batch_date", "file", "line", "ingest_batch", "record"]
UNKNOWN_ROWS = 10**12


@dataclass
class BronzeBatch:
    """The bronze files of one ingest batch, pruned once from one snapshot and shared by the area threads."""

    batch: int
    snapshot: Snapshot
    storage: TableStorage
    files: list[SnapshotFile]

    @classmethod
    def load(cls, tables: Tables, batch: int) -> BronzeBatch:
        snap = tables.snapshot(BRONZE_RECORDS)
        storage = tables.storage(BRONZE_RECORDS)
        return cls(batch, snap, storage, snap.prune([("ingest_batch", "=", batch)], storage))

    def parts(self, plan: AreaPlan, max_rows: int) -> list[list[str]]:
        """The area's delivered catalogs in groups of up to ``max_rows`` rows, largest first; a
        catalog of more rows is a group alone (read in slices). Rows of one key are in one catalog,
        so each group is deduplicated on its own."""
        rows = self.rows()
        sizes = sorted(((rows[c], c) for c in plan.catalogs if c in rows), reverse=True)
        groups: list[tuple[int, list[str]]] = []
        for n, code in sizes:  # first fit, largest first
            for i, (total, codes) in enumerate(groups):
                if total + n <= max_rows:
                    groups[i] = (total + n, codes + [code])
                    break
            else:
                groups.append((n, [code]))
        return [sorted(codes) for _, codes in groups]

    def slices(self, code: str, max_rows: int) -> Iterator[pa.Table]:
        """One catalog's records of the batch, in slices of about ``max_rows`` rows."""
        from lakehouse.tables import arrow_files

        files = [f for f in self.files if f.partition_values.get("catalog") == code]
        for records in arrow_files.iter_files(self.storage, self.snapshot, files, max_rows, columns=BRONZE_COLUMNS):
            yield self._mine(records)

    def _mine(self, records: pa.Table) -> pa.Table:
        """The rows of this batch (a batch's files hold only it: then no copy)."""
        import pyarrow.compute as pc

        mine = pc.fill_null(pc.equal(records.column("ingest_batch"), self.batch), False)
        return records if pc.all(mine).as_py() is not False else records.filter(mine)

    def rows(self) -> dict[str, int]:
        """Rows per catalog, from the file statistics (no scan)."""
        out: dict[str, int] = {}
        for f in self.files:
            code = f.partition_values.get("catalog")
            n = UNKNOWN_ROWS if f.num_records is None else int(f.num_records)  # no statistics: assume large (Spark)
            out[code] = out.get(code, 0) + n
        return out

    def read(self, plan: AreaPlan, catalogs: Collection[str] | None = None) -> pa.Table:
        """The area's records of the batch (of ``catalogs`` only, if given)."""
        from lakehouse.tables import arrow_files

        wanted = set(plan.catalogs) if catalogs is None else set(catalogs) & set(plan.catalogs)
        files = [f for f in self.files if f.partition_values.get("catalog") in wanted]
        return self._mine(arrow_files.read_files(self.storage, self.snapshot, files, columns=BRONZE_COLUMNS))


def standardise_table(records: pa.Table, plan: AreaPlan, hmac_key: bytes) -> pa.Table:
    """Typed, checked rows of the area (``standardise``'s output), one catalog at a time."""
    import pyarrow as pa
    import pyarrow.compute as pc

    batches = []
    codes = records.column("catalog")
    for code in sorted(set(pc.unique(codes).to_pylist()) - {None}):
        for rb in records.filter(pc.equal(codes, code)).combine_chunks().to_batches():
            if rb.num_rows:
                batches.append(standardise_catalog(rb, code, plan, hmac_key))
    return pa.Table.from_batches(batches, schema=plan.arrow_schema())


def tallies(checked: pa.Table) -> tuple[dict[tuple[str, bool], int], list, list]:
    """``process._tallies`` on an Arrow table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = pc.greater(pc.list_value_length(checked.column(ERRORS)), 0)
    t = pa.table({"catalog": checked.column("catalog"), "bad": bad})
    counts = {(r["catalog"], r["bad"]): r["count_all"] for r in t.group_by(["catalog", "bad"]).aggregate([([], "count_all")]).to_pylist()}

    def exploded(column: str, field: str | None) -> list:
        lists = checked.column(column).combine_chunks()
        values = pc.list_flatten(lists)
        if len(values) == 0:
            return []
        parents = pc.list_parent_indices(lists)
        e = pa.table({"catalog": checked.column("catalog").take(parents), "key": values.field(field) if field else values})
        return [(r["catalog"], r["key"], r["count_all"]) for r in e.group_by(["catalog", "key"]).aggregate([([], "count_all")]).to_pylist()]

    return counts, exploded(ERRORS, "standard"), exploded(UNMAPPED, None)


def latest_per_key(checked: pa.Table, among: pa.Array | None = None) -> tuple[pa.Table, pa.Table, dict[str, int]]:
    """(winners, losers with the winner's ``_winner_file`` / ``_winner_line``, superseded per catalog).

    Of the rows of ``checked`` where ``among`` is true (default: all), the latest record per
    (catalog, record_key) wins, by the same order as the Spark path. Only the key and order
    columns are sorted; the wide rows are copied once, into the winners and the losers.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from lakehouse.tables.arrow_files import key_strings

    rows = np.arange(checked.num_rows) if among is None else np.flatnonzero(pc.fill_null(among, False).to_numpy(zero_copy_only=False))
    if len(rows) == 0:
        empty = checked.slice(0, 0)
        return (
            empty,
            empty.append_column("_winner_file", pa.array([], pa.string())).append_column("_winner_line", pa.array([], pa.int32())),
            {},
        )
    small = checked.select(["catalog", "record_key", *(c for c, _ in LATEST_FIRST)]).take(pa.array(rows))
    keys, _ = key_strings(small, KEYS)
    order = pc.sort_indices(small.append_column("_key", keys), sort_keys=[("_key", "ascending"), *LATEST_FIRST], null_placement="at_end")
    k = keys.take(order).combine_chunks()
    first = np.ones(len(rows), dtype=bool)
    if len(rows) > 1:
        first[1:] = pc.not_equal(k.slice(1), k.slice(0, len(rows) - 1)).to_numpy(zero_copy_only=False)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))
    sorted_rows = rows[order.to_numpy()]  # rows of ``checked`` in key order, the latest first
    winners = checked.take(pa.array(sorted_rows[first]))
    lose = np.flatnonzero(~first)
    won_by = pa.array(sorted_rows[group_start[lose]])
    losers = checked.take(pa.array(sorted_rows[lose]))
    losers = losers.append_column("_winner_file", checked.column("source_file").take(won_by)).append_column(
        "_winner_line", checked.column("source_line").take(won_by)
    )
    superseded = {
        r["catalog"]: r["count_all"] for r in losers.select(["catalog"]).group_by("catalog").aggregate([([], "count_all")]).to_pylist()
    }
    return winners, losers, superseded


def rejects(checked: pa.Table, losers: pa.Table) -> pa.Table:
    """One row per failed rule and one per superseded record, as ``silver.rejects`` holds them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lists = checked.column(ERRORS).combine_chunks()
    errors = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists)
    failed = {c: checked.column(c).take(parents) for c in REJECT_COLUMNS}
    failed.update({n: errors.field(n) for n in ("field", "standard", "reason", "raw_value")})
    n = losers.num_rows
    reasons = pc.binary_join_element_wise(
        pa.array([SUPERSEDED] * n, pa.string()),
        losers.column("_winner_file"),
        pa.array([" line "] * n, pa.string()),
        pc.cast(losers.column("_winner_line"), pa.string()),
        pa.array([")"] * n, pa.string()),
        "",
    )
    dupes = {c: losers.column(c) for c in REJECT_COLUMNS}
    dupes.update(
        {"field": pa.nulls(n, pa.string()), "standard": pa.nulls(n, pa.string()), "reason": reasons, "raw_value": pa.nulls(n, pa.string())}
    )
    return pa.concat_tables([pa.table(failed), pa.table(dupes)])


@dataclass
class _Tally:
    """An area's tallies, summed over its parts and slices."""

    counts: Counter = field(default_factory=Counter)  # (catalog, has errors) -> rows
    rules: Counter = field(default_factory=Counter)  # (catalog, standard) -> failures
    unmapped: Counter = field(default_factory=Counter)  # (catalog, column) -> rows
    superseded: Counter = field(default_factory=Counter)  # catalog -> rows
    rejects: list = field(default_factory=list)  # silver.rejects rows, as Arrow tables
    ge_rows: list = field(default_factory=list)  # Great Expectations quality rows

    def add(self, checked: pa.Table) -> set[str]:
        """Tally ``checked``; the catalogs it holds."""
        counts, rules, unmapped = tallies(checked)
        self.counts.update(counts)
        self.rules.update({(c, k): n for c, k, n in rules})
        self.unmapped.update({(c, k): n for c, k, n in unmapped})
        return {c for c, _ in counts}


def process_area_local(
    tables: Tables, plan: AreaPlan, bronze: BronzeBatch, hmac_key: bytes, data_docs: DataDocs | None = None, part_rows: int | None = None
) -> AreaResult:
    """``process.process_area`` in the driver, in parts of up to ``part_rows`` rows (default: all at once).

    A part is a group of whole catalogs (``BronzeBatch.parts``): it is read, standardised,
    deduplicated and staged as files before the next is read, so memory follows the part. A
    catalog of more rows is read in slices, each standardised and spilled to an Arrow file on
    local disk; the latest record per key is picked over the key columns of all its slices
    (:func:`_sliced`). The area's table, rejects and quality rows are each committed once, with
    the area's app transaction, as on Spark.
    """
    import tempfile

    import pyarrow as pa

    from lakehouse.tables.arrow_files import rows_table

    batch = bronze.batch
    result = AreaResult(plan.area, batch)
    sizes = bronze.rows()
    parts = bronze.parts(plan, part_rows) if part_rows else [None]
    tally = _Tally()
    merge = tables.arrow_merge(
        plan.table, keys=["catalog", "record_key"], partition_by=["catalog"], app_id=app_id(plan.area), app_version=batch, unique_keys=True
    )
    try:
        for codes in parts:
            if codes and len(codes) == 1 and sizes.get(codes[0], 0) > part_rows:
                with tempfile.TemporaryDirectory(prefix="regulake-silver-") as spill:
                    _sliced(bronze, plan, codes[0], hmac_key, part_rows, spill, tally, merge, data_docs)
                continue
            checked = standardise_table(bronze.read(plan, codes), plan, hmac_key)
            delivered = tally.add(checked)
            winners, losers, superseded = latest_per_key(checked, _good(checked))
            tally.superseded.update(superseded)
            if not merge.done:
                merge.add(winners.select(plan.columns()))
            tally.rejects.append(rejects(checked, losers))
            del winners, losers
            if data_docs:
                tally.ge_rows += _validate(checked, data_docs, plan, batch, delivered)
            del checked
        result.rows_in = sum(tally.counts.values())
        result.skipped = result.rows_in == 0
        if result.rows_in:
            result.versions[plan.table] = merge.commit().version
        else:
            merge.discard()
    except BaseException:
        merge.discard()
        raise
    result.superseded = sum(tally.superseded.values())
    result.rejected = sum(v for (c, bad), v in tally.counts.items() if bad)
    result.rows_out = result.rows_in - result.rejected - result.superseded
    result.versions[REJECTS] = tables.write(REJECTS, pa.concat_tables(tally.rejects), app_id=app_id(plan.area), app_version=batch).version

    rows = quality_rows(
        batch,
        plan.area,
        dict(tally.counts),
        dict(tally.superseded),
        [(c, k, n) for (c, k), n in tally.rules.items()],
        [(c, k, n) for (c, k), n in tally.unmapped.items()],
    )
    quality = rows_table(rows + tally.ge_rows, QUALITY_SCHEMA)
    result.versions[QUALITY] = tables.write(QUALITY, quality, app_id=app_id(plan.area), app_version=batch).version
    return result


def _good(checked: pa.Table) -> pa.Array:
    import pyarrow.compute as pc

    return pc.equal(pc.list_value_length(checked.column(ERRORS)), 0)


def _sliced(
    bronze: BronzeBatch,
    plan: AreaPlan,
    code: str,
    hmac_key: bytes,
    max_rows: int,
    spill: str,
    tally: _Tally,
    merge: ArrowMerge,
    data_docs: DataDocs | None,
) -> None:
    """One catalog larger than a part, in slices: standardised and spilled to ``spill`` one slice at
    a time, deduplicated over the key and order columns of every slice, then each slice's winners
    staged and its rejects kept (read back one at a time; LZ4-compressed on disk)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    paths, keys = [], []
    for j, records in enumerate(bronze.slices(code, max_rows)):
        checked = standardise_table(records, plan, hmac_key)
        del records
        tally.add(checked)
        path = f"{spill}/{j}.arrow"
        with pa.OSFile(path, "wb") as fh, pa.ipc.new_file(fh, checked.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
            writer.write_table(checked)
        small = checked.select(["catalog", "record_key", *(c for c, _ in LATEST_FIRST)])
        small = small.append_column("_slice", pa.array(np.full(len(small), j, np.int32))).append_column(
            "_row", pa.array(np.arange(len(small)))
        )
        keys.append(small.filter(_good(checked)))
        paths.append(path)
        del checked, small
    winners, losers, superseded = latest_per_key(pa.concat_tables(keys))
    del keys
    tally.superseded.update(superseded)
    validated = []
    for j, path in enumerate(paths):
        checked = pa.ipc.open_file(pa.memory_map(path)).read_all()
        mine = winners.filter(pc.equal(winners.column("_slice"), j)).column("_row")
        if not merge.done:
            merge.add(checked.take(mine).select(plan.columns()))
        lost = losers.filter(pc.equal(losers.column("_slice"), j))
        lost_rows = (
            checked.take(lost.column("_row"))
            .append_column("_winner_file", lost.column("_winner_file"))
            .append_column("_winner_line", lost.column("_winner_line"))
        )
        tally.rejects.append(rejects(checked, lost_rows))
        if data_docs and code in data_docs.catalogs:
            validated.append(checked)
    if validated:  # one validation of the whole catalog, in memory
        tally.ge_rows += _validate(pa.concat_tables(validated), data_docs, plan, bronze.batch, {code})


def _validate(checked: pa.Table, data_docs: DataDocs, plan: AreaPlan, batch: int, delivered: set[str]) -> list:
    """Great Expectations quality rows of the catalogs of ``data_docs`` in ``checked``."""
    import pyarrow.compute as pc

    from lakehouse.silver.expectations import validate_with_data_docs

    out = []
    codes = checked.column("catalog")
    for code in sorted(set(data_docs.catalogs) & delivered):
        rows = checked.filter(pc.equal(codes, code)).drop_columns([ERRORS, UNMAPPED]).to_pandas()
        summary = validate_with_data_docs(rows, plan.catalogs[code], data_docs.standards, batch, data_docs.root)
        out += ge_quality_rows(batch, plan.area, code, summary)
    return out
