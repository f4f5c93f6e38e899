"""Dates as Kestra's `date`, `dateAdd`, `timestamp` filters and `now` function see them:
Java's DateTimeFormatter patterns (`yyyy-MM-dd'T'HH:mm`), Kestra's named formats (`iso`,
`sql`, `iso_local_date`, `full`...), a `timeZone` (the server's default is UTC), an
`existingFormat` to read text, and a `locale` for month and day names (English, French and
German; other languages get the English names).

Python's datetimes hold microseconds, Java's nanoseconds: digits past the sixth are dropped
when text is read.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kestra_pebble.errors import PebbleError
from kestra_pebble.java import class_name

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_OUT_OF_RANGE = "Instant exceeds minimum or maximum instant"

# Names by language: months (full, short), days from Monday (full, short), AM/PM.
_NAMES: dict[str, tuple[list[str], list[str], list[str], list[str], tuple[str, str]]] = {
    "en": (
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        ("AM", "PM"),
    ),
    "fr": (
        [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        [
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ],
        ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
        ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
        ("AM", "PM"),
    ),
    "de": (
        [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        [
            "Jan.",
            "Feb.",
            "März",
            "Apr.",
            "Mai",
            "Juni",
            "Juli",
            "Aug.",
            "Sept.",
            "Okt.",
            "Nov.",
            "Dez.",
        ],
        ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
        ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
        ("AM", "PM"),
    ),
}

# FormatStyle patterns of Locale.US (CLDR 42, Java 21: a narrow no-break space before AM/PM).
_STYLES = {
    "short": "M/d/yy, h:mm\u202fa",
    "medium": "MMM d, y, h:mm:ss\u202fa",
    "long": "MMMM d, y 'at' h:mm:ss\u202fa z",
    "full": "EEEE, MMMM d, y 'at' h:mm:ss\u202fa zzzz",
}

_TIME_UNITS_IN_NANOS = {
    "NANOS": 1,
    "MICROS": 10**3,
    "MILLIS": 10**6,
    "SECONDS": 10**9,
    "MINUTES": 60 * 10**9,
    "HOURS": 3600 * 10**9,
    "HALF_DAYS": 43200 * 10**9,
}
_DATE_UNITS = {
    "DAYS": 0,
    "WEEKS": 0,
    "MONTHS": 1,
    "YEARS": 12,
    "DECADES": 120,
    "CENTURIES": 1200,
    "MILLENNIA": 12000,
}


@dataclass(frozen=True)
class Locale:
    language: str

    @property
    def names(self) -> tuple[list[str], list[str], list[str], list[str], tuple[str, str]]:
        return _NAMES.get(self.language, _NAMES["en"])


def locale(text: Any) -> Locale:
    """`LocaleUtils.toLocale`: `en`, `en_US`, `fr_FR`..."""
    if text is None:
        return Locale("en")
    value = str(text)
    if not re.fullmatch(r"[a-zA-Z]{2,8}([_-][a-zA-Z0-9]{2,8})*|_[A-Z]{2}.*", value):
        raise PebbleError(f"Invalid locale format: {value}")
    return Locale(value.split("_")[0].split("-")[0].lower())


_OFFSET_ID = re.compile(r"^(?:(?:UTC|GMT|UT)(?=[+-]))?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$")


def zone(name: Any) -> dt.tzinfo:
    """`ZoneId.of`: a region (`Europe/Paris`), `UTC`/`Z`, or an offset (`+02:00`,
    `UTC+2`). None is the server's default zone, UTC."""
    if name is None:
        return UTC
    text = str(name)
    if text in ("Z", "UTC", "GMT", "UT"):
        return ZoneInfo("UTC") if text != "Z" else UTC
    if match := _OFFSET_ID.match(text):
        sign, hours, minutes, seconds = match.groups()
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes or 0), seconds=int(seconds or 0))
        if delta > dt.timedelta(hours=18):
            raise PebbleError(
                f"Zone offset hours not in valid range: value {hours} is not in the range -18 to 18"
            )
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise PebbleError(f"Unknown time-zone ID: {text}") from error


def _zone_id(tz: dt.tzinfo | None, moment: dt.datetime) -> str:
    if isinstance(tz, ZoneInfo):
        return tz.key
    offset = moment.utcoffset() or dt.timedelta(0)
    return "Z" if not offset else _offset(offset, colon=True, seconds=True, zero="Z")


def _offset(
    offset: dt.timedelta, *, colon: bool, seconds: bool, zero: str, minutes: str = "always"
) -> str:
    total = int(offset.total_seconds())
    if total == 0 and zero:
        return zero
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    mins, secs = divmod(rest, 60)
    separator = ":" if colon else ""
    text = f"{sign}{hours:02d}"
    if minutes == "always" or (minutes == "if_any" and (mins or secs)):
        text += f"{separator}{mins:02d}"
    if seconds and secs:
        text += f"{separator}{secs:02d}"
    return text


def _gmt(offset: dt.timedelta, full: bool) -> str:
    total = int(offset.total_seconds())
    if total == 0:
        return "GMT"
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    mins = rest // 60
    if full:
        return f"GMT{sign}{hours:02d}:{mins:02d}"
    return f"GMT{sign}{hours}" + (f":{mins:02d}" if mins else "")


# Patterns


@dataclass(frozen=True)
class _Field:
    letter: str
    count: int


@dataclass(frozen=True)
class _Optional:
    parts: tuple[_Part, ...]


_Part = str | _Field | _Optional
_LETTERS = set("GuyDMLdQqYwWEecFahKkHmsSAnNVvzOXxZ")
_MAX_COUNT = {
    "G": 5,
    "u": 19,
    "y": 19,
    "D": 3,
    "M": 5,
    "L": 5,
    "d": 2,
    "Q": 5,
    "q": 5,
    "Y": 19,
    "w": 2,
    "W": 1,
    "E": 5,
    "e": 5,
    "c": 5,
    "F": 1,
    "a": 1,
    "h": 2,
    "K": 2,
    "k": 2,
    "H": 2,
    "m": 2,
    "s": 2,
    "S": 9,
    "A": 19,
    "n": 19,
    "N": 19,
    "V": 2,
    "v": 4,
    "z": 4,
    "O": 4,
    "X": 5,
    "x": 5,
    "Z": 5,
}


@functools.lru_cache(maxsize=256)
def _parse_pattern(pattern: str) -> tuple[_Part, ...]:
    """DateTimeFormatterBuilder.appendPattern: letters, 'quoted text', [optional]."""
    stack: list[list[_Part]] = [[]]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char.isascii() and char.isalpha():
            end = index
            while end < len(pattern) and pattern[end] == char:
                end += 1
            count = end - index
            if char not in _LETTERS:
                raise PebbleError(f"Unknown pattern letter: {char}")
            if count > _MAX_COUNT[char]:
                raise PebbleError(f"Too many pattern letters: {char}")
            if char == "V" and count != 2:
                raise PebbleError(f"Pattern letter count must be 2: {char}")
            if char == "O" and count not in (1, 4):
                raise PebbleError(f"Pattern letter count must be 1 or 4: {char}")
            stack[-1].append(_Field(char, count))
            index = end
        elif char == "'":
            end = index + 1
            text = []
            while True:
                if end >= len(pattern):
                    raise PebbleError(f"Pattern ends with an incomplete string literal: {pattern}")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            stack[-1].append("".join(text) if end > index + 1 else "'")
            index = end + 1
        elif char == "[":
            stack.append([])
            index += 1
        elif char == "]":
            if len(stack) == 1:
                raise PebbleError("Pattern invalid as it contains ] without previous [")
            parts = stack.pop()
            stack[-1].append(_Optional(tuple(parts)))
            index += 1
        elif char in "{}#":
            raise PebbleError(f"Pattern includes reserved character: '{char}'")
        else:
            stack[-1].append(char)
            index += 1
    while len(stack) > 1:
        parts = stack.pop()
        stack[-1].append(_Optional(tuple(parts)))
    return tuple(stack[0])


def _us_week(day: dt.date) -> tuple[int, int]:
    """Week-based year and week of Locale.US: weeks start on Sunday, week 1 holds 1 January."""
    start = day - dt.timedelta(days=(day.weekday() + 1) % 7)
    year = (start + dt.timedelta(days=6)).year
    january = dt.date(year, 1, 1)
    first = january - dt.timedelta(days=(january.weekday() + 1) % 7)
    return year, (start - first).days // 7 + 1


def _number(value: int, count: int) -> str:
    text = str(abs(value)).rjust(count, "0")
    return ("-" if value < 0 else "") + text


def _text(names: list[str], index: int, count: int, short: list[str]) -> str:
    if count == 4:
        return names[index]
    if count == 5:
        return names[index][0]
    return short[index]


def _second_of_day(moment: dt.datetime) -> int:
    return (moment.hour * 60 + moment.minute) * 60 + moment.second


_NUMBER_FIELDS: dict[str, Callable[[dt.datetime], int]] = {
    "d": lambda m: m.day,
    "H": lambda m: m.hour,
    "m": lambda m: m.minute,
    "s": lambda m: m.second,
    "D": lambda m: m.timetuple().tm_yday,
    "w": lambda m: _us_week(m.date())[1],
    "W": lambda m: _us_week(m.date())[1] - _us_week(m.date().replace(day=1))[1] + 1,
    "F": lambda m: (m.day - 1) // 7 + 1,
    "h": lambda m: (m.hour % 12) or 12,
    "K": lambda m: m.hour % 12,
    "k": lambda m: m.hour or 24,
    "A": lambda m: _second_of_day(m) * 1000 + m.microsecond // 1000,
    "n": lambda m: m.microsecond * 1000,
    "N": lambda m: _second_of_day(m) * 10**9 + m.microsecond * 1000,
}

# X and x by count: a colon, the seconds (if any), the minutes ("if_any" or "always").
_ISO_OFFSETS = {
    1: (False, False, "if_any"),
    2: (False, False, "always"),
    3: (True, False, "always"),
    4: (False, True, "always"),
    5: (True, True, "always"),
}


def _format_offset(letter: str, count: int, offset: dt.timedelta) -> str:
    if letter == "O":
        return _gmt(offset, full=count == 4)
    if letter in "Xx":
        colon, seconds, minutes = _ISO_OFFSETS[count]
        zero = "Z" if letter == "X" else ""
        return _offset(offset, colon=colon, seconds=seconds, zero=zero, minutes=minutes)
    if count == 4:  # Z
        return _gmt(offset, full=True)
    if count == 5:
        return _offset(offset, colon=True, seconds=True, zero="Z")
    return _offset(offset, colon=False, seconds=True, zero="")


def _format_text(letter: str, count: int, moment: dt.datetime, lang: Locale) -> str:
    months, months_short, days, days_short, ampm = lang.names
    if letter in "ML":
        return _text(months, moment.month - 1, count, months_short)
    if letter == "a":
        return ampm[moment.hour >= 12]
    return _text(days, moment.weekday(), count, days_short)


def _format_field(field: _Field, moment: dt.datetime, lang: Locale) -> str:
    """One pattern letter of a moment that has a zone, as DateTimeFormatter writes it."""
    letter, count = field.letter, field.count
    if letter in _NUMBER_FIELDS:
        return _number(_NUMBER_FIELDS[letter](moment), count)
    if letter in "uyY":
        year = moment.year if letter != "Y" else _us_week(moment.date())[0]
        return f"{year % 100:02d}" if count == 2 else _number(year, count if count >= 3 else 1)
    if letter in "ML" and count <= 2:
        return _number(moment.month, count)
    if letter in "ec" and count <= 2:
        return _number((moment.weekday() + 1) % 7 + 1, count)
    if letter in "MLEeca":
        return _format_text(letter, count, moment, lang)
    if letter == "S":
        return f"{moment.microsecond * 1000:09d}"[:count]
    if letter == "G":
        return {4: "Anno Domini", 5: "A"}.get(count, "AD")
    if letter in "Qq":
        quarter = (moment.month - 1) // 3 + 1
        if count <= 2:
            return _number(quarter, count)
        ordinal = ["st", "nd", "rd", "th"][quarter - 1]
        return {3: f"Q{quarter}", 4: f"{quarter}{ordinal} quarter", 5: str(quarter)}[count]
    if letter == "z":
        name = moment.tzname() or _zone_id(moment.tzinfo, moment)
        return "Z" if name == "UTC" and not isinstance(moment.tzinfo, ZoneInfo) else name
    if letter in "Vv":
        return _zone_id(moment.tzinfo, moment)
    return _format_offset(letter, count, moment.utcoffset() or dt.timedelta(0))


def _format_parts(parts: tuple[_Part, ...], moment: dt.datetime, lang: Locale) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, _Field):
            out.append(_format_field(part, moment, lang))
        else:
            try:
                out.append(_format_parts(part.parts, moment, lang))
            except PebbleError:
                continue
    return "".join(out)


def _fraction(moment: dt.datetime, *, groups_of_three: bool = False) -> str:
    if not moment.microsecond:
        return ""
    digits = f"{moment.microsecond:06d}"
    if groups_of_three:
        return "." + (digits[:3] if digits.endswith("000") else digits)
    return "." + digits.rstrip("0")


def _iso_time(moment: dt.datetime) -> str:
    return f"{moment:%H:%M:%S}" + _fraction(moment)


def _iso_offset(moment: dt.datetime) -> str:
    return _offset(moment.utcoffset() or dt.timedelta(0), colon=True, seconds=True, zero="Z")


def _iso_zoned(moment: dt.datetime) -> str:
    text = f"{moment:%Y-%m-%d}T{_iso_time(moment)}{_iso_offset(moment)}"
    return text + f"[{moment.tzinfo.key}]" if isinstance(moment.tzinfo, ZoneInfo) else text


def _rfc_1123(moment: dt.datetime) -> str:
    days = _NAMES["en"][3]
    months = _NAMES["en"][1]
    offset = _offset(moment.utcoffset() or dt.timedelta(0), colon=False, seconds=False, zero="GMT")
    day = f"{days[moment.weekday()]}, {moment.day} {months[moment.month - 1]}"
    return f"{day} {moment:%Y %H:%M:%S} {offset}"


_NAMED: dict[str, Callable[[dt.datetime], str]] = {
    "iso_date_time": _iso_zoned,
    "iso_zoned_date_time": _iso_zoned,
    "iso_date": lambda m: f"{m:%Y-%m-%d}{_iso_offset(m)}",
    "iso_time": lambda m: _iso_time(m) + _iso_offset(m),
    "iso_local_date": lambda m: f"{m:%Y-%m-%d}",
    "iso_instant": lambda m: (
        f"{m.astimezone(UTC):%Y-%m-%dT%H:%M:%S}{_fraction(m, groups_of_three=True)}Z"
    ),
    "iso_local_date_time": lambda m: f"{m:%Y-%m-%d}T{_iso_time(m)}",
    "iso_local_time": _iso_time,
    "iso_offset_time": lambda m: _iso_time(m) + _iso_offset(m),
    "iso_ordinal_date": lambda m: f"{m:%Y-%j}{_iso_offset(m)}",
    "iso_week_date": lambda m: "{}-W{:02d}-{}".format(*m.isocalendar()) + _iso_offset(m),
    "rfc_1123_date_time": _rfc_1123,
}

_PATTERNS = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
    **_STYLES,
}


def format_datetime(moment: dt.datetime, format: Any, time_zone: Any, locale_name: Any) -> str:  # noqa: A002 (Kestra's name)
    """The moment in the zone asked for (UTC by default), written with `format` (`iso` by
    default): a Kestra name or a DateTimeFormatter pattern."""
    lang = locale(locale_name)
    try:
        local = moment.astimezone(zone(time_zone))
    except OverflowError as error:
        raise PebbleError(_OUT_OF_RANGE) from error
    name = "iso" if format is None else str(format)
    if name in _NAMED:
        return _NAMED[name](local)
    return _format_parts(_parse_pattern(_PATTERNS.get(name, name)), local, lang)


# Reading


_ISO_ZONED = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)(?:\[([^\]]+)\])?$"
)
_ISO_LOCAL = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _not_parsed(text: str) -> PebbleError:
    return PebbleError(f"Text '{text}' could not be parsed")


def _local(
    day: str, hour: str, minute: str, second: str | None, fraction: str | None, text: str
) -> dt.datetime:
    try:
        micros = int((fraction or "0")[:6].ljust(6, "0"))
        return dt.datetime.fromisoformat(day).replace(
            hour=int(hour), minute=int(minute), second=int(second or 0), microsecond=micros
        )
    except ValueError as error:
        raise _not_parsed(text) from error


def _in_zone(local: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """`ZonedDateTime.of(local, zone)`: a time skipped by a clock change moves forward."""
    return local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _parse_iso(text: str, tz: dt.tzinfo) -> dt.datetime:
    if match := _ISO_ZONED.match(text):
        day, hour, minute, second, fraction, offset, region = match.groups()
        local = _local(day, hour, minute, second, fraction, text)
        fixed = zone(offset) if offset != "Z" else UTC
        moment = local.replace(tzinfo=fixed)
        return moment.astimezone(zone(region)) if region else moment
    if match := _ISO_LOCAL.match(text):
        day, hour, minute, second, fraction = match.groups()
        return _in_zone(_local(day, hour, minute, second, fraction, text), tz)
    if _ISO_DATE.match(text):
        try:
            return _in_zone(dt.datetime.fromisoformat(text), tz)
        except ValueError as error:
            raise _not_parsed(text) from error
    raise _not_parsed(text)


def _field_regex(field: _Field, lang: Locale) -> str:
    letter, count = field.letter, field.count
    months, months_short, days, days_short, ampm = lang.names

    def names(*lists: list[str]) -> str:
        every = sorted({name for names in lists for name in names}, key=len, reverse=True)
        return "(" + "|".join(re.escape(name) for name in every) + ")"

    if letter in "ML" and count >= 3:
        return names(months if count == 4 else months_short)
    if letter in "Eec" and (letter == "E" or count >= 3):
        return names(days if count == 4 else days_short)
    if letter == "a":
        return names(list(ampm))
    if letter == "G":
        return "(AD|BC|Anno Domini|A|B)"
    if letter in "XxZO":
        return r"(Z|GMT|UTC|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?|GMT[+-]\d{1,2}(?::\d{2})?)"
    if letter in "Vvz":
        return r"([A-Za-z][A-Za-z0-9_/+-]*)"
    if letter in "uyY" and count == 2:
        return r"(\d{2})"
    if letter in "uyY" and count >= 4:
        return r"([+-]?\d{" + str(count) + r",19})"
    if letter == "S":
        return r"(\d{" + str(count) + "})"
    if count == 1:
        return r"(\d{1,19})"
    return r"(\d{" + str(count) + "})"


def _parts_regex(parts: tuple[_Part, ...], lang: Locale, fields: list[_Field]) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(re.escape(part))
        elif isinstance(part, _Field):
            fields.append(part)
            out.append(_field_regex(part, lang))
        else:
            out.append(f"(?:{_parts_regex(part.parts, lang, fields)})?")
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _reader(pattern: str, lang: Locale) -> tuple[re.Pattern[str], tuple[_Field, ...]]:
    """The regex that reads text written with the pattern, and the field of each group."""
    fields: list[_Field] = []
    regex = _parts_regex(_parse_pattern(pattern), lang, fields)
    return re.compile(regex), tuple(fields)


def _parse_with(text: str, pattern: str, tz: dt.tzinfo, lang: Locale) -> dt.datetime:
    regex, fields = _reader(pattern, lang)
    match = regex.fullmatch(text)
    if not match:
        raise _not_parsed(text)
    months, months_short, _days, _days_short, ampm = lang.names
    found: dict[str, Any] = {}
    for field, value in zip(fields, match.groups(), strict=True):
        if value is None:
            continue
        letter = field.letter
        if letter in "ML" and field.count >= 3:
            found["month"] = (months if field.count == 4 else months_short).index(value) + 1
        elif letter in "uyY":
            year = int(value)
            found["year"] = 2000 + year if field.count == 2 else year
        elif letter == "a":
            found["pm"] = value == ampm[1]
        elif letter in "XxZO":
            found["offset"] = (
                UTC if value in ("Z", "GMT", "UTC") else zone(value.removeprefix("GMT"))
            )
        elif letter in "Vz":
            found["zone"] = zone(value)
        elif letter == "S":
            found["micro"] = int(value[:6].ljust(6, "0"))
        elif letter in "MLdHhKkms":
            found[letter] = int(value)
    try:
        day = dt.date(
            found["year"], found.get("month", found.get("M", found.get("L", 1))), found.get("d", 1)
        )
    except (KeyError, ValueError) as error:
        raise _not_parsed(text) from error
    hour = found.get("H")
    if hour is None and ("h" in found or "K" in found or "k" in found):
        hour = found.get("h", found.get("K", found.get("k", 0))) % 12 + (
            12 if found.get("pm") else 0
        )
    has_time = hour is not None
    moment = dt.datetime.combine(
        day, dt.time(hour or 0, found.get("m", 0), found.get("s", 0), found.get("micro", 0))
    )
    if "offset" in found or "zone" in found:
        if not has_time:
            raise _not_parsed(text)
        return moment.replace(tzinfo=found.get("offset") or found["zone"]).astimezone(
            found.get("zone") or found["offset"]
        )
    return _in_zone(moment, tz)


def to_datetime(value: Any, time_zone: Any = None, existing_format: Any = None) -> dt.datetime:
    """A value as Kestra's date filters read it: a date-time with a zone stays as it is, one
    without is in `timeZone`, a date is at noon there, a whole number counts seconds since
    1970, and text is ISO 8601 (with or without an offset, or only a date) or follows
    `existingFormat`."""
    try:
        return _to_datetime(value, zone(time_zone), existing_format)
    except OverflowError as error:
        raise PebbleError(_OUT_OF_RANGE) from error


def _to_datetime(value: Any, tz: dt.tzinfo, existing_format: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else _in_zone(value, tz)
    if isinstance(value, dt.date):
        return _in_zone(dt.datetime.combine(value, dt.time(12)), tz)
    if isinstance(value, int) and not isinstance(value, bool):
        return (_EPOCH + dt.timedelta(seconds=value)).astimezone(tz)
    if not isinstance(value, str):
        raise PebbleError(f"class {class_name(value)} cannot be cast to class java.lang.String")
    if existing_format is None:
        return _parse_iso(value, tz)
    name = str(existing_format)
    if name in _NAMED or name in ("iso", "iso_sec"):
        return _parse_iso(_rfc_to_iso(value) if name == "rfc_1123_date_time" else value, tz)
    return _parse_with(value, _PATTERNS.get(name, name), tz, locale(None))


_RFC_1123 = re.compile(
    r"^(?:\w{3}, )?(\d{1,2}) (\w{3}) (\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? (GMT|[+-]\d{4})$"
)


def _rfc_to_iso(text: str) -> str:
    match = _RFC_1123.match(text)
    if not match or match.group(2) not in _NAMES["en"][1]:
        raise _not_parsed(text)
    day, month, year, hour, minute, second, offset = match.groups()
    month_number = _NAMES["en"][1].index(month) + 1
    offset = "Z" if offset == "GMT" else offset
    return f"{year}-{month_number:02d}-{int(day):02d}T{hour}:{minute}:{second or '00'}{offset}"


def add(moment: dt.datetime, amount: int, unit: Any) -> dt.datetime:
    """`ZonedDateTime.plus(amount, ChronoUnit.valueOf(unit))`: days and longer move the local
    date (and keep the time of day), shorter units move the instant."""
    name = str(unit)
    if name in _TIME_UNITS_IN_NANOS:
        micros = amount * _TIME_UNITS_IN_NANOS[name] // 1000
        try:
            return (moment.astimezone(UTC) + dt.timedelta(microseconds=micros)).astimezone(
                moment.tzinfo
            )
        except OverflowError as error:
            raise PebbleError(_OUT_OF_RANGE) from error
    if name not in _DATE_UNITS:
        if name == "ERAS":
            if amount == 0:
                return moment
            raise PebbleError(f"Invalid value for Era (valid values 0 - 1): {1 + amount}")
        if name == "FOREVER":
            raise PebbleError("Unsupported unit: Forever")
        raise PebbleError(f"No enum constant java.time.temporal.ChronoUnit.{name}")
    local = moment.replace(tzinfo=None)
    try:
        if name in ("DAYS", "WEEKS"):
            local += dt.timedelta(days=amount * (7 if name == "WEEKS" else 1))
        else:
            months = local.year * 12 + local.month - 1 + amount * _DATE_UNITS[name]
            year, month = divmod(months, 12)
            last_day = (
                dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)
            ).day
            local = local.replace(year=year, month=month + 1, day=min(local.day, last_day))
    except (OverflowError, ValueError) as error:
        raise PebbleError("Invalid value for Year (valid values -999999999 - 999999999)") from error
    tz = moment.tzinfo
    assert tz is not None
    return _in_zone(local, tz)


def epoch_nanos(moment: dt.datetime) -> int:
    """Nanoseconds since 1970-01-01T00:00Z, exactly."""
    delta = moment - _EPOCH
    return ((delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds) * 1000


def now() -> dt.datetime:
    return dt.datetime.now(UTC)
