"""crmkit from Python: import a contact list, clean a few contacts, search, export.

    python examples/api_demo.py [crm.db]

Creates the database (a new file), defines the example's reference data, imports
examples/kontakty.csv with examples/map.yaml, and writes vip.csv beside the database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import crmkit

EXAMPLES = Path(__file__).resolve().parent


def main(db: Path) -> None:
    if db.exists():
        raise SystemExit(f"{db} already exists; give a new file name (the demo builds its own)")
    with crmkit.open(db, user="Anna Zając") as crm:
        # Reference data is explicit, so a typo in a file is reported, not invented.
        crm.tags.add("VIP", "Newsletter", "Klient", "Lead", "Partner")
        for name in ("Anna Zając", "Piotr Maj", "Jan Kowalski"):
            crm.users.add(name, email=name.lower().replace(" ", ".") + "@example.pl")
        crm.fields.add(
            "industry",
            type="multiselect",
            label="Branża",
            options=["IT", "Handel", "Produkcja", "Usługi", "Logistyka"],
        )
        crm.fields.add("marketing_consent", type="checkbox", label="Zgoda marketingowa")

        report = crm.imports.run(EXAMPLES / "kontakty.csv", mapping=EXAMPLES / "map.yaml")
        print(f"Import {report.import_id}: {report.created} created, {report.rejected} rejected")
        for problem in report.problems:
            print(f"  {problem.level} {problem.sentence()}")

        # Clean a few contacts: a missing phone, a stage, a tag.
        anna = crm.contacts.search("anna nowak")[0]
        anna = crm.contacts.edit(anna.id, stage="klient", phones={"mobile": ["601 555 123"]})
        print(f"{anna.name}: {[p.number for p in anna.phones]}, stage {anna.stage}")
        for contact in crm.contacts.search(filters={"city": "Gliwice", "tag": "Klient"}):
            if "VIP" not in contact.tags:
                crm.contacts.edit(contact.id, tags=[*contact.tags, "VIP"])

        # Who is calling?
        for caller in crm.contacts.lookup("+48 509-876-543"):
            print(f"Calling: {caller.name} ({', '.join(caller.tags)})")

        crm.events.add(anna.id, kind="call", at="2024-05-05 11:15", direction="in", duration=95)
        crm.notes.add(anna.id, "Oddzwonić po 16:00")
        for item in crm.timeline(anna.id):
            print(f"  {item.type} {item.occurred_at} {item.kind or ''} {item.body or ''}".rstrip())

        target = db.parent / "vip.csv"
        count = crm.export(target, filters={"tag": "VIP"}, columns="name,phones,emails,tags")
        print(f"Exported {count} VIP contacts to {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "crm.db"))
