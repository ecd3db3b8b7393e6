"""The contact read path: JSON records (CONTRACT section 6) for any selection.

Records are assembled in chunks of ids: one query per table per chunk, so
reading a million contacts costs a few thousand queries and memory stays at
one chunk whatever the selection size.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from crmkit.store.sqlite.connection import Store
from crmkit.store.sqlite.record_parts import RecordParts
from crmkit.store.sqlite.reference import tag_names, user_names
from crmkit.store.sqlite.schema import CONTACT_COLUMNS

__all__ = ["iter_records", "get_record", "PERSON_ONLY_KEYS", "ORGANIZATION_ONLY_KEYS"]

PERSON_ONLY_KEYS = ("first_name", "last_name", "position", "pesel", "id_document", "organizations")
ORGANIZATION_ONLY_KEYS = ("nip", "krs", "regon", "members")
_CHUNK = 1000
_SELECT = (
    f"SELECT id, {', '.join(CONTACT_COLUMNS)} FROM contacts"
    " WHERE id IN (SELECT value FROM json_each(?))"
)


def get_record(store: Store, contact_id: int) -> dict[str, Any] | None:
    for record in iter_records(store, [contact_id]):
        return record
    return None


def iter_records(store: Store, ids: Iterable[int], chunk: int = _CHUNK) -> Iterator[dict[str, Any]]:
    """Records for these ids, in the order given; ids that do not exist are skipped."""
    iterator = iter(ids)
    tags = tag_names(store)
    users = user_names(store)
    parts = RecordParts(store, users)
    while True:
        batch = list(islice(iterator, chunk))
        if not batch:
            return
        yield from _records_for(store, batch, tags, users, parts)


def _records_for(
    store: Store,
    batch: list[int],
    tag_names: dict[int, str],
    user_names: dict[int, str],
    parts: RecordParts,
) -> Iterator[dict[str, Any]]:
    conn = store.conn
    payload = json.dumps(batch)
    rows = {row[0]: row for row in conn.execute(_SELECT, (payload,))}
    if not rows:
        return
    in_batch = "IN (SELECT value FROM json_each(?))"
    phones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for cid, number, ptype, label in conn.execute(
        f"SELECT contact_id, number, type, label FROM phones WHERE contact_id {in_batch}"
        " ORDER BY contact_id, position",
        (payload,),
    ):
        phones[cid].append({"number": number, "type": ptype, "label": label})
    emails: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for cid, address, label in conn.execute(
        f"SELECT contact_id, address, label FROM emails WHERE contact_id {in_batch}"
        " ORDER BY contact_id, position",
        (payload,),
    ):
        emails[cid].append({"address": address, "label": label})
    tags: dict[int, list[str]] = defaultdict(list)
    for cid, tag_id in conn.execute(
        f"SELECT contact_id, tag_id FROM contact_tags WHERE contact_id {in_batch}", (payload,)
    ):
        tags[cid].append(tag_names[tag_id])
    people: dict[tuple[int, str], list[str]] = defaultdict(list)
    for cid, user_id, role in conn.execute(
        f"SELECT contact_id, user_id, role FROM contact_users WHERE contact_id {in_batch}",
        (payload,),
    ):
        people[(cid, role)].append(user_names[user_id])
    links: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for person, org, since, until, org_name, person_name in conn.execute(
        "SELECT m.person_id, m.organization_id, m.since, m.until, o.name, p.name"
        " FROM memberships m JOIN contacts o ON o.id = m.organization_id"
        " JOIN contacts p ON p.id = m.person_id"
        f" WHERE m.person_id {in_batch} OR m.organization_id {in_batch}"
        " ORDER BY m.since IS NOT NULL, m.since, m.id",
        (payload, payload),
    ):
        if person in rows:
            links[person].append({"id": org, "name": org_name, "since": since, "until": until})
        if org in rows:
            links[org].append({"id": person, "name": person_name, "since": since, "until": until})
    extra = parts.read(batch)
    for contact_id in batch:
        row = rows.get(contact_id)
        if row is None:
            continue
        record = _record(
            row,
            phones.get(contact_id, []),
            emails.get(contact_id, []),
            sorted(tags.get(contact_id, []), key=str.casefold),
            sorted(people.get((contact_id, "guardian"), []), key=str.casefold),
            sorted(people.get((contact_id, "observer"), []), key=str.casefold),
            links.get(contact_id, []),
        )
        more = extra.get(contact_id, {})
        record["campaigns"] = more.get("campaigns", [])
        record["groups"] = more.get("groups", {})
        record["cases"] = more.get("cases", [])
        yield record


def _record(
    row: tuple[Any, ...],
    phones: list[dict[str, Any]],
    emails: list[dict[str, Any]],
    tags: list[str],
    guardians: list[str],
    observers: list[str],
    links: list[dict[str, Any]],
) -> dict[str, Any]:
    (cid, kind, external_id, first, last, name, position, stage, source, segment, street,
     street2, postal_code, city, region, country, pesel, id_document, nip, krs, regon,
     custom, vip, hidden, note, created_at, updated_at) = row  # fmt: skip
    record: dict[str, Any] = {"id": cid, "kind": kind, "external_id": external_id}
    if kind == "person":
        record.update(first_name=first, last_name=last)
    record["name"] = name
    if kind == "person":
        record["position"] = position
    record.update(
        stage=stage,
        source=source,
        segment=segment,
        phones=phones,
        emails=emails,
        address={
            "street": street,
            "street2": street2,
            "postal_code": postal_code,
            "city": city,
            "region": region,
            "country": country,
        },
    )
    if kind == "person":
        record.update(pesel=pesel, id_document=id_document)
    else:
        record.update(nip=nip, krs=krs, regon=regon)
    record.update(tags=tags, guardians=guardians, observers=observers)
    record["organizations" if kind == "person" else "members"] = links
    record.update(
        custom=json.loads(custom),
        vip=bool(vip),
        hidden=bool(hidden),
        note=note,
        created_at=created_at,
        updated_at=updated_at,
    )
    return record
