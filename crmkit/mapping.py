"""The YAML mapping: how a file's columns become contact (or event) fields.

A mapping is read and checked completely before an import touches the
database: broken YAML, an unknown setting, a target that does not exist or a
column the file lacks each stop the import with one sentence saying where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crmkit.errors import CrmError
from crmkit.model import EVENT_KINDS, CustomField
from crmkit.store.sqlite.writer import MATCH_KEYS
from crmkit.targets import ConversionSettings, Target, resolve_target

__all__ = ["Mapping", "load_mapping", "parse_mapping"]

_SETTINGS = {
    "target",
    "kind",
    "region",
    "timezone",
    "dayfirst",
    "separator",
    "match",
    "columns",
    "source",
    "preset",
    "campaign",
    "group",
}
_PRESETS = ("google", "outlook", "crmkit")


@dataclass
class Mapping:
    """A checked mapping; `columns` maps a file column to a target (None = ignore)."""

    target: str = "contacts"
    kind: str = "person"
    region: str = "PL"
    timezone: str = "UTC"
    dayfirst: bool = True
    separator: str = " | "
    match: list[str] = field(default_factory=list)
    columns: dict[str, str | None] | None = None
    source: str = ""
    origin: str = "mapping"
    preset: str | None = None
    campaign: str | None = None
    group: str | None = None

    @property
    def settings(self) -> ConversionSettings:
        return ConversionSettings(self.region, self.timezone, self.dayfirst, self.separator)

    def as_dict(self) -> dict[str, Any]:
        """What the import history keeps of this mapping."""
        return {
            "target": self.target,
            "kind": self.kind,
            "region": self.region,
            "timezone": self.timezone,
            "dayfirst": self.dayfirst,
            "separator": self.separator,
            "match": self.match,
            "columns": self.columns,
            **({"preset": self.preset} if self.preset else {}),
            **({"campaign": self.campaign} if self.campaign else {}),
            **({"group": self.group} if self.group else {}),
        }

    def resolve_contact_columns(
        self,
        header: Sequence[str],
        fields: dict[str, CustomField],
        campaign: dict[str, Any] | None = None,
    ) -> tuple[list[tuple[str, Target]], list[str]]:
        """Pair each file column with its target; also the columns left out.

        Without explicit columns, headers that are target names map to themselves.
        `campaign` is the campaign of the `campaign:` setting, whose statuses
        `campaign.status` takes.
        """
        pairs: list[tuple[str, Target]] = []
        ignored: list[str] = []
        if self.columns is None:
            for column in header:
                try:
                    pairs.append((column, resolve_target(column, fields)))
                except CrmError:
                    pairs.append((column, Target(column, "ignore")))
                    ignored.append(column)
            return pairs, ignored
        missing = [column for column in self.columns if column not in header]
        if missing:
            raise CrmError(
                f"{self.origin}: column {missing[0]!r} is not in the file"
                f" (the file has: {', '.join(header)})"
            )
        for column in header:
            target_name = self.columns.get(column, "")
            if target_name == "":
                pairs.append((column, Target(column, "ignore")))
                ignored.append(column)
            elif target_name is None:
                pairs.append((column, Target(column, "ignore")))
            elif target_name == "campaign.status":
                pairs.append((column, self._campaign_status(column, campaign)))
            else:
                try:
                    pairs.append((column, resolve_target(target_name, fields)))
                except CrmError as exc:
                    raise CrmError(f"{self.origin}, column {column!r}: {exc}") from None
        return pairs, ignored

    def _campaign_status(self, column: str, campaign: dict[str, Any] | None) -> Target:
        """The target `campaign.status`: a choice among the campaign's statuses."""
        if campaign is None:
            raise CrmError(
                f"{self.origin}, column {column!r}: target 'campaign.status' needs the setting"
                " campaign: NAME (the campaign whose status the column holds)"
            )
        statuses = CustomField(
            id=0, key="campaign.status", type="select", label=campaign["name"],
            options=list(campaign["statuses"]),
        )  # fmt: skip
        return Target("campaign.status", "campaign_status", campaign["name"], statuses)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file."""
    import yaml

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CrmError(f"mapping file {source} does not exist") from None
    except UnicodeDecodeError:
        raise CrmError(f"mapping file {source} is not UTF-8 text") from None
    except OSError as exc:
        raise CrmError(f"cannot read mapping file {source}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        raise CrmError(f"mapping file {source} is not valid YAML{where}: {problem}") from None
    return parse_mapping(data, origin=f"mapping file {source}")


def parse_mapping(data: Any, origin: str = "mapping") -> Mapping:
    """Check a mapping given as a dict (as parsed from YAML)."""
    if not isinstance(data, dict):
        raise CrmError(f"{origin} must be a YAML mapping of settings (target, columns, ...)")
    unknown = sorted(set(map(str, data)) - _SETTINGS)
    if unknown:
        raise CrmError(
            f"{origin}: unknown setting {unknown[0]!r};"
            f" valid settings are {', '.join(sorted(_SETTINGS))}"
        )
    mapping = Mapping(origin=origin)
    target = data.get("target", "contacts")
    if target not in ("contacts", "events", "records"):
        raise CrmError(f"{origin}: target must be contacts, events or records, not {target!r}")
    mapping.target = target
    _campaign_and_group(mapping, data)
    kind = data.get("kind", {"contacts": "person", "events": "call"}.get(target))
    if target == "events" and kind not in EVENT_KINDS:
        raise CrmError(
            f"{origin}: kind must be an event kind ({', '.join(EVENT_KINDS)}), not {kind!r}"
        )
    if target == "contacts" and kind not in ("person", "organization"):
        raise CrmError(f"{origin}: kind must be person or organization, not {kind!r}")
    if target == "records" and kind is not None:
        raise CrmError(f"{origin}: kind is not a setting of target records (group names it)")
    mapping.kind = kind or "person"
    mapping.region = _region(data.get("region", "PL"), origin)
    mapping.timezone = _zone(data.get("timezone", "UTC"), origin)
    dayfirst = data.get("dayfirst", True)
    if not isinstance(dayfirst, bool):
        raise CrmError(f"{origin}: dayfirst must be true or false, not {dayfirst!r}")
    mapping.dayfirst = dayfirst
    separator = data.get("separator", " | ")
    if not isinstance(separator, str) or not separator:
        raise CrmError(f"{origin}: separator must be a non-empty string")
    mapping.separator = separator
    mapping.match = _match(data.get("match", []), origin, target)
    mapping.source = str(data.get("source") or "")
    preset = data.get("preset")
    if preset is not None:
        if preset not in _PRESETS:
            raise CrmError(f"{origin}: preset must be one of {', '.join(_PRESETS)}, not {preset!r}")
        if target != "contacts":
            raise CrmError(f"{origin}: a preset reads contacts; it cannot go with target {target}")
        if data.get("columns") is not None:
            raise CrmError(f"{origin}: a preset reads the columns itself; leave columns out")
        mapping.preset = preset
        return mapping
    columns = data.get("columns")
    if columns is None:
        raise CrmError(f"{origin}: it has no columns section (file column -> target)")
    if not isinstance(columns, dict) or not columns:
        raise CrmError(f"{origin}: columns must map file columns to targets")
    checked: dict[str, str | None] = {}
    for column, target_name in columns.items():
        if target_name is not None and not isinstance(target_name, str):
            raise CrmError(f"{origin}: the target of column {column!r} must be a name or null")
        checked[str(column)] = target_name.strip() if isinstance(target_name, str) else None
    mapping.columns = checked
    return mapping


def _campaign_and_group(mapping: Mapping, data: dict[str, Any]) -> None:
    """Check `campaign:` (contacts only) and `group:` (records only, where it is needed)."""
    origin, target = mapping.origin, mapping.target
    for setting, wanted in (("campaign", "contacts"), ("group", "records")):
        value = data.get(setting)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise CrmError(f"{origin}: {setting} must be a name, not {value!r}")
        if target != wanted:
            raise CrmError(f"{origin}: {setting} is a setting of target {wanted}, not {target}")
        setattr(mapping, setting, value.strip())
    if target == "records" and mapping.group is None:
        raise CrmError(
            f"{origin}: target records needs the setting group: KEY (the group of fields"
            " whose records the file holds)"
        )


def _region(value: Any, origin: str) -> str:
    import phonenumbers

    region = str(value).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise CrmError(f"{origin}: region {value!r} is not a known two-letter country code")
    return region


def _zone(value: Any, origin: str) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise CrmError(
            f"{origin}: timezone {value!r} is not a known zone such as Europe/Warsaw"
        ) from None
    return str(value)


def _match(value: Any, origin: str, target: str) -> list[str]:
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise CrmError(f"{origin}: match must be a list such as [external_id, email, phone]")
    if target == "contacts":
        wrong = [key for key in keys if key not in MATCH_KEYS]
        if wrong:
            raise CrmError(
                f"{origin}: cannot match on {wrong[0]!r}; use any of {', '.join(MATCH_KEYS)}"
            )
    return list(keys)
