"""Import e-mail: a mailbox (`.mbox`) or a folder of `.eml` files, as `email` events.

Each message becomes an event on every contact whose address is in its From, To or
Cc: direction `out` when a user of the base sent it (that user is its agent), else
`in`; its subject, and its plain-text body (an HTML-only message is turned into
text). Attachments are stored as files of a note on the event. The event's external
id is the message's Message-ID and the contact's id (`<id@host>#7`, source `mail`), so
importing the mailbox again adds nothing twice; a message without a Message-ID is
known by a digest of its headers and body instead. A message that names no contact
is counted as skipped and listed as a warning with its addresses.

The standard library reads the mail (`mailbox`, `email` with its modern policy:
encoded words, quoted-printable and base64 bodies, charsets).
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import html
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

from crmkit.errors import CrmError
from crmkit.model import ImportReport
from crmkit.store import Store

__all__ = ["is_mail", "import_mail", "MailMessage", "read_message"]

SOURCE = "mail"
_MBOX_SUFFIXES = (".mbox", ".mbx")


@dataclass
class MailMessage:
    """What an event is made of: one message read."""

    message_id: str
    occurred_at: str | None
    sender: str | None
    addresses: list[str]
    subject: str | None
    body: str | None
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


class _Rollback(Exception):
    """Raised inside the transaction to discard it (a dry run)."""


def is_mail(path: str, head: bytes) -> bool:
    """Whether the path is a folder (of .eml files), a mailbox or one message."""
    if path == "-":
        return False
    if Path(path).is_dir():
        return True
    lower = path.lower()
    return lower.endswith((*_MBOX_SUFFIXES, ".eml")) or head.startswith(b"From ")


def import_mail(
    store: Store, path: str, *, dry_run: bool = False, user: str | None = None
) -> ImportReport:
    """Store each message of the mailbox or folder as `email` events; return the report."""
    from crmkit.store.sqlite.contact_keys import contacts_by_email, user_emails
    from crmkit.store.sqlite.imports import ImportRun

    messages = _message_sources(path)
    digest = hashlib.sha256()
    report = ImportReport(file=path, target="events", dry_run=dry_run)
    run = ImportRun(store, report, {"target": "events", "source": SOURCE}, user)
    users = user_emails(store)
    try:
        with store.transaction():
            run.begin()
            for row, name, data in messages:
                digest.update(data)
                report.rows_read += 1
                message = read_message(data)
                if message.occurred_at is None:
                    run.problems(row, [("error", "Date", name, "the message has no valid Date")])
                    continue
                owners = contacts_by_email(store, message.addresses)
                if not owners:
                    report.skipped += 1
                    shown = ", ".join(message.addresses[:5]) or "none"
                    reason = f"no contact has any of its addresses ({shown})"
                    run.problems(row, [("warning", "From/To/Cc", name, reason)])
                    continue
                _store_events(store, message, owners, users, report, dry_run, user)
            status = "finished" if not report.rejected else "finished with rejected rows"
            run.finish(status, digest.hexdigest())
            if dry_run:
                raise _Rollback
    except _Rollback:
        report.import_id = None
    return report


def _store_events(
    store: Store,
    message: MailMessage,
    owners: dict[str, list[int]],
    users: dict[str, int],
    report: ImportReport,
    dry_run: bool,
    user: str | None,
) -> None:
    from crmkit.store.sqlite.contact_keys import event_with_external_id
    from crmkit.store.sqlite.event_import import insert_events
    from crmkit.values.datetimes import utc_now

    agent_id = users.get(message.sender or "")
    direction = "out" if agent_id is not None else "in"
    contacts = sorted({contact for ids in owners.values() for contact in ids})
    for contact_id in contacts:
        external_id = f"{message.message_id}#{contact_id}"
        row = (
            contact_id,
            "email",
            direction,
            message.occurred_at,
            None,
            message.subject,
            message.body,
            None,
            agent_id,
            SOURCE,
            external_id,
            utc_now(),
            None,
        )
        if not insert_events(store, [row], report.import_id):
            report.skipped += 1
            continue
        report.created += 1
        event_id = event_with_external_id(store, SOURCE, external_id)
        if message.attachments and not dry_run and event_id is not None:
            _attach(store, contact_id, event_id, message.attachments, user)


def _attach(
    store: Store,
    contact_id: int,
    event_id: int,
    attachments: list[tuple[str, bytes]],
    user: str | None,
) -> None:
    """The attachments as files of a note on the event."""
    from crmkit.store.sqlite.files import add_file
    from crmkit.store.sqlite.notes import add_note

    names = ", ".join(name for name, _ in attachments)
    note = add_note(store, contact_id, f"Attachments: {names}", event_id=event_id, author=user)
    for name, data in attachments:
        add_file(store, contact_id, data=data, name=name, note_id=note["id"], user=user)


def _message_sources(path: str) -> Iterator[tuple[int, str, bytes]]:
    """(number from 1, name shown in problems, bytes) of each message."""
    source = Path(path)
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.suffix.lower() == ".eml" and p.is_file())
        if not files:
            raise CrmError(f"folder {path} holds no .eml messages")
        for number, file in enumerate(files, start=1):
            yield number, str(file.relative_to(source)), file.read_bytes()
        return
    if not source.exists():
        raise CrmError(f"file {path} does not exist")
    if source.suffix.lower() == ".eml":
        yield 1, source.name, source.read_bytes()
        return
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as exc:
        raise CrmError(f"{path} cannot be read as a mailbox ({exc})") from None
    if not keys:
        raise CrmError(f"{path} holds no messages")
    try:
        for number, key in enumerate(keys, start=1):
            yield number, f"message {number}", box.get_bytes(key)
    finally:
        box.close()


def read_message(data: bytes) -> MailMessage:
    """The parts of a message an event keeps."""
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    senders = _addresses(message, "From")
    addresses = list(
        dict.fromkeys([*senders, *_addresses(message, "To"), *_addresses(message, "Cc")])
    )
    message_id = str(message.get("Message-ID") or "").strip()
    if not message_id:
        message_id = "sha256:" + hashlib.sha256(data).hexdigest()
    subject = str(message.get("Subject") or "").strip() or None
    attachments = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            attachments.append((part.get_filename() or "attachment", payload))
    return MailMessage(
        message_id=message_id,
        occurred_at=_date(message),
        sender=senders[0] if senders else None,
        addresses=addresses,
        subject=subject,
        body=_body(message),
        attachments=attachments,
    )


def _addresses(message: EmailMessage, header: str) -> list[str]:
    values = [str(value) for value in message.get_all(header, [])]
    return [address.lower() for _, address in email.utils.getaddresses(values) if "@" in address]


def _date(message: EmailMessage) -> str | None:
    from crmkit.values.datetimes import to_utc_text

    text = str(message.get("Date") or "").strip()
    if not text:
        return None
    try:
        return to_utc_text(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _body(message: EmailMessage) -> str | None:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None
    try:
        text = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        text = _html_text(text)
    text = re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip()
    return text or None


class _TextOfHtml(HTMLParser):
    """The text of an HTML body, with line breaks where blocks end."""

    _BREAKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in html.unescape("".join(parser.parts)).split("\n"))
    return "\n".join(lines)
