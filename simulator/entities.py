"""The simulated city's market entities and their planted truth.

Each entity gets observable attributes (registration, capital, shareholders' contribution
method, legal representative, address...) and hidden factors drawn from one latent
"shadiness" score plus the shells of registration clusters. A violation propensity is a
logistic function of 13 of those factors (the planted ones); its intercept is solved so the
mean propensity equals the configured random-inspection hit rate (17.6% in the case).
Everything else the catalogs carry is noise.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from simulator import identities as ids
from simulator.places import Places, addresses, load_places

ENTITIES_SF1 = 900_000
# registrations after the history load: Foshan registers roughly 550 market entities a day.
# A fixed pool of future days is drawn whatever --days is, so the history (and every
# entity) is the same for a seed however many increments are simulated.
NEW_PER_DAY_SF1 = 550
FUTURE_DAYS = 31

# enterprise types among companies (individual businesses are 9100, 62% of Foshan's entities)
ENTERPRISE_TYPES = {"1100": 0.58, "1151": 0.2, "1200": 0.02, "2100": 0.04, "4000": 0.06, "4500": 0.05, "5100": 0.02, "9300": 0.03}
INDIVIDUAL_SHARE = 0.62
# industry sections by kind of entity: individual businesses trade and serve; companies make
SECTION_WEIGHTS_INDIVIDUAL = {"F": 0.52, "H": 0.16, "O": 0.12, "R": 0.03, "L": 0.03, "G": 0.05, "C": 0.05, "A": 0.02, "E": 0.02}
SECTION_WEIGHTS_COMPANY = {
    "C": 0.3,
    "F": 0.3,
    "L": 0.09,
    "M": 0.06,
    "I": 0.05,
    "E": 0.05,
    "G": 0.04,
    "H": 0.03,
    "K": 0.02,
    "O": 0.02,
    "R": 0.01,
    "A": 0.01,
    "N": 0.01,
    "P": 0.005,
    "Q": 0.005,
}
# planted risk of an industry section (logit contribution)
SECTION_RISK = {
    "H": 0.7,
    "F": 0.45,
    "L": 0.5,
    "C": 0.3,
    "G": 0.2,
    "E": 0.25,
    "O": 0.2,
    "K": 0.3,
    "M": -0.3,
    "I": -0.2,
    "A": -0.2,
    "P": -0.4,
    "Q": -0.1,
}
# the planted factors and their weights in the propensity's logit
FACTOR_WEIGHTS = {
    "industry_risk": 1.0,
    "noncash_contribution": 0.7,
    "unpaid_capital_share": 1.0,
    "young_entity": 0.5,
    "shared_address_log": 0.45,
    "rep_other_entities_log": 0.55,
    "no_tax_activity": 0.8,
    "no_social_insurance": 0.45,
    "missing_annual_report": 0.9,
    "complaints_log": 0.6,
    "past_penalties_log": 0.7,
    "licence_expired": 0.6,
    "changes_log": 0.35,
}
SHELL_BOOST = 2.5  # cluster shells are almost all found abnormal
# Calibration (docs/effectiveness.md): the planted weights and the shell boost are scaled by
# STRENGTH, with the intercept re-solved for the base rate, so that perfect ranking of the plan's
# eligible pool finds ~90% in its top 3.2%; NOISE_SD is the per-entity noise no data reveals.
STRENGTH = 1.52
NOISE_SD = 0.6
LICENSED_DIVISIONS = {"14", "15", "27", "51", "52", "62", "84", "88", "80"}  # food, drugs, catering, health, leisure
COMPANY_WORDS = {
    "A": ["农业", "种养", "水产养殖"],
    "C": ["家具", "五金制品", "陶瓷", "电器", "塑料制品", "机械设备", "纺织服装", "铝材", "照明电器"],
    "E": ["建筑工程", "装饰工程", "机电安装"],
    "F": ["贸易", "商贸", "百货", "建材", "食品", "电子科技", "供应链"],
    "G": ["物流", "运输", "货运代理"],
    "H": ["餐饮", "酒店", "饮食"],
    "I": ["网络科技", "信息技术", "软件"],
    "K": ["房地产开发", "物业管理"],
    "L": ["企业管理咨询", "商务服务", "人力资源", "广告"],
    "M": ["检测技术", "工程设计", "科技"],
    "N": ["环保科技", "园林绿化"],
    "O": ["美容美发", "家电维修", "洗衣"],
    "P": ["教育咨询", "培训"],
    "Q": ["医疗", "健康管理"],
    "R": ["文化传播", "体育", "娱乐"],
}
SHOP_WORDS = {
    "F": ["商行", "士多店", "食品店", "五金店", "服装店", "建材店", "日用品店"],
    "H": ["餐厅", "饭店", "烧腊店", "茶餐厅", "大排档"],
    "O": ["理发店", "美容店", "维修部", "洗车店"],
    "C": ["加工场", "五金加工厂"],
    "_": ["经营部", "店"],
}


@dataclass
class City:
    """The entity master (one row per entity) plus the planted truth. Numeric columns are
    numpy arrays; text columns are pyarrow string arrays (cheap to ``take``)."""

    n: int  # all entities, including those registering after the history load
    start: np.datetime64  # first batch date; history ends the day before
    places: Places
    cols: dict[str, np.ndarray] = field(default_factory=dict)
    text: dict[str, pa.Array] = field(default_factory=dict)
    persons: dict[str, pa.Array] = field(default_factory=dict)
    clusters: list[dict] = field(default_factory=list)
    hotspots: list[dict] = field(default_factory=list)
    intercept: float = 0.0
    n_history: int = 0  # entities existing at the history load (the first n_history)

    def existing(self, day: int) -> int:
        """Entities registered by increment day ``day`` (0 = the history load): a prefix."""
        if day <= 0:
            return self.n_history
        return int(np.searchsorted(self.cols["registered_day"], day, side="right")) if day < FUTURE_DAYS else self.n

    def registered_on(self, day: int) -> np.ndarray:
        rd = self.cols["registered_day"]
        return np.flatnonzero(rd == day) if day >= 1 else np.zeros(0, dtype=np.int64)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.cols[key]


def _industry_classes() -> tuple[np.ndarray, np.ndarray]:
    from catalog.loader import DATA_DIR

    rows = list(csv.DictReader((DATA_DIR / "reference" / "gbt4754_2017.csv").open(encoding="utf-8")))
    parent = {r["code"]: r["parent_code"] for r in rows}
    classes = [r["code"] for r in rows if r["level"] == "4"]
    sections = [parent[parent[parent[c]]] for c in classes]
    return np.array(classes), np.array(sections)


def _pick_industry(n: int, weights: dict[str, float], classes: np.ndarray, sections: np.ndarray, rng) -> np.ndarray:
    secs = np.array(list(weights))
    w = np.array(list(weights.values()))
    chosen = secs[rng.choice(len(secs), n, p=w / w.sum())]
    out = np.empty(n, dtype="U4")
    for s in secs:
        m = chosen == s
        pool = classes[sections == s]
        # a few classes dominate within a section (Zipf-like)
        pw = 1.0 / np.arange(1, len(pool) + 1) ** 0.8
        perm = rng.permutation(len(pool))
        out[m] = pool[perm][rng.choice(len(pool), m.sum(), p=pw / pw.sum())]
    return out


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def build_city(
    scale: float,
    seed: int,
    start: str = "2026-01-01",
    base_hit_rate: float = 0.176,
    cluster_entities_sf1: int = 300,
    entities_sf1: int = ENTITIES_SF1,
    new_per_day_sf1: int = NEW_PER_DAY_SF1,
) -> City:
    """Draw the city's entities (deterministic for ``seed``).

    Entities ``0 .. n_history-1`` exist when the history is exported; the rest register on
    the following days (``registered_day`` 1..FUTURE_DAYS) and reach the landing zone in the
    increments.
    """
    rng = np.random.default_rng([seed, 0xE17])
    n_history = max(60, int(round(entities_sf1 * scale)))
    per_day = new_per_day_sf1 * scale
    # registrations per future day: whole numbers whose running total follows per_day
    cumulative = np.floor(per_day * np.arange(FUTURE_DAYS + 1) + 0.5).astype(int)
    n_new = int(cumulative[-1])
    n = n_history + n_new
    places = load_places()
    city = City(n=n, start=np.datetime64(start), places=places)
    city.n_history = n_history
    c = city.cols
    history_end = city.start - np.timedelta64(1, "D")

    individual = rng.random(n) < INDIVIDUAL_SHARE
    et_codes = np.array(list(ENTERPRISE_TYPES))
    et_w = np.array(list(ENTERPRISE_TYPES.values()))
    etype = np.where(individual, "9100", et_codes[rng.choice(len(et_codes), n, p=et_w / et_w.sum())])
    classes, sections = _industry_classes()
    section_of = dict(zip(classes, sections))
    industry = np.where(
        individual,
        _pick_industry(n, SECTION_WEIGHTS_INDIVIDUAL, classes, sections, rng),
        _pick_industry(n, SECTION_WEIGHTS_COMPANY, classes, sections, rng),
    )
    industry[etype == "9300"] = _pick_industry(int((etype == "9300").sum()), {"A": 1.0}, classes, sections, rng)
    village = places.sample_villages(n, rng)
    age_days = np.minimum(rng.exponential(6.5 * 365, n), 30 * 365).astype(int) + 1
    z = rng.standard_normal(n)  # latent shadiness
    shell = rng.random(n) < 0.012

    # registration clusters: 5-20 shells at one address within days
    target = int(round(cluster_entities_sf1 * scale))
    if n >= 100 and target < 5:
        target = 5
    cluster_id = np.full(n, -1)
    candidates = rng.permutation(np.flatnonzero(~individual[:n_history]))
    used = 0
    cid = 0
    while target - used >= 5 and used + 5 <= len(candidates):
        rem = target - used
        size = int(rng.integers(5, 21))
        if rem <= 20:
            size = rem  # the last cluster takes what is left, so the total is exact
        elif rem - size < 5:
            size = rem - 5
        members = candidates[used : used + size]
        used += size
        cluster_id[members] = cid
        etype[members] = rng.choice(["1100", "1151"], size)
        industry[members] = rng.choice(["5191", "5199", "5179", "5181", "7212", "7219"], size)  # trading and business services
        base_age = int(rng.integers(20, 700))
        age_days[members] = base_age + rng.integers(0, 6, size)  # registered within days of each other
        village[members] = village[members[0]]
        shell[members] = rng.random(size) < 0.9
        z[members] = z[members] + 1.5
        cid += 1
    uniq_ind, inv_ind = np.unique(industry, return_inverse=True)
    section = np.array([section_of[x] for x in uniq_ind])[inv_ind]
    registered_day = np.zeros(n, dtype=np.int64)
    registered_day[n_history:] = np.repeat(np.arange(1, FUTURE_DAYS + 1), np.diff(cumulative))
    # increment k (delivered on start + k) carries the events of the day before: start + k - 1
    age_days[n_history:] = -registered_day[n_history:]
    establishment = history_end - age_days.astype("timedelta64[D]")

    addr = addresses(places, village, rng)
    # shared addresses: business-secretary addresses host many registrations (commoner for the shady)
    n_hubs = max(1, n // 3000)
    hub_addr = addresses(places, places.sample_villages(n_hubs, rng), rng)
    on_hub = (rng.random(n) < _sigmoid(-4.0 + 0.9 * z)) & ~individual
    addr[on_hub] = hub_addr[rng.integers(0, n_hubs, on_hub.sum())]
    for k in range(cid):
        m = np.flatnonzero(cluster_id == k)
        addr[m] = addr[m[0]]
        city.clusters.append({"cluster_id": k, "address": str(addr[m[0]]), "members": m})
    _, inv, counts = np.unique(addr, return_inverse=True, return_counts=True)
    shared_address = counts[inv]

    # legal representatives: nominee representatives stand for many shady entities
    n_persons = max(50, int(n * 0.9))
    p_ids, p_gender = ids.resident_ids(n_persons, rng)
    p_names = ids.person_names(n_persons, rng)
    p_phone = ids.mobiles(n_persons, rng)
    rep = rng.integers(0, n_persons, n)
    nominee_pool = max(3, n // 400)
    nominee = (rng.random(n) < _sigmoid(-3.5 + 1.0 * z + 1.5 * shell)) & ~individual
    rep[nominee] = rng.integers(0, nominee_pool, nominee.sum())
    rep_entities = np.bincount(rep, minlength=n_persons)[rep]

    capital = np.where(individual, np.round(rng.lognormal(np.log(5), 0.9, n), 2), np.round(rng.lognormal(np.log(100), 1.3, n), 2))
    capital = np.clip(capital, 0.1, 5_000_000)
    paid_ratio = np.where(individual, 1.0, _sigmoid(0.8 - 1.0 * z + rng.standard_normal(n) - 3 * shell))
    paid_ratio = np.round(paid_ratio, 2)
    noncash = (~individual) & (rng.random(n) < _sigmoid(-2.6 + 0.7 * z))
    no_tax = rng.random(n) < _sigmoid(-2.4 + 0.9 * z + 3 * shell + 0.6 * individual)
    no_si = rng.random(n) < _sigmoid(-1.3 + 0.7 * z + 3 * shell + 1.2 * individual)
    missing_ar = rng.random(n) < _sigmoid(-2.4 + 0.9 * z + 3 * shell)
    changes = rng.poisson(0.9 * np.exp(0.35 * z) + 1.5 * shell)
    has_licence = np.isin(np.char.ljust(industry, 2).astype("U2"), list(LICENSED_DIVISIONS)) | (rng.random(n) < 0.06)
    licence_expired = has_licence & (rng.random(n) < _sigmoid(-2.2 + 0.7 * z))
    penalties = rng.poisson(0.07 * np.exp(0.8 * z))
    court_cases = rng.poisson(0.15 * np.exp(0.5 * z))

    # complaints: by industry, more for the shady, boosted in planted hotspots
    base_complaints = {"H": 0.9, "F": 0.5, "O": 0.45, "R": 0.4, "P": 0.4, "K": 0.5, "Q": 0.3}
    lam = np.array([base_complaints.get(s, 0.12) for s in section]) * np.exp(0.5 * z)
    district_idx = places.village_district[village]
    hot = _plant_hotspots(city, rng)
    boost = np.ones(n)
    for h in hot:
        m = (places.district_codes[district_idx] == h["district_code"]) & (section == h["section"])
        boost[m] *= h["boost"]
        h["entities"] = int(m.sum())
    complaints = rng.poisson(lam * boost)
    new = registered_day > 0  # entities registering after the history load have no past yet
    for arr in (penalties, complaints, changes, court_cases):
        arr[new] = 0
    missing_ar[new] = False
    licence_expired[new] = False

    age_years = age_days / 365.25
    factors = {
        "industry_risk": np.array([SECTION_RISK.get(s, 0.0) for s in section]),
        "noncash_contribution": noncash.astype(float),
        "unpaid_capital_share": 1.0 - paid_ratio,
        "young_entity": (age_years < 2).astype(float),
        "shared_address_log": np.log(shared_address),
        "rep_other_entities_log": np.log(rep_entities),
        "no_tax_activity": no_tax.astype(float),
        "no_social_insurance": no_si.astype(float),
        "missing_annual_report": missing_ar.astype(float),
        "complaints_log": np.log1p(complaints),
        "past_penalties_log": np.log1p(penalties),
        "licence_expired": licence_expired.astype(float),
        "changes_log": np.log1p(changes),
    }
    signal = STRENGTH * (sum(FACTOR_WEIGHTS[k] * v for k, v in factors.items()) + SHELL_BOOST * shell)
    noise = NOISE_SD * rng.standard_normal(n)
    logit = signal + noise
    # the time-dependent drivers, for the propensity at a past date (propensity_at): age and licence
    # expiry; an expired licence expired at a day spread over the entity's life (a stream of its own,
    # so every other draw of the seed is unchanged)
    time_rng = np.random.default_rng([seed, 0xE18])
    est_day = establishment.astype("datetime64[D]").astype(np.int64)
    end_day = int(history_end.astype("datetime64[D]").astype(np.int64))
    lo = np.minimum(np.maximum(est_day + 365, end_day - 6 * 365), end_day - 10)
    licence_expiry = np.where(licence_expired, lo + (time_rng.random(n) * (end_day - 10 - lo + 1)).astype(np.int64), np.iinfo(np.int64).max)
    fixed = sum(FACTOR_WEIGHTS[k] * v for k, v in factors.items() if k not in TIME_DEPENDENT) + SHELL_BOOST * shell
    lo, hi = -20.0, 10.0
    for _ in range(60):  # bisection for the intercept giving the planted base rate
        mid = (lo + hi) / 2
        if _sigmoid(mid + logit).mean() > base_hit_rate:
            hi = mid
        else:
            lo = mid
    city.intercept = (lo + hi) / 2
    propensity = _sigmoid(city.intercept + logit)
    observable_logit = city.intercept + signal
    violation = rng.random(n) < propensity

    status = np.full(n, "1")
    r = rng.random(n)
    status[r < 0.04] = "3"
    status[(r >= 0.04) & (r < 0.055)] = "2"
    status[(r >= 0.055) & (r < 0.065)] = "6"
    status[shell & (rng.random(n) < 0.3)] = "2"

    kind_prefix = np.where(individual, "92", np.where(etype == "9300", "93", "91"))
    district_code = places.district_codes[district_idx]
    uscc = ids.uscc_array(n, district_code, kind_prefix, rng)

    c.update(
        individual=individual,
        z=z,
        shell=shell,
        cluster_id=cluster_id,
        village=village,
        district_idx=district_idx,
        age_days=age_days,
        registered_day=registered_day,
        establishment=establishment,
        capital=capital,
        paid_ratio=paid_ratio,
        noncash=noncash,
        no_tax=no_tax,
        no_si=no_si,
        missing_ar=missing_ar,
        changes=changes,
        has_licence=has_licence,
        licence_expired=licence_expired,
        penalties=penalties,
        court_cases=court_cases,
        complaints=complaints,
        rep=rep,
        rep_entities=rep_entities,
        shared_address=shared_address,
        propensity=propensity,
        violation=violation,
        observable_logit=observable_logit,
        noise=noise,
        fixed_signal=fixed,
        est_day=est_day,
        licence_expiry=licence_expiry,
        employees=np.where(individual, rng.integers(1, 6, n), np.maximum(1, rng.lognormal(np.log(12), 1.1, n).astype(int))) * (~shell),
    )
    for k, v in factors.items():
        c["factor." + k] = v
    names = _entity_names(individual, etype, section, places, village, rng)
    t = city.text
    t["uscc"] = pa.array(uscc)
    t["name"] = pa.array(names)
    t["etype"] = pa.array(etype)
    t["industry"] = pa.array(industry)
    t["section"] = pa.array(section)
    t["district_code"] = pa.array(district_code)
    t["town_code"] = pa.array(places.town_codes[village])
    t["village_code"] = pa.array(places.village_codes[village])
    t["address"] = pa.array(addr)
    t["status"] = pa.array(status)
    t["establishment"] = pa.array(establishment.astype(str))
    t["currency"] = pa.array(np.where(etype == "2100", rng.choice(["HKD", "USD", "CNY"], n, p=[0.5, 0.2, 0.3]), "CNY"))
    city.persons = {"name": pa.array(p_names), "id": pa.array(p_ids), "phone": pa.array(p_phone), "gender": pa.array(p_gender)}
    return city


TIME_DEPENDENT = ("young_entity", "licence_expired")


def observable_at(city: City, ent: np.ndarray, day) -> np.ndarray:
    """The observable logit (planted signal, no noise) of entities ``ent`` as they were on ``day``
    (day number since 1970, scalar or per entity): age and licence expiry as of then."""
    c = city.cols
    day = np.asarray(day, dtype=np.int64)
    young = (day - c["est_day"][ent]) < 2 * 365.25
    expired = c["licence_expiry"][ent] <= day
    signal = c["fixed_signal"][ent] + FACTOR_WEIGHTS["young_entity"] * young + FACTOR_WEIGHTS["licence_expired"] * expired
    return city.intercept + STRENGTH * signal


def propensity_at(city: City, ent: np.ndarray, day) -> np.ndarray:
    """The violation propensity of ``ent`` on ``day``: the observable logit then plus the entity's noise."""
    return _sigmoid(observable_at(city, ent, day) + city.cols["noise"][ent])


def year_day(year) -> np.ndarray:
    """Day number of 1 July of ``year``: the state an inspection of that year meets."""
    y = np.asarray(year, dtype=np.int64)
    return (y - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) + 181


HOTSPOT_TOPICS = [
    ("H", "食品变质", "餐饮"),
    ("F", "假冒伪劣", "商品零售"),
    ("O", "预付卡跑路", "美容美发"),
    ("F", "缺斤短两", "农贸市场"),
    ("H", "卫生脏乱", "餐饮"),
    ("R", "噪音扰民", "娱乐场所"),
]


def _plant_hotspots(city: City, rng) -> list[dict]:
    k = 3
    picks = rng.choice(len(HOTSPOT_TOPICS), k, replace=False)
    districts = rng.choice(len(city.places.district_codes), k, replace=False)  # distinct (district, section) pairs
    out = []
    for j, d in zip(picks, districts):
        section, keyword, label = HOTSPOT_TOPICS[j]
        d = int(d)
        out.append(
            {
                "district_code": str(city.places.district_codes[d]),
                "district": str(city.places.district_names[d]),
                "section": section,
                "keyword": keyword,
                "label": label,
                "boost": 5.0,
            }
        )
    city.hotspots = out
    return out


def _entity_names(individual, etype, section, places: Places, village, rng) -> np.ndarray:
    n = len(individual)
    brand = np.array(ids.BRAND)
    b = np.char.add(brand[rng.integers(0, len(brand), n)], brand[rng.integers(0, len(brand), n)])
    district_short = np.char.replace(places.district_names[places.village_district[village]], "区", "")
    company_word = np.empty(n, dtype="U8")
    shop_word = np.empty(n, dtype="U8")
    for s in np.unique(section):
        m = section == s
        cw = np.array(COMPANY_WORDS.get(s, ["实业"]))
        sw = np.array(SHOP_WORDS.get(s, SHOP_WORDS["_"]))
        company_word[m] = cw[rng.integers(0, len(cw), m.sum())]
        shop_word[m] = sw[rng.integers(0, len(sw), m.sum())]
    form = np.select(
        [etype == "1200", etype == "4000", etype == "4500", etype == "9300", etype == "2100"],
        ["股份有限公司", "厂", "企业（有限合伙）", "专业合作社", "有限公司"],
        "有限公司",
    )
    company = np.char.add(
        np.char.add(np.char.add("佛山市", np.where(rng.random(n) < 0.6, district_short, "")), b), np.char.add(company_word, form)
    )
    town = np.char.replace(np.char.replace(places.town_names[village], "街道", ""), "镇", "")
    surname = np.array(ids.SURNAMES)[rng.integers(0, 40, n)]
    shop = np.char.add(
        np.char.add(
            np.char.add("佛山市", np.char.add(district_short, "区")),
            np.char.add(town, np.where(rng.random(n) < 0.5, np.char.add(surname, "记"), b)),
        ),
        shop_word,
    )
    return np.where(individual, shop, company)
