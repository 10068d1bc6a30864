"""Fetching blight weather from (a fake) Open-Meteo: the request, the answer, the failures."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from potato_disease.config import settings_from_env
from potato_disease.photo_exif import Location
from potato_disease.weather import (
    FORECAST_DAYS,
    PAST_DAYS,
    WeatherUnavailableError,
    fetch_place_weather,
)
from tests.fake_open_meteo import FakeOpenMeteo, dry_weather, forecast_answer

FARM = Location(-7.243817, 109.912345)  # Dieng plateau, Central Java
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 10:00 in Java (UTC+7)
KEY = "om-test-key-0123456789"


def test_the_request_sends_only_a_rounded_position_and_asks_for_two_weeks(
    fake_open_meteo: FakeOpenMeteo,
) -> None:
    fake_open_meteo.answer = forecast_answer(NOW.date())
    settings = settings_from_env({"WEATHER_URL": fake_open_meteo.url})
    weather = fetch_place_weather(FARM, settings, NOW)
    (query,) = fake_open_meteo.queries
    assert query["latitude"] == ["-7.2"] and query["longitude"] == ["109.9"]
    assert query["hourly"] == ["temperature_2m,relative_humidity_2m"]
    assert query["past_days"] == [str(PAST_DAYS)]
    assert query["forecast_days"] == [str(FORECAST_DAYS)]
    assert query["timezone"] == ["auto"]
    assert "apikey" not in query
    assert weather.time_zone == "Asia/Jakarta"
    assert len(weather.days) == PAST_DAYS + FORECAST_DAYS
    assert sum(not day.forecast for day in weather.days) == PAST_DAYS
    assert all(day.suits_blight for day in weather.days)


def test_today_is_the_places_own_day(fake_open_meteo: FakeOpenMeteo) -> None:
    # 20:00 UTC on the 27th is already the 28th in Java.
    late_evening_utc = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    fake_open_meteo.answer = forecast_answer(datetime(2026, 11, 28).date())
    settings = settings_from_env({"WEATHER_URL": fake_open_meteo.url})
    days = fetch_place_weather(FARM, settings, late_evening_utc).days
    first_forecast = next(day for day in days if day.forecast)
    assert first_forecast.day.isoformat() == "2026-11-28"


def test_dry_weather_gives_days_that_do_not_suit_blight(fake_open_meteo: FakeOpenMeteo) -> None:
    fake_open_meteo.answer = forecast_answer(NOW.date(), dry_weather)
    settings = settings_from_env({"WEATHER_URL": fake_open_meteo.url})
    days = fetch_place_weather(FARM, settings, NOW).days
    assert not any(day.suits_blight for day in days)


def test_an_api_key_is_sent_but_never_logged_or_shown(
    fake_open_meteo: FakeOpenMeteo, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_from_env({"WEATHER_URL": fake_open_meteo.url, "WEATHER_API_KEY": KEY})
    assert KEY not in repr(settings)
    fetch_place_weather(FARM, settings, NOW)
    assert fake_open_meteo.queries[-1]["apikey"] == [KEY]
    fake_open_meteo.status = 401  # a wrong key: the error would name the URL, key and all
    fake_open_meteo.answer = '{"error": true, "reason": "API key invalid"}'
    with caplog.at_level(logging.DEBUG), pytest.raises(WeatherUnavailableError) as raised:
        fetch_place_weather(FARM, settings, NOW)
    assert KEY not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert "status 401" in caplog.text
    assert "apikey=[hidden]" in caplog.text  # urllib3's own request line, key blanked
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (500, '{"error": true}'),
        (200, "<html>not json</html>"),
        (200, '{"hourly": {"time": ["2026-11-28T00:00"]}}'),  # no values, no offset
        (
            200,
            '{"utc_offset_seconds": 0, "hourly": {"time": [], "temperature_2m": [], '
            '"relative_humidity_2m": []}}',
        ),
        (
            200,
            '{"utc_offset_seconds": 0, "hourly": {"time": ["2026-11-28T00:00"], '
            '"temperature_2m": ["warm"], "relative_humidity_2m": [95]}}',
        ),
        (
            200,
            '{"utc_offset_seconds": 0, "hourly": {"time": ["yesterday"], '
            '"temperature_2m": [12], "relative_humidity_2m": [95]}}',
        ),
        (
            200,
            '{"utc_offset_seconds": 0, "hourly": {"time": ["2026-11-28T00:00"], '
            '"temperature_2m": [12, 13], "relative_humidity_2m": [95]}}',
        ),
    ],
)
def test_a_failing_or_strange_answer_gives_a_plain_message(
    fake_open_meteo: FakeOpenMeteo, status: int, answer: str
) -> None:
    fake_open_meteo.status = status
    fake_open_meteo.answer = answer
    settings = settings_from_env({"WEATHER_URL": fake_open_meteo.url})
    with pytest.raises(WeatherUnavailableError, match="could not be reached"):
        fetch_place_weather(FARM, settings, NOW)


def test_a_slow_service_is_given_up_on(fake_open_meteo: FakeOpenMeteo) -> None:
    fake_open_meteo.delay_seconds = 1.0
    settings = settings_from_env({"WEATHER_URL": fake_open_meteo.url}, weather_timeout_seconds=0.3)
    with pytest.raises(WeatherUnavailableError, match="could not be reached"):
        fetch_place_weather(FARM, settings, NOW)


def test_nothing_listening_gives_a_plain_message() -> None:
    settings = settings_from_env({"WEATHER_URL": "http://127.0.0.1:9/v1/forecast"})
    with pytest.raises(WeatherUnavailableError, match="could not be reached"):
        fetch_place_weather(FARM, settings, NOW)


def test_weather_can_be_switched_off_with_an_empty_url() -> None:
    settings = settings_from_env({"WEATHER_URL": ""})
    assert settings.weather_url is None
    with pytest.raises(WeatherUnavailableError, match="switched off"):
        fetch_place_weather(FARM, settings, NOW)
    assert settings_from_env({}).weather_url == "https://api.open-meteo.com/v1/forecast"


def test_each_request_writes_one_metrics_line_when_metrics_are_on(
    fake_open_meteo: FakeOpenMeteo, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = settings_from_env(
        {"WEATHER_URL": fake_open_meteo.url, "METRICS_NAMESPACE": "PotatoDisease"}
    )
    fetch_place_weather(FARM, settings, NOW)
    fake_open_meteo.status = 502
    with pytest.raises(WeatherUnavailableError):
        fetch_place_weather(FARM, settings, NOW)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["WeatherFailures"] for line in lines] == [0, 1]
    assert all(line["WeatherTime"] >= 0 for line in lines)
    with pytest.raises(WeatherUnavailableError):  # switched off: nothing asked, nothing counted
        fetch_place_weather(FARM, settings_from_env({"WEATHER_URL": ""}), NOW)
    assert capsys.readouterr().out == ""
