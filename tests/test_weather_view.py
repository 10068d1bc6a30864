"""The fields table of late blight weather: order, shared places and the cap on places."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from potato_disease.photo_exif import Location
from potato_disease.ui.weather_view import MAX_PLACES, fields_table
from tests.fake_open_meteo import FakeOpenMeteo, dry_weather, forecast_answer


def test_struck_fields_come_first_then_the_rest_by_name_within_the_cap_on_places(
    fake_open_meteo: FakeOpenMeteo,
) -> None:
    fields = {f"Field {n:02d}": Location(-7.0 - n / 10, 110.0) for n in range(MAX_PLACES + 5)}
    table = fields_table(fields, {"Field 29"})
    assert len(fake_open_meteo.queries) == MAX_PLACES  # one request per 0.1° cell, capped
    assert len(table) == MAX_PLACES
    assert list(table["Field"][:3]) == ["Field 29", "Field 00", "Field 01"]
    assert list(table["Late blight lately"][:2]) == ["yes", ""]


def test_fields_with_blight_weather_ahead_come_before_those_without(
    fake_open_meteo: FakeOpenMeteo,
) -> None:
    today = (datetime.now(UTC) + timedelta(hours=7)).date()
    fake_open_meteo.answer_at["-7.0"] = forecast_answer(today, dry_weather)
    fields = {"Alpha": Location(-7.0, 110.0), "Beta": Location(-7.5, 110.0)}
    table = fields_table(fields, set())
    assert table.to_dict("list") == {
        "Field": ["Beta", "Alpha"],  # Beta has blight weather ahead, Alpha none
        "Late blight lately": ["", ""],
        "Next blight weather (Hutton period, 7 days)": [
            table["Next blight weather (Hutton period, 7 days)"][0],
            "none",
        ],
    }
    assert table["Next blight weather (Hutton period, 7 days)"][0].endswith("(under way)")
