"""Late blight weather, day by day: the Hutton criteria on hourly temperature and humidity.

The Hutton criteria (the guide, "Conditions that favour it") mark a *Hutton period*: two
days running, each with a minimum temperature of at least 10 °C and at least six hours
with relative humidity of 90 % or more. They were set for Great Britain (AHDB's
BlightWatch); elsewhere they are a guide to blight weather, not a calibrated risk model.
Days are calendar days in the place's own time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from potato_disease.presentation import counted

MIN_TEMPERATURE_C = 10.0  # each day's minimum at least this
HUMID_PERCENT = 90.0  # an hour counts as humid at this relative humidity or more
HUMID_HOURS = 6  # humid hours a day needs
HOURS_NEEDED = 20  # a day with fewer known hours is not judged (gaps, a short day)
HUTTON_RULE = (
    f"two days running, each with a low of at least {MIN_TEMPERATURE_C:.0f} °C and "
    f"{HUMID_HOURS} hours or more at {HUMID_PERCENT:.0f} % relative humidity (RH) or above"
)


@dataclass(frozen=True)
class HourlyWeather:
    """One hour's air temperature and relative humidity (None where the source has none)."""

    time: datetime  # the place's local wall time, naive
    temperature_c: float | None
    relative_humidity: float | None


@dataclass(frozen=True)
class BlightDay:
    """One day's weather as the Hutton criteria see it."""

    day: date
    min_temperature_c: float | None  # None: not enough hours known to judge the day
    humid_hours: int
    forecast: bool  # today or later at the place, so forecast rather than past weather

    @property
    def suits_blight(self) -> bool | None:
        """Warm and humid enough on its own (one half of a Hutton period); None: unknown."""
        if self.min_temperature_c is None:
            return None
        return self.min_temperature_c >= MIN_TEMPERATURE_C and self.humid_hours >= HUMID_HOURS


@dataclass(frozen=True)
class HuttonSpell:
    """Consecutive days that each suit blight, two or more: one or more Hutton periods."""

    first: date
    last: date
    from_past: bool  # it began before today
    into_forecast: bool  # it lasts until today or later

    @property
    def when(self) -> str:
        """``past``, ``under way`` (began before today, goes on) or ``forecast``."""
        if not self.into_forecast:
            return "past"
        return "under way" if self.from_past else "forecast"

    def __str__(self) -> str:
        if self.first.month == self.last.month:
            return f"{self.first.day}–{self.last:%-d %b}"
        return f"{self.first:%-d %b}–{self.last:%-d %b}"


def blight_days(hours: Iterable[HourlyWeather], today: date) -> list[BlightDay]:
    """The hours grouped by calendar day, in order, each judged when enough is known."""
    ordered = sorted(hours, key=lambda hour: hour.time)
    days = []
    for day, of_day in groupby(ordered, key=lambda hour: hour.time.date()):
        known = [
            hour
            for hour in of_day
            if hour.temperature_c is not None and hour.relative_humidity is not None
        ]
        enough = len(known) >= HOURS_NEEDED
        days.append(
            BlightDay(
                day,
                min(hour.temperature_c for hour in known) if enough else None,  # type: ignore[type-var]
                sum(hour.relative_humidity >= HUMID_PERCENT for hour in known),  # type: ignore[operator]
                forecast=day >= today,
            )
        )
    return days


def hutton_spells(days: Sequence[BlightDay]) -> list[HuttonSpell]:
    """The runs of two or more consecutive days that suit blight, in order."""
    spells: list[HuttonSpell] = []

    def close(run: list[BlightDay]) -> None:
        if len(run) >= 2:
            spells.append(
                HuttonSpell(run[0].day, run[-1].day, not run[0].forecast, run[-1].forecast)
            )

    run: list[BlightDay] = []
    for day in days:
        if day.suits_blight and run and day.day == run[-1].day + timedelta(days=1):
            run.append(day)
            continue
        close(run)
        run = [day] if day.suits_blight else []
    close(run)
    return spells


def describe_spells(days: Sequence[BlightDay]) -> str:
    """One sentence: the Hutton periods of the past days and the forecast, each with when."""
    past_days = sum(not day.forecast for day in days)
    days_ahead = sum(day.forecast for day in days) - 1  # today is not "ahead"
    spells = hutton_spells(days)
    if not spells:
        return (
            f"No Hutton period in the last {counted(past_days, 'day')}, "
            f"nor in the forecast for today and the {counted(days_ahead, 'day')} after it."
        )
    listed = "; ".join(f"{spell} ({spell.when})" for spell in spells)
    return (
        f"Hutton periods in the last {counted(past_days, 'day')} and the forecast for today "
        f"and the {counted(days_ahead, 'day')} after it: {listed}."
    )
