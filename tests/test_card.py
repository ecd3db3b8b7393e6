"""The contact card: its data, the terminal rendering and the self-contained HTML page."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from record_keys import PERSON_KEYS
from timeline_builders import DATA, event, organization, person

import crmkit
from crmkit import CRM, CrmError, NotFound
from crmkit.card_data import gravatar_url, period_text, size_text
from crmkit.card_html import write_card_html

RECORD_KEYS = set(PERSON_KEYS)


@pytest.fixture()
def firm(ref_crm: CRM) -> dict[str, int]:
    crm = ref_crm
    org = organization(crm, "Technoserwis Sp. z o.o.", nip="631-265-30-86", tags="Klient")
    anna = person(
        crm,
        "Anna",
        "Nowak",
        position="Prezes zarządu",
        phone__mobile="601 234 567",
        phone__work="(32) 231 45 68",
        email__work="  Anna.Nowak@Technoserwis.pl ",
        address__street="ul. Toszecka 101",
        address__postal_code="44-100",
        address__city="Gliwice",
        tags="VIP | Newsletter",
        guardians="Jan Kowalski",
        observers="Piotr Maj",
        custom__industry="IT | Handel",
        custom__consent="tak",
        note="Decyduje o umowach.",
        external_id="K-1001",
    )
    crm.contacts.link(anna, org, since="2021-03-01")
    for day in range(1, 13):
        event(crm, anna, f"2024-03-{day:02d} 10:00", subject=f"Rozmowa {day}", agent="Piotr Maj")
    with crmkit.open(crm.path, user="Jan Kowalski") as jan:
        jan.notes.add(anna, "Oddzwonić po 15", event_id=event(jan, anna, "2024-03-20 09:00"))
    crm.files.add(anna, data=b"%PDF-1.4 umowa", name="umowa.pdf")
    return {"org": org, "anna": anna}


def test_gravatar_url_hashes_the_trimmed_lower_case_address() -> None:
    digest = hashlib.md5(b"anna.nowak@technoserwis.pl").hexdigest()
    assert (
        gravatar_url("  Anna.Nowak@Technoserwis.PL ") == f"https://www.gravatar.com/avatar/{digest}"
    )


def test_card_data_is_the_record_plus_timeline_files_and_avatar(
    ref_crm: CRM, firm: dict[str, int]
) -> None:
    data = ref_crm.card(firm["anna"])
    assert set(data) >= RECORD_KEYS
    assert {key: data[key] for key in RECORD_KEYS} == ref_crm.contacts[firm["anna"]].to_record()
    assert len(data["timeline"]) == 10
    assert data["timeline"][0]["subject"] is None and data["timeline"][1]["subject"] == "Rozmowa 12"
    assert data["timeline"][0]["notes"][0]["body"] == "Oddzwonić po 15"
    assert [f["name"] for f in data["files"]] == ["umowa.pdf"]
    first_email = data["emails"][0]["address"]
    assert data["avatar"] == {"file_id": None, "gravatar": gravatar_url(first_email)}


def test_an_avatar_replaces_the_gravatar_and_is_not_listed_as_a_file(
    ref_crm: CRM, firm: dict[str, int]
) -> None:
    avatar = ref_crm.files.set_avatar(firm["anna"], DATA / "avatar.png").to_record()
    data = ref_crm.card(firm["anna"])
    assert data["avatar"] == {"file_id": avatar["id"], "gravatar": None}
    assert [f["name"] for f in data["files"]] == ["umowa.pdf"]


def test_person_card_text(ref_crm: CRM, firm: dict[str, int]) -> None:
    text = ref_crm.card_text(firm["anna"], width=120)
    for expected in (
        "Anna Nowak",
        "person #",
        "VIP",
        "Newsletter",
        "Prezes zarządu",
        "+48 601 234 567 (mobile)",
        "+48 32 231 45 68 (work)",
        "Anna.Nowak@Technoserwis.pl (work)",
        "ul. Toszecka 101, 44-100 Gliwice",
        "Jan Kowalski",
        "Piotr Maj",
        "Technoserwis Sp. z o.o.",
        "2021-03-01 – now",
        "K-1001",
        "Decyduje o umowach.",
        "Branża",
        "IT, Handel",
        "Zgoda",
        "umowa.pdf",
        "application/pdf",
        "Timeline (latest 10)",
        "Rozmowa 12",
        "↳ note",
        "Oddzwonić po 15",
        "https://www.gravatar.com/avatar/",
    ):
        assert expected in text, expected
    assert "Rozmowa 2 " not in text  # only the latest ten items


def test_organization_card_text_lists_members_and_their_events(
    ref_crm: CRM, firm: dict[str, int]
) -> None:
    text = ref_crm.card_text(firm["org"], width=120)
    assert "Technoserwis Sp. z o.o." in text and "organization #" in text
    assert "Members" in text and "Anna Nowak" in text and "2021-03-01 – now" in text
    assert "6312653086" in text
    assert "Rozmowa 12" in text  # a member's event, with the member named
    timeline = text[text.index("Timeline") :]
    assert "Anna Nowak" in timeline


def test_card_text_prints_markup_literally(crm: CRM) -> None:
    evil = crm.contacts.add("organization", {"name": "[bold red]Evil[/bold red] & Co"}).id
    crm.events.add(evil, kind="call", subject="[link=http://x]kliknij[/link]", at="2024-01-01")
    text = crm.card_text(evil)
    assert "[bold red]Evil[/bold red] & Co" in text
    assert "[link=http://x]kliknij[/link]" in text


def test_card_of_a_missing_contact(crm: CRM) -> None:
    with pytest.raises(NotFound, match="no contact with id 5"):
        crm.card(5)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_html_card_is_self_contained_and_complete(
    ref_crm: CRM, firm: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "card.html"
    page = ref_crm.card_html(firm["anna"], path)
    assert path.read_text(encoding="utf-8") == page
    parsed = _parse(page)
    names = {tag for tag, _ in parsed.tags}
    assert "script" not in names and "link" not in names and "iframe" not in names
    for _, attrs in parsed.tags:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "data:").startswith(("http", "//")), attrs
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    text = " ".join(parsed.text)
    for expected in ("Anna Nowak", "Prezes zarządu", "+48 601 234 567", "Branża", "umowa.pdf"):
        assert expected in text, expected
    assert "Rozmowa 12" in text and "Oddzwonić po 15" in text and "Technoserwis" in text
    assert gravatar_url("anna.nowak@technoserwis.pl") in text


def test_html_card_embeds_the_avatar(ref_crm: CRM, firm: dict[str, int]) -> None:
    ref_crm.files.set_avatar(firm["anna"], DATA / "avatar.png")
    images = [a for t, a in _parse(ref_crm.card_html(firm["anna"])).tags if t == "img"]
    assert len(images) == 1 and (images[0]["src"] or "").startswith("data:image/png;base64,")


def test_html_card_escapes_everything(crm: CRM) -> None:
    evil = crm.contacts.add(
        "person",
        {
            "first_name": "<script>alert(1)</script>",
            "last_name": '"><img src=x onerror=alert(2)>',
            "email": "x@example.pl",
        },
    ).id
    crm.events.add(evil, kind="call", subject="<b>bold</b>", at="2024-01-01")
    crm.notes.add(evil, "</pre><script>alert(3)</script>")
    page = crm.card_html(evil)
    parsed = _parse(page)
    assert "script" not in {tag for tag, _ in parsed.tags}
    assert not any("onerror" in attrs for _, attrs in parsed.tags)
    assert not re.search(r"<b>bold", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_card_for_an_organization(ref_crm: CRM, firm: dict[str, int]) -> None:
    text = " ".join(_parse(ref_crm.card_html(firm["org"])).text)
    assert "Members" in text and "Anna Nowak" in text and "Rozmowa 12" in text


def test_writing_the_page_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(CrmError, match="does not exist"):
        write_card_html(tmp_path / "missing" / "card.html", "<p>")
    with pytest.raises(CrmError, match="is a folder"):
        write_card_html(tmp_path, "<p>")


def test_small_texts() -> None:
    assert period_text(None, None) == "the start – now"
    assert period_text("2021-03-01T00:00:00Z", "2022-01-01T00:00:00Z") == "2021-03-01 – 2022-01-01"
    assert size_text(999) == "999 B" and size_text(12_345) == "12.3 kB"


def test_html_card_without_its_stored_picture_still_renders(
    ref_crm: CRM, firm: dict[str, int], backend: str
) -> None:
    from crmkit.store.sqlite.files import FileStore

    avatar = ref_crm.files.set_avatar(firm["anna"], DATA / "avatar.png").to_record()
    if backend == "postgresql":
        # The content is a row of the database there: lost as a file would be.
        ref_crm.store.conn.execute(
            "DELETE FROM file_contents WHERE sha256 = ?", (avatar["sha256"],)
        )
    else:
        FileStore.for_store(ref_crm.store).blob_path(avatar["sha256"]).unlink()
    page = ref_crm.card_html(firm["anna"])
    assert "<img" not in page and 'class="initials">AN<' in page
