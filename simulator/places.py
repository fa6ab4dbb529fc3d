"""Foshan's districts, towns and villages (from the catalog's reference copy) and addresses
down to the village or community."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# share of Foshan's market entities by district (roughly the population shares)
DISTRICT_WEIGHTS = {"440604": 0.15, "440605": 0.37, "440606": 0.32, "440607": 0.09, "440608": 0.07}
ROAD_CHARS = list("季华南海桂澜汾江岭南佛山文华同济祖庙朝安魁奇绿景禅西石湾张槎东平城南港口新城建设中山人民华远花卉工业创业兴业富华东胜")
ROAD_SUFFIX = ["路", "大道", "街", "一路", "二路", "北路", "南路", "东路", "西路", "大街"]


@dataclass
class Places:
    district_codes: np.ndarray
    district_names: np.ndarray
    town_codes: np.ndarray  # per village
    town_names: np.ndarray
    village_codes: np.ndarray
    village_names: np.ndarray  # short form used in addresses (xx村, xx社区)
    village_district: np.ndarray  # index into district arrays
    village_weight: np.ndarray

    def sample_villages(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(len(self.village_codes), n, p=self.village_weight)


def _short_village(name: str) -> str:
    for long, short in (
        ("社区居民委员会", "社区"),
        ("村民委员会", "村"),
        ("居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("村委会", "村"),
        ("居委会", "社区"),
        ("委员会", ""),
    ):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name


def load_places() -> Places:
    from catalog.divisions import load_divisions

    div = load_divisions()
    names, districts, vil = div.names, div.districts, div.villages
    d_index = {c: i for i, c in enumerate(districts)}
    v_district = np.array([d_index[r["parent_code"][:6]] for r in vil])
    counts = np.bincount(v_district, minlength=len(districts))
    dw = np.array([DISTRICT_WEIGHTS[c] for c in districts])
    w = dw[v_district] / counts[v_district]
    return Places(
        district_codes=np.array(districts),
        district_names=np.array([names[c] for c in districts]),
        town_codes=np.array([r["parent_code"] for r in vil]),
        town_names=np.array([names[r["parent_code"]] for r in vil]),
        village_codes=np.array([r["code"] for r in vil]),
        village_names=np.array([_short_village(r["name"]) for r in vil]),
        village_district=v_district,
        village_weight=w / w.sum(),
    )


def road_names(n: int, rng: np.random.Generator) -> np.ndarray:
    c = np.array(ROAD_CHARS)
    suffix = np.array(ROAD_SUFFIX)
    return np.char.add(np.char.add(c[rng.integers(0, len(c), n)], c[rng.integers(0, len(c), n)]), suffix[rng.integers(0, len(suffix), n)])


def addresses(places: Places, village_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Registered addresses: district, town, village/community, road, number, unit."""
    n = len(village_idx)
    d = places.district_names[places.village_district[village_idx]]
    t = places.town_names[village_idx]
    v = places.village_names[village_idx]
    road = road_names(n, rng)
    num = rng.integers(1, 400, n).astype(str)
    unit_kind = rng.integers(0, 4, n)
    unit = np.where(
        unit_kind == 0,
        "",
        np.where(
            unit_kind == 1,
            np.char.add(np.char.add(rng.integers(1, 30, n).astype(str), "座"), np.char.add(rng.integers(101, 2999, n).astype(str), "室")),
            np.where(
                unit_kind == 2,
                "首层之" + rng.integers(1, 9, n).astype(str),
                np.char.add(np.char.add(rng.integers(1, 12, n).astype(str), "栋"), np.char.add(rng.integers(1, 8, n).astype(str), "层")),
            ),
        ),
    )
    out = np.char.add("广东省佛山市", d)
    for part in (t, v, road, num, np.full(n, "号"), unit):
        out = np.char.add(out, part)
    return out
