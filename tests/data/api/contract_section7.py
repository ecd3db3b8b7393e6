"""The script of CONTRACT section 7, as written; it must run in an empty folder."""

import crmkit

with crmkit.open("crm.db", user="Jan Kowalski") as crm:  # path=None: CRM_DB, else ./crm.db
    crm.users.add("Jan Kowalski", email="jan@example.pl")
    crm.tags.add("VIP", "Lead")
    crm.fields.add("budget", type="number", label="Budżet")
    ewa = crm.contacts.add(
        kind="person",
        first_name="Ewa",
        last_name="Bąk",
        phones=["501 000 111"],
        emails=["ewa@example.pl"],
        tags=["VIP"],
        guardians=["Jan Kowalski"],
        custom={"budget": 1500},
    )
    assert ewa.phones[0].number == "+48501000111" and ewa.tags == ["VIP"]
    firm = crm.contacts.add(kind="organization", name="Bąk i Syn Sp. j.", nip="526-104-08-28")
    crm.contacts.link(ewa.id, firm.id, since="2024-01-01")
    ewa = crm.contacts.edit(ewa.id, stage="klient", phones={"work": ["22 113 14 15"]})
    assert crm.contacts[ewa.id].stage == "klient"
    found = crm.contacts.search("bak", filters={"tag": "VIP"})  # or ["tag=VIP", ...]
    assert [c.id for c in found] == [ewa.id]
    assert [c.id for c in crm.contacts.lookup("0048 22 113-14-15")] == [ewa.id]
    crm.events.add(ewa.id, kind="call", at="2024-05-05 11:15", direction="in", duration=95)
    crm.notes.add(ewa.id, "Oddzwonić po 16:00")
    assert [i.type for i in crm.timeline(ewa.id)] == ["note", "event"]
    with open("in.csv", "w", encoding="utf-8") as f:
        f.write("Imię,Nazwisko,Telefon\nAnna,Nowak,601 234 567\nJan,Zły,123\n")
    with open("map.yaml", "w", encoding="utf-8") as f:
        f.write(
            "target: contacts\nkind: person\ncolumns:\n  Imię: first_name\n"
            "  Nazwisko: last_name\n  Telefon: phone.mobile\n"
        )
    report = crm.imports.run("in.csv", mapping="map.yaml", dry_run=True)
    assert (report.created, report.rejected, [p.row for p in report.problems]) == (1, 1, [3])
    crm.export("vip.csv", filters={"tag": "VIP"})  # path, text or binary stream
    record = ewa.to_record()  # the JSON record of section 6
