"""The pictures of imported vCards, stored as their contacts' avatars once the import is done.

A picture's contact is found as the import found it: by the card's UID (the external
id), else its e-mail addresses, else its phones. A picture the contact already has is
left alone, so importing the same file again changes nothing; one that is not an
image crmkit keeps (PNG, JPEG, GIF, WebP) is a warning on the card's row.
"""

from __future__ import annotations

import hashlib

from crmkit.errors import CrmError, InvalidValue
from crmkit.importers.vcards import CardPhoto, VcardSource
from crmkit.model import ImportReport, RowProblem
from crmkit.store import Store

__all__ = ["store_card_photos"]


def store_card_photos(
    store: Store, source: VcardSource, report: ImportReport, *, region: str, user: str | None
) -> int:
    """Set the avatars of the cards' contacts; return how many were set."""
    from crmkit.store.sqlite.contact_keys import avatar_sha256, contact_with_keys
    from crmkit.store.sqlite.files import set_avatar

    if report.dry_run or report.import_id is None or not source.photos:
        return 0
    rejected = {problem.row for problem in report.errors}
    stored = 0
    for photo in source.photos:
        if photo.line in rejected:
            continue
        contact_id = contact_with_keys(
            store,
            external_id=photo.external_id,
            emails=photo.emails,
            phones=_numbers(photo, region),
        )
        if contact_id is None:
            continue
        if avatar_sha256(store, contact_id) == hashlib.sha256(photo.data).hexdigest():
            continue
        try:
            set_avatar(store, contact_id, data=photo.data, name="photo", user=user)
        except CrmError as exc:
            report.problems.append(RowProblem(str(exc), "warning", photo.line, "PHOTO"))
            report.warnings += 1
            continue
        stored += 1
    return stored


def _numbers(photo: CardPhoto, region: str) -> list[str]:
    from crmkit.values.phones import normalize_phone

    numbers = []
    for number in photo.phones:
        try:
            numbers.append(normalize_phone(number, region))
        except InvalidValue:
            continue
    return numbers
