"""Where and when a photo was taken, read from its EXIF, and what is neither."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from potato_disease.photo_exif import (
    Location,
    centre,
    metres_apart,
    photo_location,
    photo_taken_at,
)
from tests.conftest import encode, phone_exif


def photo_with_gps(
    latitude: tuple[float, float, float] | None,
    longitude: tuple[float, float, float] | None,
    references: tuple[str, str] = ("S", "E"),
    image_format: str = "JPEG",
) -> bytes:
    """A small photo whose EXIF holds these GPS degrees, minutes and seconds."""
    exif = phone_exif(latitude, longitude, references)
    return encode(Image.new("RGB", (64, 48), (40, 120, 30)), image_format, exif=exif)


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP", "HEIF"])
def test_a_phone_photo_gives_its_position_in_signed_decimal_degrees(image_format: str) -> None:
    data = photo_with_gps((7.0, 15.0, 30.5), (110.0, 24.0, 0.0), image_format=image_format)
    assert photo_location(data) == Location(-7.258472, 110.4)


def test_north_and_west_are_signed_as_such() -> None:
    data = photo_with_gps((52.0, 30.0, 0.0), (4.0, 45.0, 0.0), references=("N", "W"))
    assert photo_location(data) == Location(52.5, -4.75)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (None, None),  # no GPS tags
        ((7.0, 15.0, 30.5), None),  # half a position
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),  # a phone without a fix writes zeros
        ((95.0, 0.0, 0.0), (110.0, 0.0, 0.0)),  # off the globe
        ((7.0, 15.0, 30.5), (190.0, 0.0, 0.0)),
    ],
)
def test_no_position_or_an_impossible_one_gives_none(
    latitude: tuple[float, float, float] | None, longitude: tuple[float, float, float] | None
) -> None:
    assert photo_location(photo_with_gps(latitude, longitude)) is None


@pytest.mark.parametrize(
    "data", [b"", b"not a photo", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage"]
)
def test_a_file_that_is_not_a_photo_or_a_damaged_one_has_no_position(data: bytes) -> None:
    assert photo_location(data) is None


def test_the_centre_of_photos_of_one_plot_is_their_mean_position() -> None:
    plot = [Location(-7.2500, 110.4000), None, Location(-7.2502, 110.4004)]
    assert centre(plot) == Location(-7.2501, 110.4002)
    assert centre([None, None]) is None
    assert centre([]) is None


def test_photos_far_apart_have_no_centre() -> None:
    two_farms = [Location(-7.2500, 110.4000), Location(-7.2500, 110.4200)]  # 2.2 km apart
    assert 2100 < metres_apart(*two_farms) < 2300
    assert centre(two_farms) is None


NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def photo_taken(taken: str | None, offset: str | None = None, image_format: str = "JPEG") -> bytes:
    """A small photo whose EXIF says it was taken at this local time and offset."""
    exif = phone_exif(taken=taken, offset=offset)
    return encode(Image.new("RGB", (64, 48), (40, 120, 30)), image_format, exif=exif)


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP", "HEIF"])
def test_the_time_a_photo_was_taken_is_read_with_its_offset_into_utc(image_format: str) -> None:
    data = photo_taken("2026:11:20 09:14:05", "+07:00", image_format)
    assert photo_taken_at(data, now=NOW) == datetime(2026, 11, 20, 2, 14, 5, tzinfo=UTC)


def test_without_an_offset_the_time_is_read_in_the_uploaders_zone() -> None:
    data = photo_taken("2026:07:01 09:00:00")
    assert photo_taken_at(data, now=NOW) is None  # local time of an unknown place
    in_lima = photo_taken_at(data, ZoneInfo("America/Lima"), now=NOW)
    assert in_lima == datetime(2026, 7, 1, 14, tzinfo=UTC)
    in_summer_berlin = photo_taken_at(data, ZoneInfo("Europe/Berlin"), now=NOW)
    assert in_summer_berlin == datetime(2026, 7, 1, 7, tzinfo=UTC)  # daylight saving time


@pytest.mark.parametrize(
    ("taken", "offset"),
    [
        (None, None),  # no tag
        ("1999:12:31 23:00:00", "+00:00"),  # a camera whose clock was never set
        ("2026:11:29 12:00:00", "+00:00"),  # after now, beyond a slow clock's day
        ("2026:13:45 99:00:00", "+07:00"),  # not a date
        ("2026:11:20 09:14:05", "garbage"),
    ],
)
def test_no_time_or_an_impossible_one_gives_none(taken: str | None, offset: str | None) -> None:
    data = photo_taken(taken, offset)
    assert photo_taken_at(data, ZoneInfo("Asia/Jakarta"), now=NOW) is None


def test_a_camera_clock_a_few_hours_ahead_is_still_believed() -> None:
    data = photo_taken("2026:11:27 20:00:00", "+00:00")
    assert photo_taken_at(data, now=NOW) == datetime(2026, 11, 27, 20, tzinfo=UTC)
