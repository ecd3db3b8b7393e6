"""crmkit: a customer base in one SQLite file, from the shell and from Python.

    import crmkit

    with crmkit.open("crm.db", user="Jan Kowalski") as crm:
        report = crm.imports.run("kontakty.csv", mapping="map.yaml")
        for contact in crm.contacts.search("nowak", filters={"tag": "VIP"}):
            print(contact.name, contact.phones[0].number)

Everything public is importable from here; the modules below it are the
implementation.
"""

from __future__ import annotations

from crmkit.campaigns import Campaign, Enrollment, EnrollReport
from crmkit.cases import Case
from crmkit.crm import CRM, open
from crmkit.errors import CrmError, InvalidValue, MergedContact, NotFound
from crmkit.groups import FieldGroup, GroupRecord
from crmkit.history import Change, HistoryEntry, UndoReport
from crmkit.merges import Merge
from crmkit.model import (
    Address,
    Contact,
    CustomField,
    DuplicateGroup,
    Email,
    ImportReport,
    Membership,
    Phone,
    RowProblem,
    StoredFile,
    Tag,
    TimelineItem,
    User,
    View,
)
from crmkit.query.api import ContactSelection
from crmkit.settings import Settings

__all__ = [
    "open",
    "CRM",
    "Settings",
    "CrmError",
    "InvalidValue",
    "NotFound",
    "MergedContact",
    "Contact",
    "ContactSelection",
    "Phone",
    "Email",
    "Address",
    "Membership",
    "Tag",
    "User",
    "CustomField",
    "TimelineItem",
    "StoredFile",
    "View",
    "DuplicateGroup",
    "ImportReport",
    "RowProblem",
    "HistoryEntry",
    "Change",
    "Merge",
    "UndoReport",
    "Campaign",
    "Enrollment",
    "EnrollReport",
    "FieldGroup",
    "GroupRecord",
    "Case",
    "__version__",
]
__version__ = "0.1.0"
