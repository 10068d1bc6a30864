"""Hourly temperature and humidity for a place, past and forecast, from Open-Meteo.

Open-Meteo's forecast API needs no key for non-commercial use; a commercial deployment
sets ``WEATHER_URL`` to its customer endpoint and ``WEATHER_API_KEY`` (a secret, never
logged). Only a position rounded to 0.1° (about 10 km) leaves the app. Weather data by
Open-Meteo.com, CC BY 4.0.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from potato_disease.blight_weather import BlightDay, HourlyWeather, blight_days
from potato_disease.config import Settings
from potato_disease.monitoring import record_weather_request
from potato_disease.photo_exif import Location, coarse

logger = logging.getLogger(__name__)

PAST_DAYS = 7
FORECAST_DAYS = 8  # today and the 7 days after it
HOURLY_VARIABLES = ("temperature_2m", "relative_humidity_2m")
ATTRIBUTION = "Weather data by Open-Meteo.com (CC BY 4.0)"
UNAVAILABLE = (
    "The weather service could not be reached, so blight weather cannot be shown now. "
    "Nothing else in the app depends on it."
)


API_KEY_IN_URL = re.compile(r"(apikey=)[^&\s\"]+")


class HideApiKey(logging.Filter):
    """Blanks the API key in the request lines urllib3 logs at debug level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                API_KEY_IN_URL.sub(r"\1[hidden]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(HideApiKey())


class WeatherUnavailableError(Exception):
    """The weather could not be had; ``str(error)`` is a message for the user."""


@dataclass(frozen=True)
class PlaceWeather:
    """The blight days around today at one place, with the place's time zone."""

    days: tuple[BlightDay, ...]
    time_zone: str


def fetch_place_weather(
    location: Location, settings: Settings, now: datetime | None = None
) -> PlaceWeather:
    """Past and forecast blight days at ``location`` (sent rounded to 0.1°).

    Raises :class:`WeatherUnavailableError` when weather is switched off, the service cannot
    be reached, or it answers with something unexpected.
    """
    if not settings.weather_url:
        raise WeatherUnavailableError("Blight weather is switched off on this server.")
    latitude, longitude = coarse(location)  # type: ignore[misc]
    parameters: dict[str, Any] = {
        "latitude": latitude,
        "longitude": longitude,
        "hourly": ",".join(HOURLY_VARIABLES),
        "past_days": PAST_DAYS,
        "forecast_days": FORECAST_DAYS,
        "timezone": "auto",
    }
    if settings.weather_api_key:
        parameters["apikey"] = settings.weather_api_key
    started, answered = time.perf_counter(), False
    try:
        weather = _ask(settings, parameters, now or datetime.now(UTC))
        answered = True
        return weather
    finally:
        milliseconds = (time.perf_counter() - started) * 1000
        record_weather_request(settings.metrics_namespace, answered, milliseconds)


def _ask(settings: Settings, parameters: dict[str, Any], now: datetime) -> PlaceWeather:
    try:
        response = requests.get(
            settings.weather_url, params=parameters, timeout=settings.weather_timeout_seconds
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        # Only the kind of failure: the URL, and with it any API key, stays out of the log.
        status = getattr(getattr(error, "response", None), "status_code", None)
        logger.warning("Weather request failed (%s, status %s)", type(error).__name__, status)
        raise WeatherUnavailableError(UNAVAILABLE) from None
    try:
        return parse_forecast(document, now)
    except (KeyError, TypeError, ValueError) as error:
        logger.warning("Weather answer not understood (%s)", type(error).__name__)
        raise WeatherUnavailableError(UNAVAILABLE) from None


def parse_forecast(document: dict[str, Any], now: datetime) -> PlaceWeather:
    """The blight days in an Open-Meteo forecast answer (hourly, ``timezone=auto``)."""
    hourly = document["hourly"]
    times = hourly["time"]
    temperatures = hourly[HOURLY_VARIABLES[0]]
    humidities = hourly[HOURLY_VARIABLES[1]]
    if not (len(times) == len(temperatures) == len(humidities)) or not times:
        raise ValueError("hourly series of different lengths, or empty")
    hours = [
        HourlyWeather(datetime.fromisoformat(time), _number(temp), _number(humidity))
        for time, temp, humidity in zip(times, temperatures, humidities, strict=True)
    ]
    offset = timedelta(seconds=int(document["utc_offset_seconds"]))
    today = local_today(now, offset)
    return PlaceWeather(tuple(blight_days(hours, today)), str(document.get("timezone", "")))


def local_today(now: datetime, utc_offset: timedelta) -> date:
    """The calendar day at a place ``utc_offset`` from UTC."""
    return (now.astimezone(UTC) + utc_offset).date()


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return float(value)
