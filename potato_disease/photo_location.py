"""Where a photo was taken, from the GPS tags a phone writes into its EXIF."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import NamedTuple

from PIL import ExifTags, Image

from potato_disease import imaging  # noqa: F401  (registers the HEIC opener)


class Location(NamedTuple):
    """A point in decimal degrees (WGS 84, as GPS gives it)."""

    latitude: float
    longitude: float


def photo_location(data: bytes) -> Location | None:
    """The GPS position in the photo file's EXIF, or None when it has none, or one that
    cannot be a real position (out of range, or exactly 0, 0: a phone without a fix)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        latitude = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef))
        longitude = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef))
    except Exception:  # no GPS tags, or damaged ones: the photo simply has no location
        return None
    if not (abs(latitude) <= 90 and abs(longitude) <= 180):  # also False for NaN
        return None
    if latitude == 0 and longitude == 0:
        return None
    return Location(round(latitude, 6), round(longitude, 6))


def _degrees(value: tuple, reference: str | bytes | None) -> float:
    """EXIF degrees, minutes, seconds (rationals) and a hemisphere letter, as a signed
    decimal number of degrees."""
    degrees, minutes, seconds = (float(part) for part in value)
    if any(math.isnan(part) or part < 0 for part in (degrees, minutes, seconds)):
        raise ValueError("not a position")
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "replace")
    sign = -1.0 if (reference or "").strip().upper() in ("S", "W") else 1.0
    return sign * (degrees + minutes / 60 + seconds / 3600)


PLOT_SPREAD_M = 1000.0  # photos further apart than this are not of one plot


def centre(locations: Sequence[Location | None]) -> Location | None:
    """The mean position of the photos that have one, or None when none has, or when
    they lie more than :data:`PLOT_SPREAD_M` from it (then they are not of one plot)."""
    known = [location for location in locations if location is not None]
    if not known:
        return None
    middle = Location(
        round(sum(point.latitude for point in known) / len(known), 6),
        round(sum(point.longitude for point in known) / len(known), 6),
    )
    if max(metres_apart(middle, point) for point in known) > PLOT_SPREAD_M:
        return None
    return middle


def metres_apart(one: Location, other: Location) -> float:
    """Distance on the ground, flat-earth approximation (exact to well under 1 % at the
    scale of a farm, and that is all it is used for)."""
    metres_per_degree = 111_195.0
    north = (one.latitude - other.latitude) * metres_per_degree
    east = (
        (one.longitude - other.longitude)
        * metres_per_degree
        * math.cos(math.radians((one.latitude + other.latitude) / 2))
    )
    return math.hypot(north, east)
