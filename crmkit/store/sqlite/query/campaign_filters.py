"""Filters on campaigns: `campaign=NAME`, `campaign.NAME.status=S`, `.callback<=T`, `.agent=U`.

`campaign=NAME` means "is in" (any of the alternatives), `!=` "is in none of
them", `~` "is in one whose name contains"; `campaign=` alone selects contacts in
no campaign. A part of a campaign compares the contact's place in it; as with
every `!=`, a contact not in the campaign counts as "not equal". Statuses and
users are checked by name, so a typo is an error, not an empty list.
"""

from __future__ import annotations

from crmkit.errors import CrmError
from crmkit.query.filters import Comparison
from crmkit.store.sqlite.query.fields import CampaignDef, FieldSpec, QuerySchema
from crmkit.store.sqlite.query.predicates import (
    ORDER_OPS,
    FilterSettings,
    Predicate,
    moment_predicates,
    placeholders,
    refuse,
)
from crmkit.values.names import fold_text, name_key

__all__ = ["CAMPAIGN_COMPILERS"]

_IN_CAMPAIGN = "SELECT contact_id FROM campaign_contacts WHERE campaign_id = ?"


def _within(subquery: str, params: tuple[object, ...], negative: bool) -> Predicate:
    return Predicate(f"c.id {'NOT IN' if negative else 'IN'} ({subquery})", params)


def _campaign(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    if comparison.op in ORDER_OPS:
        raise refuse(spec, comparison, "=, != or ~")
    if not comparison.values:
        return _within("SELECT contact_id FROM campaign_contacts", (), comparison.op == "=")
    known = schema.campaigns
    ids: list[int] = []
    for value in comparison.values:
        if comparison.op == "~":
            needle = fold_text(value)
            ids += [c.id for c in known.values() if needle in fold_text(c.name)]
            continue
        found = known.get(name_key(value))
        if found is None:
            names = ", ".join(sorted(c.name for c in known.values())) or "none yet"
            raise CrmError(
                f"filter {comparison.text!r}: no campaign named {value!r} (campaigns: {names})"
            )
        ids.append(found.id)
    return _within(
        f"SELECT contact_id FROM campaign_contacts WHERE campaign_id IN ({placeholders(len(ids))})",
        tuple(sorted(set(ids))),
        comparison.op == "!=",
    )


def _campaign_of(spec: FieldSpec) -> CampaignDef:
    assert spec.campaign is not None
    return spec.campaign


def _status(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    campaign = _campaign_of(spec)
    if comparison.op in ORDER_OPS or comparison.op == "~":
        raise refuse(spec, comparison, "= or !=")
    if not comparison.values:
        raise CrmError(f"filter {comparison.text!r} needs a status: {', '.join(campaign.statuses)}")
    by_key = {name_key(status): status for status in campaign.statuses}
    statuses = []
    for value in comparison.values:
        status = by_key.get(name_key(value))
        if status is None:
            raise CrmError(
                f"filter {comparison.text!r}: {value!r} is not a status of campaign"
                f" {campaign.name!r} ({', '.join(campaign.statuses)})"
            )
        statuses.append(status)
    return _within(
        f"{_IN_CAMPAIGN} AND status IN ({placeholders(len(statuses))})",
        (campaign.id, *statuses),
        comparison.op == "!=",
    )


def _callback(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    """Call-backs compare as datetimes; a day, month or year is that whole period."""
    campaign = _campaign_of(spec)
    if comparison.op == "~":
        raise refuse(spec, comparison, "=, !=, >, >=, < or <=")
    if not comparison.values:
        return _within(
            f"{_IN_CAMPAIGN} AND callback_at IS NOT NULL", (campaign.id,), comparison.op == "="
        )
    positive = comparison._replace(op="=") if comparison.op == "!=" else comparison
    inner = moment_predicates(Predicate("callback_at"), positive, settings)
    return _within(
        f"{_IN_CAMPAIGN} AND {inner.sql}", (campaign.id, *inner.params), comparison.op == "!="
    )


def _agent(
    spec: FieldSpec, comparison: Comparison, schema: QuerySchema, settings: FilterSettings
) -> Predicate:
    campaign = _campaign_of(spec)
    if comparison.op in ORDER_OPS or comparison.op == "~":
        raise refuse(spec, comparison, "= or !=")
    if not comparison.values:
        return _within(
            f"{_IN_CAMPAIGN} AND agent_id IS NOT NULL", (campaign.id,), comparison.op == "="
        )
    ids = []
    for value in comparison.values:
        found = schema.users.get(name_key(value))
        if found is None:
            raise CrmError(f"filter {comparison.text!r}: no user named {value!r}")
        ids.append(found[0])
    return _within(
        f"{_IN_CAMPAIGN} AND agent_id IN ({placeholders(len(ids))})",
        (campaign.id, *ids),
        comparison.op == "!=",
    )


CAMPAIGN_COMPILERS = {
    "campaign": _campaign,
    "campaign_status": _status,
    "campaign_callback": _callback,
    "campaign_agent": _agent,
}
