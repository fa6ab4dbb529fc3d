"""The one-pass field lookup of a bronze record map agrees with Arrow's ``map_lookup``."""

import random

import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.silver.standardise import _FieldLookup

MAP = pa.map_(pa.string(), pa.string())
WANTED = ["企业名称", "统一社会信用代码", "成立日期", "absent"]


def _records(n, seed):
    rng = random.Random(seed)
    keys = ["企业名称", "统一社会信用代码", "成立日期", "备注", "变更原因"]
    out = []
    for i in range(n):
        if rng.random() < 0.05:
            out.append(None)  # a null map
            continue
        entries = [(k, None if rng.random() < 0.1 else f"{k}-{i}-{j}") for j, k in enumerate(rng.sample(keys, rng.randint(0, len(keys))))]
        if entries and rng.random() < 0.2:
            entries.append((entries[0][0], "a second value for the same key"))  # duplicate key: the first one counts
        out.append(entries)
    return pa.array(out, MAP)


def test_each_field_is_the_first_value_of_its_key_as_map_lookup_finds_it():
    whole = _records(500, 1)
    for record in (whole, whole.slice(137, 250)):  # record batches are often slices of a larger array
        lookup = _FieldLookup(record, WANTED)
        for j, name in enumerate(WANTED):
            want = pc.map_lookup(record, query_key=pa.scalar(name), occurrence="first")
            assert lookup.column(j).to_pylist() == want.to_pylist(), name


def test_unmapped_lists_the_delivered_names_not_wanted_row_by_row():
    record = _records(300, 2).slice(11, 200)
    got = _FieldLookup(record, WANTED).unmapped().to_pylist()
    want = [[k for k, _ in row if k not in WANTED] if row is not None else [] for row in record.to_pylist()]
    assert got == want
    assert any(got) and not all(got)


def test_no_wanted_fields_and_no_rows():
    assert _FieldLookup(pa.array([], MAP), WANTED).column(0).to_pylist() == []
    lookup = _FieldLookup(_records(20, 3), [])
    assert len(lookup.unmapped()) == 20
