"""Late blight weather at a place, shown as a sentence and a day-by-day table."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from potato_disease.blight_weather import (
    HUMID_PERCENT,
    HUTTON_RULE,
    BlightDay,
    describe_spells,
    hutton_spells,
)
from potato_disease.config import get_settings
from potato_disease.history import CaseRecord
from potato_disease.labels import LATE_BLIGHT, NOT_LEAF
from potato_disease.photo_exif import Location, centre, coarse
from potato_disease.plot_visits import PlotVisit
from potato_disease.weather import ATTRIBUTION, PAST_DAYS, PlaceWeather, WeatherUnavailableError
from potato_disease.weather import fetch_place_weather as fetch

WEATHER_TTL_SECONDS = 600  # forecasts change hourly; failures are retried after this too
ABOUT_HUTTON = (
    f"A **Hutton period** is {HUTTON_RULE}: weather in which late blight spreads. Days from "
    "today on are forecast. The criteria were "
    "set for Great Britain; elsewhere they are a guide for timing protectant sprays, not a "
    "verdict. The figures are a weather model's for a cell of a few kilometres, not your "
    f"canopy. {ATTRIBUTION}, for the position rounded to 0.1° (about 10 km)."
)


def weather_is_on() -> bool:
    """Whether this server fetches weather at all (``WEATHER_URL`` not empty)."""
    return get_settings().weather_url is not None


@st.cache_data(ttl=WEATHER_TTL_SECONDS, show_spinner="Fetching the weather…")
def place_weather(latitude: float, longitude: float) -> PlaceWeather | str:
    """The blight weather at a (rounded) position, or a message saying why there is none;
    shared by all sessions for :data:`WEATHER_TTL_SECONDS`."""
    try:
        return fetch(Location(latitude, longitude), get_settings())
    except WeatherUnavailableError as error:
        return str(error)


def show_blight_weather(location: Location) -> None:
    """The Hutton periods around today at ``location``, then the days they come from."""
    latitude, longitude = coarse(location)  # type: ignore[misc]
    weather = place_weather(latitude, longitude)
    if isinstance(weather, str):
        st.info(weather, icon=":material/cloud_off:")
        return
    spells = hutton_spells(weather.days)
    ahead = any(spell.into_forecast for spell in spells)
    sentence = describe_spells(weather.days)
    if ahead:
        st.warning(
            f"**Blight weather ahead.** {sentence} Protectant sprays work only on leaves "
            "they cover before infection: keep the crop covered through these days and renew "
            "the cover after rain.",
            icon=":material/rainy:",
        )
    else:
        st.write(sentence)
    st.dataframe(
        days_table(weather.days),
        hide_index=True,
        width="stretch",
        column_config={"Low °C": st.column_config.NumberColumn(format="%.1f")},
    )
    zone = f" ({weather.time_zone})" if weather.time_zone else ""
    st.caption(f"Days in the place's own time{zone}. {ABOUT_HUTTON}")


MAX_PLACES = 25  # weather places asked for in one fields table (0.1° cells)


def fields_table(field_locations: Mapping[str, Location], struck: Collection[str]) -> pd.DataFrame:
    """One row per located field: late blight lately (``struck``), and its next Hutton
    period under way or forecast; fields with late blight first, then those with blight
    weather ahead. Fields in the same 0.1° cell share one request; past
    :data:`MAX_PLACES` cells, fields are left out."""
    rows = []  # (blight weather ahead, field, late blight lately, next period)
    cells: set[tuple[float, float]] = set()
    for name in sorted(field_locations, key=lambda name: (name not in struck, name)):
        cell = coarse(field_locations[name])
        if cell not in cells and len(cells) >= MAX_PLACES:
            continue
        cells.add(cell)  # type: ignore[arg-type]
        weather = place_weather(*cell)  # type: ignore[misc]
        if isinstance(weather, str):
            spell, ahead = None, "unknown: no weather"
        else:
            spell = next((s for s in hutton_spells(weather.days) if s.into_forecast), None)
            ahead = "none" if spell is None else f"{spell} ({spell.when})"
        rows.append((spell is not None, name, "yes" if name in struck else "", ahead))
    # Stable: late blight first (the order above), then blight weather ahead, then names.
    rows.sort(key=lambda row: (row[2] != "yes", not row[0]))
    return pd.DataFrame(
        [row[1:] for row in rows],
        columns=["Field", "Late blight lately", "Next blight weather (Hutton period, 7 days)"],
    )


def days_table(days: tuple[BlightDay, ...]) -> pd.DataFrame:
    """One row per day: date, low, humid hours, whether it suits blight (narrow enough
    for a phone)."""
    today = next((day.day for day in days if day.forecast), None)
    return pd.DataFrame(
        {
            "Day": ["Today" if day.day == today else f"{day.day:%a %-d %b}" for day in days],
            "Low °C": [day.min_temperature_c for day in days],
            f"Hours ≥{HUMID_PERCENT:.0f}% RH": [day.humid_hours for day in days],
            "Suits blight": [_yes_no(day.suits_blight) for day in days],
        }
    )


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def show_weather_where_taken(label: str, location: Location | None, shown: set[object]) -> None:
    """The blight weather where a leaf photo was taken, once per place on the page (``shown``
    holds the places done); open at once when the answer is late blight."""
    if label == NOT_LEAF or location is None or not weather_is_on():
        return
    place = coarse(location)
    if place in shown:
        return
    shown.add(place)
    with st.expander(
        "Late blight weather where the photo was taken", expanded=label == LATE_BLIGHT
    ):
        show_blight_weather(location)


def blight_weather_sentence(near: tuple[float, float] | None) -> str | None:
    """The Hutton periods around today near a rounded position, in a sentence; None when
    there is no position, weather is off, or the service cannot be reached."""
    if near is None or not weather_is_on():
        return None
    weather = place_weather(*near)
    return None if isinstance(weather, str) else describe_spells(weather.days)


def visit_weather(visit: PlotVisit, records: Sequence[CaseRecord]) -> tuple[date, str] | None:
    """Today's date and the Hutton periods near a visit's located photos, for its report;
    None for a visit more than a week old (today's forecast is no news of it), one with
    no located photo, or no weather."""
    now = datetime.now(UTC)
    if now - visit.ended_at > timedelta(days=PAST_DAYS):
        return None
    located = [record.location for record in records if record.id in visit.case_ids]
    sentence = blight_weather_sentence(coarse(centre(located, within_m=None)))
    return None if sentence is None else (now.date(), sentence)
