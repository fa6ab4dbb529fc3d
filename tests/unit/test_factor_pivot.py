"""The per-area and per-catalog factor pivot (``factors.WidePivot``) against the same figures computed with pandas."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lakehouse.risk.factors import AREA_METRICS, CATALOG_METRICS, ENTITY_ROW, WidePivot, column_name

AREAS = {"tax": ["TAX-001", "TAX-002", "TAX-003"], "utilities": ["UTIL-01"], "silent": ["SIL-1"]}


def long_rows(seed: int) -> pd.DataFrame:
    """(entity, area, catalog) aggregates as Spark's groupBy hands them over, plus a catalog not in the list
    and entities with no event at all (area and catalog null)."""
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(40):
        for area, codes in [("tax", AREAS["tax"]), ("utilities", AREAS["utilities"]), ("retired", ["OLD-9"])]:
            for code in codes:
                if rng.random() < 0.5:
                    continue
                n_all = int(rng.integers(1, 9))
                n_730 = int(rng.integers(0, n_all + 1))
                n_365 = int(rng.integers(0, n_730 + 1))
                n_90 = int(rng.integers(0, n_365 + 1))
                amount = None if rng.random() < 0.4 else float(rng.integers(1, 10_000))
                rows.append((f"E{e:03d}", area, code, n_all, n_90, n_365, n_730, float(rng.integers(0, 900)), amount))
    rows += [(f"N{e:03d}", None, None, None, None, None, None, None, None) for e in range(5)]
    return pd.DataFrame(rows, columns=["uscc", "area", "catalog", *AREA_METRICS])


def expected(long: pd.DataFrame, pivot: WidePivot) -> pd.DataFrame:
    out = pd.DataFrame(index=sorted(long["uscc"].unique()), columns=pivot.columns, dtype=float)
    ev = long.dropna(subset=["area"])
    for area in AREAS:
        mine = ev[ev["area"] == area].groupby("uscc")
        for m in AREA_METRICS:
            col = f"area_{area}_{m}"
            if m == "recency":
                out[col] = mine[m].min()
            elif m == "amount_365d":
                out[col] = mine[m].sum(min_count=1)
            else:
                out[col] = mine[m].sum()
                out[col] = out[col].fillna(0.0)
    for code in [c for codes in AREAS.values() for c in codes]:
        mine = ev[ev["catalog"] == code].set_index("uscc")
        for m in CATALOG_METRICS:
            col = f"cat_{column_name(code)}_{m}"
            out[col] = mine[m]
            if m != "recency":
                out[col] = out[col].fillna(0.0)
    return out


def run(pivot: WidePivot, long: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(long, preserve_index=False)
    half = table.num_rows // 2
    batches = table.slice(0, half).to_batches() + table.slice(half).to_batches()  # as mapInArrow hands a partition over
    return pa.Table.from_batches(list(pivot(iter(batches))), schema=pivot.schema)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pivot_equals_pandas(seed):
    long = long_rows(seed)
    pivot = WidePivot(sorted(AREAS), sorted(c for codes in AREAS.values() for c in codes))
    out = run(pivot, long)
    got = out.to_pandas().set_index("uscc").sort_index()
    want = expected(long, pivot)

    assert list(got.columns) == pivot.columns
    assert list(got.index) == list(want.index)  # every entity once, also those with no event
    pd.testing.assert_frame_equal(got, want, check_dtype=False, check_names=False)
    # no record: counts 0, recency and amounts null (not NaN)
    silent = got.loc["N000"]
    assert silent["area_tax_n_all"] == 0 and silent["cat_sil_1_n_365d"] == 0
    assert out.column("area_tax_recency").null_count >= 5 and not np.isnan(out.column("area_tax_recency").drop_null().to_numpy()).any()
    assert out.column("area_silent_n_all").null_count == 0


def test_entity_rows_carry_their_columns_and_select_the_entities():
    long = long_rows(4)
    events = long.dropna(subset=["area"])
    # registered: half the entities with events, and two with none; E039's events are dropped (not registered)
    registered = sorted(set(events["uscc"]))[::2] + ["N000", "N001"]
    entity_rows = pd.DataFrame({"uscc": registered, "ent_age_days": np.arange(len(registered)) * 10.0,
                                "hist_penalties": [None if i % 3 == 0 else float(i) for i in range(len(registered))],
                                ENTITY_ROW: True})
    pivot = WidePivot(sorted(AREAS), sorted(c for codes in AREAS.values() for c in codes), carry=["ent_age_days", "hist_penalties"])
    out = run(pivot, pd.concat([events, entity_rows.iloc[::-1]], ignore_index=True))
    got = out.to_pandas().set_index("uscc").sort_index()

    assert out.schema.names == ["uscc", "ent_age_days", "hist_penalties", *pivot.columns]
    assert list(got.index) == sorted(registered)
    carried = entity_rows.set_index("uscc").sort_index()
    pd.testing.assert_series_equal(got["ent_age_days"], carried["ent_age_days"], check_names=False)
    pd.testing.assert_series_equal(got["hist_penalties"], carried["hist_penalties"].astype(float), check_names=False)
    want = expected(pd.concat([events, entity_rows[["uscc"]]]), pivot).loc[sorted(registered)]
    pd.testing.assert_frame_equal(got[pivot.columns], want, check_dtype=False, check_names=False)


def test_empty_partition_yields_nothing():
    pivot = WidePivot(["tax"], ["TAX-001"])
    assert list(pivot(iter([]))) == []
