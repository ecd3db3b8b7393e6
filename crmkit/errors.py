"""Exceptions that carry a message meant for the user.

`CrmError` is anything the user can fix (exit code 1 in the CLI); the CLI prints
its message as one plain sentence instead of a traceback.
"""

from __future__ import annotations

__all__ = ["CrmError", "InvalidValue", "NotFound"]


class CrmError(Exception):
    """A problem the user can fix: bad input, a missing file, an unknown name."""


class NotFound(CrmError):
    """A contact, tag, user, event or other record that the user named does not exist."""


class InvalidValue(ValueError):
    """A raw value that cannot be read as the canonical value it should be.

    The message is the reason only ("not a valid phone number"); importers add the
    row, column and value around it.
    """
