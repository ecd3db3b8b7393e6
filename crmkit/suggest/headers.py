"""What a column's header says it holds, in Polish and English, with or without diacritics.

Headers are compared folded (lower case, no diacritics: `Województwo` is `wojewodztwo`).
A header equal to one of a target's names says so strongly; one that holds such a name
among its words (`Telefon służbowy 2`) says so less.
"""

from __future__ import annotations

import re

from crmkit.values.names import fold_text

__all__ = ["CONTACT_HEADERS", "EVENT_HEADERS", "header_scores", "folded", "has_word"]

_PHONE = ("telefon", "tel", "tel.", "phone", "nr telefonu", "numer telefonu", "komorka", "gsm",
          "mobile", "komorkowy", "fax", "faks", "numer", "telephone")  # fmt: skip
_EMAIL = ("e-mail", "email", "mail", "adres e-mail", "adres email", "poczta", "e-mail address")
_ID = ("id", "external id", "external_id", "identyfikator", "nr klienta", "numer klienta",
       "kod klienta", "customer id", "client id", "id klienta", "id kontaktu")  # fmt: skip

CONTACT_HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": _ID,
    "kind": ("typ", "rodzaj", "kind", "type", "typ kontaktu", "typ klienta"),
    "first_name": ("imie", "first name", "firstname", "given name", "imiona"),
    "last_name": ("nazwisko", "last name", "lastname", "surname", "family name"),
    "name": (
        "nazwa",
        "nazwa firmy",
        "name",
        "company name",
        "full name",
        "imie i nazwisko",
        "nazwa klienta",
        "klient",
        "kontakt",
    ),  # fmt: skip
    "position": (
        "stanowisko",
        "funkcja",
        "position",
        "job title",
        "title",
        "rola",
        "role",
        "organization title",
        "organization 1 - title",
    ),  # fmt: skip
    "organization": (
        "firma",
        "organizacja",
        "company",
        "organization",
        "organisation",
        "pracodawca",
        "employer",
        "organization name",
        "organization 1 - name",
    ),  # fmt: skip
    "stage": ("etap", "status", "stage", "faza", "lifecycle stage"),
    "source": ("zrodlo", "source", "zrodlo pozyskania", "lead source"),
    "segment": ("segment", "grupa", "segment klienta"),
    "phone": _PHONE,
    "email": _EMAIL,
    "address.street": ("ulica", "adres", "street", "address", "ulica i numer", "address line 1"),
    "address.street2": ("adres 2", "street 2", "address line 2", "lokal"),
    "address.postal_code": ("kod pocztowy", "kod", "postal code", "zip", "zip code", "postcode"),
    "address.city": ("miasto", "miejscowosc", "city", "town", "poczta miasto"),
    "address.region": ("wojewodztwo", "region", "state", "province", "woj."),
    "address.country": ("kraj", "country", "panstwo"),
    "pesel": ("pesel",),
    "nip": ("nip", "vat id", "tax id", "nip firmy"),
    "regon": ("regon",),
    "krs": ("krs",),
    "id_document": ("dowod", "nr dowodu", "dowod osobisty", "id document", "paszport", "passport"),
    "tags": ("tagi", "tag", "etykiety", "tags", "labels", "kategorie", "categories"),
    "guardians": (
        "opiekun",
        "opiekunowie",
        "handlowiec",
        "guardian",
        "owner",
        "account manager",
        "opiekun klienta",
    ),  # fmt: skip
    "observers": ("obserwatorzy", "obserwator", "observers", "observer", "watchers"),
    "vip": ("vip",),
    "hidden": ("ukryty", "hidden", "ukryj"),
    "note": (
        "uwagi",
        "notatka",
        "notatki",
        "opis",
        "note",
        "notes",
        "komentarz",
        "comments",
        "uwaga",
    ),  # fmt: skip
    "created_at": (
        "utworzono",
        "data utworzenia",
        "data dodania",
        "dodano",
        "data pozyskania",
        "created",
        "created at",
        "date added",
        "data rejestracji",
    ),  # fmt: skip
    "updated_at": (
        "zmieniono",
        "data modyfikacji",
        "zaktualizowano",
        "updated",
        "modified",
        "data zmiany",
    ),  # fmt: skip
}
EVENT_HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": (*_ID, "id polaczenia", "id zdarzenia", "call id", "id rozmowy"),
    "occurred_at": (
        "data",
        "data i godzina",
        "czas",
        "date",
        "time",
        "kiedy",
        "start",
        "data polaczenia",
        "timestamp",
        "godzina",
    ),  # fmt: skip
    "kind": ("typ", "rodzaj", "kind", "type"),
    "direction": ("kierunek", "direction"),
    "duration": ("czas rozmowy", "czas trwania", "dlugosc", "duration", "dlugosc rozmowy"),
    "subject": ("temat", "tytul", "subject", "sprawa"),
    "body": ("notatka", "tresc", "opis", "body", "note", "notes", "uwagi", "komentarz"),
    "channel": ("kolejka", "kanal", "channel", "queue", "linia", "infolinia"),
    "agent": ("konsultant", "agent", "pracownik", "operator", "user", "uzytkownik", "opiekun"),
    "contact.phone": _PHONE,
    "contact.email": _EMAIL,
    "contact.external_id": ("id klienta", "klient id", "customer id", "client id"),
}


# Words too common to say much when a header only holds them among others.
_COMMON = {"name", "nazwa", "address", "adres", "type", "typ", "title", "data", "kod", "numer",
           "id", "status", "kontakt", "klient", "role", "rola", "grupa",
           "mail", "tel", "note", "opis", "user", "start", "czas", "time", "date", "source",
           "kind", "rodzaj", "linia", "sprawa"}  # fmt: skip


def folded(header: str) -> str:
    """The header as compared: folded, separators as spaces, spaces collapsed."""
    text = fold_text(header.strip())
    return " ".join(re.sub(r"[_\s]+", " ", text).split())


def has_word(text: str, name: str) -> bool:
    """Whether `name` is among the words of `text`."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def header_scores(header: str, table: dict[str, tuple[str, ...]]) -> dict[str, float]:
    """Each target the header names, with how surely.

    1.0 when the header is one of the target's names, 0.7 when one is a word of it,
    0.55 when that word is a common one (`name`, `typ`, `id`): then only values that
    agree make the column that target.
    """
    text = folded(header)
    scores: dict[str, float] = {}
    for target, names in table.items():
        best = 0.0
        for name in names:
            if text == name:
                best = 1.0
                break
            if has_word(text, name):
                best = max(best, 0.55 if name in _COMMON else 0.7)
        if best:
            scores[target] = best
    return scores
