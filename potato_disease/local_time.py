"""Times for people, in the zone the team works in (``TIME_ZONE``; UTC by default).

The history stores UTC. What people read (tables, labels, reports, alerts) is shown in
the team's zone, and a day (the date filters, the trend chart, the field report's weeks)
runs from midnight to midnight there: a photo taken at 06:30 in Java is that morning's,
not the evening before's, as it would be in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_NAME = "UTC"


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name`` (``Asia/Jakarta``); ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"TIME_ZONE {name!r} is not a known time zone: use an IANA name such as "
            "Asia/Jakarta, Europe/Amsterdam or UTC."
        ) from error


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The calendar day ``moment`` falls on in ``zone``."""
    return moment.astimezone(zone).date()


def day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=zone)


def minute_text(moment: datetime, zone: tzinfo = UTC) -> str:
    """``2026-11-28 11:08 WIB``: the time in ``zone``, with the zone's abbreviation."""
    return f"{clock_text(moment, zone)} {moment.astimezone(zone).tzname()}"


def clock_text(moment: datetime | None, zone: tzinfo = UTC) -> str:
    """``2026-11-28 11:08`` in ``zone`` (named elsewhere, as in a column heading), or ""
    for no time."""
    return "" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def day_text(moment: datetime, zone: tzinfo) -> str:
    """``2026-11-28``: the day of ``moment`` in ``zone``."""
    return f"{local_day(moment, zone):%Y-%m-%d}"
