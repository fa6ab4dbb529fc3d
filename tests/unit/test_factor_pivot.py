"""The per-area and per-catalog factor pivot (``factors.EventPivot``) against the same figures computed with pandas."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml.factors import AREA_METRICS, AREA_WINDOWS, CATALOG_METRICS, EventPivot, column_name

AREAS = {"tax": ["TAX-001", "TAX-002", "TAX-003"], "utilities": ["UTIL-01"], "silent": ["SIL-1"]}
AREA_OF = {c: a for a, codes in AREAS.items() for c in codes}
CUTOFFS = [dt.date(2024, 1, 1), dt.date(2025, 1, 1)]


def pivot(carry=None, cutoffs=CUTOFFS) -> EventPivot:
    return EventPivot(sorted(AREAS), sorted(AREA_OF), AREA_OF, cutoffs, carry)


def event_rows(seed: int) -> pd.DataFrame:
    """Events as the shuffle hands them over: several per (entity, catalog), some after a cutoff, some
    without an amount, one without a date, and a catalog not in the column list."""
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(40):
        for code in [*AREAS["tax"], *AREAS["utilities"], "OLD-9"]:
            for _ in range(int(rng.integers(0, 4))):
                day = dt.date(2022, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1200)))
                amount = None if rng.random() < 0.4 else float(rng.integers(1, 10_000))
                rows.append((f"E{e:03d}", code, day, amount))
    rows.append(("E000", "TAX-001", None, 5.0))
    return pd.DataFrame(rows, columns=["uscc", "catalog", "event_date", "amount"])


def expected(events: pd.DataFrame, p: EventPivot, cutoff: dt.date, entities) -> pd.DataFrame:
    out = pd.DataFrame(index=sorted(entities), columns=p.columns, dtype=float)
    ev = events.dropna(subset=["event_date"])
    ev = ev[ev["event_date"] <= cutoff].assign(area=lambda d: d["catalog"].map(AREA_OF))
    age = ev["event_date"].map(lambda d: (cutoff - d).days)
    for key, codes in [*(("area", [a]) for a in AREAS), *(("catalog", [c]) for c in AREA_OF)]:
        mine = ev[ev[key].isin(codes)]
        days = age[mine.index]
        col = f"area_{codes[0]}_" if key == "area" else f"cat_{column_name(codes[0])}_"
        by = mine.groupby("uscc")
        for m in AREA_METRICS if key == "area" else CATALOG_METRICS:
            if m == "n_all":
                v = by.size()
            elif m.startswith("n_"):
                v = mine[days < int(m[2:-1])].groupby("uscc").size()
            elif m == "recency":
                v = days.groupby(mine["uscc"]).min()
            else:
                v = mine[days < 365].groupby("uscc")["amount"].sum(min_count=1)
            out[col + m] = v.astype(float)
            if m.startswith("n_"):
                out[col + m] = out[col + m].fillna(0.0)
    return out


def run(p: EventPivot, rows: pd.DataFrame) -> dict:
    table = pa.Table.from_pandas(
        rows,
        preserve_index=False,
        schema=pa.schema(
            [("uscc", pa.string()), ("catalog", pa.string()), ("event_date", pa.date32()), ("amount", pa.float64())]
            + ([("carry", pa.list_(pa.float64()))] if "carry" in rows else [])
        ),
    )
    half = table.num_rows // 2
    batches = table.slice(0, half).to_batches() + table.slice(half).to_batches()  # as mapInArrow hands a partition over
    return {c: t for c, t in p.tables(iter(batches))}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pivot_equals_pandas_for_every_cutoff(seed):
    events = event_rows(seed)
    p = pivot()
    out = run(p, events)
    assert set(out) == set(CUTOFFS)
    for cutoff, t in out.items():
        got = t.to_pandas().set_index("uscc").sort_index()
        # without entity rows: the entities with an event on or before the cutoff
        entities = events[events["event_date"].notna() & (events["event_date"] <= cutoff)]["uscc"].unique()
        want = expected(events, p, cutoff, entities)
        assert t.schema.names == ["uscc", *p.columns]
        assert list(got.index) == list(want.index)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_names=False)
        # no record: recency and amounts null, not NaN
        assert t.column("area_tax_recency").null_count > 0 or t.column("area_silent_recency").null_count == t.num_rows
        assert not np.isnan(t.column("area_tax_recency").drop_null().to_numpy()).any()
        assert t.column("area_silent_n_all").null_count == 0
    # later cutoffs count more
    assert out[CUTOFFS[1]].column("area_tax_n_all").to_numpy().sum() > out[CUTOFFS[0]].column("area_tax_n_all").to_numpy().sum()


def test_entity_rows_carry_their_columns_and_select_the_entities_per_cutoff():
    events = event_rows(4)
    carry = ["ent_age_days", "hist_penalties"]
    # registered by the first cutoff: half the entities with events and N000; by the second, all of them and N001.
    # E039's events are never counted: it is not registered
    first = sorted(set(events["uscc"]) - {"E039"})[::2] + ["N000"]
    second = sorted(set(events["uscc"]) - {"E039"}) + ["N000", "N001"]
    rows = [
        pd.DataFrame(
            {
                "uscc": ents,
                "catalog": None,
                "event_date": cutoff,
                "carry": [[i * 10.0 + k, None if i % 3 == 0 else float(i)] for i in range(len(ents))],
            }
        )
        for k, (cutoff, ents) in enumerate(zip(CUTOFFS, [first, second]))
    ]
    p = pivot(carry)
    out = run(p, pd.concat([events.assign(carry=None), *(r.iloc[::-1] for r in rows)], ignore_index=True))

    for k, (cutoff, ents) in enumerate(zip(CUTOFFS, [first, second])):
        t = out[cutoff]
        got = t.to_pandas().set_index("uscc").sort_index()
        assert t.schema.names == ["uscc", *carry, *p.columns]
        assert list(got.index) == sorted(ents)
        carried = pd.DataFrame(rows[k]["carry"].tolist(), index=rows[k]["uscc"], columns=carry).sort_index()
        pd.testing.assert_frame_equal(got[carry], carried.astype(float), check_names=False)
        pd.testing.assert_frame_equal(got[p.columns], expected(events, p, cutoff, ents), check_dtype=False, check_names=False)
        assert got.loc["N000", "area_tax_n_all"] == 0 and np.isnan(got.loc["N000", "area_tax_recency"])


def test_windows_count_from_the_day_after():
    """A record exactly w days before the cutoff is outside the w-day window, one day later inside."""
    cutoff = CUTOFFS[0]
    w = AREA_WINDOWS[0]
    events = pd.DataFrame(
        {
            "uscc": ["E1", "E1", "E1"],
            "catalog": ["TAX-001"] * 3,
            "event_date": [cutoff - dt.timedelta(days=w), cutoff - dt.timedelta(days=w - 1), cutoff + dt.timedelta(days=1)],
            "amount": [1.0, 2.0, 4.0],
        }
    )
    t = run(pivot(cutoffs=[cutoff]), events)[cutoff].to_pylist()[0]
    assert t["area_tax_n_all"] == 2 and t[f"area_tax_n_{w}d"] == 1 and t["area_tax_recency"] == w - 1
    assert t["area_tax_amount_365d"] == 3.0 and t["cat_tax_001_n_365d"] == 2


def test_empty_partition_yields_nothing():
    p = EventPivot(["tax"], ["TAX-001"], {"TAX-001": "tax"}, CUTOFFS)
    assert list(p.tables(iter([]))) == []
    with pytest.raises(ValueError, match="exactly one cutoff"):
        list(p(iter([])))


def test_areas_count_every_catalog_of_the_area_also_without_catalog_columns():
    """Re-scoring asks for a few columns: an area's counts still take all of its catalogs' records."""
    events = event_rows(5)
    cutoff = CUTOFFS[1]
    few = EventPivot(["tax"], ["TAX-001"], AREA_OF, [cutoff])
    everything = pivot(cutoffs=[cutoff])
    got = run(few, events)[cutoff].to_pandas().set_index("uscc")
    want = run(everything, events)[cutoff].to_pandas().set_index("uscc")
    assert list(got.columns) == [f"area_tax_{m}" for m in AREA_METRICS] + [f"cat_tax_001_{m}" for m in CATALOG_METRICS]
    pd.testing.assert_frame_equal(got, want[got.columns])
    assert got["area_tax_n_all"].sum() > got["cat_tax_001_n_365d"].sum()
