"""The exceptions crmkit raises: each carries a message meant for the user.

`CrmError` is anything the user can fix (exit code 1 in the CLI); the CLI prints
its message as one plain sentence instead of a traceback.

    >>> try:
    ...     crm.contacts[404]
    ... except crmkit.NotFound as exc:
    ...     print(exc)
    no contact with id 404
"""

from __future__ import annotations

from typing import Any

__all__ = ["CrmError", "InvalidValue", "NotFound", "MergedContact", "ErasedPersonWarning"]


class CrmError(Exception):
    """A problem the user can fix: bad input, a missing file, an unknown name."""


class NotFound(CrmError, KeyError):
    """A contact, tag, user, event or other record that the user named does not exist.

    It is also a `KeyError`, so `crm.contacts[id]` behaves like a mapping.
    """

    def __str__(self) -> str:
        # KeyError would print the message quoted, as it does for a missing key.
        return str(self.args[0]) if self.args else ""


class MergedContact(NotFound):
    """A contact that no longer exists because it was merged into another one (`into`)."""

    def __init__(self, contact_id: int, into: int) -> None:
        super().__init__(f"contact {contact_id} was merged into {into}")
        self.contact_id = contact_id
        self.into = into


class InvalidValue(CrmError, ValueError):
    """A value that cannot be read as the canonical value it should be.

    `reason` says why ("not a valid phone number"); `field` and `value` say where,
    when they are known (the message reads `field = 'value': reason`, or
    `field: reason` without a value). Parsers raise it with the reason only, and importers add
    the row, column and value around it.
    """

    def __init__(self, reason: str, *, field: str | None = None, value: Any = None) -> None:
        self.reason = reason
        self.field = field
        self.value = value
        if field is None:
            super().__init__(reason)
        elif value is None:
            super().__init__(f"{field}: {reason}")
        else:
            super().__init__(f"{field} = {value!r}: {reason}")


class ErasedPersonWarning(UserWarning):
    """A contact being added matches a person erased under GDPR (by number, e-mail, PESEL
    or NIP); `crm.contacts.add` adds it all the same, since a person may come back."""
