"""The search, export, lookup and view methods of `crmkit.CRM`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmkit.store import Store

__all__ = ["QueryMethods"]


class QueryMethods:
    """Mixed into `CRM`; uses its `store`, `user` and `settings`."""

    store: Store
