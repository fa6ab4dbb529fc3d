"""Which candidate factors measure which of the simulator's planted drivers (evaluation only).

The simulator draws each entity's violation propensity from 13 planted factors
(``simulator/entities.py: FACTOR_WEIGHTS``). A selected factor *recovers* a planted
driver when it is one of the observable measurements listed here; the pipeline never reads
the answer key, only this report does.
"""

from __future__ import annotations

import re

from ml.factors import column_name

PLANTED: dict[str, list[str]] = {
    "industry_risk": [r"^ent_industry_(section|division)$"],
    "noncash_contribution": [r"^sh_noncash_share$"],
    "unpaid_capital_share": [r"^sh_unpaid_share$"],
    "young_entity": [r"^ent_age_days$"],
    "shared_address_log": [r"^net_same_address(_180d)?$"],
    "rep_other_entities_log": [r"^net_same_legal_rep$", r"^net_same_phone$"],
    "no_tax_activity": [r"^area_tax_", rf"^cat_{column_name('SWJ-001')}_"],
    "no_social_insurance": [r"^area_social_insurance_", rf"^cat_{column_name('SBJ-001')}_"],
    "missing_annual_report": [
        r"^hist_annual_report",
        r"^area_annual_reports_",
        rf"^cat_{column_name('SCJG-003')}_",
        r"^hist_abnormal_listed$",
        r"^area_abnormal_operations_",
        rf"^cat_{column_name('SCJG-007')}_",
    ],
    "complaints_log": [r"^area_complaints_", rf"^cat_{column_name('SCJG-008')}_"],
    "past_penalties_log": [r"^hist_(penalties|fines_total)$", rf"^cat_{column_name('SCJG-006')}_"],
    "licence_expired": [r"^hist_licences_expired$"],
    "changes_log": [r"^hist_changes_365d$", rf"^cat_{column_name('SCJG-004')}_"],
}


def driver_of(factor: str) -> str | None:
    for driver, patterns in PLANTED.items():
        if any(re.search(p, factor) for p in patterns):
            return driver
    return None


def recovery(selected: list[str]) -> dict:
    found = sorted({d for f in selected if (d := driver_of(f))})
    return {
        "planted": len(PLANTED),
        "recovered": len(found),
        "recovered_names": found,
        "missed": sorted(set(PLANTED) - set(found)),
        "noise_selected": [f for f in selected if driver_of(f) is None],
    }
