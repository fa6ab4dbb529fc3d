"""Foshan's administrative divisions (districts, towns, villages and communities) from the
reference copy in ``catalog/data/reference/foshan_divisions.csv``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from catalog.loader import DATA_DIR

DIVISIONS_FILE = DATA_DIR / "reference" / "foshan_divisions.csv"


@dataclass(frozen=True)
class Divisions:
    names: dict[str, str]  # code → name, every level
    districts: list[str]  # district codes, in file order
    villages: list[dict]  # village rows where businesses register (see ``load_divisions``)

    def district_names(self) -> dict[str, str]:
        return {c: self.names[c] for c in self.districts}

    def towns_by_district(self) -> dict[str, list[str]]:
        """Town codes with at least one such village, sorted, by district code."""
        out: dict[str, list[str]] = {}
        for town in sorted({r["parent_code"] for r in self.villages}):
            out.setdefault(town[:6], []).append(town)
        return out


@lru_cache(maxsize=1)
def load_divisions() -> Divisions:
    """The divisions; villages exclude prisons, farms and forest farms (town codes 400 and up), which
    are not places businesses register, and two communities whose names use a character outside
    GBK (GBK exports could not carry them)."""
    rows = list(csv.DictReader(DIVISIONS_FILE.open(encoding="utf-8")))
    names = {r["code"]: r["name"] for r in rows}
    villages = []
    for r in rows:
        if r["level"] != "village" or int(r["parent_code"][6:9]) >= 400:
            continue
        try:
            (names[r["parent_code"]] + r["name"]).encode("gbk")
        except UnicodeEncodeError:
            continue
        villages.append(r)
    return Divisions(names=names, districts=[r["code"] for r in rows if r["level"] == "district"], villages=villages)
