"""Factors as of a past cutoff: data that changed after it leaves them unchanged (no leak), annual
reports count as missing only when due, status is the status at the cutoff, industry is categorical."""

from __future__ import annotations

import datetime as dt

import pytest

CUTOFF = dt.date(2024, 12, 31)
D = dt.date.fromisoformat
T = dt.datetime.fromisoformat

REG = (
    "catalog string, uscc string, establishment_date date, registered_capital string, enterprise_type string, industry_code string, "
    "district_code string, registration_status string, address string, legal_rep_id_hash string, legal_rep_phone_hash string, "
    "update_time timestamp, change_date date"
)


def _reg(uscc, est, status, updated, industry="F5191"):
    return ("SCJG-001", uscc, D(est), "100", "1100", industry, "440604", status, f"addr-{uscc}", f"rep-{uscc}", None, T(updated), None)


def _write(tables, spark, later: bool):
    """The silver tables as of the cutoff; ``later``: plus what changed in 2025."""
    reg = [
        _reg("A", "2020-05-01", "1", "2023-04-01"),  # old, filed its reports
        _reg("B", "2021-03-01", "1", "2022-06-01"),  # old, did not file 2023's report
        _reg("C", "2024-03-01", "1", "2024-03-01", "H6210"),  # established in 2024: its first report is not yet due
        _reg("D", "2019-01-01", "3", "2023-09-01"),  # deregistered before the cutoff
        _reg("E", "2019-01-01", "1", "2021-01-01"),  # deregistered after it (see later)
    ]
    changes = [("SCJG-004", "A", None, None, None, None, None, None, None, None, None, T("2024-06-02"), D("2024-06-01"))]
    ar = [
        ("SCJG-003", "A", "2023", D("2024-05-10")),
        ("SCJG-003", "B", "2022", D("2023-05-10")),
        ("SCJG-003", "D", "2023", D("2024-04-01")),
    ]
    lic = [("SCJG-009", "A", D("2021-01-01"), D("2024-06-30")), ("SCJG-009", "C", D("2024-03-05"), D("2029-03-04"))]
    abn = [("SCJG-007", "B", D("2024-07-01"), None)]
    if later:
        reg[4] = _reg("E", "2019-01-01", "3", "2025-03-01")  # deregistered in 2025
        reg[1] = _reg("B", "2021-03-01", "1", "2025-02-01")  # another register update in 2025
        reg.append(_reg("F", "2025-02-01", "1", "2025-02-01"))  # established after the cutoff
        changes.append(("SCJG-004", "C", *[None] * 9, T("2025-01-06"), D("2025-01-05")))
        ar += [("SCJG-003", "B", "2023", D("2025-01-20")), ("SCJG-003", "C", "2024", D("2025-04-01"))]  # filed late / after the cutoff
        lic += [("SCJG-009", "E", D("2025-02-01"), D("2025-10-01")), ("SCJG-009", "C", D("2025-01-10"), D("2025-12-01"))]
        abn = [("SCJG-007", "B", D("2024-07-01"), D("2025-03-01")), ("SCJG-007", "A", D("2025-05-01"), None)]  # removed / listed later
    tables.write("silver.registration", spark.createDataFrame(reg + changes, REG), mode="overwrite")
    tables.write(
        "silver.annual_reports",
        spark.createDataFrame(ar, "catalog string, uscc string, report_year string, report_date date"),
        mode="overwrite",
    )
    tables.write(
        "silver.licences", spark.createDataFrame(lic, "catalog string, uscc string, issue_date date, expiry_date date"), mode="overwrite"
    )
    tables.write(
        "silver.abnormal_operations",
        spark.createDataFrame(abn, "catalog string, uscc string, listing_date date, removal_date date"),
        mode="overwrite",
    )


def _profile(spark, tables):
    from lakehouse.gold.entity_profile import register_facts

    prof = register_facts(tables, CUTOFF)
    return {r["uscc"]: (r["registration_status"], r["deregistration_date"]) for r in prof.collect()}


def _factors(tables):
    from ml.factors import carried_factors

    frame, factors = carried_factors(tables, CUTOFF)
    return {r["uscc"]: r.asDict() for r in frame.collect()}, [f.name for f in factors]


@pytest.mark.slow
def test_factors_at_a_past_cutoff_do_not_see_later_changes(spark, tables):
    _write(tables, spark, later=False)
    before, names = _factors(tables)
    profile_before = _profile(spark, tables)
    _write(tables, spark, later=True)
    after, names_after = _factors(tables)
    # the entity profile: status as of the cutoff, and the deregistration dated (D's, not yet E's)
    assert _profile(spark, tables) == profile_before
    assert profile_before == {"A": ("1", None), "B": ("1", None), "C": ("1", None), "D": ("3", D("2023-09-01")), "E": ("1", None)}
    assert names == names_after and set(before) == set(after) == {"A", "B", "C", "D", "E"}  # F did not exist yet
    for uscc in before:
        assert after[uscc] == before[uscc], uscc

    f = after
    # annual reports: missing only when due (2023's report, due by 2024-06-30)
    assert [f[u]["hist_annual_report_missing"] for u in "ABCDE"] == [0, 1, 0, 0, 1]
    # status as of the cutoff: D was deregistered then, E only later
    assert f["D"]["ent_status"] == 3 and f["E"]["ent_status"] == 1
    # licences and listings as of the cutoff
    assert (f["A"]["hist_licences_expired"], f["A"]["hist_licences_valid"]) == (1, 0) and f["C"]["hist_licences_valid"] == 1
    assert f["E"]["hist_licences_valid"] == 0 and f["B"]["hist_abnormal_listed"] == 1 and f["A"]["hist_abnormal_listed"] == 0
    assert f["A"]["hist_changes_365d"] == 1 and f["C"]["hist_changes_365d"] == 0


def test_industry_is_a_categorical_feature_of_the_model(spark):
    import numpy as np

    from ml.estimator.classifier import LightGBMClassifier
    from ml.factors import CATEGORICAL, categorical_slots

    names = ["ent_age_days", "ent_industry_section", "sh_unpaid_share"]
    assert categorical_slots(names) == [1] and "ent_industry_section" in CATEGORICAL
    # risk by section not monotone in the label number (H=8 and C=3 risky, F=6 not): a category split finds it at once
    rng = np.random.default_rng(1)
    sec = rng.choice([3, 6, 8, 12], 3000)
    y = (rng.random(3000) < np.where(np.isin(sec, [3, 8]), 0.6, 0.1)).astype(float)
    X = np.c_[rng.random(3000), sec, rng.random(3000)]
    import pyarrow as pa

    from ml.estimator.barrier import list_array

    df = spark.createDataFrame(pa.table({"features": list_array(X), "label": pa.array(y)}))
    model = LightGBMClassifier(
        featuresCol="features",
        labelCol="label",
        engine="local",
        numIterations=1,
        numLeaves=3,
        minDataInLeaf=20,
        categoricalSlotIndexes=categorical_slots(names),
    ).fit(df)
    assert "categorical_feature: 1" in model.model_string or "[categorical_feature: 1]" in model.model_string
    p = model.booster.predict(np.c_[np.full(4, 0.5), [3, 6, 8, 12], np.full(4, 0.5)])
    # one tree of 3 leaves separates {3, 8} from {6, 12} (a numeric split on the label order could not)
    assert p[0] == pytest.approx(p[2]) and p[1] == pytest.approx(p[3]) and p[0] > p[1]
