"""Many clients of one PostgreSQL base at once: 8 writers and 20 readers.

Writers import, edit one contact together, add notes and merge, each through
its own connection, while readers look callers up and search. Nothing a writer
did may be lost, and no reader may fail.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import crmkit
from crmkit import CrmError
from tests.pg_server import Server

WRITERS = 8
READERS = 20


def _retry(action: Callable[[], object], attempts: int = 20) -> object:
    """Run `action`, again while it says someone else changed the data first."""
    for _ in range(attempts - 1):
        try:
            return action()
        except CrmError as exc:
            if "try again" not in str(exc):
                raise
            time.sleep(0.01)
    return action()


@pytest.fixture()
def address(postgres_server: Server, tmp_path: Path) -> str:
    address = postgres_server.new_database("conc")
    with crmkit.open(address, user="Admin") as crm:
        crm.tags.add("VIP")
        for user in ("Agent C", "Agent D"):
            crm.users.add(user)
        for number in range(40):
            crm.contacts.add(
                kind="person",
                first_name=f"Osoba{number}",
                last_name="Wspólna",
                phones=[f"+4860100{number:04d}"],
            )
    return address


def _import_file(folder: Path, writer: int, rows: int) -> Path:
    path = folder / f"import{writer}.csv"
    lines = ["external_id,first_name,last_name,phone.mobile"]
    lines += [
        f"w{writer}-{row},Nowy{row},Importowany{writer},+4850{writer}{row:06d}"
        for row in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eight_writers_and_twenty_readers_lose_nothing(address: str, tmp_path: Path) -> None:
    errors: list[BaseException] = []
    done = threading.Event()
    lookups = [0]

    def run(work: Callable[[crmkit.CRM], None], user: str) -> Callable[[], None]:
        def body() -> None:
            try:
                with crmkit.open(address, user=user) as crm:
                    work(crm)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)

        return body

    def importer(writer: int) -> Callable[[crmkit.CRM], None]:
        def work(crm: crmkit.CRM) -> None:
            report = crm.imports.run(_import_file(tmp_path, writer, 150))
            assert report.created == 150, report

        return work

    def editor(field: str) -> Callable[[crmkit.CRM], None]:
        def work(crm: crmkit.CRM) -> None:
            for round_ in range(15):
                value = f"{field}-{round_}"
                _retry(lambda value=value: crm.contacts.edit(1, **{field: value}))

        return work

    def note_taker(writer: int) -> Callable[[crmkit.CRM], None]:
        def work(crm: crmkit.CRM) -> None:
            for number in range(20):
                crm.notes.add(2, f"Notatka {writer}/{number}")

        return work

    def merger(pairs: list[tuple[int, int]]) -> Callable[[crmkit.CRM], None]:
        def work(crm: crmkit.CRM) -> None:
            for keep, other in pairs:
                _retry(lambda keep=keep, other=other: crm.contacts.merge(keep, other))

        return work

    def reader(index: int) -> Callable[[crmkit.CRM], None]:
        def work(crm: crmkit.CRM) -> None:
            while not done.is_set():
                number = 10 + (index + lookups[0]) % 5
                found = crm.contacts.lookup(f"+4860100{number:04d}")
                assert [contact.id for contact in found] == [number + 1]
                crm.contacts.search("wspólna", limit=5)
                lookups[0] += 1

        return work

    writers = [
        run(importer(1), "Importer 1"),
        run(importer(2), "Importer 2"),
        run(editor("stage"), "Agent A"),
        run(editor("city"), "Agent B"),
        run(note_taker(1), "Agent C"),
        run(note_taker(2), "Agent D"),
        run(merger([(20, 21), (22, 23), (24, 25)]), "Back office 1"),
        run(merger([(30, 31), (32, 33), (34, 35)]), "Back office 2"),
    ]
    readers = [run(reader(index), f"Reader {index}") for index in range(READERS)]
    assert len(writers) == WRITERS
    threads = [threading.Thread(target=body) for body in readers + writers]
    for thread in threads:
        thread.start()
    for thread in threads[READERS:]:
        thread.join(timeout=300)
    done.set()
    for thread in threads[:READERS]:
        thread.join(timeout=60)

    assert errors == []
    assert lookups[0] > READERS
    with crmkit.open(address) as crm:
        contact = crm.contacts[1]
        # Both agents' last edits of the same contact are there: neither overwrote the other.
        assert (contact.stage, contact.address.city) == ("stage-14", "city-14")
        assert len([item for item in crm.timeline(2, limit=100) if item.type == "note"]) == 40
        assert len(crm.contacts.search("importowany1", limit=1000)) == 150
        assert len(crm.contacts.search("importowany2", limit=1000)) == 150
        for gone in (21, 23, 25, 31, 33, 35):
            assert crm.contacts.merged_into(gone) == gone - 1
        assert len(crm.contacts) == 40 - 6 + 300
