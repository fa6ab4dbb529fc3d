"""Complaint texts in Chinese, by industry section, with the planted hotspots' hot words.

Texts are drawn from per-section pools built from templates (vectorised: one ``take`` per
chunk); complaints about entities in a planted hotspot (district x section) mostly carry the
hotspot's keyword, so word counts by district and industry reveal it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

TEMPLATES: dict[str, list[str]] = {
    "H": [
        "在该店就餐后出现{p}，怀疑{q}，要求赔偿并依法查处",
        "该餐厅{q}，后厨环境差，要求监管部门检查",
        "外卖订单{q}，商家拒绝退款",
        "该店{q}，价格与菜单标价不符",
    ],
    "F": [
        "在该店购买的{g}存在{q}，商家拒绝退换",
        "该商户销售的{g}{q}，要求依法处理",
        "网购{g}收到后发现{q}，店家不予理睬",
        "该店{q}，多收顾客钱款",
    ],
    "O": ["办理的会员卡{q}，要求退还余款", "该店服务{q}，与宣传不符", "该店{q}，要求查处"],
    "R": ["该场所{q}，影响周边居民休息", "该场所{q}，存在安全隐患"],
    "_": ["该企业{q}，要求依法查处", "该单位{q}，请相关部门核实处理", "反映该企业{q}，诉求尽快解决"],
}
PROBLEMS: dict[str, list[str]] = {
    "H": ["食物不新鲜", "菜品中有异物", "餐具不洁", "超范围经营", "无健康证上岗"],
    "F": ["质量问题", "标签不规范", "过期变质", "价格欺诈", "虚假宣传", "以次充好"],
    "O": ["收费不透明", "强制消费", "服务质量差", "虚假宣传"],
    "R": ["噪声超标", "消防通道堵塞", "无证经营"],
    "_": ["拖欠工资", "虚假宣传", "无证经营", "合同违约", "产品质量问题", "价格违法"],
}
GOODS = ["食品", "家电", "手机", "服装", "家具", "化妆品", "保健品", "婴儿奶粉", "建材", "电动车"]
SYMPTOMS = ["腹泻", "呕吐", "腹痛", "过敏"]
POOL_SIZE = 160


def _pool(section: str, keyword: str | None, rng: np.random.Generator) -> list[str]:
    tpl = TEMPLATES.get(section, TEMPLATES["_"])
    probs = PROBLEMS.get(section, PROBLEMS["_"])
    out = []
    for _ in range(POOL_SIZE):
        t = tpl[int(rng.integers(len(tpl)))]
        q = keyword if keyword else probs[int(rng.integers(len(probs)))]
        text = t.format(p=SYMPTOMS[int(rng.integers(len(SYMPTOMS)))], q=q, g=GOODS[int(rng.integers(len(GOODS)))])
        if keyword and rng.random() < 0.5:
            text += f"，近期多人反映{keyword}问题"
        out.append(text)
    return out


class ComplaintTexts:
    """Pools per section and per hotspot, built once per run."""

    def __init__(self, hotspots: list[dict], seed: int):
        rng = np.random.default_rng([seed, 0xC0])
        self.sections = sorted(set(TEMPLATES) | set(PROBLEMS) | {"A", "C", "E", "G", "I", "K", "L", "M", "N", "P", "Q"})
        self.pools = {s: _pool(s, None, rng) for s in self.sections}
        self.hotspots = hotspots
        self.hot_pools = [_pool(h["section"], h["keyword"], rng) for h in hotspots]

    def texts(self, section: pa.Array, district: pa.Array, rng: np.random.Generator) -> pa.Array:
        n = len(section)
        sec = np.asarray(section.to_numpy(zero_copy_only=False)).astype("U1")
        dis = np.asarray(district.to_numpy(zero_copy_only=False)).astype("U6")
        # all pools side by side: pick a pool per row, then a text in it
        names = self.sections
        flat = [t for s in names for t in self.pools[s]] + [t for p in self.hot_pools for t in p]
        pool_of = np.array([names.index(s) if s in names else names.index("_") for s in sec])
        for h_i, h in enumerate(self.hotspots):
            m = (sec == h["section"]) & (dis == h["district_code"]) & (rng.random(n) < 0.8)
            pool_of[m] = len(names) + h_i
        idx = pool_of * POOL_SIZE + rng.integers(0, POOL_SIZE, n)
        return pa.array(flat).take(pa.array(idx))
