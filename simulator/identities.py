"""Vectorised fake identities in the real formats: USCC (GB 32100), citizen ID numbers
(GB 11643), phones, Chinese person and company names.

Every generator takes a numpy ``Generator`` and returns arrays, so a whole city's worth is
built in a few numpy/pyarrow calls. All characters used are in GBK, because some
departments deliver GBK files.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.check_digits import USCC_ALPHABET, as_bytes, ric_check_chars, uscc_check_values

_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])  # GB 11714 organisation code (inside the USCC)

# common surnames, roughly by frequency (weights are relative)
SURNAMES = list(
    "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_SURNAME_W = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.7
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲燕鹏飞宇浩然俊峰志红梅兰婷雪琳欣怡嘉豪子轩梓涵晓东海波国庆家乐锦荣永健振宏炜彬斌亮晶佳颖诗淑凤玉珍德贤耀祖伦坤坚"
)
BRAND = list("鑫华盛恒达美宏丰源泰利兴嘉顺瑞通海新安德信创博佳优卓锦荣富昌永广联合汇腾骏宝金银星辉明启航中宇天成")

# Birth-place codes that stdnum's GB/T 2260 history accepts for every birth year 1955-2003
# (district codes such as 440604 only exist since 2002, so older residents carry city codes)
BIRTH_REGIONS = np.array(
    [
        "440600",
        "440600",
        "440600",
        "440100",
        "440300",
        "440700",
        "440800",
        "440900",
        "440200",
        "440400",
        "440500",
        "440221",
        "430400",
        "420200",
        "360200",
        "510300",
        "410700",
        "522631",
        "513324",
        "510422",
    ]
)


def uscc_array(n: int, district_codes: np.ndarray, kind_prefix: np.ndarray, rng: np.random.Generator, offset: int = 0) -> np.ndarray:
    """``n`` distinct unified social credit codes.

    The 9-character organisation code is a bijection of the entity number (so codes never
    collide) with its own GB 11714 check character, and the last character is the GB 32100
    check digit.
    """
    a = len(USCC_ALPHABET)
    # 3**18 is coprime to 31**6, so entity number -> last six characters is a bijection (no collisions)
    idx = (np.arange(n, dtype=np.int64) + offset) * 387_420_489 + 123_456_789
    body = np.empty((n, 8), dtype=np.int64)
    body[:, 0] = USCC_ALPHABET.index("M")
    body[:, 1] = USCC_ALPHABET.index("A")
    v = idx % (a**6)
    for j in range(7, 1, -1):
        body[:, j] = v % a
        v //= a
    # older entities have numeric organisation codes; keep the MA prefix only for ~70%
    # (the last six characters alone stay unique)
    old = rng.random(n) < 0.3
    body[old, 0] = rng.integers(0, 10, old.sum())
    body[old, 1] = rng.integers(0, 10, old.sum())
    # GB 11714 organisation-code check character: letters count as A=10 ... Z=35
    letters = np.array([int(c, 36) for c in USCC_ALPHABET])
    s = (letters[body] * _ORG_WEIGHTS).sum(axis=1)
    c = 11 - s % 11
    org_check = np.where(c == 10, USCC_ALPHABET.index("X"), np.where(c == 11, 0, c))
    digits = np.empty((n, 17), dtype=np.int64)
    digits[:, 0] = _prefix_index(kind_prefix, 0)
    digits[:, 1] = _prefix_index(kind_prefix, 1)
    dc = np.asarray(district_codes).astype("U6")
    for j in range(6):
        digits[:, 2 + j] = _char_digit(dc, j)
    digits[:, 8:16] = body
    digits[:, 16] = org_check
    check = uscc_check_values(digits)
    alphabet = np.array(list(USCC_ALPHABET))
    chars = alphabet[np.concatenate([digits, check[:, None]], axis=1)]
    return _join_rows(chars)


def _prefix_index(prefix: np.ndarray, pos: int) -> np.ndarray:
    uniq, inv = np.unique(np.asarray(prefix).astype("U2"), return_inverse=True)
    return np.array([USCC_ALPHABET.index(u[pos]) for u in uniq])[inv]


def _char_digit(codes: np.ndarray, pos: int) -> np.ndarray:
    uniq, inv = np.unique(codes, return_inverse=True)
    return np.array([int(u[pos]) for u in uniq])[inv]


def _join_rows(chars: np.ndarray) -> np.ndarray:
    """Rows of single characters -> one string per row."""
    n, w = chars.shape
    return np.ascontiguousarray(chars.astype("U1")).view(f"U{w}").reshape(n)


def resident_ids(
    n: int, rng: np.random.Generator, birth_from: int = 1955, birth_to: int = 2003, female: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` citizen ID numbers with valid region, birth date and check digit; returns
    (ids, gender codes '1'/'2') with the sequence digit's parity matching the gender."""
    region = BIRTH_REGIONS[rng.integers(0, len(BIRTH_REGIONS), n)]
    start = np.datetime64(f"{birth_from}-01-01")
    days = rng.integers(0, (np.datetime64(f"{birth_to}-12-31") - start).astype(int), n)
    birth = (start + days.astype("timedelta64[D]")).astype("datetime64[D]").astype(str)
    birth = np.char.replace(birth, "-", "")
    if female is None:
        female = rng.random(n) < 0.45
    seq = rng.integers(0, 500, n) * 2 + np.where(female, 0, 1)  # odd = male
    seq_s = np.char.zfill(seq.astype(str), 3)
    body = np.char.add(np.char.add(region, birth), seq_s)
    check = ric_check_chars(as_bytes(body.tolist(), 17)).view("S1").astype("U1")
    ids = np.char.add(body, check)
    return ids, np.where(female, "2", "1")


def mobiles(n: int, rng: np.random.Generator) -> np.ndarray:
    prefixes = np.array(
        [
            "134",
            "135",
            "136",
            "137",
            "138",
            "139",
            "150",
            "151",
            "152",
            "157",
            "158",
            "159",
            "182",
            "183",
            "187",
            "188",
            "130",
            "131",
            "132",
            "155",
            "156",
            "185",
            "186",
            "133",
            "153",
            "180",
            "181",
            "189",
            "199",
            "177",
        ]
    )
    tail = np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8)
    return np.char.add(prefixes[rng.integers(0, len(prefixes), n)], tail)


def person_names(n: int, rng: np.random.Generator) -> np.ndarray:
    s = np.array(SURNAMES)[rng.choice(len(SURNAMES), n, p=_SURNAME_W / _SURNAME_W.sum())]
    g = np.array(GIVEN)
    g1 = g[rng.integers(0, len(g), n)]
    g2 = np.where(rng.random(n) < 0.7, g[rng.integers(0, len(g), n)], "")
    return np.char.add(np.char.add(s, g1), g2)


def arrow_strings(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(str), type=pa.string())


def join(*parts) -> pa.Array:
    """Element-wise concatenation of arrow string arrays or scalars."""
    return pc.binary_join_element_wise(*parts, "")
