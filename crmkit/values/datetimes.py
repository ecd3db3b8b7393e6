"""Dates and times, stored as UTC text with second precision: `2024-03-05T13:30:00Z`.

Numeric spellings (`2024-03-05 14:30`, `05.03.2024`) are read here, strictly: dateutil
with `dayfirst` silently turns `2024-03-05` into May 3rd and `13.25.2024` into something,
and a wrong date is worse than an error. The common shapes go straight to
`datetime.fromisoformat` (dotted dates rearranged by slicing), other numeric forms through
a regex. dateutil only reads what is left (month names, RFC 2822 and the like), behind a
cache, and its answer must agree with any numeric date it contains.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from crmkit.errors import CrmError, InvalidValue

__all__ = ["parse_date", "parse_datetime", "parse_duration", "to_utc_text", "utc_now"]

_UTC = dt.timezone.utc
_TIME = (
    r"(?:(?:T|,?\s+)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.,][0-9]+)?)?"
    r"\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_YEAR_FIRST = re.compile(r"([0-9]{4})([-./])([0-9]{1,2})\2([0-9]{1,2})" + _TIME)
_DAY_FIRST = re.compile(r"([0-9]{1,2})([-./])([0-9]{1,2})\2([0-9]{4})" + _TIME)
# Any run of three numbers joined by date separators: if the strict forms above cannot read
# it, no one should guess (two-digit years, month-first-or-day-first, ...).
_NUMERIC_TRIPLE = re.compile(r"[0-9]+([-./])[0-9]+\1[0-9]+")
_DURATION = re.compile(r"([0-9]{1,9})(?::([0-9]{2}))?(?::([0-9]{2}))?")
# Two defaults differing in every field: a part dateutil filled in shows up as a difference.
_DEFAULTS = (dt.datetime(2000, 1, 1, 0, 0, 0), dt.datetime(2004, 2, 2, 1, 1, 1))
_ZONES: dict[str, dt.tzinfo] = {"UTC": _UTC}
_OFFSETS: dict[str, dt.timezone] = {"Z": _UTC}

# A reading before conversion: naive (local) or aware datetime, and whether a time was written.
_Reading = tuple[dt.datetime, bool]


def parse_datetime(raw: str, tz: str = "UTC", dayfirst: bool = True) -> str:
    """Canonical UTC text for a date/time; a value without offset is local time in `tz`.

    A date alone means midnight local time. Fractional seconds are dropped.
    """
    zone = _zone(tz)
    text = raw.strip()
    if len(text) == 20 and text[19] == "Z" and _is_canonical(text):
        return text
    moment, _ = _read(text, dayfirst)
    offset = moment.utcoffset()
    if offset is None:
        offset = zone.utcoffset(moment)
    elif moment.tzinfo is not None:
        moment = dt.datetime.combine(moment.date(), moment.time())
    return _naive_utc_text(moment, offset)


def parse_date(raw: str, dayfirst: bool = True) -> str:
    """`YYYY-MM-DD` for a calendar date written in any accepted spelling, without a time."""
    text = raw.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    moment, has_time = _read(text, dayfirst)
    if has_time:
        raise InvalidValue("a date without time is expected")
    return moment.date().isoformat()


def utc_now() -> str:
    """The current moment in canonical form."""
    return to_utc_text(dt.datetime.now(_UTC))


def to_utc_text(moment: dt.datetime) -> str:
    """Canonical form of a datetime; a naive one is taken to be UTC already."""
    offset = moment.utcoffset()
    if moment.tzinfo is not None:
        moment = dt.datetime.combine(moment.date(), moment.time())
    return _naive_utc_text(moment, offset)


def parse_duration(raw: str) -> int:
    """Seconds from `95`, `1:35` (m:ss) or `1:01:35` (h:mm:ss), as call logs write them."""
    text = raw.strip()
    if not text:
        raise InvalidValue("empty duration")
    match = _DURATION.fullmatch(text)
    if match is None:
        raise InvalidValue("not a duration")
    first, second, third = match.groups()
    if second is None:
        return int(first)
    if third is None:
        minutes, seconds = int(first), int(second)
        if seconds >= 60:
            raise InvalidValue("not a duration")
        return minutes * 60 + seconds
    hours, minutes, seconds = int(first), int(second), int(third)
    if minutes >= 60 or seconds >= 60:
        raise InvalidValue("not a duration")
    return hours * 3600 + minutes * 60 + seconds


def _is_canonical(text: str) -> bool:
    """Whether a 20-character text ending in Z is already exactly what this module writes.

    With the separators in place, `fromisoformat` succeeding means every other position is
    an ASCII digit and the fields are in range; hour 24 is refused first because some
    Python versions read `24:00:00` as the next midnight.
    """
    if text[4] != "-" or text[7] != "-" or text[10] != "T" or text[13] != ":":
        return False
    if text[16] != ":" or text[11:13] >= "24" or not text.isascii():
        return False
    try:
        dt.datetime.fromisoformat(text[:19])
    except ValueError:
        return False
    return True


def _naive_utc_text(moment: dt.datetime, offset: dt.timedelta | None) -> str:
    """Canonical text for a naive datetime that is `offset` ahead of UTC.

    Plain arithmetic on naive values: several times cheaper than `astimezone`/`replace`.
    """
    if moment.microsecond:
        moment -= dt.timedelta(microseconds=moment.microsecond)
    if offset:
        try:
            moment -= offset
        except OverflowError:
            raise InvalidValue("date out of range") from None
    return moment.isoformat() + "Z"


def _zone(name: str) -> dt.tzinfo:
    zone = _ZONES.get(name)
    if zone is None:
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise CrmError(f"unknown time zone {name!r}") from None
        _ZONES[name] = zone
    return zone


def _read(text: str, dayfirst: bool) -> _Reading:
    """Read a stripped date/time: common shapes via `fromisoformat`, other numeric forms
    strictly by regex, then dateutil."""
    if not text:
        raise InvalidValue("empty date/time")
    iso = _common_shape_as_iso(text, dayfirst)
    if iso is not None:
        try:
            return dt.datetime.fromisoformat(iso), len(iso) > 10
        except ValueError:
            pass  # the strict reading below says what is wrong
    match = _YEAR_FIRST.fullmatch(text)
    if match is not None:
        year, _, month, day, *time_parts = match.groups()
        return _build(year, month, day, *time_parts)
    match = _DAY_FIRST.fullmatch(text)
    if match is not None:
        first, _, second, year, *time_parts = match.groups()
        day, month = (first, second) if dayfirst else (second, first)
        return _build(year, month, day, *time_parts)
    reading = _read_with_dateutil(text, dayfirst)
    if isinstance(reading, str):
        raise InvalidValue(reading)
    return reading


def _common_shape_as_iso(text: str, dayfirst: bool) -> str | None:
    """ISO spelling of `YYYY-MM-DD...` and `DD.MM.YYYY[ HH:MM[:SS]]` texts, by slicing.

    Only positions are checked here; `fromisoformat` checks the digits.
    """
    length = len(text)
    if length < 10 or not text.isascii():
        return None
    if text[4] == "-" and text[7] == "-":
        # Python 3.10's fromisoformat does not know "Z".
        return text[:-1] + "+00:00" if text[-1] == "Z" else text
    separator = text[2]
    if (separator == "." or separator == "/") and text[5] == separator:
        if length != 10 and not ((length == 16 or length == 19) and text[10] == " "):
            return None
        day, month = (text[0:2], text[3:5]) if dayfirst else (text[3:5], text[0:2])
        return f"{text[6:10]}-{month}-{day}{text[10:]}"
    return None


def _build(
    year: str,
    month: str,
    day: str,
    hour: str | None,
    minute: str | None,
    second: str | None,
    offset: str | None,
) -> _Reading:
    date = _date(year, month, day)
    if hour is None or minute is None:
        return dt.datetime(date.year, date.month, date.day), False
    try:
        time = dt.time(int(hour), int(minute), int(second) if second else 0)
    except ValueError:
        raise InvalidValue("no such time") from None
    tzinfo = None if offset is None else _offset(offset)
    return dt.datetime.combine(date, time, tzinfo), True


def _date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidValue("no such date") from None


def _offset(text: str) -> dt.timezone:
    offset = _OFFSETS.get(text)
    if offset is None:
        digits = text[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
        if minutes >= 24 * 60 or int(digits[2:] or 0) >= 60:
            raise InvalidValue("not a date/time")
        sign = -1 if text[0] == "-" else 1
        offset = dt.timezone(dt.timedelta(minutes=sign * minutes))
        _OFFSETS[text] = offset
    return offset


@lru_cache(maxsize=8192)
def _read_with_dateutil(text: str, dayfirst: bool) -> _Reading | str:
    """dateutil's reading of `text`, or the reason it is refused (cached either way)."""
    if text.isdigit():
        return "not a date/time"
    expected: dt.date | None = None
    yearfirst = False
    triple = _NUMERIC_TRIPLE.search(text)
    if triple is not None:
        year_first = _YEAR_FIRST.match(triple.group())
        day_first = _DAY_FIRST.match(triple.group())
        try:
            if year_first is not None and year_first.end() == len(triple.group()):
                year, _, month, day = year_first.groups()[:4]
                expected, yearfirst, dayfirst = _date(year, month, day), True, False
            elif day_first is not None and day_first.end() == len(triple.group()):
                first, _, second, year = day_first.groups()[:4]
                day, month = (first, second) if dayfirst else (second, first)
                expected = _date(year, month, day)
            else:
                return "not a date/time"
        except InvalidValue as error:
            return str(error)
    readings: list[dt.datetime] = []
    for default in _DEFAULTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
                reading = dateutil_parser.parse(
                    text, default=default, dayfirst=dayfirst, yearfirst=yearfirst
                )
        except (ValueError, OverflowError, dateutil_parser.UnknownTimezoneWarning) as error:
            # Failing only with the second default means a part was missing, not impossible.
            return _reason(error) if not readings else "not a date/time"
        readings.append(reading)
    first, second = readings
    if first.date() != second.date() or first.tzinfo != second.tzinfo:
        return "not a date/time"
    if expected is not None and first.date() != expected:
        return "not a date/time"
    # Minutes and seconds may be left out of a written time, the hour may not.
    return first.replace(microsecond=0), first.hour == second.hour


def _reason(error: Exception) -> str:
    """Tell an impossible date or time from text that is no date at all."""
    message = str(error)
    if message.startswith(("hour", "minute", "second")):
        return "no such time"
    if "out of range" in message or "must be in" in message:
        return "no such date"
    return "not a date/time"
