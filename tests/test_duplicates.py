"""`crm duplicates` and `crm.contacts.duplicates`: groups of probable duplicates."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from itertools import combinations
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel
from typer.testing import Result

from crmkit import CRM, CrmError, DuplicateGroup
from crmkit.duplicate_names import BIG_BLOCK, MAX_NAMESAKES, NAME_THRESHOLD, WINDOW, alike_names
from crmkit.duplicates import MAX_HOLDERS
from crmkit.values.names import fold_text, match_name_key

Invoke = Callable[..., Result]


def add_person(crm: CRM, first: str, last: str, **fields: Any) -> int:
    """Add a person and return the id; `city` and `postal_code` go to the address."""
    address = {key: fields.pop(key) for key in ("city", "postal_code", "street") if key in fields}
    if address:
        fields["address"] = address
    return crm.contacts.add("person", first_name=first, last_name=last, **fields).id


def add_organization(crm: CRM, name: str, **fields: Any) -> int:
    address = {key: fields.pop(key) for key in ("city", "postal_code") if key in fields}
    if address:
        fields["address"] = address
    return crm.contacts.add("organization", name=name, **fields).id


@pytest.fixture()
def base(crm: CRM) -> dict[str, int]:
    """Pairs of duplicates of every kind, and look-alikes that are not duplicates."""
    ids = {}
    # The same phone in two spellings; nothing else in common.
    ids["phone_a"] = add_person(crm, "Adam", "Malinowski", phones=["+48 601 234 567"],
                                city="Kraków")  # fmt: skip
    ids["phone_b"] = add_person(crm, "Bartosz", "Zieliński", phones=["0048601234567"],
                                city="Poznań")  # fmt: skip
    # The same e-mail address in two cases.
    ids["email_a"] = add_person(crm, "Celina", "Wrona", emails=["Celina.Wrona@Firma.PL"])
    ids["email_b"] = add_person(crm, "Dorota", "Sowa", emails=["celina.wrona@firma.pl"])
    # The same NIP written two ways.
    ids["nip_a"] = add_organization(crm, "Bąk i Syn Sp. j.", nip="526-104-08-28")
    ids["nip_b"] = add_organization(crm, "Zakład Usługowy", nip="PL5261040828")
    # One name in another word order, case and without Polish letters, in one city.
    ids["name_a"] = add_person(crm, "Grzegorz", "Brzęczyszczykiewicz", city="Łódź")
    ids["name_b"] = add_person(crm, "BRZECZYSZCZYKIEWICZ", "grzegorz", city="LODZ")
    # One name with a typo, in one city and street.
    ids["typo_a"] = add_person(crm, "Krzysztof", "Wiśniewski", city="Gdańsk",
                               street="ul. Długa 5")  # fmt: skip
    ids["typo_b"] = add_person(crm, "Krzysztof", "Wiśniewsk", city="Gdańsk",
                               street="ul. Dluga 5")  # fmt: skip
    # One name in two cities, nothing else in common: not duplicates.
    ids["apart_a"] = add_person(crm, "Henryk", "Sienkiewicz", city="Kraków")
    ids["apart_b"] = add_person(crm, "Henryk", "Sienkiewicz", city="Poznań")
    # A person and an organization with one name, city and phone: never one group.
    ids["kind_person"] = add_person(crm, "Ewa", "Bąk", phones=["22 113 14 15"], city="Opole")
    ids["kind_org"] = add_organization(crm, "Ewa Bąk", phones=["+48 22 113 14 15"],
                                       city="Opole")  # fmt: skip
    return ids


def groups_of(found: list[DuplicateGroup]) -> dict[tuple[int, ...], DuplicateGroup]:
    return {tuple(group.ids): group for group in found}


# -- the library --------------------------------------------------------------------------


def test_each_kind_of_evidence_groups_its_pair(crm: CRM, base: dict[str, int]) -> None:
    found = groups_of(crm.contacts.duplicates())
    pair = (base["phone_a"], base["phone_b"])
    assert found[pair].reasons == ["same phone +48601234567"]
    assert found[pair].score == 0.9
    assert found[pair].names == ["Adam Malinowski", "Bartosz Zieliński"]
    pair = (base["email_a"], base["email_b"])
    assert found[pair].reasons == ["same e-mail celina.wrona@firma.pl, different case"]
    assert found[pair].score == 0.95
    pair = (base["nip_a"], base["nip_b"])
    assert found[pair].reasons == ["same NIP 5261040828"]
    assert found[pair].score == 1.0
    pair = (base["name_a"], base["name_b"])
    assert found[pair].reasons == ["same name, written differently, same city"]
    assert found[pair].score == 0.9
    pair = (base["typo_a"], base["typo_b"])
    similarity = Indel.normalized_similarity("krzysztof wisniewski", "krzysztof wisniewsk")
    assert found[pair].reasons == [f"names {similarity:.2f} alike, same city, same street"]
    assert found[pair].score == pytest.approx(0.9 * similarity + 0.05, abs=0.005)


def test_look_alikes_are_not_grouped(crm: CRM, base: dict[str, int]) -> None:
    found = crm.contacts.duplicates(min_score=0.0)
    grouped = {contact for group in found for contact in group.ids}
    assert base["apart_a"] not in grouped and base["apart_b"] not in grouped
    assert base["kind_person"] not in grouped and base["kind_org"] not in grouped
    assert len(found) == 5


def test_groups_by_score_then_smallest_id(crm: CRM, base: dict[str, int]) -> None:
    found = crm.contacts.duplicates()
    assert [group.score for group in found] == sorted(
        (group.score for group in found), reverse=True
    )
    assert [group.ids[0] for group in found if group.score == 0.9] == sorted(
        [base["phone_a"], base["name_a"]]
    )


def test_by_restricts_the_evidence(crm: CRM, base: dict[str, int]) -> None:
    assert [group.ids for group in crm.contacts.duplicates(by="phone")] == [
        [base["phone_a"], base["phone_b"]]
    ]
    found = crm.contacts.duplicates(by=["email", "nip"])
    assert [group.ids for group in found] == [
        [base["nip_a"], base["nip_b"]],
        [base["email_a"], base["email_b"]],
    ]
    named = {tuple(group.ids) for group in crm.contacts.duplicates(by="name")}
    assert named == {(base["name_a"], base["name_b"]), (base["typo_a"], base["typo_b"])}
    assert crm.contacts.duplicates(by="pesel,regon") == []
    with pytest.raises(CrmError, match="--by 'fax'"):
        crm.contacts.duplicates(by="phone,fax")


def test_min_score_leaves_out_weaker_groups(crm: CRM, base: dict[str, int]) -> None:
    found = crm.contacts.duplicates(min_score=0.95)
    assert {group.score for group in found} == {1.0, 0.95}
    assert crm.contacts.duplicates(min_score=1.0)[0].ids == [base["nip_a"], base["nip_b"]]
    with pytest.raises(CrmError, match="between 0 and 1"):
        crm.contacts.duplicates(min_score=1.5)


def test_evidence_between_two_contacts_combines(crm: CRM) -> None:
    first = add_person(crm, "Anna", "Nowak", phones=["601 000 001"], emails=["a@nowak.pl"])
    second = add_person(crm, "Anna", "Kowalska", phones=["601000001"], emails=["A@NOWAK.PL"])
    [group] = crm.contacts.duplicates()
    assert group.ids == [first, second]
    assert group.score == 0.99  # 1 - (1 - 0.95) * (1 - 0.9), rounded
    assert group.reasons == ["same e-mail a@nowak.pl, different case", "same phone +48601000001"]


def test_a_group_joins_links_and_says_which_ids_a_reason_joins(crm: CRM) -> None:
    first = add_person(crm, "Anna", "Nowak", phones=["601 000 001"])
    second = add_person(crm, "Anna", "Kowalska", phones=["601 000 001"], emails=["ak@x.pl"])
    third = add_person(crm, "Ola", "Kowalska", emails=["AK@x.pl"])
    [group] = crm.contacts.duplicates()
    assert group.ids == [first, second, third]
    assert group.score == 0.95
    assert group.reasons == [
        f"same e-mail ak@x.pl, different case (ids {second}, {third})",
        f"same phone +48601000001 (ids {first}, {second})",
    ]


def test_non_ascii_addresses_compare_without_case(crm: CRM) -> None:
    first = add_person(crm, "Żaneta", "Wiśniewska", emails=["żaneta.wiśniewska@example.pl"])
    second = add_person(crm, "Anna", "Zięba", emails=["ŻANETA.WIŚNIEWSKA@example.pl"])
    third = add_person(crm, "Ola", "Zięba", emails=["żaneta.wiśniewska@example.pl"])
    [group] = crm.contacts.duplicates(by="email")
    assert group.ids == [first, second, third]
    assert group.reasons == ["same e-mail żaneta.wiśniewska@example.pl, different case"]


def test_a_key_of_many_contacts_is_shared_not_duplicated(crm: CRM) -> None:
    for number in range(MAX_HOLDERS + 1):
        add_person(crm, f"Osoba{number}", "Recepcja", phones=["22 555 00 00"])
    assert crm.contacts.duplicates() == []


def test_common_names_do_not_link_by_name(crm: CRM) -> None:
    namesakes = [
        add_person(crm, "Jan", "Kowalski", city="Warszawa") for _ in range(MAX_NAMESAKES + 1)
    ]
    add_person(crm, "Jan", "Kowalsky", city="Warszawa")
    assert crm.contacts.duplicates() == []
    pair = [add_person(crm, "Jan", "Kowalski", city="Radom") for _ in range(2)]
    assert [group.ids for group in crm.contacts.duplicates()] == [pair]
    add_person(crm, "Jan", "Kowalski", city="Warszawa", phones=["601 000 002"])
    add_person(crm, "Jan", "Kowalski", city="Kielce", phones=["601 000 002"])
    assert len(crm.contacts.duplicates()) == 2
    assert not {contact for group in crm.contacts.duplicates() for contact in group.ids} & set(
        namesakes
    )


def test_blocks_by_postal_code_organization_and_company_domain(crm: CRM) -> None:
    add_organization(crm, "Hydro-Tech Sp. z o.o.")
    by_postal = [add_person(crm, "Marta", name, postal_code="44-100") for name in
                 ("Jabłońska", "Jablonska")]  # fmt: skip
    by_org = [add_person(crm, "Piotr", "Lis", organizations=["Hydro-Tech Sp. z o.o."])
              for _ in range(2)]  # fmt: skip
    by_domain = [add_person(crm, "Olga", "Kruk", emails=[f"{box}@hydrotech.pl"]) for box in
                 ("olga", "o.kruk")]  # fmt: skip
    free_mail = [add_person(crm, "Igor", "Sęk", emails=[f"{box}@gmail.com"]) for box in
                 ("igor", "sek")]  # fmt: skip
    found = groups_of(crm.contacts.duplicates())
    assert found[tuple(by_postal)].reasons == ["same name, written differently, same postal code"]
    assert found[tuple(by_org)].reasons == ["same name, same organization"]
    assert found[tuple(by_domain)].reasons == ["same name, same e-mail domain"]
    assert tuple(free_mail) not in found


def test_organization_names_without_legal_form_and_with_their_numbers(crm: CRM) -> None:
    pair = [
        add_organization(crm, "Firma Testowa Sp. z o.o.", city="Opole"),
        add_organization(crm, "FIRMA TESTOWA spółka z ograniczoną odpowiedzialnością",
                         city="Opole"),
    ]  # fmt: skip
    add_organization(crm, "Sklep 1", city="Opole")
    add_organization(crm, "Sklep 11", city="Opole")
    assert [group.ids for group in crm.contacts.duplicates()] == [pair]


def test_a_base_without_duplicates(crm: CRM) -> None:
    assert crm.contacts.duplicates() == []
    add_person(crm, "Anna", "Nowak", city="Gliwice")
    assert crm.contacts.duplicates(min_score=0.0) == []


def test_finding_leaves_the_connection_as_it_was(
    crm: CRM, base: dict[str, int], backend: str
) -> None:
    assert crm.contacts.duplicates()
    if backend == "postgresql":
        temporary = "SELECT count(*) FROM pg_class WHERE relpersistence = 't'"
        assert crm.store.one(temporary) == 0
    else:
        assert crm.store.one("PRAGMA temp_store") == 2  # memory, as the store keeps it
        assert crm.store.one("SELECT count(*) FROM temp.sqlite_master") == 0
    with crm.store.transaction():
        assert len(crm.contacts.duplicates()) == 5


# -- names and blocks ------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnoprstuwyząćęłńóśźż", min_size=1, max_size=10)


@given(st.lists(WORD, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_a_name_in_any_order_case_and_spelling_has_one_key(
    words: list[str], rng: random.Random
) -> None:
    name = " ".join(word.capitalize() for word in words)
    shuffled = words[:]
    rng.shuffle(shuffled)
    variant = fold_text(" , ".join(shuffled)).upper()
    assert match_name_key(variant) == match_name_key(name)
    assert "ł" not in match_name_key(name) and match_name_key(name) == match_name_key(name.lower())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["anna nowak", "anna nowk", "ana nowak", "jan nowak",
                                 "jan kowalski", "jan kowalsky", "ewa bak", "ewa baka"]),
                min_size=2, max_size=12))  # fmt: skip
def test_a_small_block_compares_every_pair_of_names(keys: list[str]) -> None:
    rows = sorted(("p opole", key, number, "") for number, key in enumerate(keys))
    found = {(link.first, link.second) for link in alike_names(rows, "city")}
    counts = {key: keys.count(key) for key in keys}
    expected = {
        (first, second)
        for first, second in combinations(range(len(keys)), 2)
        if counts[keys[first]] <= MAX_NAMESAKES
        and counts[keys[second]] <= MAX_NAMESAKES
        and Indel.normalized_similarity(keys[first], keys[second]) >= NAME_THRESHOLD
    }
    assert found == expected


def test_a_big_block_compares_each_name_with_its_neighbours_in_name_order() -> None:
    pair = [("anna nowak", 1), ("bnna nowak", 2)]
    fillers = [(f"aw{number:02d}", 10 + number) for number in range(WINDOW)]
    small = [("p 44-100", key, contact, "") for key, contact in pair]
    big = sorted([("p gliwice", key, contact, "") for key, contact in pair + fillers])
    links = list(alike_names(small, "postal_code"))
    assert links == [(1, 2, Indel.normalized_similarity("anna nowak", "bnna nowak"), "postal_code")]
    assert list(alike_names(big, "city")) == []
    fewer = [row for row in big if row[2] != 10]
    assert [(link.first, link.second) for link in alike_names(fewer, "city")] == [(1, 2)]


def test_a_big_block_links_only_equal_names_at_one_street() -> None:
    rows = [("p warszawa", f"osoba{number:04d} x", number, "") for number in range(BIG_BLOCK)]
    namesakes = [("p warszawa", key, 5000 + n, street) for n, (key, street) in enumerate(
        [("anna nowak", "ul dluga 5"), ("anna nowak", "ul dluga 5"), ("anna nowak", ""),
         ("anna nowk", "ul dluga 5"), ("jan lis", "ul krotka 1"), ("jan lis", "ul krotka 2")]
    )]  # fmt: skip
    rows = sorted(rows + namesakes)
    assert list(alike_names(rows, "city")) == [(5000, 5001, 1.0, "city")]
    small = {(link.first, link.second) for link in alike_names(sorted(namesakes), "city")}
    assert small == {(5000, 5001), (5000, 5002), (5001, 5002), (5000, 5003), (5001, 5003),
                     (5002, 5003), (5004, 5005)}  # fmt: skip


# -- the command ------------------------------------------------------------------------------


def test_command_json_is_the_contract_shape(base: dict[str, int], cli: Invoke) -> None:
    result = cli("duplicates", "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [list(record) for record in records] == [["score", "reasons", "ids", "names"]] * 5
    assert records[0] == {
        "score": 1.0,
        "reasons": ["same NIP 5261040828"],
        "ids": [base["nip_a"], base["nip_b"]],
        "names": ["Bąk i Syn Sp. j.", "Zakład Usługowy"],
    }
    lines = cli("duplicates", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == records


def test_command_table_and_csv(base: dict[str, int], cli: Invoke) -> None:
    result = cli("duplicates", "--by", "phone,email")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["score", "ids", "names", "reasons"]
    assert lines[2].split()[:4] == ["0.95", str(base["email_a"]), "|", str(base["email_b"])]
    assert "same e-mail celina.wrona@firma.pl, different case" in lines[2]
    assert "Adam Malinowski | Bartosz Zieliński" in lines[3] and len(lines) == 4
    result = cli("duplicates", "--by", "nip", "--format", "csv")
    assert result.stdout.splitlines() == [
        "score,ids,names,reasons",
        f"1.00,{base['nip_a']} | {base['nip_b']},Bąk i Syn Sp. j. | Zakład Usługowy,"
        "same NIP 5261040828",
    ]


def test_command_options_restrict(base: dict[str, int], cli: Invoke) -> None:
    records = json.loads(cli("duplicates", "--min-score", "0.95", "-f", "json").stdout)
    assert [record["score"] for record in records] == [1.0, 0.95]
    records = json.loads(cli("duplicates", "--by", "name", "-f", "json").stdout)
    assert {tuple(record["ids"]) for record in records} == {
        (base["name_a"], base["name_b"]),
        (base["typo_a"], base["typo_b"]),
    }
    result = cli("duplicates", "--by", "fax")
    assert result.exit_code == 1 and "Error: --by 'fax'" in result.stderr
    assert cli("duplicates", "--min-score", "2").exit_code == 2


def test_command_says_when_there_are_none(crm: CRM, cli: Invoke) -> None:
    add_person(crm, "Anna", "Nowak", city="Gliwice")
    result = cli("duplicates")
    assert result.exit_code == 0 and result.stdout == ""
    assert "No duplicates found" in result.stderr
    result = cli("duplicates", "--format", "json")
    assert result.exit_code == 0 and result.stdout == "[]\n"
    assert cli("duplicates", "-f", "csv").stdout.splitlines() == ["score,ids,names,reasons"]


def test_command_needs_an_existing_base(cli: Invoke, db_path: Any, backend: str) -> None:
    result = cli("duplicates")
    assert result.exit_code == 1 and "no crmkit database" in result.stderr
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(db_path) as conn:
            assert conn.execute("SELECT to_regclass('crm_schema')").fetchone() == (None,)
    else:
        assert not db_path.exists()
