"""Values an import left out for want of reference data, summed up: one warning each.

A file exported from another base names tags, users, options and custom fields
this base may not have. Without `--create-missing` their values are left out,
and one warning per missing thing says so, with how many rows lost it and
what to do, instead of a warning on every row (a hundred lines that hide the
point). Row errors and other warnings pass through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crmkit.drafts import LEFT_OUT, Problem, UnknownPolicy
from crmkit.model import ImportReport
from crmkit.reference import is_field_key
from crmkit.store.sqlite.imports import ImportRun
from crmkit.targets import Target
from crmkit.values.names import name_key

__all__ = ["RowProblems", "undefined_field_columns", "undefined_field_problem"]

# Row numbers a summary names before it says "...".
_ROWS_SHOWN = 5


@dataclass
class _Missing:
    """One missing thing: where it was first met and the rows that lost a value to it."""

    what: str
    column: str | None
    value: str | None
    rows: list[int] = field(default_factory=list)
    values: int = 0


class RowProblems:
    """The import's row problems on their way to its history (`ImportRun`).

    Left-out values (level `LEFT_OUT`) are counted here; `summarize` then
    records one warning per missing thing, at the row where it was first met.
    """

    def __init__(self, run: ImportRun, unknown: UnknownPolicy) -> None:
        self.run = run
        self.unknown = unknown
        self._missing: dict[tuple[str, str], _Missing] = {}

    @property
    def report(self) -> ImportReport:
        return self.run.report

    def problems(self, row: int | None, problems: list[Problem]) -> bool:
        """Record a row's problems; true if any of them rejects the row."""
        if any(problem[0] == LEFT_OUT for problem in problems):
            kept = []
            for problem in problems:
                if problem[0] == LEFT_OUT:
                    self._count(row, problem)
                else:
                    kept.append(problem)
            problems = kept
        return self.run.problems(row, problems) if problems else False

    def _count(self, row: int | None, problem: Problem) -> None:
        _, column, value, what = problem
        key = (what, "" if what.startswith("field:") else name_key(value or ""))
        missing = self._missing.get(key)
        if missing is None:
            missing = self._missing[key] = _Missing(what, column, value)
        missing.values += 1
        if row is not None and (not missing.rows or missing.rows[-1] != row):
            missing.rows.append(row)

    def summarize(self) -> None:
        """Record one warning per missing thing; then put the report's problems in file order."""
        for missing in sorted(self._missing.values(), key=lambda m: m.rows[:1]):
            first = missing.rows[0] if missing.rows else None
            value = None if missing.what.startswith("field:") else missing.value
            warning = ("warning", missing.column, value, self._sentence(missing))
            self.run.problems(first, [warning])
        self._missing.clear()
        self.report.problems.sort(key=lambda problem: (problem.row is not None, problem.row or 0))

    def _sentence(self, missing: _Missing) -> str:
        kind, _, key = missing.what.partition(":")
        name = (missing.value or "").strip()
        rows = _rows(missing.rows)
        if kind == "field":
            values = f"{missing.values} value{'s' if missing.values != 1 else ''} not imported"
            if not is_field_key(key):
                return (
                    f"custom field {key!r} cannot be defined ({_KEY_RULE}): {values};"
                    " map the column to a valid key with --mapping"
                )
            return (
                f"custom field {key!r} is not defined: {values};"
                " define it with `crm field add` or use --create-missing"
            )
        if kind == "option":
            return f"{name!r} is not an option of {key!r}; left out of {rows}; {_ADD_OPTION}"
        command = "crm tag add" if kind == "tag" else "crm user add"
        return (
            f"unknown {kind} {name!r} left out of {rows};"
            f" add it with `{command}` or use --create-missing"
        )


_KEY_RULE = "a key starts with a letter and holds only a-z, 0-9 and '_'"
_ADD_OPTION = "use --create-missing to add it"


def _rows(rows: list[int]) -> str:
    """'1 row (5)', '3 rows (2, 3, 9)', '40 rows (2, 3, 4, 5, 6, ...)'."""
    shown = ", ".join(map(str, rows[:_ROWS_SHOWN]))
    more = ", ..." if len(rows) > _ROWS_SHOWN else ""
    return f"{len(rows)} row{'s' if len(rows) != 1 else ''} ({shown}{more})"


def undefined_field_columns(columns: list[tuple[str, Target]]) -> list[tuple[str, Target]]:
    """The columns, with each ignored `custom.KEY` column of an undefined field marked so.

    Such a column's values are counted as left out (or, with `--strict`, reject
    their rows) instead of passing unnoticed.
    """
    marked = []
    for column, target in columns:
        head, _, key = column.partition(".")
        if target.kind == "ignore" and head == "custom" and key:
            target = Target(column, "undefined_field", key)
        marked.append((column, target))
    return marked


def undefined_field_problem(column: str, key: str, unknown: UnknownPolicy) -> Problem:
    """The problem of a value in the column of an undefined custom field."""
    if unknown == "strict":
        return (
            "error",
            column,
            None,
            f"custom field {key!r} is not defined; define it with `crm field add`",
        )
    return (LEFT_OUT, column, None, f"field:{key}")
