"""From what headers and values say to one target per column, each with its reason.

Every column gets candidates from its header (`header_scores`, custom fields by key or
label) and from its values (`Profile`); a candidate both agree on gains. Targets are
given out best first, each to one column (phones and e-mails to any number); a column
whose best candidate is weak, or hardly better than the next, stays unmapped, with its
candidates in the comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crmkit.model import CustomField
from crmkit.suggest.headers import CONTACT_HEADERS, EVENT_HEADERS, folded, has_word, header_scores
from crmkit.suggest.profile import Profile

__all__ = ["Candidate", "ColumnGuess", "Reference", "guess_columns", "looks_like_events"]

# Words of a header that say a phone's type or an e-mail's label, in order of precedence.
_PHONE_WORDS: dict[str, tuple[str, ...]] = {
    "home_fax": ("faks domowy", "fax domowy", "home fax"),
    "office_fax": ("fax", "faks"),
    "work": ("sluzbowy", "firmowy", "work", "business", "biuro", "praca"),
    "mobile": ("komorkowy", "komorka", "kom.", "mobile", "gsm", "cell"),
    "landline": ("domowy", "home", "stacjonarny", "landline"),
    "main": ("glowny", "main", "centrala"),
    "other": ("inny", "other", "pozostaly", "dodatkowy"),
}
_EMAIL_WORDS: dict[str, tuple[str, ...]] = {
    "work": ("sluzbowy", "firmowy", "work", "business", "praca"),
    "home": ("prywatny", "domowy", "home", "private", "personal"),
}
_THRESHOLD = 0.5
_CLOSE = 0.08
_AGREE = 0.2
_REPEATABLE = ("phone", "email", "contact.phone", "contact.email")
# Targets whose values have a shape: a header alone does not make them when values disagree.
_SHAPED: dict[str, Callable[[Profile], float]] = {
    "email": lambda p: p.email,
    "contact.email": lambda p: p.email,
    "phone": lambda p: p.phone,
    "contact.phone": lambda p: p.phone,
    "address.postal_code": lambda p: p.postal,
    "pesel": lambda p: p.pesel,
    "nip": lambda p: p.nip,
    "regon": lambda p: p.regon,
    "created_at": lambda p: p.datetime,
    "updated_at": lambda p: p.datetime,
    "occurred_at": lambda p: p.datetime,
    "vip": lambda p: p.checkbox,
    "hidden": lambda p: p.checkbox,
    "direction": lambda p: p.direction,
    "duration": lambda p: max(p.duration, p.number),
}


@dataclass
class Reference:
    """The base's reference data, by matching key (see `name_key`)."""

    tags: set[str]
    users: set[str]
    fields: dict[str, CustomField]
    event_kinds: set[str] = field(default_factory=set)


@dataclass
class Candidate:
    target: str
    score: float
    reasons: list[str]


@dataclass
class ColumnGuess:
    """What a column is taken for: `target` (None: left out), why, and what else it could be."""

    column: str
    target: str | None
    reason: str
    samples: list[str]
    candidates: list[Candidate]


def looks_like_events(header: list[str], profiles: list[Profile]) -> bool:
    """A log of calls or messages: a date and time per row, durations or directions, no names."""
    names = [
        column
        for column in header
        if {"first_name", "last_name"} & header_scores(column, CONTACT_HEADERS).keys()
    ]
    moments = any(profile.with_time >= 0.7 for profile in profiles)
    calls = any(
        profile.direction >= 0.7 or (profile.duration >= 0.7 and profile.datetime < 0.5)
        for profile in profiles
    )
    return moments and calls and not names


def guess_columns(
    header: list[str], profiles: list[Profile], reference: Reference, *, events: bool
) -> list[ColumnGuess]:
    """One guess per column, in the order of the header."""
    offers = [
        _candidates(column, profile, reference, events)
        for column, profile in zip(header, profiles, strict=True)
    ]
    chosen: dict[int, Candidate] = {}
    taken: set[str] = set()
    ranked = sorted(
        (
            (candidate.score, index, candidate)
            for index, cands in enumerate(offers)
            for candidate in cands
        ),
        key=lambda item: -item[0],
    )
    for score, index, candidate in ranked:
        if index in chosen or score < _THRESHOLD:
            continue
        if candidate.target in taken and candidate.target not in _REPEATABLE:
            continue
        rivals = [
            c for c in offers[index] if c.target != candidate.target and c.target not in taken
        ]
        if rivals and rivals[0].score >= _THRESHOLD and score - rivals[0].score < _CLOSE:
            continue
        chosen[index] = candidate
        taken.add(candidate.target)
    guesses = []
    for index, (column, profile) in enumerate(zip(header, profiles, strict=True)):
        samples = profile.samples()
        pick = chosen.get(index)
        if pick is None:
            reason = _unmapped_reason(offers[index], taken, header, chosen)
            if not profile.values:
                reason = "the sampled rows leave it empty"
            guesses.append(ColumnGuess(column, None, reason, samples, offers[index]))
            continue
        target = _refine(pick.target, column, profile, events)
        guesses.append(ColumnGuess(column, target, "; ".join(pick.reasons), samples, offers[index]))
    return guesses


def _unmapped_reason(
    offers: list[Candidate], taken: set[str], header: list[str], chosen: dict[int, Candidate]
) -> str:
    """Why a column stays unmapped: nothing fits, its target went elsewhere, or no clear one."""
    strong = [offer for offer in offers if offer.score >= _THRESHOLD]
    if strong and strong[0].target in taken and strong[0].target not in _REPEATABLE:
        owner = next(header[i] for i, pick in chosen.items() if pick.target == strong[0].target)
        return f"it looks like {strong[0].target}, which column {owner!r} has"
    others = ", ".join(f"{offer.target} ({offer.score:.2f})" for offer in offers[:3])
    return f"no clear target; candidates: {others}" if others else "no target fits"


def _candidates(
    column: str, profile: Profile, reference: Reference, events: bool
) -> list[Candidate]:
    found: dict[str, Candidate] = {}

    def offer(target: str, score: float, reason: str) -> None:
        current = found.get(target)
        if current is None:
            found[target] = Candidate(target, score, [reason])
        elif reason not in current.reasons:
            current.score = max(current.score, score) + _AGREE
            current.reasons.append(reason)

    table = EVENT_HEADERS if events else CONTACT_HEADERS
    for target, score in header_scores(column, table).items():
        offer(target, 0.9 * score, "the header says so")
    if not events:
        _custom_offers(column, profile, reference, offer)
    _value_offers(profile, reference, events, offer)
    candidates = sorted(found.values(), key=lambda c: -c.score)
    shapes = dict(_SHAPED)
    shapes["kind"] = (lambda p: p.known(reference.event_kinds)) if events else (lambda p: p.kind)
    if reference.tags:
        shapes["tags"] = lambda p: p.known(reference.tags)
    if reference.users:
        for target in ("guardians", "observers", "agent"):
            shapes[target] = lambda p: p.known(reference.users)
    for candidate in candidates:
        shape = shapes.get(candidate.target)
        if shape is not None and profile.values and shape(profile) < 0.3:
            candidate.score *= 0.5
            candidate.reasons.append("but few values look like it")
    return sorted(candidates, key=lambda c: -c.score)


def _custom_offers(
    column: str, profile: Profile, reference: Reference, offer: Callable[[str, float, str], None]
) -> None:
    text = folded(column)
    for key, definition in reference.fields.items():
        if text in (folded(key), folded(definition.label)):
            offer(f"custom.{key}", 1.0, f"the header is custom field {key!r}")
        options = {option.casefold().strip() for option in definition.options}
        if options:
            share = profile.known(options)
            if share >= 0.5:
                offer(f"custom.{key}", 0.45 + 0.4 * share, f"values are options of {key!r}")
        if (
            definition.type == "checkbox"
            and profile.checkbox >= 0.8
            and has_word(text, folded(key))
        ):
            offer(f"custom.{key}", 0.8, "values are yes/no words")
        if definition.type == "url" and profile.url >= 0.8:
            offer(f"custom.{key}", 0.6, "values are web addresses")


def _value_offers(
    profile: Profile, reference: Reference, events: bool, offer: Callable[[str, float, str], None]
) -> None:
    p = profile
    if not p.values:
        return
    prefix = "contact." if events else ""
    if p.email >= 0.8:
        offer(f"{prefix}email", 0.55 + 0.4 * p.email, f"{p.email:.0%} are e-mail addresses")
    if p.phone >= 0.7:
        offer(f"{prefix}phone", 0.55 + 0.4 * p.phone, f"{p.phone:.0%} are phone numbers")
    users = p.known(reference.users)
    if users >= 0.5:
        offer("agent" if events else "guardians", 0.45 + 0.4 * users, "values are users")
        if not events:
            offer("observers", 0.4 + 0.4 * users, "values are users")
    if p.unique == 1.0 and len(p.values) > 1 and all(_code(value) for value in p.values):
        offer("external_id", 0.35, "values are distinct codes")
    if p.datetime >= 0.7:
        target = "occurred_at" if events else "created_at"
        offer(target, 0.4 + 0.2 * p.with_time, f"{p.datetime:.0%} are dates")
    if events:
        if p.direction >= 0.7:
            offer("direction", 0.9, "values are directions (in, out)")
        if p.duration >= 0.7:
            offer("duration", 0.85, "values are durations (m:ss)")
        kinds = p.known(reference.event_kinds)
        if kinds >= 0.7:
            offer("kind", 0.5 + 0.4 * kinds, "values are kinds of events")
        return
    if p.postal >= 0.8:
        offer("address.postal_code", 0.95, "values are postal codes (00-000)")
    for target, share in (("pesel", p.pesel), ("nip", p.nip), ("regon", p.regon)):
        if share >= 0.6:
            offer(target, 0.6 + 0.35 * share, f"{share:.0%} pass the {target.upper()} checksum")
    if p.kind >= 0.8:
        offer("kind", 0.95, "values are kinds (osoba, firma)")
    tags = p.known(reference.tags)
    if tags >= 0.5:
        offer("tags", 0.5 + 0.4 * tags, "values are tags")


def _code(value: str) -> bool:
    """A value that looks like an identifier: one word with a digit in it."""
    return " " not in value and len(value) <= 40 and any(char.isdigit() for char in value)


def _refine(target: str, column: str, profile: Profile, events: bool) -> str:
    """A phone column's type and an e-mail column's label, from the header and the numbers."""
    text = folded(column)
    if target == "phone":
        for kind, words in _PHONE_WORDS.items():
            if any(has_word(text, word) for word in words):
                return f"phone.{kind}"
        return "phone.mobile" if profile.mobile * 2 >= profile.phone else "phone.landline"
    if target == "email":
        for label, words in _EMAIL_WORDS.items():
            if any(has_word(text, word) for word in words):
                return f"email.{label}"
    return target
