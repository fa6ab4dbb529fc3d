"""Data standards (数据元): one rule per standard, able to say what it checks.

``validate_value`` is the one entry point the silver layer uses::

    >>> from catalog import load_catalog
    >>> std = load_catalog().standards["core.uscc"]          # doctest: +SKIP
    >>> validate_value(std, " 91440604MA4UXXXX0X ")         # doctest: +SKIP
    (False, None, '统一社会信用代码：校验位错误 / unified social credit code: wrong check digit')

Values are normalised before they are checked (stray whitespace stripped, full-width
digits and letters made half-width, dates in the usual Chinese spellings made ISO), because
departments deliver them that way and the standard is about the value, not its spelling.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, PrivateAttr

DataType = Literal["string", "integer", "decimal", "date", "datetime", "code"]
ValidatorName = Literal["uscc", "resident_id", "phone", "code_table", "pattern", "text", "integer", "decimal", "date", "datetime"]
PiiClass = Literal["none", "person_name", "id_number", "phone", "address", "contact"]

VALIDATORS: tuple[str, ...] = ValidatorName.__args__  # type: ignore[attr-defined]
PII_CLASSES: tuple[str, ...] = PiiClass.__args__  # type: ignore[attr-defined]
DATA_TYPES: tuple[str, ...] = DataType.__args__  # type: ignore[attr-defined]


class Standard(BaseModel):
    """One data element. Text fields are bilingual so reject reasons and the data dictionary
    read in either language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name_zh: str
    name_en: str
    department: str  # owner department code, or "core" for city-wide standards
    data_type: DataType
    length: Optional[int] = None  # maximum characters (strings) or total digits (decimals)
    scale: Optional[int] = None  # digits after the point (decimals)
    pattern: Optional[str] = None  # regular expression the normalised value must match in full
    domain: Optional[str] = None  # code table name (value domain)
    validator: ValidatorName
    min_value: Optional[float] = None
    max_value: Optional[float] = None
    unit: Optional[str] = None
    pii_class: PiiClass = "none"
    reference: Optional[str] = None  # the national standard it follows, if any
    description_zh: str
    description_en: str

    _codes: frozenset = PrivateAttr(default=frozenset())

    def bind_codes(self, codes: frozenset) -> None:
        """Attach the value domain so the standard validates on its own."""
        self._codes = codes

    @property
    def codes(self) -> frozenset:
        return self._codes

    # -- self description (like an expectation's sentence) -------------------------
    def rule_zh(self) -> str:
        v = self.validator
        if v == "uscc":
            return "须为18位统一社会信用代码（GB 32100-2015），末位为校验码"
        if v == "resident_id":
            return "须为18位公民身份号码（GB 11643-1999），含有效出生日期与校验码"
        if v == "phone":
            return "须为11位手机号码或带区号的固定电话号码"
        if v == "code_table":
            return f"须取自代码表「{self.domain}」"
        if v == "pattern":
            return f"须符合格式 {self.pattern}"
        if v == "text":
            return f"须为不超过{self.length}个字符的文本"
        if v == "integer":
            return f"须为{_range_zh(self)}的整数"
        if v == "decimal":
            return f"须为{_range_zh(self)}、最多{self.scale}位小数的数值" + (f"（单位：{self.unit}）" if self.unit else "")
        if v == "date":
            return "须为日期 YYYY-MM-DD" + _range_zh(self, dates=True)
        return "须为日期时间 YYYY-MM-DD HH:MM:SS"

    def rule_en(self) -> str:
        v = self.validator
        if v == "uscc":
            return "must be an 18-character unified social credit code (GB 32100-2015) ending in its check digit"
        if v == "resident_id":
            return "must be an 18-character citizen ID number (GB 11643-1999) with a valid birth date and check digit"
        if v == "phone":
            return "must be an 11-digit mobile number or a landline number with its area code"
        if v == "code_table":
            return f"must be a code of the code table '{self.domain}'"
        if v == "pattern":
            return f"must match the pattern {self.pattern}"
        if v == "text":
            return f"must be text of at most {self.length} characters"
        if v == "integer":
            return f"must be an integer{_range_en(self)}"
        if v == "decimal":
            return f"must be a number with at most {self.scale} decimals{_range_en(self)}" + (f" (unit: {self.unit})" if self.unit else "")
        if v == "date":
            return "must be a date YYYY-MM-DD" + _range_en(self, dates=True)
        return "must be a date and time YYYY-MM-DD HH:MM:SS"

    def explain(self) -> str:
        """One sentence in both languages, for the data dictionary and reject reasons."""
        return f"{self.name_zh}{self.rule_zh()} / {self.name_en} {self.rule_en()}"


def _range_zh(s: Standard, dates: bool = False) -> str:
    if dates:
        return ""
    lo, hi = s.min_value, s.max_value
    if lo is not None and hi is not None:
        return f"{_num(lo)}至{_num(hi)}之间"
    if lo is not None:
        return f"不小于{_num(lo)}"
    if hi is not None:
        return f"不大于{_num(hi)}"
    return ""


def _range_en(s: Standard, dates: bool = False) -> str:
    if dates:
        return ""
    lo, hi = s.min_value, s.max_value
    if lo is not None and hi is not None:
        return f" between {_num(lo)} and {_num(hi)}"
    if lo is not None:
        return f" of at least {_num(lo)}"
    if hi is not None:
        return f" of at most {_num(hi)}"
    return ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# ---------------------------------------------------------------------------
# normalisation

# all full-width ASCII (U+FF01-U+FF5E) and the ideographic space; lakehouse/silver/rules.py
# mirrors this exactly, so patterns are written for the half-width spelling
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-\d{7,8})$")


def normalise_text(raw: str) -> str:
    """Make full-width ASCII half-width, then strip stray whitespace."""
    return raw.translate(_FULL_WIDTH).strip()


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def parse_date(text: str) -> Optional[_dt.date]:
    if text.isdigit() and len(text) != 8:
        return None  # strptime would read "202413" as 2024-01-03
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _reason(std: Standard, zh: str, en: str) -> str:
    return f"{std.name_zh}：{zh} / {std.name_en}: {en}"


def validate_value(standard: Standard, raw: object, required: bool = True) -> tuple[bool, object, str]:
    """Check one delivered value against a standard.

    Returns ``(ok, normalised_value, reason)``: the normalised value is a str, int, float,
    ``datetime.date`` or ``datetime.datetime`` (``None`` when missing); ``reason`` is empty when
    ``ok`` and otherwise one bilingual sentence naming the standard and what is wrong.
    """
    s = standard
    if raw is None:
        text = ""
    elif isinstance(raw, str):
        text = normalise_text(raw)
    else:
        text = normalise_text(str(raw))
    if text == "":
        if required:
            return False, None, _reason(s, "值缺失", "value is missing")
        return True, None, ""
    v = s.validator
    if v == "uscc":
        from stdnum.cn import uscc
        from stdnum.exceptions import InvalidChecksum, ValidationError

        text = text.upper()
        try:
            return True, uscc.validate(text), ""
        except InvalidChecksum:
            return False, None, _reason(s, "校验位错误", "wrong check digit")
        except ValidationError:
            return False, None, _reason(s, s.rule_zh(), s.rule_en())
    if v == "resident_id":
        from stdnum.cn import ric
        from stdnum.exceptions import InvalidChecksum, ValidationError

        text = text.upper()
        try:
            return True, ric.validate(text), ""
        except InvalidChecksum:
            return False, None, _reason(s, "校验位错误", "wrong check digit")
        except ValidationError:
            return False, None, _reason(s, s.rule_zh(), s.rule_en())
    if v == "phone":
        if _PHONE.match(text):
            return True, text, ""
        return False, None, _reason(s, s.rule_zh(), s.rule_en())
    if v == "code_table":
        if text in s._codes:
            return True, text, ""
        return False, None, _reason(s, f"「{text[:20]}」不在代码表「{s.domain}」中", f"'{text[:20]}' is not in the code table '{s.domain}'")
    if v in ("pattern", "text"):
        if s.length is not None and len(text) > s.length:
            return False, None, _reason(s, f"长度{len(text)}超过{s.length}", f"length {len(text)} exceeds {s.length}")
        if s.pattern and not _compiled(s.pattern).fullmatch(text):
            return False, None, _reason(s, s.rule_zh(), s.rule_en())
        return True, text, ""
    if v == "integer":
        try:
            n = int(text)
        except ValueError:
            return False, None, _reason(s, s.rule_zh(), s.rule_en())
        if (s.min_value is not None and n < s.min_value) or (s.max_value is not None and n > s.max_value):
            return False, None, _reason(s, f"{n}超出范围", f"{n} is out of range")
        return True, n, ""
    if v == "decimal":
        t = text.replace(",", "")
        try:
            x = float(t)
        except ValueError:
            return False, None, _reason(s, s.rule_zh(), s.rule_en())
        if x != x or x in (float("inf"), float("-inf")):
            return False, None, _reason(s, s.rule_zh(), s.rule_en())
        if s.scale is not None and "." in t and len(t.split(".", 1)[1].rstrip("0")) > s.scale:
            return False, None, _reason(s, f"小数位超过{s.scale}位", f"more than {s.scale} decimals")
        if (s.min_value is not None and x < s.min_value) or (s.max_value is not None and x > s.max_value):
            return False, None, _reason(s, f"{t}超出范围", f"{t} is out of range")
        return True, x, ""
    if v == "date":
        d = parse_date(text)
        if d is None:
            return False, None, _reason(s, s.rule_zh(), s.rule_en())
        return True, d, ""
    # datetime
    if text.isdigit() and len(text) != 14:
        return False, None, _reason(s, s.rule_zh(), s.rule_en())  # compact form: all 14 digits
    for fmt in _DATETIME_FORMATS:
        try:
            return True, _dt.datetime.strptime(text, fmt), ""
        except ValueError:
            continue
    return False, None, _reason(s, s.rule_zh(), s.rule_en())
