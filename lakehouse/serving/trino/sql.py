"""Trino SQL → DuckDB SQL: parse as Trino (sqlglot), resolve names, keep Trino's semantics or refuse.

Every function call must be on an allowlist of functions whose DuckDB translation returns what
Trino returns, or have a translation here; anything else fails with NOT_SUPPORTED naming the
function, so a result is never silently different from Trino's. Fixed here:

* integer division truncates (``5/2 = 2``, ``-7/2 = -3``) — sqlglot's typed division plus DuckDB's
  ``integer_division``; division involving a DECIMAL is refused (Trino keeps it exact);
* ``date_diff(unit, a, b)`` counts whole units elapsed (DuckDB ``date_sub``, not ``date_diff``);
* ``date_add``/``date_trunc`` on a DATE return a DATE;
* ``format_datetime`` (Joda pattern), ``date_format`` and ``date_parse`` (MySQL pattern) are
  translated letter by letter to strftime/strptime; patterns with other letters are refused;
* ``avg(decimal(p,s))`` returns decimal(p,s), exact, rounded half up;
* ``CAST(double AS integer)`` rounds half away from zero; casts of doubles and timestamps to
  varchar (Trino prints ``1.5E0`` and every fraction digit) are refused;
* ``approx_distinct`` is exact (within its error bound), ``current_date`` is in the session zone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from lakehouse.serving.trino.errors import TrinoError, refuse

# Functions (sqlglot expression classes) whose DuckDB translation matches Trino.
SAFE_FUNCS = {
    "Count", "Sum", "Min", "Max", "CountIf", "AnyValue", "LogicalAnd", "LogicalOr", "Stddev", "StddevSamp",
    "StddevPop", "Variance", "VariancePop", "ArrayAgg", "ArgMax", "ArgMin", "Corr", "CovarSamp", "CovarPop",
    "Abs", "Ceil", "Floor", "Round", "Sign", "Mod", "Pow", "Sqrt", "Exp", "Ln", "Log", "Coalesce", "Nullif",
    "If", "Case", "Rand", "Pi", "IsNan", "Cbrt", "Greatest", "Least", "Lower", "Upper", "Length", "Substring",
    "StrPosition", "Replace", "Reverse", "Trim", "Pad", "Split", "SplitPart", "Concat", "ConcatWs", "StartsWith",
    "RegexpLike", "RegexpExtract", "Chr", "Translate", "Year", "Month", "Day", "DayOfMonth", "DayOfWeekIso",
    "DayOfYear", "WeekOfYear", "Quarter", "Hour", "Minute", "Second", "YearOfWeek", "UnixToTime", "TimeToUnix",
    "FromISO8601Date", "CurrentTimestamp", "LastDay", "Date", "Extract", "ArraySize", "ArrayContains",
    "ArrayToString", "ArrayMax", "ArrayMin", "ArrayPosition", "Try", "TryCast", "Array", "Hex", "MD5Digest",
    "RowNumber", "Rank", "DenseRank", "Lag", "Lead", "Ntile", "PercentRank", "CumeDist", "FirstValue",
    "LastValue", "NthValue", "GroupConcat", "Paren", "Tuple", "Bracket", "Between", "In", "Exists", "Any", "All",
    "Explode", "Unnest", "Filter", "Window", "And", "Or", "Xor",
}
# Functions by name (exp.Anonymous) that DuckDB has with Trino's meaning.
SAFE_ANONYMOUS = {"is_finite": "isfinite"}
REFUSE_HINTS = {
    "Format": "Java format strings differ from DuckDB's",
    "JSONExtract": "JSON path semantics and result types differ",
    "JSONExtractScalar": "JSON path semantics differ",
    "ParseJSON": "the json type differs",
    "ArrayDistinct": "DuckDB does not keep the first-occurrence order Trino keeps",
    "Typeof": "DuckDB's type names are not Trino's",
    "RegexpReplace": None,  # handled: refused only with $-group references
    "Struct": "anonymous ROW values are named differently",
}

_DATE_UNITS = {"day", "week", "month", "quarter", "year"}
_TRINO_UNITS = {"millisecond", "second", "minute", "hour", "day", "week", "month", "quarter", "year"}


@dataclass
class Translation:
    sql: str                                    # DuckDB SQL
    tables: list[tuple[str, str, str]] = field(default_factory=list)   # (catalog, schema, table) read


def _syntax(e: Exception) -> TrinoError:
    line = col = None
    errs = getattr(e, "errors", None) or []
    if errs:
        line, col = errs[0].get("line"), errs[0].get("col")
        desc = errs[0].get("description") or str(e)
    else:
        desc = str(e)
    where = f"line {line}:{col}: " if line else ""
    return TrinoError("SYNTAX_ERROR", f"{where}{desc}", line, col)


def parse(sql: str) -> exp.Expression:
    try:
        trees = sqlglot.parse(sql, read="trino")
    except (ParseError, TokenError) as e:
        raise _syntax(e) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise TrinoError("SYNTAX_ERROR", "exactly one statement expected")
    return trees[0]


# -- parameters ------------------------------------------------------------------


def bind_parameters(statement: str, params: list[str]) -> str:
    """Replace each ``?`` of ``statement`` (in text order) by a parameter's SQL text."""
    from sqlglot.dialects.trino import Trino
    from sqlglot.tokens import TokenType

    tokens = [t for t in Trino().tokenize(statement) if t.token_type == TokenType.PLACEHOLDER]
    if len(tokens) != len(params):
        raise TrinoError("INVALID_PARAMETER_USAGE", f"Incorrect number of parameters: expected {len(tokens)} but found {len(params)}")
    out, last = [], 0
    for tok, value in zip(tokens, params):
        out.append(statement[last:tok.start])
        out.append(f"({value})")
        last = tok.end + 1
    out.append(statement[last:])
    return "".join(out)


def split_parameters(using: str) -> list[str]:
    if not using.strip():
        return []
    try:
        sel = sqlglot.parse_one(f"SELECT {using}", read="trino")
    except (ParseError, TokenError) as e:
        raise _syntax(e) from None
    return [e.sql("trino") for e in sel.expressions]


# -- translation ---------------------------------------------------------------


class Translator:
    """Translate one query for a session; ``resolve(catalog, schema, table)`` returns {column: trino type}."""

    def __init__(self, resolve, session_catalog: str | None, session_schema: str | None, time_zone: str, user: str, version: str):
        self.resolve = resolve
        self.catalog = session_catalog
        self.schema = session_schema
        self.time_zone = time_zone
        self.user = user
        self.version = version

    def translate(self, tree: exp.Expression) -> Translation:
        from sqlglot.optimizer.annotate_types import annotate_types
        from sqlglot.optimizer.qualify import qualify

        if not isinstance(tree, exp.Query):
            raise TrinoError("NOT_SUPPORTED", f"statement {type(tree).__name__.upper()} is not supported")
        schema: dict = {}
        tables = self._resolve_tables(tree, schema)
        names = [e.alias_or_name for e in tree.selects] if isinstance(tree, exp.Query) else []
        try:
            tree = qualify(tree, schema=schema, dialect="trino", validate_qualify_columns=True,
                           quote_identifiers=False, identify=False)
        except sqlglot.errors.OptimizeError as e:
            msg = str(e)
            m = re.search(r"Column '([^']+)' could not be resolved", msg)
            if m:
                raise TrinoError("COLUMN_NOT_FOUND", f"Column '{m.group(1)}' cannot be resolved") from None
            raise TrinoError("SYNTAX_ERROR", msg) from None
        tree = annotate_types(tree, schema=schema, dialect="trino")
        self._name_outputs(tree, names)
        tree = tree.transform(self._rewrite, copy=False)
        for t in tree.find_all(exp.Table):
            if t.args.get("catalog") is not None and (key := t.meta.get("rl_key")):
                t.set("catalog", None)
                t.set("db", None)
                t.set("this", exp.to_identifier(duck_name(*key), quoted=True))
        return Translation(tree.sql("duckdb"), tables)

    # tables
    def _resolve_tables(self, tree, schema) -> list:
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        found = []
        for t in tree.find_all(exp.Table):
            if not isinstance(t.this, exp.Identifier):
                continue
            name = t.name.lower()
            if not t.args.get("db") and name in ctes:
                continue
            catalog = (t.catalog or self.catalog or "").lower()
            db = (t.db or self.schema or "").lower()
            if not t.args.get("db") and not self.schema:
                raise TrinoError("MISSING_SCHEMA_NAME", "Schema must be specified when session schema is not set")
            if not catalog:
                raise TrinoError("MISSING_CATALOG_NAME", "Catalog must be specified when session catalog is not set")
            columns = self.resolve(catalog, db, name)
            key = (catalog, db, name)
            t.set("catalog", exp.to_identifier(catalog))
            t.set("db", exp.to_identifier(db))
            t.set("this", exp.to_identifier(name))
            t.meta["rl_key"] = key
            schema.setdefault(catalog, {}).setdefault(db, {})[name] = columns
            if key not in found:
                found.append(key)
        return found

    @staticmethod
    def _name_outputs(tree, names):
        """Trino names unnamed output columns _col0, _col1, ...; keep the user's names otherwise."""
        if not isinstance(tree, exp.Select):
            return
        for i, e in enumerate(tree.expressions):
            if isinstance(e, exp.Alias) and re.fullmatch(r"_col_\d+", e.alias):
                e.set("alias", exp.to_identifier(f"_col{i}"))

    # expressions
    def _rewrite(self, node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Div):
            return self._div(node)
        if isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
            return self._cast(node)
        if isinstance(node, exp.Func):
            return self._func(node)
        return node

    def _div(self, node: exp.Div) -> exp.Expression:
        for side in (node.left, node.right):
            if _is_decimal(side):
                other = node.right if side is node.left else node.left
                if not _is(other, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT):
                    raise TrinoError("NOT_SUPPORTED", "Division of DECIMAL values is not supported by the regulake Trino endpoint "
                                     "(Trino keeps it exact, DuckDB returns a double); cast an operand to DOUBLE or use integers")
        # DuckDB runs with integer_division: integer / integer truncates toward zero and keeps the integer type
        node.set("typed", False)
        node.set("safe", False)
        return node

    def _cast(self, node: exp.Cast) -> exp.Expression:
        to = node.to
        src = node.this
        if to.is_type(*exp.DataType.TEXT_TYPES):
            if _is(src, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT) or _is_temporal_ts(src):
                raise TrinoError("NOT_SUPPORTED", f"CAST({src.type.sql('trino') if src.type else 'value'} AS varchar) is not supported by the "
                                 "regulake Trino endpoint: Trino's text form (e.g. 1.5E0, every fraction digit) differs; "
                                 "use format_datetime, date_format or round(...) first")
        if to.is_type(*exp.DataType.INTEGER_TYPES) and _is(src, exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT):
            node.set("this", exp.Round(this=src))         # Trino rounds half away from zero, DuckDB half to even
        return node

    def _func(self, node: exp.Func) -> exp.Expression:
        kind = type(node).__name__
        if kind in ("Cast", "TryCast", "Alias"):
            return node
        handler = getattr(self, f"_f_{kind}", None)
        if handler:
            return handler(node)
        if kind in SAFE_FUNCS:
            return node
        if isinstance(node, exp.Anonymous):
            fname = node.name.lower()
            if fname == "format_datetime":
                return self._format_datetime(node)
            if fname in SAFE_ANONYMOUS:
                return exp.Anonymous(this=SAFE_ANONYMOUS[fname], expressions=node.expressions)
            if fname in ("infinity", "nan") and not node.expressions:
                return exp.cast(exp.Literal.string("inf" if fname == "infinity" else "nan"), "double")
            if fname == "every":
                return exp.LogicalAnd(this=node.expressions[0])
            raise TrinoError("FUNCTION_NOT_FOUND" if fname not in _KNOWN_TRINO else "NOT_SUPPORTED",
                             f"Function '{fname}' is not supported by the regulake Trino endpoint"
                             + ("" if fname not in _KNOWN_TRINO else ": its DuckDB counterpart differs from Trino's"))
        name = _trino_name(node)
        hint = REFUSE_HINTS.get(kind) or "its DuckDB counterpart differs from Trino's"
        raise refuse(name, hint)

    # translations
    def _f_Avg(self, node):
        arg = node.this
        if _is_decimal(arg) and arg.type and arg.type.expressions:
            if node.find_ancestor(exp.Window) or isinstance(arg, exp.Distinct):
                raise refuse("avg", "avg of a DECIMAL as a window or DISTINCT aggregate is not exact here", "cast the argument to DOUBLE")
            p, s = (int(x.this.this) for x in arg.type.expressions)
            return _decimal_avg(arg, p, s)
        if _is_decimal(arg):
            raise refuse("avg", "average of a DECIMAL of unknown scale", "cast the argument to DOUBLE or DECIMAL(p,s)")
        return node

    def _f_ApproxDistinct(self, node):
        return exp.Count(this=exp.Distinct(expressions=[node.this]))

    def _f_DateDiff(self, node):
        unit = _unit(node, "date_diff")
        return exp.Anonymous(this="date_sub", expressions=[exp.Literal.string(unit), node.expression, node.this])

    def _f_DateAdd(self, node):
        unit = _unit(node, "date_add")
        base = node.this
        interval = exp.Interval(this=exp.cast(node.expression, "bigint"), unit=exp.var(unit.upper()))
        out = exp.Add(this=base, expression=interval)
        if _is(base, exp.DataType.Type.DATE) and unit in _DATE_UNITS:
            return exp.cast(out, "date")
        if _is(base, exp.DataType.Type.DATE):
            return out
        return out

    def _f_DateTrunc(self, node):
        return self._f_TimestampTrunc(node)

    def _f_TimestampTrunc(self, node):
        if _is(node.this, exp.DataType.Type.DATE):
            return exp.cast(node, "date")
        return node

    def _f_CurrentDate(self, node):
        return exp.cast(exp.Anonymous(this="timezone", expressions=[exp.Literal.string(self.time_zone), exp.CurrentTimestamp()]), "date")

    def _f_CurrentUser(self, node):
        return exp.Literal.string(self.user)

    def _f_CurrentVersion(self, node):
        return exp.Literal.string(self.version)

    def _f_RegexpReplace(self, node):
        repl = node.args.get("replacement")
        if repl is not None and (not isinstance(repl, exp.Literal) or "$" in repl.this or "\\" in repl.this):
            raise refuse("regexp_replace", "group references in the replacement ($1) are written differently in DuckDB",
                         "use a literal replacement without $ or \\")
        return node

    def _f_ApproxQuantile(self, node):
        q = node.args.get("quantile")
        if node.args.get("weight") or node.args.get("accuracy") or q is None or not isinstance(q, exp.Literal):
            raise refuse("approx_percentile", "only approx_percentile(x, constant) is supported")
        return exp.Anonymous(this="quantile_disc", expressions=[node.this, q])

    def _f_TimeToStr(self, node):                     # date_format(x, mysql pattern)
        fmt = _literal(node.args.get("format"), "date_format")
        return exp.Anonymous(this="strftime", expressions=[node.this, exp.Literal.string(_checked_strftime(fmt, "date_format"))])

    def _f_StrToTime(self, node):                     # date_parse(s, mysql pattern) -> timestamp(3)
        fmt = _literal(node.args.get("format"), "date_parse")
        parsed = exp.Anonymous(this="strptime", expressions=[node.this, exp.Literal.string(_checked_strftime(fmt, "date_parse"))])
        return exp.cast(parsed, exp.DataType.build("TIMESTAMP_MS", dialect="duckdb"))

    def _format_datetime(self, node):
        args = node.expressions
        if len(args) != 2:
            raise refuse("format_datetime", "expects (timestamp, pattern)")
        fmt = _literal(args[1], "format_datetime")
        return exp.Anonymous(this="strftime", expressions=[args[0], exp.Literal.string(_joda_to_strftime(fmt))])


_KNOWN_TRINO = {
    "histogram", "map_agg", "geometric_mean", "codepoint", "e", "millisecond", "to_iso8601", "at_timezone",
    "with_timezone", "parse_datetime", "levenshtein_distance", "json_format", "url_extract_host", "word_stem",
    "human_readable_seconds", "to_milliseconds", "date_part", "checksum", "approx_set", "merge", "reduce",
    "transform", "zip_with", "map_filter", "array_union", "array_intersect", "array_except",
}


def _trino_name(node: exp.Func) -> str:
    try:
        return node.sql_name().lower()
    except Exception:
        return type(node).__name__.lower()


def _unit(node, fn: str) -> str:
    u = node.args.get("unit")
    text = (u.name if isinstance(u, (exp.Var, exp.Literal)) else (u.sql() if u is not None else "")).lower().strip("'")
    if text not in _TRINO_UNITS:
        raise TrinoError("INVALID_FUNCTION_ARGUMENT", f"'{text}' is not a valid {fn} unit; use one of {', '.join(sorted(_TRINO_UNITS))}")
    return text


def _literal(node, fn: str) -> str:
    if not isinstance(node, exp.Literal) or not node.is_string:
        raise refuse(fn, "the pattern must be a string literal")
    return node.this


def _is(node, *types) -> bool:
    if isinstance(node, exp.Literal) and not node.is_string:
        t = _literal_type(node)
        return t in types
    return node.type is not None and node.type.is_type(*types)


def _literal_type(node: exp.Literal):
    text = node.this.lower()
    if "e" in text:
        return exp.DataType.Type.DOUBLE
    if "." in text:
        return exp.DataType.Type.DECIMAL
    return exp.DataType.Type.BIGINT


def _is_decimal(node) -> bool:
    if isinstance(node, exp.Literal) and not node.is_string:
        return _literal_type(node) == exp.DataType.Type.DECIMAL
    if isinstance(node, exp.Neg):
        return _is_decimal(node.this)
    return node.type is not None and node.type.is_type(exp.DataType.Type.DECIMAL)


def _is_temporal_ts(node) -> bool:
    return node.type is not None and node.type.this in exp.DataType.TEMPORAL_TYPES and not node.type.is_type(exp.DataType.Type.DATE)


def _decimal_avg(arg, p: int, s: int) -> exp.Expression:
    """Exact avg of decimal(p,s), rounded half up to scale s, as Trino computes it."""
    u = f"CAST(({arg.sql('duckdb')}) * {10 ** s} AS HUGEINT)"
    total, n = f"SUM({u})", f"NULLIF(COUNT({arg.sql('duckdb')}), 0)"
    q = f"(2 * {total} + SIGN({total}) * {n}) // (2 * {n})"
    scale = f"CAST('{1 / 10 ** s:.{s}f}' AS DECIMAL({s + 1}, {s}))" if s else "1"
    return sqlglot.parse_one(f"CAST(CAST({q} AS DECIMAL(38, 0)) * {scale} AS DECIMAL({p}, {s}))", read="duckdb")


_MYSQL = {"a": "%a", "b": "%b", "c": "%-m", "d": "%d", "e": "%-d", "f": "%f", "H": "%H", "h": "%I", "I": "%I",
          "i": "%M", "j": "%j", "k": "%-H", "l": "%-I", "M": "%B", "m": "%m", "p": "%p", "r": "%I:%M:%S %p",
          "S": "%S", "s": "%S", "T": "%H:%M:%S", "W": "%A", "Y": "%Y", "y": "%y", "%": "%%"}


def _mysql_to_strftime(fmt: str, fn: str) -> str:
    out, i = [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            spec = fmt[i + 1]
            if spec not in _MYSQL:
                raise refuse(fn, f"the specifier %{spec} is not supported here (Trino supports %{spec} differently or not at all)")
            out.append(_MYSQL[spec])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# sqlglot has already turned Trino's MySQL-style specifiers into strftime ones when it parsed
# date_format/date_parse; these are the ones DuckDB reads and writes as Trino does.
_STRFTIME_OK = {"%Y", "%y", "%m", "%-m", "%d", "%-d", "%e", "%H", "%-H", "%I", "%-I", "%M", "%S", "%f", "%a", "%A",
                "%b", "%B", "%j", "%p", "%%", "%T", "%r"}


def _checked_strftime(fmt: str, fn: str) -> str:
    for spec in re.findall(r"%-?.", fmt):
        if spec not in _STRFTIME_OK:
            raise refuse(fn, f"the format specifier behind '{spec}' is not supported here (Trino supports it differently or not at all)")
    return fmt.replace("%T", "%H:%M:%S").replace("%r", "%I:%M:%S %p").replace("%e", "%-d")


_JODA = {"yyyy": "%Y", "yy": "%y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "M": "%-m", "dd": "%d", "d": "%-d",
         "HH": "%H", "H": "%-H", "hh": "%I", "h": "%-I", "mm": "%M", "m": "%-M", "ss": "%S", "s": "%-S",
         "SSSSSS": "%f", "SSS": "%g", "a": "%p", "EEEE": "%A", "EEE": "%a", "E": "%a", "DDD": "%j"}


def _joda_to_strftime(fmt: str) -> str:
    out, i = [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "'":
            j = fmt.find("'", i + 1)
            if j < 0:
                raise refuse("format_datetime", "unterminated quote in the pattern")
            out.append("'" if j == i + 1 else fmt[i + 1:j].replace("%", "%%"))
            i = j + 1
        elif ch.isalpha():
            j = i
            while j < len(fmt) and fmt[j] == ch:
                j += 1
            run = fmt[i:j]
            if run not in _JODA:
                raise refuse("format_datetime", f"the pattern letters '{run}' are not supported here",
                             f"supported: {', '.join(sorted(_JODA))}")
            out.append(_JODA[run])
            i = j
        else:
            out.append("%%" if ch == "%" else ch)
            i += 1
    return "".join(out)


def duck_name(catalog: str, schema: str, table: str) -> str:
    """Name a served relation is registered under in DuckDB."""
    return f"__rl__{catalog}__{schema}__{table}"
