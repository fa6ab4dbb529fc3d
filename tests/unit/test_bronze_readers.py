"""Parsing delivered files: every line ends in a record or a reject with a reason."""
import io
import json

from openpyxl import Workbook

from lakehouse.bronze.readers import parse_file


def test_csv_utf8_records_keep_original_names_and_text():
    data = "统一社会信用代码,企业名称,注册资本\n91440604MA4UJ5Q96L,佛山市某某有限公司, 100.5 \n91440604MA4UJ5Q96L,\"名,称\",\n".encode()
    p = parse_file(data, "csv_utf8")
    assert p.header == ["统一社会信用代码", "企业名称", "注册资本"]
    assert p.lines == [2, 3]
    assert p.rows[0] == ["91440604MA4UJ5Q96L", "佛山市某某有限公司", " 100.5 "]
    assert p.rows[1][1] == "名,称" and p.rows[1][2] == ""
    assert not p.reject_reasons


def test_csv_wrong_field_count_and_truncation_are_rejected_with_line_numbers():
    data = "a,b,c\n1,2,3\n4,5\n6,7,8\n9,\"unterminated".encode()
    p = parse_file(data, "csv_utf8")
    assert p.lines == [2, 4]
    assert p.reject_lines == [3, 5]
    assert "expected 3 fields" in p.reject_reasons[0]
    assert "truncated" in p.reject_reasons[1] or "expected 3 fields" in p.reject_reasons[1]


def test_csv_multiline_quoted_field_keeps_its_start_line():
    data = 'a,b\n1,"two\nlines"\n3,4\n'.encode()
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
