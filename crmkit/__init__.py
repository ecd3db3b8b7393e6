"""crmkit: a customer base in one SQLite file, from the shell and from Python.

    import crmkit
    crm = crmkit.open_crm("crm.db")
    report = crm.import_file("contacts.csv", mapping="map.yaml")

Names are imported lazily, so that a lean entry point (caller lookup) does
not pay for pydantic and the rest of the API.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmkit.crm import CRM, open_crm
    from crmkit.errors import CrmError, InvalidValue, NotFound
    from crmkit.model import Contact, CustomField, ImportReport, RowProblem, Tag, User

__all__ = [
    "CRM",
    "open_crm",
    "CrmError",
    "InvalidValue",
    "NotFound",
    "Contact",
    "CustomField",
    "ImportReport",
    "RowProblem",
    "Tag",
    "User",
]
__version__ = "0.1.0"

_HOMES = {
    "CRM": "crmkit.crm",
    "open_crm": "crmkit.crm",
    "CrmError": "crmkit.errors",
    "InvalidValue": "crmkit.errors",
    "NotFound": "crmkit.errors",
    "Contact": "crmkit.model",
    "CustomField": "crmkit.model",
    "ImportReport": "crmkit.model",
    "RowProblem": "crmkit.model",
    "Tag": "crmkit.model",
    "User": "crmkit.model",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'crmkit' has no attribute {name!r}")
    return getattr(import_module(home), name)
