"""Dates and times: every spelling of a moment gives one UTC text; no date is ever guessed."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import CrmError, InvalidValue
from crmkit.values import datetimes
from crmkit.values.datetimes import (
    parse_date,
    parse_datetime,
    parse_duration,
    to_utc_text,
    utc_now,
)

UTC = dt.timezone.utc
CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")

naive_moments = st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2100, 12, 30))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)


def offset_text(moment: dt.datetime, colon: bool = True) -> str:
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}" if colon else text


def expected_utc(moment: dt.datetime) -> str:
    utc = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


@pytest.mark.parametrize(
    ("raw", "tz", "expected"),
    [
        ("2024-03-05 14:30:00", "Europe/Warsaw", "2024-03-05T13:30:00Z"),
        ("2024-03-05 14:30", "Europe/Warsaw", "2024-03-05T13:30:00Z"),
        ("2024-03-05T14:30:00+01:00", "UTC", "2024-03-05T13:30:00Z"),
        ("2024-03-05T14:30:00+01:00", "America/New_York", "2024-03-05T13:30:00Z"),
        ("2024-03-05T14:30:00Z", "Europe/Warsaw", "2024-03-05T14:30:00Z"),
        ("2024-03-05", "Europe/Warsaw", "2024-03-04T23:00:00Z"),
        ("2024-03-05", "UTC", "2024-03-05T00:00:00Z"),
        ("05.03.2024 14:30", "Europe/Warsaw", "2024-03-05T13:30:00Z"),
        ("05.03.2024 14:30:00", "UTC", "2024-03-05T14:30:00Z"),
        ("05.03.2024", "UTC", "2024-03-05T00:00:00Z"),
        ("05/03/2024", "UTC", "2024-03-05T00:00:00Z"),
        ("5.3.2024 9:05", "UTC", "2024-03-05T09:05:00Z"),
        ("2024-3-5", "UTC", "2024-03-05T00:00:00Z"),
        ("2024/03/05 14:30", "UTC", "2024-03-05T14:30:00Z"),
        ("2024-07-01 12:00", "Europe/Warsaw", "2024-07-01T10:00:00Z"),
        ("5 March 2024", "UTC", "2024-03-05T00:00:00Z"),
        ("March 5, 2024 2 PM", "UTC", "2024-03-05T14:00:00Z"),
        ("Tue, 05 Mar 2024 14:30:00 GMT", "Europe/Warsaw", "2024-03-05T14:30:00Z"),
        ("2024-03-05 14:30 UTC", "Europe/Warsaw", "2024-03-05T14:30:00Z"),
        ("2024-03-05T14:30:59.999999Z", "UTC", "2024-03-05T14:30:59Z"),
        ("2024-03-05 14:30:59.5", "UTC", "2024-03-05T14:30:59Z"),
        ("  2024-03-05T14:30:00Z  ", "UTC", "2024-03-05T14:30:00Z"),
        ("0999-01-01", "UTC", "0999-01-01T00:00:00Z"),
        # Spring forward: 02:30 does not exist; fold=0 reads it with the winter offset.
        ("2024-03-31 02:30", "Europe/Warsaw", "2024-03-31T01:30:00Z"),
        # Fall back: 02:30 happens twice; fold=0 is the first (summer) one.
        ("2024-10-27 02:30", "Europe/Warsaw", "2024-10-27T00:30:00Z"),
    ],
)
def test_parse_datetime_examples(raw: str, tz: str, expected: str) -> None:
    assert parse_datetime(raw, tz) == expected


def test_month_first_when_asked() -> None:
    assert parse_datetime("03.05.2024", dayfirst=False) == "2024-03-05T00:00:00Z"
    assert parse_datetime("03.05.2024") == "2024-05-03T00:00:00Z"
    assert parse_date("03/05/2024", dayfirst=False) == "2024-03-05"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31.02.2024", "no such date"),
        ("2024-02-30", "no such date"),
        ("13.25.2024", "no such date"),
        ("29.02.2023", "no such date"),
        ("Feb 30 2024", "no such date"),
        ("2024-03-05 25:00", "no such time"),
        ("2024-03-05T14:60:00Z", "no such time"),
        ("March", "not a date/time"),
        ("March 2024", "not a date/time"),
        ("12", "not a date/time"),
        ("20240305", "not a date/time"),
        ("05.03.24", "not a date/time"),
        ("hello", "not a date/time"),
        ("14:30", "not a date/time"),
        ("5 Mar 2024 14:30 CET", "not a date/time"),
        ("2024-03-05T14:30:00+25:00", "not a date/time"),
        ("", "empty date/time"),
        ("   ", "empty date/time"),
    ],
)
def test_parse_datetime_errors(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=f"^{re.escape(reason)}$"):
        parse_datetime(raw, "Europe/Warsaw")


def test_month_first_never_swaps_an_impossible_date() -> None:
    with pytest.raises(InvalidValue, match="^no such date$"):
        parse_datetime("13.05.2024", dayfirst=False)


def test_unknown_time_zone_is_a_user_error() -> None:
    with pytest.raises(CrmError, match="unknown time zone"):
        parse_datetime("2024-03-05 14:30", "Europe/Nowhere")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("05.03.2024", "2024-03-05"),
        ("05/03/2024", "2024-03-05"),
        ("5.3.2024", "2024-03-05"),
        ("2024/3/5", "2024-03-05"),
        ("5 March 2024", "2024-03-05"),
        (" 2024-03-05 ", "2024-03-05"),
    ],
)
def test_parse_date_examples(raw: str, expected: str) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2024-03-05 14:30", "a date without time is expected"),
        ("05.03.2024 00:00", "a date without time is expected"),
        ("2024-03-05T00:00:00Z", "a date without time is expected"),
        ("March 5, 2024 2 PM", "a date without time is expected"),
        ("2024-02-30", "no such date"),
        ("31.04.2024", "no such date"),
        ("March", "not a date/time"),
        ("", "empty date/time"),
    ],
)
def test_parse_date_errors(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=f"^{re.escape(reason)}$"):
        parse_date(raw)


def test_to_utc_text() -> None:
    warsaw = ZoneInfo("Europe/Warsaw")
    assert to_utc_text(dt.datetime(2024, 3, 5, 14, 30, 15, 999)) == "2024-03-05T14:30:15Z"
    assert to_utc_text(dt.datetime(2024, 7, 1, 12, 0, tzinfo=warsaw)) == "2024-07-01T10:00:00Z"
    new_year_in_lima = dt.datetime(2024, 12, 31, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert to_utc_text(new_year_in_lima) == "2025-01-01T03:00:00Z"


def test_utc_now_is_canonical_and_current() -> None:
    before = dt.datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    now = utc_now()
    after = dt.datetime.now(UTC).replace(tzinfo=None)
    assert CANONICAL.fullmatch(now)
    assert before <= dt.datetime.fromisoformat(now[:-1]) <= after


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("95", 95), ("0", 0), ("1:35", 95), ("75:30", 4530), ("1:01:35", 3695), (" 0:00:59 ", 59)],
)
def test_parse_duration(raw: str, expected: int) -> None:
    assert parse_duration(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "-5",
        "1:60",
        "1:00:60",
        "1:60:00",
        "1:5",
        "x",
        "1.5",
        "1::2",
        "\u0663",
        "1:2:3:4",
        "9" * 5000,
    ],
)
def test_parse_duration_errors(raw: str) -> None:
    with pytest.raises(InvalidValue, match="^not a duration$"):
        parse_duration(raw)


def test_parse_duration_empty() -> None:
    with pytest.raises(InvalidValue, match="^empty duration$"):
        parse_duration("  ")


def input_styles(moment: dt.datetime) -> list[str]:
    """Ways an aware moment is written in files that reach the importer."""
    utc = moment.astimezone(UTC)
    return [
        moment.isoformat(),
        moment.strftime("%Y-%m-%d %H:%M:%S") + offset_text(moment),
        moment.strftime("%Y-%m-%dT%H:%M:%S") + offset_text(moment, colon=False),
        moment.strftime("%d.%m.%Y %H:%M:%S ") + offset_text(moment),
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        utc.strftime("%d.%m.%Y %H:%M:%S") + "Z",
        moment.strftime("%d %b %Y %H:%M:%S ") + offset_text(moment, colon=False),
    ]


@given(naive_moments, offsets)
@settings(deadline=None)
def test_every_style_of_an_aware_moment_gives_the_same_utc(
    naive: dt.datetime, offset: dt.timezone
) -> None:
    moment = naive.replace(tzinfo=offset)
    expected = expected_utc(moment)
    for text in input_styles(moment):
        assert parse_datetime(text, "Europe/Warsaw") == expected, text


@given(naive_moments, st.sampled_from(["UTC", "Europe/Warsaw", "America/New_York", "Asia/Kolkata"]))
@settings(deadline=None)
def test_naive_values_are_local_time_in_the_zone(naive: dt.datetime, tz: str) -> None:
    expected = expected_utc(naive.replace(tzinfo=ZoneInfo(tz)))
    for text in (
        naive.strftime("%Y-%m-%d %H:%M:%S"),
        naive.strftime("%d.%m.%Y %H:%M:%S"),
        naive.strftime("%d/%m/%Y %H:%M:%S"),
        naive.strftime("%B %d, %Y %H:%M:%S"),
    ):
        assert parse_datetime(text, tz) == expected, text


def fast_forms(moment: dt.datetime, dayfirst: bool) -> list[str]:
    day_month = "%d.%m.%Y" if dayfirst else "%m.%d.%Y"
    first, second = (moment.day, moment.month) if dayfirst else (moment.month, moment.day)
    return [
        moment.strftime("%Y-%m-%d"),
        moment.strftime("%Y-%m-%d %H:%M"),
        moment.strftime("%Y-%m-%dT%H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%S+02:00"),
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        moment.strftime(day_month),
        moment.strftime(day_month + " %H:%M"),
        moment.strftime(day_month + " %H:%M:%S"),
        moment.strftime(day_month.replace(".", "/")),
        f"{first}.{second}.{moment.year:04d} {moment.hour}:{moment.minute:02d}",
    ]


@given(naive_moments.map(lambda m: m.replace(microsecond=0)), st.booleans())
@settings(deadline=None)
def test_fast_paths_equal_the_dateutil_path(moment: dt.datetime, dayfirst: bool) -> None:
    for text in fast_forms(moment, dayfirst):
        assert datetimes._read(text, dayfirst) == datetimes._read_with_dateutil(text, dayfirst)


@given(
    st.integers(min_value=1, max_value=31),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1900, max_value=2100),
    st.booleans(),
)
def test_numeric_dates_are_read_exactly_or_refused(
    day: int, month: int, year: int, dayfirst: bool
) -> None:
    first, second = (day, month) if dayfirst else (month, day)
    text = f"{first:02d}.{second:02d}.{year}"
    try:
        expected = dt.date(year, month, day).isoformat()
    except ValueError:
        with pytest.raises(InvalidValue, match="^no such date$"):
            parse_date(text, dayfirst)
    else:
        assert parse_date(text, dayfirst) == expected


@given(st.integers(min_value=0, max_value=10**6))
def test_duration_spellings_round_trip(seconds: int) -> None:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    assert parse_duration(str(seconds)) == seconds
    assert parse_duration(f"{hours * 60 + minutes}:{secs:02d}") == seconds
    assert parse_duration(f"{hours}:{minutes:02d}:{secs:02d}") == seconds


@given(naive_moments, offsets)
def test_to_utc_text_is_a_fixed_point_of_parsing(naive: dt.datetime, offset: dt.timezone) -> None:
    text = to_utc_text(naive.replace(tzinfo=offset))
    assert CANONICAL.fullmatch(text)
    assert parse_datetime(text, "Asia/Tokyo") == text
