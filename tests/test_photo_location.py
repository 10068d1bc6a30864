"""Where a photo was taken: GPS tags read from its EXIF, and what is not a position."""

from __future__ import annotations

import pytest
from PIL import Image

from potato_disease.photo_location import Location, centre, metres_apart, photo_location
from tests.conftest import encode, gps_exif


def photo_with_gps(
    latitude: tuple[float, float, float] | None,
    longitude: tuple[float, float, float] | None,
    references: tuple[str, str] = ("S", "E"),
    image_format: str = "JPEG",
) -> bytes:
    """A small photo whose EXIF holds these GPS degrees, minutes and seconds."""
    exif = gps_exif(latitude, longitude, references)
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
