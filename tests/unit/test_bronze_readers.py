"""Parsing delivered files: every line ends in a record or a reject with a reason."""

import io
import json

from openpyxl import Workbook

from lakehouse.bronze.readers import parse_file


def test_csv_utf8_records_keep_original_names_and_text():
    data = '统一社会信用代码,企业名称,注册资本\n91440604MA4UJ5Q96L,佛山市某某有限公司, 100.5 \n91440604MA4UJ5Q96L,"名,称",\n'.encode()
    p = parse_file(data, "csv_utf8")
    assert p.header == ["统一社会信用代码", "企业名称", "注册资本"]
    assert p.lines == [2, 3]
    assert p.rows[0] == ["91440604MA4UJ5Q96L", "佛山市某某有限公司", " 100.5 "]
    assert p.rows[1][1] == "名,称" and p.rows[1][2] == ""
    assert not p.reject_reasons


def test_csv_wrong_field_count_and_truncation_are_rejected_with_line_numbers():
    data = b'a,b,c\n1,2,3\n4,5\n6,7,8\n9,"unterminated'
    p = parse_file(data, "csv_utf8")
    assert p.lines == [2, 4]
    assert p.reject_lines == [3, 5]
    assert "expected 3 fields" in p.reject_reasons[0]
    assert "truncated" in p.reject_reasons[1] or "expected 3 fields" in p.reject_reasons[1]


def test_csv_multiline_quoted_field_keeps_its_start_line():
    data = b'a,b\n1,"two\nlines"\n3,4\n'
    p = parse_file(data, "csv_utf8")
    assert p.lines == [2, 4] and p.rows[0] == ["1", "two\nlines"]


def test_gbk_invalid_byte_rejects_only_that_line():
    good = "代码,名称\n1,佛山\n".encode("gbk")
    bad = b"2,\xff\xfe\n"
    tail = "3,南海\n".encode("gbk")
    p = parse_file(good + bad + tail, "csv_gbk")
    assert p.rows == [["1", "佛山"], ["3", "南海"]]
    assert p.lines == [2, 4]
    assert p.reject_lines == [3] and "invalid GBK byte 0xFF" in p.reject_reasons[0]


def test_jsonl_bad_lines_rejected_and_values_as_text():
    lines = [json.dumps({"uscc": "X", "amount": 12.0, "n": 3}), "{broken", json.dumps([1, 2]), json.dumps({"uscc": "Y", "extra": True})]
    p = parse_file("\n".join(lines).encode(), "jsonl")
    assert p.header == ["uscc", "amount", "n", "extra"]
    assert p.rows == [["X", "12", "3", None], ["Y", None, None, "true"]]
    assert p.lines == [1, 4] and p.reject_lines == [2, 3]


def test_xlsx_rows_and_unreadable_workbook():
    wb = Workbook()
    ws = wb.active
    ws.append(["代码", "名称"])
    ws.append(["1", "佛山"])
    ws.append([None, None])
    ws.append([2, "顺德"])
    buf = io.BytesIO()
    wb.save(buf)
    p = parse_file(buf.getvalue(), "xlsx")
    assert p.rows == [["1", "佛山"], ["2", "顺德"]] and p.lines == [2, 4]
    broken = parse_file(b"PK\x03\x04 not really a zip", "xlsx")
    assert broken.record_count == 0 and broken.reject_lines == [None] and "not a readable XLSX" in broken.reject_reasons[0]


def test_empty_file_is_a_reject():
    p = parse_file(b"", "csv_utf8")
    assert p.record_count == 0 and "empty file" in p.reject_reasons[0]


def _chunks(data: bytes, fmt: str, n: int):
    from lakehouse.bronze.readers import iter_parse

    return list(iter_parse(io.BytesIO(data), fmt, n))


def test_streamed_chunks_hold_at_most_n_records_and_add_up_to_the_whole_file():
    rows = [f"{i},名{i},{i * 1.5}" for i in range(7)]
    rows[3] = "3,too,many,fields"
    data = ("代码,名称,金额\n" + "\n".join(rows) + "\n").encode()
    whole = parse_file(data, "csv_utf8")
    chunks = _chunks(data, "csv_utf8", 2)
    assert [len(c.rows) for c in chunks] == [2, 2, 2, 0]
    assert all(c.header == whole.header for c in chunks)
    assert [x for c in chunks for x in c.lines] == whole.lines == [2, 3, 4, 6, 7, 8]
    assert [r for c in chunks for r in c.rows] == whole.rows
    assert [x for c in chunks for x in c.reject_lines] == [5] and chunks[1].reject_raw == ["3,too,many,fields"]


def test_streamed_gbk_multiline_and_truncated_csv_keep_line_numbers():
    data = '代码,名称\n1,"跨\n行"\n'.encode("gbk") + b"2,\xff\n" + '3,南海\n4,"未完'.encode("gbk")
    chunks = _chunks(data, "csv_gbk", 1)
    lines = [x for c in chunks for x in c.lines]
    rejects = {x: r for c in chunks for x, r in zip(c.reject_lines, c.reject_reasons)}
    assert lines == [2, 5] and [r for c in chunks for r in c.rows][0] == ["1", "跨\n行"]
    assert "invalid GBK byte 0xFF" in rejects[4] and "truncated" in rejects[6]
    truncated = next(raw for c in chunks for x, raw in zip(c.reject_lines, c.reject_raw) if x == 6)
    assert truncated == '4,"未完'


def test_streamed_jsonl_and_xlsx_chunks():
    lines = [json.dumps({"k": i}) for i in range(5)] + ["{bad"]
    chunks = _chunks("\n".join(lines).encode(), "jsonl", 2)
    assert [c.lines for c in chunks] == [[1, 2], [3, 4], [5]] and chunks[-1].reject_lines == [6]
    wb = Workbook()
    ws = wb.active
    ws.append(["a"])
    for i in range(5):
        ws.append([i])
    buf = io.BytesIO()
    wb.save(buf)
    chunks = _chunks(buf.getvalue(), "xlsx", 2)
    assert [c.lines for c in chunks] == [[2, 3], [4, 5], [6]] and all(c.header == ["a"] for c in chunks)


def test_arrow_fast_path_reads_clean_csv_exactly_like_the_line_reader(tmp_path):
    from lakehouse.bronze.readers import read_csv_arrow

    data = '"代码","名称","金额"\n"9144","佛山, 南海"," 1.5 "\n"","x",""\n'.encode()
    path = tmp_path / "clean.csv"
    path.write_bytes(data)
    header, table = read_csv_arrow(str(path))
    slow = parse_file(data, "csv_utf8")
    assert header == slow.header
    assert [list(r.values()) for r in table.to_pylist()] == slow.rows and slow.lines == [2, 3]


def test_arrow_fast_path_reads_clean_gbk_csv_exactly_like_the_line_reader(tmp_path):
    from lakehouse.bronze.readers import read_csv_arrow

    # enough rows that the transcoding stream reads in several blocks
    lines = ['"代码","名称","地址"'] + [f'"{i:06d}","佛山市{i}号企业","南海区桂城街道{i}号, 二楼"' for i in range(30_000)]
    data = ("\n".join(lines) + "\n").encode("gbk")
    path = tmp_path / "clean_gbk.csv"
    path.write_bytes(data)
    header, table = read_csv_arrow(str(path), "gbk")
    slow = parse_file(data, "csv_gbk")
    assert header == slow.header == ["代码", "名称", "地址"]
    assert [list(r.values()) for r in table.to_pylist()] == slow.rows and slow.lines == list(range(2, 30_002))
    # a byte GBK cannot decode: the line reader accounts for it
    path.write_bytes(data + b"1,\xff\xff,x\n")
    assert read_csv_arrow(str(path), "gbk") is None


def test_arrow_fast_path_declines_what_needs_line_accounting(tmp_path):
    from lakehouse.bronze.readers import read_csv_arrow

    cases = {
        "embedded newline": 'a,b\n1,"two\nlines"\n',
        "wrong field count": "a,b\n1,2\n3\n",
        "blank line": "a,b\n1,2\n\n3,4\n",
        "repeated header": "a,a\n1,2\n",
        "bom": "\ufeffa,b\n1,2\n",
    }
    for name, text in cases.items():
        path = tmp_path / "f.csv"
        path.write_bytes(text.encode())
        assert read_csv_arrow(str(path)) is None, name
    path.write_bytes(b"a,b\n1,\xff\n")
    assert read_csv_arrow(str(path)) is None, "invalid UTF-8"
