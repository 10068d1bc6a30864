"""Where and when a photo was taken, from the tags a phone writes into its EXIF."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import NamedTuple

from PIL import ExifTags, Image

from potato_disease import imaging  # noqa: F401  (registers the HEIC opener)

EXIF_TIME_FORMAT = "%Y:%m:%d %H:%M:%S"
EARLIEST_PHOTO = datetime(2000, 1, 1, tzinfo=UTC)  # a camera whose clock was never set
CLOCK_TOLERANCE = timedelta(days=1)  # a camera clock a little ahead is not a future photo
PLOT_SPREAD_M = 1000.0  # photos further apart than this are not of one plot


class Location(NamedTuple):
    """A point in decimal degrees (WGS 84, as GPS gives it)."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class PhotoExif:
    """What a photo file says about itself: where and when it was taken, each if known."""

    location: Location | None = None
    taken_at: datetime | None = None  # UTC


NOTHING_KNOWN = PhotoExif()


def read_photo_exif(data: bytes, local_zone: tzinfo | None = None) -> PhotoExif:
    """The photo file's location and time (see :func:`photo_location` and
    :func:`photo_taken_at`; ``local_zone`` is the uploader's time zone)."""
    return PhotoExif(photo_location(data), photo_taken_at(data, local_zone))


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


def photo_taken_at(
    data: bytes, local_zone: tzinfo | None = None, now: datetime | None = None
) -> datetime | None:
    """When the photo was taken (EXIF ``DateTimeOriginal``), in UTC. The camera writes its
    local time, and most phones its UTC offset too (``OffsetTimeOriginal``); without the
    offset the time is read in ``local_zone`` (the uploader's), and without that it is
    unknown. None too for no tag, a damaged one, or a time before 2000 or in the future."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            tags = image.getexif().get_ifd(ExifTags.IFD.Exif)
        local = datetime.strptime(
            str(tags[ExifTags.Base.DateTimeOriginal]).strip("\x00 "), EXIF_TIME_FORMAT
        )
        offset = str(tags.get(ExifTags.Base.OffsetTimeOriginal, "")).strip("\x00 ")
        if offset:
            taken = datetime.fromisoformat(f"{local.isoformat()}{offset}")
        elif local_zone is not None:
            taken = local.replace(tzinfo=local_zone)
        else:
            return None
        taken = taken.astimezone(UTC)
    except Exception:  # no such tag, or a damaged one: the time is simply unknown
        return None
    if not EARLIEST_PHOTO <= taken <= (now or datetime.now(UTC)) + CLOCK_TOLERANCE:
        return None
    return taken


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


def centre(
    locations: Sequence[Location | None], within_m: float | None = PLOT_SPREAD_M
) -> Location | None:
    """The mean position of the photos that have one, or None when none has, or when
    they lie more than ``within_m`` from it (by default :data:`PLOT_SPREAD_M`: then they
    are not of one plot; None: no limit)."""
    known = [location for location in locations if location is not None]
    if not known:
        return None
    middle = Location(
        round(sum(point.latitude for point in known) / len(known), 6),
        round(sum(point.longitude for point in known) / len(known), 6),
    )
    if within_m is not None and max(metres_apart(middle, p) for p in known) > within_m:
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


def coarse(point: Sequence[float] | None) -> tuple[float, float] | None:
    """A position rounded to 0.1° (about 10 km): enough for the region and its season,
    too coarse to find the farm."""
    if not point or len(point) != 2 or any(value is None for value in point):
        return None
    return round(float(point[0]), 1), round(float(point[1]), 1)
