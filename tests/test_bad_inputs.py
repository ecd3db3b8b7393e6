"""Bad input files and mappings: a clear sentence and the right exit code, never a traceback.

Every case is a line of tests/data/bad/expected.yaml (the file, its mapping and
arguments, the exit code, what the output must say, and whether the database
must be left as it was); one parametrized test runs them all through `crm import`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

import crmkit
from crmkit import CRM

BAD = Path(__file__).parent / "data" / "bad"
CASES: list[dict[str, Any]] = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))
MARKER = "crmkit-yaml-marker"
EXISTING = "Jan Istniejący"


def long_field(path: Path) -> None:
    """A CSV file with a note of 200 KB, over the csv module's default field limit."""
    note = 'Notatka, "cytat" i nowa linia\n' * 7000
    path.write_text(
        "first_name,note\n"
        + f'Ala,"{note.strip().replace(chr(34), chr(34) * 2)}"\n'
        + "Ola,krótko\n",
        encoding="utf-8",
    )


GENERATORS: dict[str, Callable[[Path], None]] = {"long_field": long_field}


def case_id(case: dict[str, Any]) -> str:
    parts = [case["file"], case.get("mapping") or "", *case.get("args", [])]
    return " ".join(part for part in parts if part)


def state(db_path: Path, what: str) -> str:
    """A digest of the base: its contacts, and with "all" its reference data and import history."""
    with crmkit.open(db_path) as crm:
        out = io.StringIO()
        crm.export(out, format="jsonl", include_hidden=True)
        parts: list[Any] = [out.getvalue()]
        if what == "all":
            parts += [
                [tag.name for tag in crm.tags],
                [user.full_name for user in crm.users],
                [field.to_record() for field in crm.fields],
                [report.history_record() for report in crm.imports.list()],
            ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def file_values(path: Path, case: dict[str, Any]) -> dict[str, list[str]]:
    """Each column's values as the file holds them (records flattened like an import does)."""
    encoding = case.get("read_as", "utf-8")
    text = path.read_text(encoding=encoding).lstrip("\r\n")
    if path.suffix == ".csv":
        rows = [row for row in csv.DictReader(io.StringIO(text, newline="")) if any(row.values())]
    elif path.suffix == ".json":
        rows = json.loads(text.lstrip("\ufeff"))
    else:
        lines = text.lstrip("\ufeff").split("\n")
        rows = [json.loads(line) for line in lines if line.strip()]
    flat: dict[str, list[str]] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dict):
                for part, inner in value.items():
                    flat.setdefault(f"{key}.{part}", []).append(inner)
            else:
                flat.setdefault(key, []).append(value)
    return flat


def stored_values(crm: CRM, field: str) -> list[Any]:
    """The field's values in the contacts the import created (not the one there before)."""
    head, _, part = field.partition(".")
    records = [contact.to_record() for contact in crm.contacts if contact.name != EXISTING]
    return [record[head][part] if part else record[head] for record in records]


@pytest.fixture()
def base(ref_crm: CRM) -> CRM:
    """The reference data of conftest and one contact already there."""
    first, last = EXISTING.split()
    ref_crm.contacts.add("person", {"first_name": first, "last_name": last})
    return ref_crm


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_bad_input(
    case: dict[str, Any],
    base: CRM,
    db_path: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    path = BAD / case["file"]
    if "generate" in case:
        path = tmp_path / case["file"]
        GENERATORS[case["generate"]](path)
    assert path.exists() != bool(case.get("absent")), f"{path} is missing from the corpus"
    args = [str(path)]
    if case.get("mapping"):
        args += ["--mapping", str(BAD / case["mapping"])]
    args += [str(arg) for arg in case.get("args", [])]
    unchanged = case.get("unchanged", "all" if case["exit"] == 1 else "no")
    before = state(db_path, unchanged) if unchanged != "no" else None

    result = cli("import", *args)

    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output and "unexpected failure" not in output, output
    assert result.exit_code == case["exit"], output
    if case["exit"] == 1:
        assert result.stderr.startswith("Error: "), output
    for fragment in case.get("message", []):
        assert fragment in output, f"{fragment!r} not in:\n{output}"
    assert not (tmp_path / MARKER).exists(), "a YAML tag ran code"
    if before is not None:
        assert state(db_path, unchanged) == before
    if case.get("verbatim") or case.get("escaped"):
        check_values(case, path, base)
    for field, values in case.get("stored", {}).items():
        assert sorted(stored_values(base, field)) == sorted(values), field


def check_values(case: dict[str, Any], path: Path, crm: CRM) -> None:
    """Free text is stored as the file has it; formulas are escaped on the way out."""
    values = file_values(path, case)
    for field in case.get("verbatim", []):
        wanted = Counter(value.strip() for value in values[field] if value and value.strip())
        stored = Counter(value for value in stored_values(crm, field) if value)
        assert stored == wanted, field
    if case.get("escaped"):
        out = io.StringIO(newline="")
        crm.export(out, format="csv", columns=case["escaped"])
        exported = list(csv.DictReader(io.StringIO(out.getvalue())))
        for field in case["escaped"]:
            cells = {row[field] for row in exported if row[field]}
            assert cells == {f"'{value}" for value in values[field]}, field


def test_every_file_of_the_corpus_has_a_case() -> None:
    named = {case["file"] for case in CASES} | {case.get("mapping") for case in CASES}
    files = {path.name for path in BAD.iterdir()} - {"expected.yaml"}
    assert files - named == set()
    assert len(files) >= 40
