"""Import contacts from a CSV/JSON/JSON Lines source.

The whole import is one transaction: a dry run, an `--all-or-nothing` import with
rejected rows, a file-level problem found half way (a line in the wrong encoding) or
a killed process leave the base as it was; the history row of a killed import, committed
before the transaction, then reads 'interrupted' (see `store.sqlite.imports`).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

from crmkit.drafts import DraftBuilder, UnknownPolicy
from crmkit.errors import CrmError
from crmkit.importers.draft_feed import DraftFeed, HelperFeed, helper_available
from crmkit.importers.field_inference import FieldGuess
from crmkit.importers.json_records import record_rows, record_targets
from crmkit.importers.known_rows import (
    external_id_clash,
    identity_columns,
    row_digester,
    unchanged_contact,
)
from crmkit.importers.left_out import RowProblems, undefined_field_columns
from crmkit.importers.readers import SourceFile
from crmkit.importers.row_parsing import (
    HelperSwitch,
    NewPersonRow,
    Parsed,
    RowParser,
    parsed_rows,
    shared_rows,
)
from crmkit.importers.running import run_import
from crmkit.mapping import Mapping
from crmkit.model import ImportReport
from crmkit.reference import add_field
from crmkit.store import Store
from crmkit.store.sqlite.bulk import DeferredIndexes, indexes_to_defer
from crmkit.store.sqlite.digest_triggers import digest_triggers_paused
from crmkit.store.sqlite.erasure import Suppression
from crmkit.store.sqlite.history import HistoryLog, Origin
from crmkit.store.sqlite.import_links import ImportLinks
from crmkit.store.sqlite.imports import ImportRun
from crmkit.store.sqlite.reference import fields_by_key
from crmkit.store.sqlite.row_digests import StoredDigests
from crmkit.store.sqlite.writer import ContactWriter
from crmkit.targets import (
    Target,
    contact_columns_written,
)
from crmkit.values.datetimes import utc_now

__all__ = ["import_contacts", "Progress"]

Progress = Callable[[int, int], None]  # (bytes read, rows read)
_PROGRESS_EVERY = 2000
# Rows read before the import's size is estimated (to decide on deferring indexes).
_SAMPLE_ROWS = 2000
# Rows taken together: their match keys are looked up in one query per key.
_WINDOW = 1000


# The counts of an all-or-nothing import that wrote nothing.
_EMPTIED = (
    "created",
    "updated",
    "organizations_created",
    "enrolled",
    "statuses_set",
    "records_added",
)


def import_contacts(
    store: Store,
    source: SourceFile,
    mapping: Mapping,
    *,
    dry_run: bool = False,
    unknown: UnknownPolicy = "warn",
    all_or_nothing: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
    helper: bool | None = None,
    include_erased: bool = False,
    new_fields: list[FieldGuess] | None = None,
) -> ImportReport:
    """Read every row, create or update contacts, and report what happened.

    A row matching a person erased under GDPR is skipped with a warning, unless
    `include_erased`.

    `helper` chooses whether a forked process reads the rows (see `draft_feed`);
    by default large CSV files do where the machine allows. `new_fields` are
    the custom fields to define first (`--create-missing`, see `field_inference`).
    """
    report = ImportReport(file=source.name, target="contacts", dry_run=dry_run)
    fields = fields_by_key(store)
    guesses = new_fields or []
    fields.update((guess.key, guess.definition()) for guess in guesses)
    header = source.header
    if source.records and mapping.columns is None:
        header = record_targets(fields)
    campaign = _campaign(store, mapping)
    columns, ignored = mapping.resolve_contact_columns(header, fields, campaign)
    if mapping.columns is None:
        columns = undefined_field_columns(columns)
    if mapping.columns is None and len(ignored) == len(header) and next(source.rows, None):
        # Rows that no column can fill would each be rejected alike: say why once.
        raise CrmError(
            f"{source.name}: no column is a target name (the file has: {', '.join(header[:8])}"
            f"{', ...' if len(header) > 8 else ''}); give a mapping with --mapping"
        )
    report.ignored_columns = ignored
    run = ImportRun(store, report, mapping.as_dict() if mapping.columns is not None else None, user)
    read: dict[str, str | None] = {"sha256": None}

    def write() -> None:
        log = RowProblems(run, unknown)
        _define_fields(store, guesses, log)
        builder = DraftBuilder(store, columns, mapping.settings, unknown=unknown)
        written = contact_columns_written(target for _, target in columns)
        now = report.started_at or utc_now()
        origin = Origin(user, "import", report.import_id)
        history = HistoryLog(store, origin, now, action="update")
        writer = ContactWriter(store, now=now, columns=written, keeps_digests=True, history=history)
        deferred = DeferredIndexes(store)
        suppression = None if include_erased else Suppression.load(store)
        links = ImportLinks(store, origin, now, campaign)
        with digest_triggers_paused(store.conn):
            feed = _open_feed(
                store,
                source,
                mapping,
                builder,
                columns,
                report,
                unknown,
                helper,
                now,
                persons_fast=suppression is None and campaign is None,
            )
            try:
                _import_rows(
                    feed,
                    source,
                    mapping,
                    builder,
                    writer,
                    log,
                    progress,
                    deferred,
                    suppression,
                    links,
                )
            finally:
                feed.close()
            read["sha256"] = feed.sha256
            writer.flush()
            deferred.restore()
        links.finish()
        log.problems(None, links.problems)
        _count_links(report, links)
        log.summarize()
        report.organizations_created = writer.created - report.created

    run_import(
        store,
        run,
        write,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        sha256=lambda: read["sha256"],
        emptied=_EMPTIED,
    )
    return report


def _campaign(store: Store, mapping: Mapping) -> dict[str, Any] | None:
    """The campaign of the mapping's `campaign:` setting; `CrmError` if there is none."""
    if mapping.campaign is None:
        return None
    from crmkit.store.sqlite.campaigns import campaign_row

    try:
        return campaign_row(store, mapping.campaign)
    except CrmError as exc:
        raise CrmError(f"{mapping.origin}: campaign: {exc}") from None


def _count_links(report: ImportReport, links: ImportLinks) -> None:
    """Put what the rows' links added on the report."""
    report.campaign = links.campaign["name"] if links.campaign is not None else None
    report.enrolled = links.enrolled
    report.statuses_set = links.statuses_set
    report.records_added = links.records.added


def _define_fields(store: Store, guesses: list[FieldGuess], log: RowProblems) -> None:
    """Define the custom fields of `--create-missing`, each with a warning saying how."""
    for guess in guesses:
        definition = guess.definition()
        add_field(
            store,
            definition.key,
            definition.type,
            label=definition.label,
            options=definition.options,
        )
        log.problems(None, [("warning", guess.column, None, guess.sentence())])


def _open_feed(
    store: Store,
    source: SourceFile,
    mapping: Mapping,
    builder: DraftBuilder,
    columns: list[tuple[str, Target]],
    report: ImportReport,
    unknown: UnknownPolicy,
    helper: bool | None,
    now: str,
    *,
    persons_fast: bool = True,
) -> DraftFeed | HelperFeed:
    if source.records:
        header = [column for column, _ in columns]
        return DraftFeed(source, record_rows(source, mapping, builder, header, report))
    # The digests are SQLite's alone (see `row_digests`): other stores read every row.
    sqlite = getattr(store, "dialect", "sqlite") == "sqlite"
    digester = row_digester(source.header, columns, mapping) if sqlite else None
    if helper is None:
        helper = helper_available(source, unknown)
    if not helper or unknown == "create":
        parser = RowParser(source, builder, mapping.kind, digester=digester)
        return DraftFeed(source, parsed_rows(source, parser))
    documents, handoff = HelperSwitch(), HelperSwitch()
    handoff.set(False)
    # Imports that create persons only have no match keys, so `prepare` is None there.
    prepare = HelperSwitch() if mapping.match else None
    stored = identity = None
    if digester is not None and mapping.match and str(store.path) != ":memory:":
        # Rows a stored contact was written from are read for their identity first.
        stored = StoredDigests(store.path)
        identity = DraftBuilder(store, identity_columns(columns, mapping.match), mapping.settings)
    parser = RowParser(
        source, builder, mapping.kind, now, prepare, documents, digester, stored, identity
    )
    persons_only = persons_fast and creates_only_persons(mapping, columns)
    parse: Callable[[int, list[str]], Parsed | NewPersonRow]
    parse = parser.new_person if persons_only else parser.parse
    return HelperFeed(
        source,
        shared_rows(source, parse, handoff, parser),
        new_persons=persons_only,
        prepare=prepare,
        documents=documents,
        handoff=handoff,
        finish=parse,
    )


def creates_only_persons(mapping: Mapping, columns: list[tuple[str, Target]]) -> bool:
    """Whether every accepted row of this CSV import creates a person.

    So it is without match keys, with persons by default and no `kind` or
    `external_id` column: then no row's outcome depends on the database or on
    other rows, beyond the organizations it links to.
    """
    return (
        not mapping.match
        and mapping.kind == "person"
        and not any(target.kind == "contact_kind" for _, target in columns)
        and not any(target.name == "external_id" for _, target in columns)
    )


def _import_rows(
    feed: DraftFeed | HelperFeed,
    source: SourceFile,
    mapping: Mapping,
    builder: DraftBuilder,
    writer: ContactWriter,
    run: RowProblems,
    progress: Progress | None,
    deferred: DeferredIndexes,
    suppression: Suppression | None = None,
    links: ImportLinks | None = None,
) -> None:
    report = run.report
    match = mapping.match
    if isinstance(feed, HelperFeed) and feed.new_persons:
        for batch in feed.batches():
            _create_persons(batch, source, feed, writer, run, progress, deferred)
            writer.maybe_flush()
        if progress is not None:
            progress(feed.bytes_read, report.rows_read)
        return
    rows = iter(feed)
    prepare = feed.prepare if isinstance(feed, HelperFeed) else None
    while window := list(islice(rows, _WINDOW)):
        drafts = [parsed[1] for parsed in window if parsed[1] is not None]
        if match:
            found = writer.matching.prefetch(match, drafts)
            if any(parsed[5] is not None for parsed in window):
                writer.unchanged.load_digests(found)
        cells = {
            org for draft in drafts if draft.organizations for org, _, _ in draft.organizations
        }
        if cells:
            writer.organizations.prefetch(cells)
        created, updated = report.created, report.updated
        _import_window(
            window,
            source,
            feed,
            builder,
            writer,
            run,
            progress,
            deferred,
            mapping,
            suppression,
            links,
        )
        if prepare is not None:
            # The rows the helper reads next come prepared unless updates prevail.
            prepare.set(report.created - created >= report.updated - updated)
        writer.organizations.forget_prefetched()
        # Between windows only, so that what was looked up stays valid for a whole window.
        writer.maybe_flush()
    if progress is not None:
        progress(feed.bytes_read, report.rows_read)


def _create_persons(
    batch: list[NewPersonRow],
    source: SourceFile,
    feed: DraftFeed | HelperFeed,
    writer: ContactWriter,
    run: RowProblems,
    progress: Progress | None,
    deferred: DeferredIndexes,
) -> None:
    """`_import_window` for rows that can only create persons (see `creates_only_persons`).

    Rows come a batch at a time: the persons of one are created together.
    """
    report = run.report
    before = report.rows_read
    after = report.rows_read = before + len(batch)
    if before < _SAMPLE_ROWS <= after:
        _defer_indexes(source, feed, writer, deferred, [])
    news = []
    for line, problems, new in batch:
        # A row without a contact to create has an error among its problems.
        if problems and run.problems(line, problems) or new is None:
            continue
        news.append(new)
    writer.create_persons(news)
    report.created += len(news)
    if progress is not None and after // _PROGRESS_EVERY > before // _PROGRESS_EVERY:
        progress(feed.bytes_read, after)


def _defer_indexes(
    source: SourceFile,
    feed: DraftFeed | HelperFeed,
    writer: ContactWriter,
    deferred: DeferredIndexes,
    match: list[str],
) -> None:
    """Drop the indexes this import can do without, if it is large (see `store.sqlite.bulk`)."""
    if source.size and feed.bytes_read:
        # Read-ahead makes bytes_read run early, so the estimate errs low.
        estimate = source.size * _SAMPLE_ROWS // feed.bytes_read
        deferred.drop(indexes_to_defer(match, new_rows=estimate, existing_rows=writer.next_id - 1))


def _import_window(
    window: list[Parsed],
    source: SourceFile,
    feed: DraftFeed | HelperFeed,
    builder: DraftBuilder,
    writer: ContactWriter,
    run: RowProblems,
    progress: Progress | None,
    deferred: DeferredIndexes,
    mapping: Mapping,
    suppression: Suppression | None,
    links: ImportLinks | None = None,
) -> None:
    report = run.report
    # Counted in locals, set on the report once a window (cheaper than an attribute per row).
    rows_read, created, updated = report.rows_read, report.created, report.updated
    try:
        for row in window:
            rows_read += 1
            if progress is not None and rows_read % _PROGRESS_EVERY == 0:
                progress(feed.bytes_read, rows_read)
            if rows_read == _SAMPLE_ROWS:
                _defer_indexes(source, feed, writer, deferred, mapping.match)
            outcome = _import_row(row, feed, builder, writer, run, mapping, suppression, links)
            if outcome == "updated":
                updated += 1
            elif outcome == "created":
                created += 1
    finally:
        report.rows_read, report.created, report.updated = rows_read, created, updated


def _import_row(
    row: Parsed,
    feed: DraftFeed | HelperFeed,
    builder: DraftBuilder,
    writer: ContactWriter,
    run: RowProblems,
    mapping: Mapping,
    suppression: Suppression | None = None,
    links: ImportLinks | None = None,
) -> str | None:
    """Create or update the contact of one row: "created", "updated", or None if rejected
    or skipped. `links` is told the row's contact (see `ImportLinks`)."""
    line, draft, problems, prepared, digest, cells = row
    match = mapping.match
    if cells is not None:
        assert draft is not None and digest is not None and isinstance(feed, HelperFeed)
        unchanged = unchanged_contact(writer, draft, digest, builder, mapping)
        if unchanged is not None:
            updated_at = draft.scalars.get("updated_at") or writer.now
            writer.touch(unchanged, updated_at, draft.organizations)
            if (draft.kind or mapping.kind) == "organization":
                writer.organizations.claim(unchanged)
            if links is not None:
                links.note(unchanged, draft.campaign_status, draft.parts)
            return "updated"
        # Not the contact the row was written to, or changed since: read it all.
        line, draft, problems, prepared, digest, _ = feed.parse_again(line, cells, digest)
    if draft is None:
        run.problems(line, problems)
        return None
    erased = suppression.erased_on(draft) if suppression is not None else None
    if erased is not None:
        run.problems(line, [("warning", None, None, f"matches a person erased on {erased} (GDPR)")])
        run.report.skipped += 1
        return None
    kind = draft.kind or mapping.kind
    found = writer.find(draft, match) if match else []
    if not found and kind == "organization":
        found = writer.find_organization(draft)
    if len(found) > 1:
        problems.append(
            (
                "error",
                None,
                None,
                f"it matches {len(found)} existing contacts (ids {', '.join(map(str, found[:5]))})",
            )
        )
    elif found:
        problems.extend(external_id_clash(writer, draft, found[0], builder))
        existing = writer.kind_of(found[0])
        if existing != kind:
            reason = f"it matches contact {found[0]}, which is {_a(existing)}, not {_a(kind)}"
            problems.append(("error", None, None, reason))
    else:
        problems.extend(external_id_clash(writer, draft, None, builder))
        problems.extend(builder.missing_required(draft, kind))
    if problems and run.problems(line, problems):
        return None
    # A digest is kept only for a row that had no problem at all (see row_digests).
    kept = None if problems else digest
    if found:
        writer.update(found[0], draft, kind=kind, digest=kept)
        if kind == "organization":
            writer.organizations.claim(found[0])
        if links is not None:
            links.note(found[0], draft.campaign_status, draft.parts)
        return "updated"
    created = writer.create(draft, kind, prepared, kept)
    if kind == "organization":
        writer.organizations.claim(created)
    if links is not None:
        links.note(created, draft.campaign_status, draft.parts)
    return "created"


def _a(kind: str | None) -> str:
    return f"an {kind}" if kind == "organization" else f"a {kind}"
