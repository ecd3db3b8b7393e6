"""SQLite's SQL, as the modules of `crmkit.store.sqlite` write it, said in PostgreSQL.

The statements of the storage layer are written once, in the SQL both servers
share; where SQLite spells a thing its own way, `translate` rewrites it:

| SQLite                                  | PostgreSQL                               |
|-----------------------------------------|------------------------------------------|
| `?`, `:name`                            | `%s`, `%(name)s` (and `%` as `%%`)       |
| `?1` (a numbered parameter)             | `%s`, its value bound at each place      |
| `BEGIN IMMEDIATE`                       | `BEGIN`                                  |
| `INSERT OR IGNORE INTO ...`             | `INSERT INTO ... ON CONFLICT DO NOTHING` |
| `INSERT OR REPLACE INTO t ...`          | `... ON CONFLICT (key) DO UPDATE ...`    |
| `x IN (SELECT value FROM json_each(?))` | `x = ANY(?)`, the JSON list as an array  |
| `group_concat(x, s)`                    | `string_agg(x::text, s)`                 |
| `json_group_array(x)`                   | `coalesce(json_agg(x)::text, '[]')`      |
| `instr(a, b)`, `ifnull(a, b)`           | `strpos(a, b)`, `coalesce(a, b)`         |
| `max(a, b)`, `min(a, b)`                | `greatest(a, b)`, `least(a, b)`          |
| `a IS ?`, `a IS NOT ?`                  | `IS [NOT] DISTINCT FROM`                 |
| `INSERT INTO contacts_fts ...` (FTS5)    | nothing (see `_FTS_WRITE`)               |
| `COLLATE NOCASE`                        | the `nocase` collation the schema makes  |
| columns `user`, `row`                   | `"user"`, `"row"` (key words here)       |
| `WHERE hidden` (a 0/1 column)           | `WHERE (hidden <> 0)`                    |
| `WHERE 1`, `INDEXED BY index`           | `WHERE TRUE`, nothing                    |
| `temp.table`                            | `pg_temp.table`                          |
| `json_extract`, `json_each(doc, path)`  | functions of the same name in the schema |

A statement is translated once and kept (`translate` is cached). `Translated`
also says which parameters carry a JSON list to be bound as an array.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Translated", "translate"]

# The key of each table that `INSERT OR REPLACE` may replace a row of.
PRIMARY_KEYS = {
    "blacklist": "number",
    "consents": "contact_id, channel",
    "secrets": "name",
    "contact_aliases": "external_id",
    "merged_contacts": "contact_id",
    "suppression": "hash",
    "row_digests": "digest",
    "contacts_fts_keys": "contact_id",
}
# Writes to SQLite's FTS5 index: here the GIN index on `contacts_fts_keys.words`
# follows that table's rows by itself, so they have nothing to do.
_FTS_WRITE = re.compile(r"INSERT\s+INTO\s+contacts_fts\s*\(", re.IGNORECASE)

_JSON_LIST = re.compile(
    r"(\bNOT\s+)?\bIN\s*\(\s*SELECT\s+value\s+FROM\s+json_each\(\s*(\?\d*|:\w+)\s*\)\s*\)",
    re.IGNORECASE,
)
_INSERT_OR = re.compile(r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)", re.IGNORECASE)
_IS_PARAM = re.compile(r"\bIS\s+(NOT\s+)?(?=\?|:\w)", re.IGNORECASE)
_FUNCTION = re.compile(r"\b(group_concat|json_group_array|instr|ifnull|max|min)\s*\(", re.I)
_REAL = re.compile(r"\bAS\s+REAL\b", re.IGNORECASE)
# Column names that are key words of PostgreSQL, quoted wherever a statement names them.
# Yes/no columns (0 or 1) that SQLite reads as a condition by themselves.
_FLAGS = re.compile(
    r"\b(WHERE|AND|OR|NOT|ON|WHEN)\s+((?:\w+\.)?(?:active|hidden|vip|is_avatar|required))\b"
    r"(?!\s*(?:=|<>|!=|<|>|IS\b|IN\b|\|\||\+|-|\*|,|AS\b))",
    re.IGNORECASE,
)
_TEMP_SCHEMA = re.compile(r"(?<![\w.\"'])temp\.(?=\w)", re.IGNORECASE)
_INDEXED_BY = re.compile(r"\s+INDEXED\s+BY\s+\w+", re.IGNORECASE)
_CONSTANT_CONDITION = re.compile(r"\b(WHERE|AND|OR)\s+([01])\b(?!\s*[=<>!])", re.IGNORECASE)
_KEY_WORDS = re.compile(r"(?<![:\w\"'])(user|row)(?![\w\"'])")


@dataclass(frozen=True)
class Translated:
    """A statement for psycopg, and the parameters to bind as arrays.

    `arrays` holds the places (`?` order, or names) of parameters that held a
    JSON list in SQLite and are bound as a PostgreSQL array here.
    """

    sql: str
    arrays: tuple[int | str, ...]
    # For numbered parameters (`?1`): the number (from 1) of each `%s` in turn.
    positions: tuple[int, ...] = ()


@lru_cache(maxsize=2048)
def translate(sql: str) -> Translated:
    """Return `sql` said in PostgreSQL (see the module's table)."""
    text = sql.strip()
    if re.match(r"BEGIN\s+IMMEDIATE", text, re.IGNORECASE):
        return Translated("BEGIN", ())
    if _FTS_WRITE.match(text):
        return Translated("", ())
    text = _JSON_LIST.sub(_any_array, text)
    text = _rewrite_functions(text)
    text = _IS_PARAM.sub(
        lambda m: "IS DISTINCT FROM " if m.group(1) else "IS NOT DISTINCT FROM ", text
    )
    text = _REAL.sub("AS double precision", text)
    text = _KEY_WORDS.sub(r'"\1"', text)
    text = _FLAGS.sub(r"\1 (\2 <> 0)", text)
    text = _INDEXED_BY.sub("", text)
    text = _TEMP_SCHEMA.sub("pg_temp.", text)
    text = _CONSTANT_CONDITION.sub(
        lambda m: f"{m.group(1)} {'TRUE' if m.group(2) == '1' else 'FALSE'}", text
    )
    match = _INSERT_OR.search(text)
    if match:
        text = _rewrite_insert_or(text, match)
    return _bind_parameters(text)


def _any_array(match: re.Match[str]) -> str:
    operator = "<> ALL" if match.group(1) else "= ANY"
    # Marked so that `_bind_parameters` knows this parameter is a JSON list.
    return f"{operator}(\x00{match.group(2)})"


def _rewrite_insert_or(text: str, match: re.Match[str]) -> str:
    action, table = match.group(1).upper(), match.group(2)
    text = text[: match.start()] + f"INSERT INTO {table}" + text[match.end() :]
    if action == "IGNORE":
        return text + " ON CONFLICT DO NOTHING"
    columns = re.search(r"INSERT INTO \w+\s*\(([^)]*)\)", text)
    key = PRIMARY_KEYS.get(table.lower())
    if columns is None or key is None:
        raise ValueError(f"INSERT OR REPLACE INTO {table}: no key known for the table")
    keys = {part.strip() for part in key.split(",")}
    names = [name.strip() for name in columns.group(1).split(",")]
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name not in keys)
    if not updates:
        return text + f" ON CONFLICT ({key}) DO NOTHING"
    return text + f" ON CONFLICT ({key}) DO UPDATE SET {updates}"


def _rewrite_functions(text: str) -> str:
    """Rewrite the calls of SQLite's own functions (inner calls first)."""
    out: list[str] = []
    position = 0
    for match in _FUNCTION.finditer(text):
        if match.start() < position:
            continue
        end = _closing(text, match.end() - 1)
        inner = _rewrite_functions(text[match.end() : end])
        arguments = _split_arguments(inner)
        out.append(text[position : match.start()])
        out.append(_call(match.group(1).lower(), inner, arguments))
        position = end + 1
    out.append(text[position:])
    return "".join(out)


def _call(name: str, inner: str, arguments: list[str]) -> str:
    if name == "group_concat":
        separator = arguments[1] if len(arguments) > 1 else "','"
        return f"string_agg(({arguments[0]})::text, {separator})"
    if name == "json_group_array":
        return f"coalesce(json_agg({inner})::text, '[]')"
    if name == "instr":
        return f"strpos({inner})"
    if name == "ifnull":
        return f"coalesce({inner})"
    if len(arguments) > 1:
        return f"{'greatest' if name == 'max' else 'least'}({inner})"
    return f"{name}({inner})"


def _outside_quotes(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """Yield (place, character, parenthesis depth after it) for what is not quoted."""
    depth = 0
    quote = ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        yield index, char, depth


def _closing(text: str, opening: int) -> int:
    """Return the place of the parenthesis that closes the one at `opening`."""
    for index, char, depth in _outside_quotes(text, opening):
        if char == ")" and depth == 0:
            return index
    raise ValueError(f"unbalanced parentheses in: {text}")


def _split_arguments(inner: str) -> list[str]:
    """Split a call's arguments at its top-level commas."""
    parts: list[str] = []
    start = 0
    for index, char, depth in _outside_quotes(inner):
        if char == "," and depth == 0:
            parts.append(inner[start:index].strip())
            start = index + 1
    parts.append(inner[start:].strip())
    return parts


def _bind_parameters(text: str) -> Translated:
    """Turn `?` and `:name` into psycopg's placeholders, outside quotes."""
    out: list[str] = []
    arrays: list[int | str] = []
    positions: list[int] = []
    count = 0
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = ""
            index += 1
            continue
        array = char == "\x00"
        if array:
            index += 1
            char = text[index]
        if char in "'\"":
            quote = char
            out.append(char)
        elif char == "%":
            out.append("%%")
        elif char == "?":
            if array:
                arrays.append(count)
            out.append("%s")
            count += 1
            number = re.match(r"\d+", text[index + 1 :])
            if number is not None:
                index += len(number.group(0))
            positions.append(int(number.group(0)) if number else max(positions, default=0) + 1)
        elif char == ":" and index + 1 < len(text) and _name_start(text, index):
            name = re.match(r"\w+", text[index + 1 :])
            assert name is not None
            if array:
                arrays.append(name.group(0))
            out.append(f"%({name.group(0)})s")
            index += len(name.group(0))
        else:
            out.append(char)
        index += 1
    numbered = positions != list(range(1, len(positions) + 1))
    return Translated("".join(out), tuple(arrays), tuple(positions) if numbered else ())


def _name_start(text: str, index: int) -> bool:
    """Whether the colon at `index` starts a named parameter (not `::type`)."""
    following = text[index + 1]
    before = text[index - 1] if index else " "
    return (following.isalpha() or following == "_") and before != ":"
