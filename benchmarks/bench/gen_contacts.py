#!/usr/bin/env python3
"""Write a CSV file of made-up Polish contacts, as an older CRM would export them.

    python benchmarks/bench/gen_contacts.py 100000 --out contacts.csv [--seed 7]

The benchmarks use it when the shared benchmark folder is not beside the repository.
Rows are persons with a mobile (and often an office) number in every usual spelling,
an e-mail, an address, tags, a guardian, an industry and a creation date in several
formats; about one row in thirty has a mistake an import must reject or warn about
(a short number, an impossible date, an unknown tag). The same seed gives the same file.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

FIRST = ["Anna", "Piotr", "Katarzyna", "Tomasz", "Małgorzata", "Krzysztof", "Agnieszka",
         "Paweł", "Ewa", "Michał", "Żaneta", "Łukasz", "Joanna", "Marek", "Zofia",
         "Jan"]  # fmt: skip
LAST = ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
        "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Nowakowski", "Żółć", "Bąk"]  # fmt: skip
CITIES = [("Gliwice", "44-100"), ("Łódź", "90-001"), ("Kraków", "30-001"),
          ("Warszawa", "00-001"), ("Wrocław", "50-001"), ("Gdańsk", "80-001"),
          ("Poznań", "60-001")]  # fmt: skip
TAGS = ["VIP", "Newsletter", "Lead", "Klient", "Partner"]
GUARDIANS = ["Jan Kowalski", "Piotr Maj", "Anna Zając", "Ewa Bąk"]
INDUSTRIES = ["IT", "Handel", "Produkcja", "Usługi", "Logistyka"]
STAGES = ["lead", "prospekt", "klient", "utracony"]
MOBILE = ["50", "51", "53", "57", "60", "66", "69", "72", "78", "79", "88"]
LANDLINE = ["22", "12", "32", "42", "58", "61", "71"]
HEADER = ["Imię", "Nazwisko", "Telefon", "Telefon służbowy", "E-mail", "Stanowisko", "Etap",
          "Ulica", "Kod pocztowy", "Miasto", "Tagi", "Opiekun", "Branża", "VIP", "Utworzono",
          "Firma"]  # fmt: skip


def spelled(digits: str, rng: random.Random) -> str:
    """Return a nine-digit Polish number in one of the ways people write it."""
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rng.choice([
        digits, f"{a} {b} {c}", f"{a}-{b}-{c}", f"+48 {a} {b} {c}", f"0048{digits}",
        f"48{digits}", f"(+48) {a}-{b}-{c}",
        f"({digits[:2]}) {digits[2:5]} {digits[5:7]} {digits[7:]}",
    ])  # fmt: skip


def contact_row(number: int, rng: random.Random) -> list[str]:
    """Return one person's cells; `number` keeps e-mail addresses apart."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, postal = rng.choice(CITIES)
    mobile = rng.choice(MOBILE) + f"{rng.randrange(10_000_000):07d}"
    office = rng.choice(LANDLINE) + f"{rng.randrange(10_000_000):07d}" if rng.random() < 0.4 else ""
    when = f"20{rng.randrange(15, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    year, month, day = when.split("-")
    created = rng.choice([when, f"{when} {rng.randrange(24):02d}:{rng.randrange(60):02d}",
                          f"{day}.{month}.{year}"])  # fmt: skip
    tags = " | ".join(rng.sample(TAGS, rng.randrange(0, 3)))
    fault = rng.random()
    if fault < 0.012:
        mobile = str(rng.randrange(100, 999))  # too short to be a phone number
    elif fault < 0.024:
        created = f"31.02.{year}"  # no such day
    elif fault < 0.034:
        tags = "Hurt"  # not a tag of the base: a warning
    return [
        first, last, spelled(mobile, rng) if len(mobile) == 9 else mobile,
        spelled(office, rng) if office else "",
        f"{first.lower()}.{last.lower()}{number}@example.pl", rng.choice(["", "Specjalista",
        "Kierownik", "Prezes zarządu"]), rng.choice(STAGES), f"ul. Polna {rng.randrange(1, 200)}",
        postal, city, tags, rng.choice(GUARDIANS),
        " | ".join(rng.sample(INDUSTRIES, rng.randrange(0, 3))),
        rng.choice(["", "tak", "nie", "1", "0"]), created,
        f"Firma {rng.randrange(1, 500)} Sp. z o.o." if rng.random() < 0.3 else "",
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with args.out.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for number in range(args.rows):
            writer.writerow(contact_row(number, rng))


if __name__ == "__main__":
    main()
