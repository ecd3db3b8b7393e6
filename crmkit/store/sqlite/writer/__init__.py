"""The contact write path: `ContactWriter` and the pieces it is made of.

- `contact_writer`: `ContactWriter`, which buffers new and changed contacts
  and writes them a table at a time
- `new_contacts`: what creating a contact writes, worked out before it has an id
- `updates`: updates of stored contacts, written only where values change
- `children`: replacing stored phones, e-mails, tags and users
- `matching`: finding the stored contacts a row names by its match keys
- `organizations`: finding (or creating) the organizations persons are linked to
- `unchanged`: contacts a re-imported row would leave as they are
"""

from __future__ import annotations

from crmkit.store.sqlite.writer.contact_writer import ContactWriter
from crmkit.store.sqlite.writer.matching import MATCH_KEYS

__all__ = ["ContactWriter", "MATCH_KEYS"]
