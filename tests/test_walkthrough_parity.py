"""The README's walkthroughs give the same results on PostgreSQL as on a SQLite file.

One sequence of `crm` commands (the Quick start, the walkthrough, search and export,
the card and timeline, a campaign, orders and cases, cleaning up after an import,
personal data, dump and restore) runs through Typer's CliRunner against a new SQLite
file and against a new PostgreSQL database. Every step's exit code, stdout, stderr and
the files it wrote must be the same once the database's address and the timestamps of
"now" are masked.
"""

from __future__ import annotations

import difflib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmkit.cli.app import app
from tests.pg_server import Server

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KONTAKTY = str(EXAMPLES / "kontakty.csv")
MAP = str(EXAMPLES / "map.yaml")
CAMPAIGN = "Jesień 2025"
INDUSTRIES = ("IT", "Handel", "Produkcja", "Usługi", "Logistyka")

# Each step: the arguments after `--db DB` (a leading "@new" or "@third" runs it on
# another new base),
# and the files it writes, compared too.
SETUP = [
    ["init"],
    ["tag", "add", "VIP", "Newsletter", "Klient", "Lead", "Partner"],
    ["user", "add", "Anna Zając", "--email", "anna.zajac@example.pl"],
    ["user", "add", "Piotr Maj", "--email", "piotr.maj@example.pl"],
    ["user", "add", "Jan Kowalski", "--email", "jan.kowalski@example.pl"],
    ["field", "add", "industry", "--type", "multiselect", "--label", "Branża"]
    + [
        arg
        for option in ("IT", "Handel", "Produkcja", "Usługi", "Logistyka")
        for arg in ("--option", option)
    ],
    ["field", "add", "marketing_consent", "--type", "checkbox", "--label", "Zgoda marketingowa"],
    ["field", "add", "budget", "--type", "number", "--label", "Budżet"],
]

WALKTHROUGH = [
    ["import", KONTAKTY, "--mapping", MAP, "--dry-run"],
    ["import", KONTAKTY, "--mapping", MAP],
    ["imports"],
    ["imports", "show", "1"],
    ["imports", "show", "1", "--format", "json"],
    ["tag", "add", "Hurt"],
    ["import", "poprawione.csv", "--mapping", MAP],
    ["add", "person", "--set", "first_name=Ewa", "--set", "last_name=Bąk"]
    + ["--set", "phone.mobile=501 000 111", "--set", "tags=Lead | Newsletter"]
    + ["--set", "guardians=Piotr Maj", "--set", "organization=Technoserwis Sp. z o.o."],
    ["edit", "45", "--set", "stage=klient", "--set", "custom.marketing_consent=tak"],
    ["edit", "45", "--set", "custom.budget=1500"],
    ["edit", "45", "--set", "email.work="],
    ["link", "45", "4", "--since", "2024-01-01", "--until", "2024-12-31"],
    ["show", "45"],
    ["history", "45"],
    ["delete", "45"],
    ["show", "45"],
]

SEARCH = [
    ["search", "now"],
    ["search", "lodz"],
    ["search", "601234", "--columns", "id,name,phones"],
    ["search", "--filter", "city=Gliwice", "--filter", "tag=VIP | Lead", "-c", "name,city,tags"],
    [
        "search",
        "huta",
        "--filter",
        "custom.industry=handel",
        "-c",
        "name,organization,custom.industry",
    ],
    ["search", "--filter", "custom.industry=IT", "-c", "name,custom.industry", "--format", "json"],
    ["search", "--filter", "custom.budget>=1000", "-c", "name,custom.budget"],
    ["search", "--filter", "phone=22 113 14 15", "--filter", "email~NOWAKOWSKI", "-c", "name"],
    ["search", "--filter", "colour=red"],
    ["search", "--filter", "name=x' OR 1=1 --"],
    ["search", "--filter", "created_at>=2024", "--sort", "-name", "-n", "2", "-c", "name"],
    ["search", "--sort", "city", "-c", "id,name,city", "--format", "csv"],
    ["search", "--sort", "-last_name", "-c", "id,name,phones,emails,tags", "--format", "jsonl"],
    ["search", "--filter", "kind=organization", "--format", "json"],
    ["search", "--filter", "stage=klient", "-c", "id,name,stage,guardians,organization"],
    ["search", "kowal"],
    ["search", "gliwice", "-n", "5", "--format", "csv"],
    ["search", "--filter", "tag!=VIP", "--sort", "id", "-n", "5", "-c", "id,name,tags"],
    ["tag", "list", "--sort", "-name", "--limit", "2", "--columns", "name"],
    ["tag", "list"],
    ["user", "list"],
    ["field", "list"],
    ["lookup", "(+48) 601-234-567"],
    ["lookup", "602000000"],
    ["lookup", "601234567", "--format", "json"],
    ["lookup", "+48 509-876-543"],
    ["--as", "Jan Kowalski", "view", "save", "vip-gliwice", "--columns", "name,phones,tags"]
    + ["--filter", "tag=VIP", "--sort", "name"],
    ["--as", "Jan Kowalski", "view", "list"],
    ["--as", "Jan Kowalski", "search", "--view", "vip-gliwice"],
    ["--as", "Jan Kowalski", "export", "--view", "vip-gliwice", "--filter", "city=Gliwice"],
    ["export", "-o", "kontakty.csv", "--bom"],
    ["export", "--format", "jsonl", "-o", "kontakty.jsonl"],
    ["export", "--format", "json", "-o", "kontakty.json"],
    ["export", "-c", "name,phone.mobile,note"],
    ["export", "-c", "name,note", "--no-escape"],
    ["export", "--format", "xlsx", "-o", "kontakty.xlsx"],
    ["export", "--format", "google", "-o", "google.csv"],
    ["export", "--format", "outlook", "-o", "outlook.csv"],
    ["export", "--format", "vcard", "--vcard-version", "3.0", "-o", "telefon.vcf"],
    ["@new", "import", "kontakty.csv", "--create-missing"],
    ["@new", "search", "--sort", "id", "-c", "id,name,phones,emails,tags,custom.industry"],
    ["@new", "export", "--format", "jsonl"],
]

CALLS = [str(EXAMPLES / "calls.csv"), "--mapping", str(EXAMPLES / "calls_map.yaml")]
TIMELINE = [
    ["import", *CALLS, "--dry-run"],
    ["import", *CALLS, "--all-or-nothing"],
    ["import", str(EXAMPLES / "calls.csv"), "--mapping", str(EXAMPLES / "calls_map.yaml")],
    ["import", str(EXAMPLES / "calls.csv"), "--mapping", str(EXAMPLES / "calls_map.yaml")],
    ["timeline", "22"],
    ["timeline", "23"],
    ["timeline", "2"],
    ["--as", "Anna Zając", "note", "add", "22", "Spotkanie potwierdzone.", "--event", "12"],
    ["--as", "Piotr Maj", "note", "add", "23", "Kancelaria prosi o jedną fakturę zbiorczą."],
    ["event", "add", "23", "--kind", "meeting", "--at", "2024-03-07 11:00", "--duration", "1:15:00"]
    + ["--subject", "Spotkanie w kancelarii", "--agent", "Piotr Maj"],
    ["timeline", "23", "--kind", "call,meeting", "--since", "2024-03-05", "--limit", "3"],
    ["timeline", "23", "--format", "json"],
    ["file", "add", "23", "umowa-ramowa.pdf"],
    ["file", "add", "22", "umowa-ramowa.pdf", "--name", "projekt-umowy.pdf"],
    ["file", "list", "22"],
    ["file", "get", "2", "-o", "kopia.pdf"],
    ["avatar", "set", "22", "beata.png"],
    ["show", "22"],
    ["show", "22", "--format", "json"],
    ["show", "22", "--html", "beata.html"],
    ["show", "23"],
    ["timeline", "22"],
]

CAMPAIGNS = [
    ["campaign", "add", CAMPAIGN],
    ["campaign", "enroll", CAMPAIGN, "--filter", "tag=Klient", "--filter", "kind=person"],
    ["campaign", "enroll", CAMPAIGN, "--filter", "city=Gliwice | Łódź", "--filter", "kind=person"],
    ["--as", "Anna Zając", "campaign", "set", CAMPAIGN, "2", "--status", "Umówiony"]
    + ["--agent", "Anna Zając", "--note", "Spotkanie w czwartek o 10"],
    ["--as", "Anna Zając", "campaign", "set", CAMPAIGN, "3", "--status", "Oddzwonić"]
    + [
        "--agent",
        "Anna Zając",
        "--callback",
        "2025-10-02 16:00",
        "--note",
        "Prosi o telefon po 16",
    ],
    ["campaign", "set", CAMPAIGN, "8", "--status", "Może później"],
    ["campaign", "list", CAMPAIGN, "--due", "--agent", "Anna Zając", "--limit", "50"],
    ["campaign", "list", CAMPAIGN],
    ["show", "3"],
    ["timeline", "3", "--kind", "campaign"],
    ["campaign", "list", CAMPAIGN, "--status", "Nowy", "--format", "csv", "-c", "id,name,phone"],
    [
        "export",
        "--filter",
        f"campaign.{CAMPAIGN}.status=Nowy | Dzwonić",
        "--columns",
        "name,phones,city",
    ],
    ["search", "--filter", f"campaign.{CAMPAIGN}.callback<=2025-10-31"]
    + ["--filter", f"campaign.{CAMPAIGN}.agent=Anna Zając"],
    ["campaigns"],
    ["history", "3"],
    ["field", "group", "add", "orders", "--label", "Zamówienia", "--field", "number:text"]
    + ["--field", "product:text", "--field", "amount:number", "--field", "ordered_at:date"]
    + ["--field", "status:select=nowe|wysłane|zwrócone"],
    ["import", str(EXAMPLES / "orders.csv"), "--mapping", str(EXAMPLES / "orders_map.yaml")],
    ["record", "list", "2", "orders"],
    ["search", "--filter", "orders.amount>=1000"],
    ["search", "--filter", "orders.count>=2"],
    ["import", str(EXAMPLES / "orders.csv"), "--mapping", str(EXAMPLES / "orders_map.yaml")],
    ["record", "add", "7", "orders", "--set", "product=Drukarka", "--set", "amount=1 249,00"],
    ["record", "list", "7", "orders", "--format", "json"],
    ["case", "open", "2", "Reklamacja 2024/05", "--guardian", "Anna Zając"],
    ["event", "add", "2", "--kind", "call", "--direction", "in", "--case", "1"]
    + ["--subject", "Drukarka nie drukuje", "--at", "2025-05-02 10:00"],
    ["note", "add", "2", "Wysłano kuriera po odbiór", "--case", "1"],
    ["timeline", "2", "--case", "1"],
    ["case", "list", "2", "--open"],
    ["case", "close", "1"],
    ["case", "list", "2"],
]

CLEANUP = [
    ["import", str(EXAMPLES / "sklep.csv"), "--mapping", str(EXAMPLES / "sklep_map.yaml")],
    ["duplicates"],
    ["duplicates", "--format", "json"],
    ["merge", "2", "46"],
    ["merge", "8", "49"],
    ["merges"],
    ["show", "49"],
    ["show", "8"],
    ["history", "8"],
    ["undo", "merge", "2"],
    ["show", "8"],
    ["undo", "import", "7"],
    ["undo", "merge", "1"],
    ["undo", "import", "7"],
    ["imports"],
    ["search", "nowak", "-c", "id,name,phones,emails"],
    ["gdpr", "find", "601 234 567"],
    ["gdpr", "export", "2", "-o", "anna_nowak.zip"],
    [
        "consent",
        "set",
        "2",
        "marketing",
        "--basis",
        "consent",
        "--given",
        "--source",
        "formularz WWW",
    ]
    + ["--at", "2024-12-01 09:00"],
    [
        "consent",
        "set",
        "2",
        "marketing",
        "--basis",
        "consent",
        "--withdrawn",
        "--at",
        "2025-01-10 12:00",
    ],
    ["consent", "set", "3", "email", "--basis", "consent", "--given", "--at", "2025-01-11 12:00"],
    ["consent", "list", "2"],
    ["search", "--filter", "consent.email=given"],
    ["search", "--filter", "consent.marketing!=given", "-n", "3", "-c", "id,name"],
    ["gdpr", "erase", "2", "--reason", "wniosek z 2025-01-10", "--yes"],
    ["show", "2"],
    ["timeline", "3"],
    ["gdpr", "find", "601 234 567"],
    ["import", KONTAKTY, "--mapping", MAP],
    ["blacklist", "list"],
    ["import", str(EXAMPLES / "google.csv")],
    ["import", str(EXAMPLES / "outlook.csv")],
    ["import", str(EXAMPLES / "telefon.vcf")],
    ["import", str(EXAMPLES / "telefon.vcf")],
    ["import", str(EXAMPLES / "poczta.mbox")],
    ["import", str(EXAMPLES / "kontakty.xlsx"), "--mapping", MAP],
    ["mapping", "suggest", str(EXAMPLES / "sklep.csv")],
    ["search", "--sort", "id", "-c", "id,name,kind,phones,emails,tags,city"],
    ["dump", "-o", "kopia.jsonl"],
    ["@third", "restore", "kopia.jsonl"],
    ["@third", "search", "--sort", "id", "-c", "id,name,kind,phones,emails,tags,city"],
    ["@third", "timeline", "22"],
    ["@third", "show", "23"],
    ["@third", "history", "8"],
]

BASE_NAMES = ("crm.db", "new.db", "third.db")
# Not compared: the card of contact 2, whose campaign outcome and case note both
# happen "now" and are listed in the order of their seconds, which timing decides.
STEPS = SETUP + WALKTHROUGH + SEARCH + TIMELINE + CAMPAIGNS + CLEANUP

# What legitimately differs between two runs: the moment of "now" and durations.
NOW_PATTERNS = [
    re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"),
    re.compile(r"\d{8}T\d{6}Z"),
    re.compile(r"\b\d+(\.\d+)? ?(s|ms)\b"),
]


@dataclass
class Outcome:
    """One step's result: what it printed, its exit code and the files it wrote."""

    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    files: dict[str, bytes]


# Whether an import records the `updated_at` it moved (table import_touches) depends
# on whether the second turned since the contact's last change: timing, not backend.
TIMING = [
    (re.compile(r'^\{"table":"import_touches".*\n', re.M), ""),
    (re.compile(r'"import_touches":\d+'), '"import_touches":<N>'),
    (re.compile(r"\(\d+ rows in all\)"), "(<N> rows in all)"),
    (re.compile(r', \[\\"updated_at\\", \\"[^"\\]*\\", \\"[^"\\]*\\"\]'), ""),
]
# What an erasure keeps are hashes salted with a secret drawn at random.
SALTED = [
    (re.compile(r'"hash":"[0-9a-f]{64}"'), '"hash":<HASH>'),
    (re.compile(r'"name":"suppression_salt","value":"[0-9a-f]+"'), '"name":"suppression_salt"'),
]


def _mask(text: str, addresses: list[str], today: str) -> str:
    for pattern, replacement in TIMING + SALTED:
        text = pattern.sub(replacement, text)
    for address in addresses:
        text = text.replace(address, "<DB>")
    for pattern in NOW_PATTERNS:
        text = pattern.sub(
            lambda m: (
                "<NOW>" if m.group(0).startswith((today, today.replace("-", ""))) else m.group(0)
            ),
            text,
        )
    return NOW_PATTERNS[-1].sub("<DURATION>", text)


def _prepare(folder: Path) -> None:
    folder.mkdir()
    text = (EXAMPLES / "kontakty.csv").read_text(encoding="utf-8")
    for old, new in ((",123,", ",601 555 123,"), ("31.02.2024", "28.02.2024"), (",może,", ",tak,")):
        text = text.replace(old, new)
    (folder / "poprawione.csv").write_text(text.replace("87042654007", ""), encoding="utf-8")
    (folder / "umowa-ramowa.pdf").write_bytes(b"%PDF-1.4\n% umowa ramowa\n%%EOF\n")
    (folder / "beata.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    )


def _run(folder: Path, bases: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[Outcome]:
    monkeypatch.chdir(folder)
    monkeypatch.delenv("CRM_DB", raising=False)
    monkeypatch.delenv("CRM_USER", raising=False)
    monkeypatch.setenv("CRM_TIMEZONE", "Europe/Warsaw")
    runner = CliRunner()
    outcomes = []
    for step in STEPS:
        target, args = (bases[step[0]], step[1:]) if step[0] in bases else (bases["@db"], step)
        before = {path: path.stat().st_mtime_ns for path in folder.iterdir()}
        result = runner.invoke(app, ["--db", target, *args])
        written = {
            path.name: path.read_bytes()
            for path in sorted(folder.iterdir())
            if path.is_file()
            and before.get(path) != path.stat().st_mtime_ns
            and not path.name.startswith(BASE_NAMES)
        }
        outcomes.append(Outcome(step, result.exit_code, result.stdout, result.stderr, written))
    return outcomes


def _differences(left: list[Outcome], right: list[Outcome], masks: list[str]) -> Iterator[str]:
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    for number, (one, other) in enumerate(zip(left, right, strict=True), start=1):
        parts = [("exit code", str(one.exit_code), str(other.exit_code))]
        parts += [("stdout", one.stdout, other.stdout), ("stderr", one.stderr, other.stderr)]
        for name in sorted(set(one.files) | set(other.files)):
            if name.endswith((".zip", ".xlsx")):
                same = (name in one.files) == (name in other.files)
                parts.append((name, str(same), "True"))
                continue
            parts.append(
                (
                    name,
                    one.files.get(name, b"<missing>").decode("utf-8", "replace"),
                    other.files.get(name, b"<missing>").decode("utf-8", "replace"),
                )
            )
        for what, a, b in parts:
            a, b = _mask(a, masks, today), _mask(b, masks, today)
            if a != b:
                diff = difflib.unified_diff(
                    a.splitlines(), b.splitlines(), "sqlite", "postgresql", lineterm="", n=1
                )
                yield f"step {number} `crm {' '.join(one.args)}`, {what}:\n" + "\n".join(diff)


def test_walkthrough_parity(
    tmp_path: Path, postgres_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _prepare(tmp_path / "sqlite")
    shutil.copytree(tmp_path / "sqlite", tmp_path / "postgresql")
    names = dict(zip(("@db", "@new", "@third"), BASE_NAMES, strict=True))
    sqlite = {key: str(tmp_path / "sqlite" / name) for key, name in names.items()}
    postgresql = {key: postgres_server.new_database("walk") for key in names}
    on_sqlite = _run(tmp_path / "sqlite", sqlite, monkeypatch)
    on_postgresql = _run(tmp_path / "postgresql", postgresql, monkeypatch)

    crashed = [o.args for o in on_sqlite if o.exit_code not in (0, 1, 3)]
    assert not crashed, f"steps failed on SQLite: {crashed}"
    assert sum(o.exit_code == 0 for o in on_sqlite) > len(STEPS) * 3 // 4
    masks = [*sqlite.values(), *postgresql.values(), *names.values()]
    differences = list(_differences(on_sqlite, on_postgresql, masks))
    assert not differences, f"{len(differences)} steps differ:\n\n" + "\n\n".join(differences)
