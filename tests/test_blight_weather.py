"""The Hutton criteria, day by day, on hourly weather."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from potato_disease.blight_weather import (
    BlightDay,
    HourlyWeather,
    blight_days,
    describe_spells,
    hutton_spells,
)

TODAY = date(2026, 11, 28)


def day_of_hours(
    day: date, low: float, humid_hours: int, known_hours: int = 24
) -> list[HourlyWeather]:
    """24 hours of ``day``: the lowest temperature ``low``, ``humid_hours`` at 95 %."""
    return [
        HourlyWeather(
            datetime(day.year, day.month, day.day, hour),
            (low + hour % 7) if hour < known_hours else None,
            (95.0 if hour < humid_hours else 80.0) if hour < known_hours else None,
        )
        for hour in range(24)
    ]


@pytest.mark.parametrize(
    ("low", "humid_hours", "suits"),
    [
        (10.0, 6, True),  # both criteria met exactly
        (9.9, 12, False),  # too cold at night
        (15.0, 5, False),  # one humid hour short
        (15.0, 24, True),
    ],
)
def test_a_day_suits_blight_only_when_warm_and_humid_enough(
    low: float, humid_hours: int, suits: bool
) -> None:
    (day,) = blight_days(day_of_hours(TODAY, low, humid_hours), TODAY)
    assert day.min_temperature_c == low
    assert day.humid_hours == humid_hours
    assert day.suits_blight is suits


def test_a_day_with_too_few_known_hours_is_not_judged() -> None:
    (day,) = blight_days(day_of_hours(TODAY, 12.0, 8, known_hours=19), TODAY)
    assert day.suits_blight is None
    (day,) = blight_days(day_of_hours(TODAY, 12.0, 8, known_hours=20), TODAY)
    assert day.suits_blight is True


def test_humidity_of_exactly_90_percent_counts_as_humid() -> None:
    hours = [
        HourlyWeather(datetime(2026, 11, 28, hour), 12.0, 90.0 if hour < 6 else 89.9)
        for hour in range(24)
    ]
    assert blight_days(hours, TODAY)[0].humid_hours == 6


def test_days_come_in_order_and_today_onwards_is_forecast() -> None:
    hours = [
        *day_of_hours(TODAY, 12, 8),
        *day_of_hours(TODAY - timedelta(days=1), 12, 8),
        *day_of_hours(TODAY + timedelta(days=1), 12, 8),
    ]
    days = blight_days(reversed(hours), TODAY)
    assert [day.day for day in days] == [TODAY - timedelta(days=1), TODAY, TODAY + timedelta(1)]
    assert [day.forecast for day in days] == [False, True, True]


def blight_week(pattern: str, first: date = date(2026, 11, 21)) -> list[BlightDay]:
    """Days from ``first``, one per character: ``x`` suits blight, ``.`` does not, ``?``
    unknown; days from :data:`TODAY` on are forecast."""
    days = []
    for offset, mark in enumerate(pattern):
        day = first + timedelta(days=offset)
        low = None if mark == "?" else 12.0
        days.append(BlightDay(day, low, 8 if mark == "x" else 2, forecast=day >= TODAY))
    return days


@pytest.mark.parametrize(
    ("pattern", "spells"),
    [
        (".......", []),
        ("x.x.x.x", []),  # single days never make a Hutton period
        ("xx.....", [("2026-11-21", "2026-11-22")]),
        ("xxxx...", [("2026-11-21", "2026-11-24")]),  # one spell, three periods
        ("xx.xx..", [("2026-11-21", "2026-11-22"), ("2026-11-24", "2026-11-25")]),
        ("x?x....", []),  # an unknown day breaks the run
        (".....xx", [("2026-11-26", "2026-11-27")]),
    ],
)
def test_hutton_spells_are_runs_of_two_or_more_days(
    pattern: str, spells: list[tuple[str, str]]
) -> None:
    found = hutton_spells(blight_week(pattern))
    assert [(spell.first.isoformat(), spell.last.isoformat()) for spell in found] == spells


def test_days_missing_from_the_series_break_a_run() -> None:
    days = blight_week("x") + blight_week("x", first=date(2026, 11, 23))
    assert hutton_spells(days) == []


def test_the_description_says_when_each_spell_is() -> None:
    # 21 Nov .. 5 Dec: past 21-27 Nov, today 28 Nov, forecast to 5 Dec
    days = blight_week("xx...xxx.....xx")
    assert describe_spells(days) == (
        "Hutton periods in the last 7 days and the forecast for today and the 7 days after "
        "it: 21–22 Nov (past); 26–28 Nov (under way); 4–5 Dec (forecast)."
    )
    assert [spell.when for spell in hutton_spells(blight_week("....xx."))] == ["past"]
    assert [spell.when for spell in hutton_spells(blight_week(".......xx"))] == ["forecast"]


def test_the_description_says_none_and_spells_across_months() -> None:
    assert describe_spells(blight_week("...............")) == (
        "No Hutton period in the last 7 days, nor in the forecast for today and the 7 days "
        "after it."
    )
    days = blight_week("xx", first=date(2026, 11, 30))
    assert str(hutton_spells(days)[0]) == "30 Nov–1 Dec"
