"""Importers: files in, canonical contacts and events out, with a report of every row.

`crm.imports` runs an import and reads the history of earlier ones:

    >>> report = crm.imports.run("kontakty.csv", mapping="map.yaml", dry_run=True)
    >>> report.created, report.rejected, [p.row for p in report.problems]
    (36, 4, [16, 20, 24, 30, 32, 35])
    >>> crm.imports[1].status
    'finished with rejected rows'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from crmkit.errors import CrmError

if TYPE_CHECKING:
    from crmkit.drafts import UnknownPolicy
    from crmkit.history import UndoReport
    from crmkit.importers.contacts import Progress
    from crmkit.importers.field_inference import FieldGuess
    from crmkit.importers.readers import SourceFile
    from crmkit.mapping import Mapping
    from crmkit.model import ImportReport
    from crmkit.settings import Settings
    from crmkit.store import Store
    from crmkit.suggest import MappingSuggestion

__all__ = ["Imports", "import_file"]


class Imports:
    """Imports of a base, as `crm.imports`: run one, or look back at earlier ones."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def run(
        self,
        path: str | Path,
        *,
        mapping: str | Path | None = None,
        dry_run: bool = False,
        create_missing: bool = False,
        strict: bool = False,
        all_or_nothing: bool = False,
        encoding: str | None = None,
        delimiter: str | None = None,
        sheet: str | int | None = None,
        preset: str | None = None,
        progress: Progress | None = None,
        stdin: IO[bytes] | None = None,
        include_erased: bool = False,
    ) -> ImportReport:
        """Import contacts, events or group records from a file and return the report.

        `path` is a CSV/TSV, JSON or JSON Lines file (`-` reads `stdin`), a
        workbook (.xlsx, .xls, .ods; `sheet` is a sheet's name or number from 1,
        by default the first whose header holds the mapping's columns) or a
        vCard file; `mapping` a YAML mapping (its `target` says contacts, events
        or records of the group its `group` names), else a `preset` (google,
        outlook, crmkit) reads it, by default the one recognised from the header
        (`report.preset` names it). A mailbox
        (.mbox) or a folder of .eml files becomes `email` events on the contacts
        its messages name (see `crmkit.importers.mail`). Unknown tags, users,
        options and custom fields are warnings (one for each, however many rows it
        concerns), or row errors with `strict`, or created with `create_missing` (a
        custom field typed by its values, see `importers.field_inference`).
        `dry_run` writes nothing; `all_or_nothing` writes nothing if a row is
        rejected. `progress(bytes_read, rows)` is called as the file is read. A
        row matching a person erased under GDPR is skipped with a warning unless
        `include_erased`.
        Raise `CrmError` for a file or mapping that cannot be used.
        """
        if create_missing and strict:
            raise CrmError("--strict and --create-missing cannot be used together")
        unknown: UnknownPolicy = "create" if create_missing else "strict" if strict else "warn"
        return import_file(
            self._store,
            str(path),
            mapping=str(mapping) if mapping is not None else None,
            dry_run=dry_run,
            unknown=unknown,
            all_or_nothing=all_or_nothing,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            preset=preset,
            user=self._settings.user,
            progress=progress,
            stdin=stdin,
            include_erased=include_erased,
        )

    def suggest(
        self,
        path: str | Path,
        *,
        sheet: str | int | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> MappingSuggestion:
        """Guess a mapping for a file from its header and a sample of its values.

        The suggestion's `text` is a commented YAML mapping that `run` takes as
        it is; tags, users and custom fields of this base are recognised in the
        values. Raise `CrmError` for a file that cannot be read.

            >>> Path("map.yaml").write_text(crm.imports.suggest("kontakty.csv").text)
        """
        from crmkit.suggest import suggest_mapping

        return suggest_mapping(
            self._store, path, sheet=sheet, encoding=encoding, delimiter=delimiter
        )

    def undo(self, import_id: int, *, dry_run: bool = False, force: bool = False) -> UndoReport:
        """Take an import back and return what was done.

        The contacts, events and group records it created are removed, the
        contacts it enrolled in a campaign are taken out, and the contacts it
        updated get the values (and campaign statuses) they had before it. A
        contact changed since makes the undo raise `CrmError` naming it; with
        `force` such contacts are left as they are (`report.skipped`). `dry_run`
        reports and writes nothing.

            >>> crm.imports.undo(3).removed
            [41, 42, 43]
        """
        from crmkit.history import UndoReport
        from crmkit.store.sqlite.undo import undo_import

        done = undo_import(
            self._store, import_id, user=self._settings.user, dry_run=dry_run, force=force
        )
        return UndoReport(
            "import",
            import_id,
            removed=done["removed"],
            restored=done["restored"],
            events=done["events"],
            records=done["records"],
            enrollments=done["enrollments"],
            skipped=done["skipped"],
            dry_run=dry_run,
        )

    def list(self, limit: int | None = None) -> list[ImportReport]:
        """Return the import history, newest first (reports without their row problems)."""
        from crmkit.store.sqlite.imports import list_imports

        return list_imports(self._store, limit)

    def __getitem__(self, import_id: int) -> ImportReport:
        """Return one import with its rejected rows and warnings; raise `NotFound` if none."""
        from crmkit.store.sqlite.imports import get_import

        return get_import(self._store, import_id)

    def __iter__(self) -> Iterator[ImportReport]:
        return iter(self.list())


def import_file(
    store: Store,
    path: str,
    *,
    mapping: str | Mapping | None = None,
    dry_run: bool = False,
    unknown: UnknownPolicy = "warn",
    all_or_nothing: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    preset: str | None = None,
    user: str | None = None,
    progress: Progress | None = None,
    stdin: IO[bytes] | None = None,
    include_erased: bool = False,
) -> ImportReport:
    """Import a file of contacts or events; the mapping's `target` says which.

    Without a mapping, a `preset` (google, outlook, crmkit) reads the file, or
    the one recognised from its header; the report names it.
    """
    from crmkit.importers.mail import import_mail, is_mail
    from crmkit.importers.sources import choose_mapping, file_head, open_input
    from crmkit.mapping import load_mapping
    from crmkit.model import ImportReport

    if is_mail(path, file_head(path, 5)):
        if mapping is not None or preset is not None or sheet is not None:
            raise CrmError(f"{path} is e-mail: it is imported with no mapping, preset or sheet")
        return import_mail(store, path, dry_run=dry_run, user=user)
    if isinstance(mapping, str):
        mapping = load_mapping(mapping)
    columns = mapping.columns if mapping is not None else None
    # --create-missing reads the file twice (see `_new_fields`), stdin too.
    spooled = _spooled(stdin) if path == "-" and unknown == "create" else None

    def opened() -> SourceFile:
        if spooled is not None:
            spooled.seek(0)
        return open_input(
            path,
            sheet=sheet,
            columns=columns,
            encoding=encoding,
            delimiter=delimiter,
            stdin=spooled or stdin,
        )

    with opened() as source:
        if not source.header:
            return ImportReport(file=source.name, status="nothing to import", dry_run=dry_run)
        read, checked, chosen = choose_mapping(store, source, mapping, preset)
        report = _import_source(
            store,
            read,
            checked,
            dry_run=dry_run,
            unknown=unknown,
            all_or_nothing=all_or_nothing,
            user=user,
            progress=progress,
            include_erased=include_erased,
            new_fields=_new_fields(store, source, checked, opened) if unknown == "create" else [],
        )
        report.sheet = getattr(source, "sheet", None)
        report.preset = chosen
        if source.format == "vcard" and checked.target == "contacts":
            from crmkit.importers.card_photos import store_card_photos
            from crmkit.importers.vcards import VcardSource

            assert isinstance(source, VcardSource)
            store_card_photos(store, source, report, region=checked.region, user=user)
        return report


def _import_source(
    store: Store,
    source: SourceFile,
    checked: Mapping,
    *,
    dry_run: bool,
    unknown: UnknownPolicy,
    all_or_nothing: bool,
    user: str | None,
    progress: Progress | None,
    include_erased: bool,
    new_fields: list[FieldGuess],
) -> ImportReport:
    """Import an opened file of contacts, events or group records."""
    from crmkit.importers.contacts import import_contacts

    if checked.target == "events":
        from crmkit.importers.events import import_events

        return import_events(
            store,
            source,
            checked,
            dry_run=dry_run,
            all_or_nothing=all_or_nothing,
            user=user,
            progress=progress,
        )
    if checked.target == "records":
        from crmkit.importers.records import import_records

        return import_records(
            store,
            source,
            checked,
            dry_run=dry_run,
            all_or_nothing=all_or_nothing,
            user=user,
            progress=progress,
        )
    return import_contacts(
        store,
        source,
        checked,
        dry_run=dry_run,
        unknown=unknown,
        all_or_nothing=all_or_nothing,
        user=user,
        progress=progress,
        include_erased=include_erased,
        new_fields=new_fields,
    )


def _new_fields(
    store: Store, source: SourceFile, mapping: Mapping, opened: Callable[[], SourceFile]
) -> list[FieldGuess]:
    """The custom fields the file names and the base lacks, typed by a first reading of it."""
    from crmkit.importers.field_inference import guess_fields, undefined_columns
    from crmkit.store.sqlite.reference import fields_by_key

    fields = fields_by_key(store)
    if undefined_columns(source, mapping, fields) == {}:
        return []
    with opened() as again:
        return guess_fields(again, mapping, fields)


def _spooled(stdin: IO[bytes] | None) -> IO[bytes]:
    """Standard input copied to a file that can be read again."""
    import shutil
    import sys
    import tempfile

    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - lives for the import
    shutil.copyfileobj(stdin if stdin is not None else sys.stdin.buffer, spool)
    return spool
