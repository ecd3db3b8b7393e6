"""JSON and JSON Lines output, and files written all at once."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from crmkit.errors import CrmError
from crmkit.exporters.atomic import atomic_text_file
from crmkit.exporters.jsonfile import write_json, write_jsonl

RECORDS = [{"id": 1, "name": "Łucja"}, {"id": 2, "name": "Ewa", "tags": ["VIP"]}]


def test_json_array() -> None:
    out = io.StringIO()
    assert write_json(out, iter(RECORDS)) == 2
    assert json.loads(out.getvalue()) == RECORDS
    assert "Łucja" in out.getvalue()


def test_empty_json_array() -> None:
    out = io.StringIO()
    assert write_json(out, iter([])) == 0
    assert json.loads(out.getvalue()) == []


def test_json_lines() -> None:
    out = io.StringIO()
    assert write_jsonl(out, iter(RECORDS)) == 2
    assert [json.loads(line) for line in out.getvalue().splitlines()] == RECORDS


def test_atomic_file_appears_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_text_file(target) as stream:
        stream.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with atomic_text_file(target) as stream:
        stream.write("a\r\nb\n")
    assert target.read_bytes() == b"a\r\nb\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_file_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CrmError, match="does not exist"), atomic_text_file(tmp_path / "no" / "x"):
        pass
    with pytest.raises(CrmError, match="is a folder"), atomic_text_file(tmp_path):
        pass
