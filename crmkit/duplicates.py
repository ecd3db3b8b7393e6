"""Groups of contacts that are probably the same person or organization.

    >>> [g.to_record() for g in crm.contacts.duplicates(min_score=0.9)]
    [{'score': 0.95, 'reasons': ['same e-mail anna@firma.pl, different case'],
      'ids': [3, 8], 'names': ['Anna Nowak', 'Anna Kowalska']}]

Evidence links two contacts of the same kind (a person and an organization are
never compared, so never grouped):

| evidence                          | score                  | reason                     |
|-----------------------------------|------------------------|----------------------------|
| same PESEL, NIP or REGON (digits) | 1.0                    | same NIP 5261040828        |
| same e-mail address, case ignored | 0.95                   | same e-mail a@b.pl, different case |
| same phone number (E.164)         | 0.9                    | same phone +48601234567    |
| names s alike (0.88 to 1)         | 0.9 s + 0.05 (d - 1)   | names 0.93 alike, same city |

where d is the number of details the two contacts share, and a score is at most 1.

Names are compared only within blocks of contacts with the same city, postal code,
organization or company e-mail domain, and in a block of thousands (a big city) only
equal names at one street address count (`crmkit.duplicate_names`). Details are
what the two contacts share of: city (folded), postal code, street (folded),
organization and e-mail domain (the last two when the names met in such a block); the
block they met in is always one of them. So the same name in the same town makes 0.9,
and with the same street too 0.95.

Several pieces of evidence between the same two contacts combine as independent
ones: `1 - (1 - s1) * (1 - s2) * ...`, so a shared phone (0.9) and a shared e-mail
(0.95) make 0.995.

Two contacts are linked when that score, rounded to two decimals, reaches
`min_score`; a group is a set of contacts joined by links (union-find), its score the
strongest link in it, its reasons those of its links, strongest first (with the ids
they join when the group has more than two contacts and a reason does not hold for all
of them). Groups come by score, highest first, then by smallest id.

A phone, address or registry number held by more than `MAX_HOLDERS` contacts of one
kind (a switchboard, office@) is not evidence: it is shared, not duplicated.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from crmkit.errors import CrmError
from crmkit.model import DuplicateGroup
from crmkit.values.names import fold_text

if TYPE_CHECKING:
    from crmkit.store import Store
    from crmkit.store.sqlite.duplicates import ContactFacts

__all__ = ["DEFAULT_MIN_SCORE", "EVIDENCE", "FREE_MAIL", "MAX_HOLDERS", "find_duplicates"]

EVIDENCE: tuple[str, ...] = ("phone", "email", "nip", "pesel", "regon", "name")
DEFAULT_MIN_SCORE = 0.8
MAX_HOLDERS = 10

# Scores and labels of the shared keys, strongest first.
_KEYS: dict[str, tuple[float, str]] = {
    "pesel": (1.0, "PESEL"),
    "nip": (1.0, "NIP"),
    "regon": (1.0, "REGON"),
    "email": (0.95, "e-mail"),
    "phone": (0.9, "phone"),
}
_NAME_WEIGHT = 0.9
_DETAIL_BONUS = 0.05
# How many pairs or groups have their contacts' names and addresses read at once.
_CHUNK = 1000

# Free mail services: an address there says nothing about where someone works.
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "wp.pl", "o2.pl", "onet.pl", "onet.eu", "op.pl",
        "poczta.onet.pl", "vp.pl", "interia.pl", "interia.eu", "int.pl", "poczta.fm",
        "tlen.pl", "gazeta.pl", "go2.pl", "spoko.pl", "autograf.pl", "buziaczek.pl",
        "yahoo.com", "hotmail.com", "outlook.com", "live.com", "msn.com", "icloud.com",
        "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net",
        "yandex.com", "yandex.ru", "mail.ru", "zoho.com",
    }
)  # fmt: skip

# Details two alike names can share, as bits, with the words of the reason.
_DETAILS: dict[str, tuple[int, str]] = {
    "city": (1, "same city"),
    "postal_code": (2, "same postal code"),
    "street": (4, "same street"),
    "organization": (8, "same organization"),
    "domain": (16, "same e-mail domain"),
}

Pair = tuple[int, int]


def parse_evidence(by: str | Iterable[str] | None) -> list[str]:
    """Return the kinds of evidence `by` names ("phone,email" or a list); None: all."""
    if by is None:
        return list(EVIDENCE)
    words = by.split(",") if isinstance(by, str) else list(by)
    chosen = [word.strip().lower().replace("e-mail", "email") for word in words if word.strip()]
    unknown = [word for word in chosen if word not in EVIDENCE]
    if unknown or not chosen:
        given = repr(unknown[0]) if unknown else "nothing"
        raise CrmError(f"--by {given}: choose from {', '.join(EVIDENCE)}")
    return [kind for kind in EVIDENCE if kind in chosen]


def find_duplicates(
    store: Store,
    *,
    by: str | Iterable[str] | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
) -> list[DuplicateGroup]:
    """Return the groups of probable duplicates (see the module's docstring)."""
    from crmkit.store.sqlite.duplicates import contact_facts

    kinds = parse_evidence(by)
    if not 0.0 <= min_score <= 1.0:
        raise CrmError(f"--min-score must be between 0 and 1, not {min_score}")
    evidence: dict[Pair, list[tuple[float, str]]] = defaultdict(list)
    for key in _KEYS:
        if key in kinds:
            _add_shared_keys(store, key, evidence)
    if "name" in kinds:
        _add_alike_names(store, evidence)
    links = {}
    for pair, pieces in evidence.items():
        score = _combined(piece for piece, _ in pieces)
        if score >= min_score:
            links[pair] = score
    found = []
    groups = _connected(links)
    for start in range(0, len(groups), _CHUNK):
        chunk = groups[start : start + _CHUNK]
        facts = contact_facts(store, {contact for members, _ in chunk for contact in members})
        for members, inner in chunk:
            found.append(_group(members, {pair: links[pair] for pair in inner}, evidence, facts))
    found.sort(key=lambda group: (-group.score, group.ids[0]))
    return found


def _add_shared_keys(store: Store, key: str, evidence: dict[Pair, list[tuple[float, str]]]) -> None:
    """Add a piece of evidence for every two contacts of one kind that share a `key`."""
    from crmkit.store.sqlite.duplicates import shared_keys

    score, label = _KEYS[key]
    for value, holders in shared_keys(store, key):
        by_kind: dict[str, dict[int, str]] = defaultdict(dict)
        for contact_id, kind, raw in holders:
            by_kind[kind].setdefault(contact_id, raw)
        for spellings in by_kind.values():
            if not 2 <= len(spellings) <= MAX_HOLDERS:
                continue
            differs = len(set(spellings.values())) > 1
            reason = f"same {label} {value}" + (", different case" if differs else "")
            ids = sorted(spellings)
            for index, first in enumerate(ids):
                for second in ids[index + 1 :]:
                    evidence[(first, second)].append((score, reason))


def _add_alike_names(store: Store, evidence: dict[Pair, list[tuple[float, str]]]) -> None:
    """Add a piece of evidence for every two contacts with alike names in a block."""
    from crmkit.duplicate_names import alike_names
    from crmkit.store.sqlite.duplicates import contact_facts, name_blocks

    # The best similarity of each pair, and the details (bits) of the blocks they met in.
    alike: dict[Pair, tuple[float, int]] = {}
    for shared, rows in name_blocks(store, FREE_MAIL):
        bit = _DETAILS[shared][0]
        for link in alike_names(rows, shared):
            pair = (link.first, link.second)
            similarity, details = alike.get(pair, (0.0, 0))
            alike[pair] = (max(similarity, link.similarity), details | bit)
    pairs = list(alike)
    reasons: dict[str, str] = {}
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        facts = contact_facts(store, {contact for pair in chunk for contact in pair})
        for pair in chunk:
            score, reason = _name_evidence(*alike.pop(pair), facts, pair)
            evidence[pair].append((score, reasons.setdefault(reason, reason)))


def _name_evidence(
    similarity: float, details: int, facts: dict[int, ContactFacts], pair: Pair
) -> tuple[float, str]:
    """Return the score and reason of two alike names, with the details they share."""
    first, second = facts.get(pair[0]), facts.get(pair[1])
    if first is not None and second is not None:
        if _same_text(first.city, second.city):
            details |= _DETAILS["city"][0]
        if _same_text(first.postal_code, second.postal_code):
            details |= _DETAILS["postal_code"][0]
        if _same_text(first.street, second.street):
            details |= _DETAILS["street"][0]
    shared = [words for bit, words in _DETAILS.values() if details & bit]
    score = min(1.0, _NAME_WEIGHT * similarity + _DETAIL_BONUS * (len(shared) - 1))
    if similarity < 1.0:
        alike = f"names {math.floor(similarity * 100) / 100:.2f} alike"
    elif first is not None and second is not None and first.name != second.name:
        alike = "same name, written differently"
    else:
        alike = "same name"
    return score, ", ".join([alike, *shared])


def _same_text(first: str | None, second: str | None) -> bool:
    """Tell whether two address parts are given and equal, case and diacritics aside."""
    if not first or not second:
        return False
    return " ".join(fold_text(first).split()) == " ".join(fold_text(second).split())


def _combined(scores: Iterable[float]) -> float:
    """Return independent pieces of evidence combined, rounded to two decimals."""
    doubt = 1.0
    for score in scores:
        doubt *= 1.0 - score
    return round(1.0 - doubt, 2)


def _connected(links: dict[Pair, float]) -> list[tuple[list[int], list[Pair]]]:
    """Return the sets of contacts joined by links (union-find): members (sorted) and
    the links among them."""
    parent: dict[int, int] = {}

    def root(contact: int) -> int:
        parent.setdefault(contact, contact)
        top = contact
        while parent[top] != top:
            top = parent[top]
        while parent[contact] != top:
            parent[contact], contact = top, parent[contact]
        return top

    for first, second in links:
        low, high = sorted((root(first), root(second)))
        parent[high] = low
    members: dict[int, list[int]] = defaultdict(list)
    for contact in parent:
        members[root(contact)].append(contact)
    inner: dict[int, list[Pair]] = defaultdict(list)
    for pair in links:
        inner[root(pair[0])].append(pair)
    return [(sorted(group), inner[top]) for top, group in members.items()]


def _group(
    members: list[int],
    links: dict[Pair, float],
    evidence: dict[Pair, list[tuple[float, str]]],
    facts: dict[int, ContactFacts],
) -> DuplicateGroup:
    """Return one group with its score and reasons, from the `links` among its members."""
    score = max(links.values())
    reasons: dict[str, tuple[float, set[int]]] = {}
    for pair in links:
        for piece, reason in evidence[pair]:
            best, ids = reasons.get(reason, (0.0, set()))
            reasons[reason] = (max(best, piece), ids | set(pair))
    ordered = sorted(reasons.items(), key=lambda item: (-item[1][0], item[0]))
    texts = []
    for reason, (_, ids) in ordered:
        if len(members) > 2 and len(ids) < len(members):
            reason += f" (ids {', '.join(str(contact) for contact in sorted(ids))})"
        texts.append(reason)
    names = [facts[contact].name if contact in facts else "" for contact in members]
    return DuplicateGroup(score=score, reasons=texts, ids=members, names=names)
