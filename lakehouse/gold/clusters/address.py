"""Registered addresses (住所) normalised to comparable parts and one grouping key.

``广东省佛山市禅城区石湾镇街道黎冲村创中大街374号8栋2层`` and
``禅城區石灣鎮黎冲村 創中大街３７４號八棟二層`` give the same key. What is unified:

* full-width characters and ideographic spaces (NFKC), all whitespace, parenthesised notes;
* traditional characters common in addresses (號 區 鎮 廣 東 樓 層 棟 灣 ...);
* Chinese numerals before a unit (三百七十四号, 八栋, 二层, 一零二室) and road ordinals (季华一路 = 季华1路);
* the province and city prefix (广东省, 佛山市, present or not);
* the district (禅城区, or missing: taken from the town, else from the record's district code);
* the town (石湾镇街道 / 石湾镇 / 石湾街道; missing: the record's town code);
* the village or community (dropped from the key: it is implied by road and number);
* number variants: 374号 / 374號 / 374# ; 374号之2 / 374-2号; building 8栋 / 8座 / 8幢 / 8号楼;
  floor 2层 / 2楼 / 首层 (=1); room 1497室 / 1497房 / 1497号房.

The key is ``district|town|road|number|sub|building|floor|room|rest``; an address whose road
and number cannot be found keeps its cleaned remainder as ``rest``.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

TRADITIONAL = str.maketrans(
    {
        "號": "号",
        "區": "区",
        "鎮": "镇",
        "廣": "广",
        "東": "东",
        "門": "门",
        "樓": "楼",
        "層": "层",
        "棟": "栋",
        "鄉": "乡",
        "華": "华",
        "灣": "湾",
        "濱": "滨",
        "莊": "庄",
        "嶺": "岭",
        "岡": "冈",
        "陽": "阳",
        "興": "兴",
        "業": "业",
        "園": "园",
        "場": "场",
        "廠": "厂",
        "寧": "宁",
        "慶": "庆",
        "單": "单",
        "禪": "禅",
        "頭": "头",
        "橋": "桥",
        "鳳": "凤",
        "龍": "龙",
        "溝": "沟",
        "澗": "涧",
        "灘": "滩",
        "關": "关",
        "雲": "云",
        "僑": "侨",
        "隆": "隆",
        "廈": "厦",
        "館": "馆",
        "運": "运",
        "進": "进",
        "滙": "汇",
        "匯": "汇",
        "嘉": "嘉",
        "聯": "联",
        "詩": "诗",
        "豐": "丰",
        "樂": "乐",
        "勝": "胜",
        "貨": "货",
        "經": "经",
        "濟": "济",
        "發": "发",
        "車": "车",
        "幢": "栋",
        "坊": "坊",
        "雙": "双",
        "羅": "罗",
        "楊": "杨",
        "陳": "陈",
        "張": "张",
        "劉": "刘",
        "黃": "黄",
        "鄭": "郑",
        "謝": "谢",
        "馮": "冯",
        "傑": "杰",
        "紅": "红",
        "綠": "绿",
        "藍": "蓝",
        "銀": "银",
        "鋼": "钢",
        "鐵": "铁",
        "圍": "围",
        "塘": "塘",
        "湧": "涌",
        "崗": "岗",
        "樹": "树",
        "體": "体",
        "織": "织",
        "陶": "陶",
        "瓷": "瓷",
        "廳": "厅",
        "間": "间",
        "舖": "铺",
        "鋪": "铺",
        "倉": "仓",
        "閣": "阁",
        "軒": "轩",
        "碼": "码",
        "縣": "县",
        "級": "级",
        "鄰": "邻",
        "陸": "陆",
        "瀾": "澜",
        "廟": "庙",
        "創": "创",
        "遠": "远",
        "設": "设",
        "處": "处",
        "環": "环",
        "實": "实",
        "際": "际",
        "專": "专",
        "總": "总",
        "務": "务",
        "礦": "矿",
        "墊": "垫",
        "貿": "贸",
        "商": "商",
        "貴": "贵",
        "達": "达",
        "輝": "辉",
        "燈": "灯",
        "億": "亿",
        "萬": "万",
        "歲": "岁",
        "農": "农",
        "藝": "艺",
        "蘆": "芦",
        "葉": "叶",
        "蔭": "荫",
        "獅": "狮",
        "鳴": "鸣",
        "鴻": "鸿",
        "麗": "丽",
        "齊": "齐",
        "鑫": "鑫",
        "貳": "二",
        "壹": "一",
        "叁": "三",
        "參": "三",
        "肆": "四",
        "伍": "五",
        "柒": "七",
        "捌": "八",
        "玖": "九",
        "拾": "十",
    }
)
CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN = "〇零一二三四五六七八九十百千两"
UNIT_MARKERS = "号|栋|座|层|楼|室|房|单元|幢|铺|档|卡"
ROAD_SUFFIX = r"(?:大道|大街|马路|路|街|巷|道|里|坊)"
PROVINCE_CITY = re.compile(r"^(?:中国)?(?:广东省|广东)?(?:佛山市|佛山)?")
NOTES = re.compile(r"[(\[（【<《][^)\]）】>》]*[)\]）】>》]")


def cn_to_int(text: str) -> int | None:
    """三百七十四 → 374, 一零二 → 102, 十二 → 12, 两 → 2; None when not a numeral."""
    if not text or any(c not in CN_DIGITS and c not in CN_UNITS for c in text):
        return None
    if not any(c in CN_UNITS for c in text):  # digit by digit: 一零二
        return int("".join(str(CN_DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in CN_DIGITS:
            digit = CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * CN_UNITS[c]
            digit = None
    return total + (digit or 0)


def _numerals(s: str) -> str:
    """Chinese numerals before a unit marker or a road suffix become digits."""
    s = re.sub(
        rf"([{_CN}]+)(?=(?:{UNIT_MARKERS}))", lambda m: str(cn_to_int(m.group(1))) if cn_to_int(m.group(1)) is not None else m.group(1), s
    )
    s = re.sub(r"首(?=[层楼])", "1", s)
    s = re.sub(rf"(?<=[^\d{_CN}])([一二三四五六七八九十])(?={ROAD_SUFFIX[3:-1]})", lambda m: str(cn_to_int(m.group(1))), s)
    return s


def clean(address: str) -> str:
    """Width, spaces, traditional characters, notes, numerals: the text the parser reads."""
    s = unicodedata.normalize("NFKC", address or "")
    s = NOTES.sub("", s)
    s = "".join(ch for ch in s if not ch.isspace() and unicodedata.category(ch)[0] not in "C")
    s = s.translate(TRADITIONAL)
    s = s.replace("#", "号").replace("＃", "号")
    s = _numerals(s)
    s = re.sub(r"(\d+)[-—_](\d+)号", r"\1号之\2", s)
    s = s.strip(",，。.;；:：")
    return s


@dataclass(frozen=True)
class Divisions:
    districts: dict[str, str]  # name → code (full and short names)
    towns: list[tuple[str, str]]  # (name variant, code), longest first
    villages: dict[str, list[tuple[str, str]]]  # town code → (name variant, code), longest first


def _town_variants(name: str) -> list[str]:
    out = {name}
    for suffix in ("街道", "镇"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            out.add(base)
            if base.endswith("镇"):  # 石湾镇街道 → 石湾镇, 石湾街道, 石湾
                out.add(base[:-1] + "街道")
                out.add(base[:-1])
            else:
                out.update({base + "镇", base + "街道"})
    return [v for v in out if len(v) >= 2]


def _village_variants(name: str) -> list[str]:
    out = {name}
    for long, short in (
        ("社区居民委员会", "社区"),
        ("村民委员会", "村"),
        ("居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("村委会", "村"),
        ("居委会", "社区"),
    ):
        if name.endswith(long):
            out.add(name[: -len(long)] + short)
            out.add(name[: -len(long)] + long.replace("居民委员会", "居委会").replace("村民委员会", "村委会"))
    return list(out)


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    from catalog.loader import DATA_DIR

    with (DATA_DIR / "reference" / "foshan_divisions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    districts: dict[str, str] = {}
    towns: list[tuple[str, str]] = []
    villages: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        if r["level"] == "district":
            districts[r["name"]] = r["code"]
        elif r["level"] in ("street", "town"):
            towns += [(v, r["code"]) for v in _town_variants(r["name"])]
        elif r["level"] == "village":
            villages.setdefault(r["parent_code"], []).extend((v, r["code"]) for v in _village_variants(r["name"]))
    towns.sort(key=lambda t: -len(t[0]))
    for v in villages.values():
        v.sort(key=lambda t: -len(t[0]))
    return Divisions(districts, towns, villages)


@lru_cache(maxsize=1)
def division_names() -> dict[str, str]:
    """District and town code → official name."""
    from catalog.loader import DATA_DIR

    with (DATA_DIR / "reference" / "foshan_divisions.csv").open(encoding="utf-8") as fh:
        return {r["code"]: r["name"] for r in csv.DictReader(fh) if r["level"] in ("district", "street", "town")}


@dataclass(frozen=True)
class Address:
    district_code: str
    town_code: str
    village_code: str
    road: str
    number: str
    sub: str
    building: str
    floor: str
    room: str
    rest: str

    @property
    def key(self) -> str:
        return "|".join(
            [self.district_code, self.town_code, self.road, self.number, self.sub, self.building, self.floor, self.room, self.rest]
        )

    @property
    def display(self) -> str:
        """A readable canonical form: district, town, road, number, building, floor, room."""
        names = division_names()
        parts = [
            names.get(self.district_code, ""),
            names.get(self.town_code, ""),
            self.road,
            f"{self.number}号" if self.number else "",
            f"之{self.sub}" if self.sub else "",
            f"{self.building}栋" if self.building else "",
            f"{self.floor}层" if self.floor else "",
            f"{self.room}室" if self.room else "",
            self.rest,
        ]
        return "".join(parts)


DETAIL = re.compile(
    r"^(?:第?(?P<building>\d+)(?:栋|座|号楼))?"
    r"(?:第?(?P<floor>\d+)(?:层|楼)(?:之(?P<unit>\d+))?)?"
    r"(?:(?P<room>\d+)(?:室|房|号房|号铺|铺|单元)?)?"
    r"(?P<rest>.*)$"
)
ROAD_NUMBER = re.compile(r"^(?P<road>.*?)(?P<number>\d+)号(?:之(?P<sub>\d+))?(?P<tail>.*)$")


def _strip_village(s: str, town_code: str, district_code: str, div: Divisions) -> tuple[str, str]:
    candidates = div.villages.get(town_code, []) if town_code else []
    if not candidates and district_code:
        candidates = sorted((v for t, vs in div.villages.items() if t.startswith(district_code) for v in vs), key=lambda t: -len(t[0]))
    for name, code in candidates:
        if s.startswith(name):
            return s[len(name) :], code
    m = re.match(r"^[^\d]{1,8}?(?:村民委员会|居民委员会|社区居委会|村委会|居委会|社区|村)(?=[^\d]{1,12}?\d+号)", s)
    if m:
        return s[m.end() :], ""
    return s, ""


def parse(address: str, district_code: str | None = None, town_code: str | None = None) -> Address:
    """Parse one address; the record's district and town codes fill parts the text leaves out."""
    div = divisions()
    s = PROVINCE_CITY.sub("", clean(address), count=1)
    d_code = ""
    for name, code in div.districts.items():
        if s.startswith(name):
            d_code, s = code, s[len(name) :]
            break
        short = name[:-1]
        if s.startswith(short) and any(s[len(short) :].startswith(t) and tc.startswith(code) for t, tc in div.towns):
            d_code, s = code, s[len(short) :]
            break
    t_code = ""
    for name, code in div.towns:
        if s.startswith(name) and (not d_code or code.startswith(d_code)):
            # a bare short town name (石湾) must not eat the start of a road name
            if name[-1] not in "镇道" and not any(s[len(name) :].startswith(v) for v, _ in div.villages.get(code, [])):
                continue
            t_code, s = code, s[len(name) :]
            break
    if not d_code:
        d_code = t_code[:6] if t_code else (district_code or "")
    if not t_code and town_code and (not d_code or town_code.startswith(d_code)):
        t_code = town_code
    s, v_code = _strip_village(s, t_code, d_code, div)
    m = ROAD_NUMBER.match(s)
    if not m:
        return Address(d_code, t_code, v_code, "", "", "", "", "", "", s)
    road, number, sub, tail = m.group("road"), m.group("number").lstrip("0") or "0", m.group("sub") or "", m.group("tail")
    d = DETAIL.match(tail)
    building, floor, room, rest = d.group("building") or "", d.group("floor") or "", d.group("room") or "", d.group("rest") or ""
    if d.group("unit"):
        room = room or d.group("unit")
    return Address(d_code, t_code, v_code, road, number, sub, building.lstrip("0"), floor.lstrip("0"), room.lstrip("0"), rest)


def address_key(address: str | None, district_code: str | None = None, town_code: str | None = None) -> str | None:
    if not address or not address.strip():
        return None
    return parse(address, district_code, town_code).key
