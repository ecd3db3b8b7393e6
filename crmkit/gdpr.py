"""Personal data (RODO/GDPR): find a person everywhere, hand over their data, erase them,
and keep their consents with a legal basis.

    >>> [place["table"] for place in crm.gdpr.find("601 234 567")]
    ['contacts', 'notes', 'history']
    >>> crm.gdpr.export(7, "anna.zip")          # subject.json, the files, summary.html
    >>> crm.gdpr.erase(7, reason="request of 2025-01-10")
    >>> crm.consents.set(8, "email", given=True, basis="consent")
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmkit.errors import CrmError

if TYPE_CHECKING:
    from crmkit.crm import CRM

__all__ = ["PersonalData", "Consents", "SUBJECT_KEYS"]

# The keys of subject.json in `crm gdpr export`, documented in the README.
SUBJECT_KEYS = (
    "format",
    "exported_at",
    "contact",
    "consents",
    "events",
    "notes",
    "files",
    "history",
    "imports",
)


class PersonalData:
    """`crm.gdpr`: the data-subject requests of one base."""

    def __init__(self, crm: CRM) -> None:
        self._crm = crm
        self._store = crm.store

    def find(self, text: str) -> list[dict[str, Any]]:
        """Return every place a name, phone (any spelling), e-mail, PESEL or NIP occurs.

        Each place names its `table`, `row`, `field` and shows the `text` around
        the match: contacts holding the value, other contacts' notes and events,
        file names, history values, rejected import cells, saved views, merges.
        """
        from crmkit.store.sqlite.personal_data import Terms, find_contacts, find_places

        terms = Terms.of_text(text, self._crm.settings.region)
        if terms.empty:
            raise CrmError("give a name, phone number, e-mail, PESEL or NIP to look for")
        places = [
            {"table": "contacts", "row": contact_id, "field": "*", "contact_id": contact_id,
             "text": None}
            for contact_id in find_contacts(self._store, terms)
        ]  # fmt: skip
        known = {place["row"] for place in places}
        for place in find_places(self._store, terms.pattern()):
            if place["table"] == "contacts" and place["row"] in known:
                continue
            places.append({"contact_id": None, **place})
        return places

    def export(self, contact_id: int, path: str | Path) -> dict[str, Any]:
        """Write everything about one person into a zip at `path`; return what it holds.

        `subject.json` (keys: `SUBJECT_KEYS`), the contact's files as stored
        (`files/ID-NAME`) and `summary.html`, the contact card readable by the person.
        """
        from crmkit.exporters.atomic import atomic_binary_file
        from crmkit.values.datetimes import utc_now

        crm = self._crm
        contact = crm.contacts[contact_id]
        history = crm.contacts.history(contact_id)
        imports = sorted(
            {int(e.source.split()[1]) for e in history if e.source.startswith("import ")}
        )
        files = crm.files.list(contact_id)
        subject = {
            "format": "crmkit-gdpr-export/1",
            "exported_at": utc_now(),
            "contact": contact.to_record(),
            "consents": crm.consents.list(contact_id),
            "events": [
                item.to_record()
                for item in crm.timeline(contact_id)
                if item.type == "event" and item.contact_id == contact_id
            ],
            "notes": [
                item.to_record()
                for item in crm.timeline(contact_id)
                if item.type == "note" and item.contact_id == contact_id
            ],
            "files": [stored.to_record() for stored in files],
            "history": [entry.to_record() for entry in history],
            "imports": [crm.imports[number].history_record() for number in imports],
        }
        with atomic_binary_file(path) as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("subject.json", json.dumps(subject, ensure_ascii=False, indent=2))
            for stored in files:
                buffer = io.BytesIO()
                crm.files.save(stored.id, buffer)
                z.writestr(f"files/{stored.id}-{stored.name}", buffer.getvalue())
            z.writestr("summary.html", crm.card_html(contact_id))
        return {"path": str(path), "files": len(files), "events": len(subject["events"])}

    def erase(
        self, contact_id: int, *, reason: str | None = None, keep_events: bool = False
    ) -> dict[str, Any]:
        """Erase a person from every place `find` looks, bytes included; return the erasure.

        With `keep_events` their events stay, with times, kinds and durations but no
        text, on an empty hidden contact (call statistics stay right). Their numbers,
        e-mails, PESEL and NIP are kept only as salted hashes, so that an import row
        matching them is skipped. `wal_cleared` is false if another process was
        reading the base at the end: the old pages then leave its WAL once it stops.
        """
        from crmkit.store.sqlite.erasure import erase_contact

        return erase_contact(
            self._store,
            contact_id,
            reason=reason,
            user=self._crm.settings.user,
            keep_events=keep_events,
        )


class Consents:
    """`crm.consents`: consent per channel (email, phone, sms, marketing) and its legal basis."""

    def __init__(self, crm: CRM) -> None:
        self._crm = crm

    def set(
        self,
        contact_id: int,
        channel: str,
        *,
        given: bool,
        basis: str,
        at: str | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """Record a consent given or withdrawn; return it. The change goes into the history.

        `basis` is consent, contract, legal_obligation or legitimate_interest; `at`
        any date or time spelling (naive times in CRM_TIMEZONE), default now.
        """
        from crmkit.store.sqlite.consents import set_consent
        from crmkit.values.datetimes import parse_datetime

        moment = parse_datetime(at, self._crm.settings.timezone) if at else None
        return set_consent(
            self._crm.store,
            contact_id,
            channel,
            given=given,
            basis=basis,
            at=moment,
            source=source,
            user=self._crm.settings.user,
        )

    def list(self, contact_id: int) -> list[dict[str, Any]]:
        """Return the contact's consents, one per channel that has one."""
        from crmkit.store.sqlite.consents import list_consents

        self._crm.contacts[contact_id]
        return list_consents(self._crm.store, contact_id)
