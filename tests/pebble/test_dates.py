"""The date filters with Kestra's DateFilterTest values, Java's pattern letters and
Kestra's named formats."""

from __future__ import annotations

import datetime as dt

import pytest

from kestra_pebble.errors import PebbleError
from kestra_pebble.filters import FILTERS

from .fake_env import FakeEnv

PLUS_ONE = dt.timezone(dt.timedelta(hours=1))
# DateFilterTest.NOW: ZonedDateTime.parse("2013-09-08T16:19:12.123456+01")
NOW = dt.datetime(2013, 9, 8, 16, 19, 12, 123456, tzinfo=PLUS_ONE)


def apply(name, value, *args, **kwargs):
    return FILTERS[name](FakeEnv(), value, *args, **kwargs)


@pytest.mark.parametrize(
    ("value", "args", "kwargs", "expected"),
    [
        (
            NOW.replace(microsecond=0),
            (),
            {"format": "iso", "timeZone": "Europe/Paris"},
            "2013-09-08T17:19:12.000000+02:00",
        ),
        (NOW, ("iso_sec",), {"timeZone": "Europe/Paris"}, "2013-09-08T17:19:12+02:00"),
        (
            NOW,
            (),
            {"format": "iso", "timeZone": "Europe/Paris"},
            "2013-09-08T17:19:12.123456+02:00",
        ),
        (
            NOW.replace(tzinfo=None),
            ("yyyy-MM-dd HH:mm:ss.SSSSSSXXX",),
            {"timeZone": "Europe/Paris"},
            "2013-09-08 16:19:12.123456+02:00",
        ),
        (
            NOW.replace(tzinfo=None),
            ("yyyy-MM-dd HH:mm:ss.SSSSSSXXX",),
            {"timeZone": "UTC"},
            "2013-09-08 16:19:12.123456Z",
        ),
        ("July 24, 2001", ("yyyy-MM-dd",), {"existingFormat": "MMMM dd, yyyy"}, "2001-07-24"),
        (
            "2013-09-08T17:19:12+02:00",
            (),
            {"timeZone": "Europe/Paris"},
            "2013-09-08T17:19:12.000000+02:00",
        ),
        (
            "2013-09-08T17:19:12",
            (),
            {"timeZone": "Europe/Paris"},
            "2013-09-08T17:19:12.000000+02:00",
        ),
        ("2013-09-08", (), {"timeZone": "Europe/Paris"}, "2013-09-08T00:00:00.000000+02:00"),
        (
            "Tue, 08 Feb 2022 19:38:26 GMT",
            (),
            {"existingFormat": "rfc_1123_date_time", "timeZone": "Europe/Paris"},
            "2022-02-08T20:38:26.000000+01:00",
        ),
        ("2013-09-08T17:19:12+02:00", (), {}, "2013-09-08T15:19:12.000000Z"),
        (1378653552, ("yyyy-MM-dd HH:mm:ss",), {}, "2013-09-08 15:19:12"),
        (dt.date(2013, 9, 8), ("HH:mm",), {}, "12:00"),
        (NOW, ("sql",), {"timeZone": "UTC"}, "2013-09-08 15:19:12.123456"),
        (NOW, ("sql_seq",), {"timeZone": "UTC"}, "2013-09-08 15:19:12"),
        (NOW, ("iso_local_date",), {}, "2013-09-08"),
        (NOW, ("iso_local_date_time",), {}, "2013-09-08T15:19:12.123456"),
        (
            NOW,
            ("iso_date_time",),
            {"timeZone": "Europe/Paris"},
            "2013-09-08T17:19:12.123456+02:00[Europe/Paris]",
        ),
        (NOW, ("iso_instant",), {"timeZone": "Europe/Paris"}, "2013-09-08T15:19:12.123456Z"),
        (NOW, ("iso_week_date",), {"timeZone": "Europe/Paris"}, "2013-W36-7+02:00"),
        (NOW, ("iso_ordinal_date",), {"timeZone": "Europe/Paris"}, "2013-251+02:00"),
        (
            NOW,
            ("rfc_1123_date_time",),
            {"timeZone": "Europe/Paris"},
            "Sun, 8 Sep 2013 17:19:12 +0200",
        ),
        (NOW, ("medium",), {"timeZone": "Europe/Paris"}, "Sep 8, 2013, 5:19:12\u202fPM"),
        (NOW, ("short",), {"timeZone": "Europe/Paris"}, "9/8/13, 5:19\u202fPM"),
        (NOW, ("EEEE d MMMM yyyy",), {"timeZone": "UTC"}, "Sunday 8 September 2013"),
        (NOW, ("EEE, d MMM yy",), {"timeZone": "UTC"}, "Sun, 8 Sep 13"),
        (
            NOW,
            ("EEEE d MMMM yyyy",),
            {"timeZone": "UTC", "locale": "fr_FR"},
            "dimanche 8 septembre 2013",
        ),
        (NOW, ("hh 'o''clock' a",), {"timeZone": "UTC"}, "03 o'clock PM"),
        (NOW, ("D w Q QQQ",), {"timeZone": "UTC"}, "251 37 3 Q3"),
        (NOW, ("yyyy-MM-dd'T'HH:mm:ssX",), {"timeZone": "Asia/Almaty"}, "2013-09-08T21:19:12+06"),
        (
            NOW,
            ("Z '|' ZZZZZ '|' xxx '|' O",),
            {"timeZone": "America/New_York"},
            "-0400 | -04:00 | -04:00 | GMT-4",
        ),
        (NOW, ("VV z",), {"timeZone": "Europe/Paris"}, "Europe/Paris CEST"),
        (NOW, ("yyyy[-MM]",), {}, "2013-09"),
    ],
)
def test_date_writes_what_kestra_writes(value, args, kwargs, expected):
    assert apply("date", value, *args, **kwargs) == expected


def test_timestamps_count_from_1970_as_kestra_counts():
    assert (
        apply("timestamp", NOW, timeZone="Europe/Paris"),
        apply("timestampMilli", NOW, timeZone="Europe/Paris"),
        apply("timestampMicro", NOW, timeZone="Europe/Paris"),
        apply("timestampNano", NOW, timeZone="Europe/Paris"),
    ) == (1378653552, 1378653552123, "1378653552000123456", "1378653552123456000")


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (-1, "DAYS", "2013-09-07T17:19:12.123456+02:00"),
        (2, "HOURS", "2013-09-08T19:19:12.123456+02:00"),
        (1, "WEEKS", "2013-09-15T17:19:12.123456+02:00"),
        # The input keeps its own zone (+01:00) while moving; Paris is +01:00 in February.
        (5, "MONTHS", "2014-02-08T16:19:12.123456+01:00"),
        (-13, "YEARS", "2000-09-08T17:19:12.123456+02:00"),
        (90, "MINUTES", "2013-09-08T18:49:12.123456+02:00"),
        (-123456000, "NANOS", "2013-09-08T17:19:12.000000+02:00"),
    ],
)
def test_date_add_moves_by_the_unit_kestra_names(amount, unit, expected):
    assert apply("dateAdd", NOW, amount, unit, timeZone="Europe/Paris") == expected


def test_adding_a_month_to_the_last_day_keeps_within_the_month():
    assert apply("dateAdd", "2024-01-31", 1, "MONTHS", format="iso_local_date") == "2024-02-29"


def test_a_day_added_across_a_clock_change_keeps_the_time_of_day():
    paris = apply("dateAdd", "2024-03-30T12:00:00", 1, "DAYS", timeZone="Europe/Paris")
    assert paris == "2024-03-31T12:00:00.000000+02:00"


def test_comparing_timestamps_tells_which_date_is_later():
    earlier = apply("timestamp", apply("dateAdd", NOW, -1, "DAYS"))
    assert apply("timestamp", NOW) > earlier


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        ("2004-02-12X", {}, "Text '2004-02-12X' could not be parsed"),
        (
            "July 24, 2001",
            {"existingFormat": "yyyy-MM-dd"},
            "Text 'July 24, 2001' could not be parsed",
        ),
        (NOW, {"format": "yyyy-bb"}, "Unknown pattern letter: b"),
        (NOW, {"format": "aa"}, "Too many pattern letters: a"),
        (NOW, {"timeZone": "Mars/Olympus"}, "Unknown time-zone ID: Mars/Olympus"),
        (True, {}, "class java.lang.Boolean cannot be cast to class java.lang.String"),
    ],
)
def test_date_fails_with_javas_message(value, kwargs, message):
    with pytest.raises(PebbleError) as raised:
        apply("date", value, **kwargs)
    assert str(raised.value) == message


def test_adding_past_the_last_instant_is_an_error_not_a_crash():
    with pytest.raises(PebbleError, match="Instant exceeds minimum or maximum instant"):
        apply("dateAdd", NOW, 10**15, "HOURS")


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        (10**15, {}),
        (dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC), {"timeZone": "Pacific/Kiritimati"}),
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), {"timeZone": "America/New_York"}),
    ],
)
def test_a_date_past_the_range_is_an_error_not_a_crash(value, kwargs):
    with pytest.raises(PebbleError, match="Instant exceeds minimum or maximum instant"):
        apply("date", value, **kwargs)


def test_eras_and_forever_fail_as_in_java():
    assert apply("dateAdd", NOW, 0, "ERAS", timeZone="Europe/Paris").startswith("2013-09-08")
    with pytest.raises(PebbleError, match=r"Invalid value for Era \(valid values 0 - 1\): 2"):
        apply("dateAdd", NOW, 1, "ERAS")
    with pytest.raises(PebbleError, match="Unsupported unit: Forever"):
        apply("dateAdd", NOW, 1, "FOREVER")


def test_an_unknown_unit_is_named_as_java_names_it():
    with pytest.raises(PebbleError, match="No enum constant java.time.temporal.ChronoUnit.DAY"):
        apply("dateAdd", NOW, 1, "DAY")
