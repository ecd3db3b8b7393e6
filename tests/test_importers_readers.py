"""Reading files: encodings, delimiters, JSON shapes and file-level errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from crmkit.errors import CrmError
from crmkit.importers.readers import detect_encoding, open_source, sniff_delimiter

DATA = Path(__file__).parent / "data"


def read_all(
    path: Path | str, **options: object
) -> tuple[list[str], list[tuple[int, list[object]]]]:
    with open_source(str(path), **options) as source:  # type: ignore[arg-type]
        return source.header, list(source.rows)


def test_windows_1250_file_is_detected_and_semicolons_sniffed() -> None:
    header, rows = read_all(DATA / "cp1250.csv")
    assert header == ["Imię", "Nazwisko", "Miasto", "Telefon"]
    assert rows[0] == (2, ["Żaneta", "Wiśniewska", "Łódź", "601 234 567"])


def test_utf8_bom_is_stripped_from_the_header() -> None:
    header, _ = read_all(DATA / "utf8_bom.csv")
    assert header[0] == "Imię"


@pytest.mark.parametrize(("name", "expected"), [("tabbed.tsv", "Łódź"), ("piped.csv", "Gliwice")])
def test_tab_and_pipe_delimiters(name: str, expected: str) -> None:
    header, rows = read_all(DATA / name)
    assert header == ["first_name", "last_name", "city"]
    assert rows[0][1][2] == expected


def test_forced_encoding_and_delimiter() -> None:
    header, rows = read_all(DATA / "cp1250.csv", encoding="cp1250", delimiter=";")
    assert rows[1][1][0] == "Łukasz"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "is empty"),
        ("binary.csv", "not a text file"),
        ("invalid_text.csv", "not valid text in any supported encoding"),
        ("dup_columns.csv", "names column 'Imię' twice"),
        ("not_array.json", "not a JSON array of objects"),
        ("scalars.json", "item 1 of the array is not a JSON object"),
        ("does-not-exist.csv", "does not exist"),
    ],
)
def test_file_level_errors(name: str, message: str) -> None:
    with pytest.raises(CrmError, match=message):
        read_all(DATA / name)


def test_header_only_file_has_no_rows() -> None:
    header, rows = read_all(DATA / "header_only.csv")
    assert header == ["Imię", "Nazwisko", "Telefon"] and rows == []


def test_bad_bytes_after_the_sample_stop_with_the_line_number(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    good = "Imię,Nazwisko\n" + "Anna,Nowak\n" * 120_000
    path.write_bytes(good.encode() + "Żaneta,X\n".encode("cp1250"))
    with pytest.raises(CrmError, match="line 120002 is not valid"):
        read_all(path)


def test_line_numbers_count_the_header_and_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('a,b\n1,"two\nlines"\n3,4\n', encoding="utf-8")
    _, rows = read_all(path)
    assert [line for line, _ in rows] == [2, 4]


def test_jsonl_rows_carry_their_line_numbers() -> None:
    header, rows = read_all(DATA / "contacts.jsonl")
    assert "first_name" in header
    assert [line for line, _ in rows] == [1, 3, 4]


def test_json_array_is_streamed_item_by_item(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    items = (json.dumps({"n": i, "s": "x" * 50}) for i in range(5000))
    path.write_text("[" + ",".join(items) + "]")
    _, rows = read_all(path)
    assert len(rows) == 5000 and rows[-1][1][0] == {"n": 4999, "s": "x" * 50}


def test_stdin_is_read_and_hashed() -> None:
    data = b"first_name,last_name\nAnna,Nowak\n"
    with open_source("-", stdin=io.BytesIO(data)) as source:
        rows = list(source.rows)
        assert source.sha256 is not None and len(source.sha256) == 64
    assert rows == [(2, ["Anna", "Nowak"])]


def test_detect_encoding_and_sniff_delimiter_directly() -> None:
    assert detect_encoding("Łódź".encode()) == "utf-8"
    assert detect_encoding("Łódź".encode("cp1250")) == "cp1250"
    assert sniff_delimiter('"a,b";c;d') == ";"
    assert sniff_delimiter("single") == ","


def test_json_array_rows_are_the_lines_items_start_on(tmp_path: Path) -> None:
    path = tmp_path / "lines.json"
    path.write_text('[\n  {"a": 1},\n  {"a": 2,\n   "b": 3},\n\n  {"a": 4}\n]\n')
    _, rows = read_all(path)
    assert [(line, cells[0]["a"]) for line, cells in rows] == [(2, 1), (3, 2), (6, 4)]


def test_trailing_empty_header_cells_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("first_name;last_name;;\nAnna;Nowak;;\n", encoding="utf-8")
    header, rows = read_all(path)
    assert header == ["first_name", "last_name"]
    assert rows == [(2, ["Anna", "Nowak", "", ""])]


def test_an_unnamed_column_in_the_middle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gap.csv"
    path.write_text("first_name,,last_name\nAnna,x,Nowak\n", encoding="utf-8")
    with pytest.raises(CrmError, match="column 2 of the header has no name"):
        read_all(path)
