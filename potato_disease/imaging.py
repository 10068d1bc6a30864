"""Safe decoding of uploaded photos into RGB images the model can read.

Every way a user's file can be wrong ends in an :class:`ImageError` subclass whose
message can be shown to that user as it is.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF straight from phones, when pillow-heif is installed.
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - optional dependency
    pass

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
MIN_SIDE = 32
# The largest side anything here works at (the model sees 192 px, the photo check 224,
# the page shows 1,280): a phone's 48-megapixel photo would otherwise take 150 MB or more
# of memory per upload. JPEGs are decoded straight at a reduced scale.
WORKING_SIDE = 2048
# Photo formats only: each other decoder Pillow carries is code an upload could reach.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF", "TIFF", "BMP", "GIF")


class ImageError(ValueError):
    """A photo that cannot be diagnosed; ``str(error)`` is a message for people."""


class EmptyFileError(ImageError):
    """The file has no content."""


class FileTooLargeError(ImageError):
    """The file is bigger than the upload limit."""


class NotAnImageError(ImageError):
    """The file is not an image in a format we read."""


class TruncatedImageError(ImageError):
    """The image file is cut short or corrupt."""


class ImageTooLargeError(ImageError):
    """The image has too many pixels (possibly a decompression bomb)."""


class ImageTooSmallError(ImageError):
    """The image is too small to show a leaf."""


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Decode photo bytes into an upright 8-bit RGB image, or raise ImageError."""
    if not data:
        raise EmptyFileError("The file is empty. Please choose a photo.")
    if len(data) > max_bytes:
        raise FileTooLargeError(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
            "Please send a smaller photo."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"The image is {width} x {height} pixels, more than this app accepts "
                    f"({max_pixels / 1e6:.0f} megapixels). Please resize it."
                )
            if min(image.size) < MIN_SIDE:
                raise ImageTooSmallError(
                    f"The image is only {width} x {height} pixels. "
                    f"Please send a photo at least {MIN_SIDE} pixels on each side."
                )
            image.draft(None, (WORKING_SIDE, WORKING_SIDE))  # JPEG: decode at 1/2, 1/4, 1/8
            image.load()
            image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BILINEAR)
            return to_rgb(ImageOps.exif_transpose(image))
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLargeError(
            "The image has far too many pixels to open safely. Please send a normal photo."
        ) from error
    except UnidentifiedImageError as error:
        raise NotAnImageError(
            "This file is not a photo we can read. Please upload a JPEG, PNG, WebP or HEIC image."
        ) from error
    except Exception as error:
        # A damaged file can fail anywhere in a format's decoder or its EXIF, and not only
        # with OSError or ValueError: a damaged HEIC raises EOFError, for example (found
        # by fuzzing). Whatever it raises, it is the file that is wrong.
        raise TruncatedImageError(
            "The photo file is damaged or incomplete. Please take or upload it again."
        ) from error


def load_image(path: str | Path, **limits: int) -> Image.Image:
    """Read and decode an image file from disk."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise NotAnImageError(f"The file could not be read: {error.strerror}.") from error
    return decode_image(data, **limits)


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode (greyscale, palette, alpha, CMYK, 16-bit) to 8-bit RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # In the image's own integer or float32 type: a float64 copy of a small file that
        # decodes to 40 megapixels would take 320 MB.
        array = np.asarray(image)
        if array.max() <= 255:
            scaled = np.clip(array, 0, 255).astype(np.uint8)
        elif array.dtype.kind in "iu":
            scaled = (np.clip(array, 0, 65535) // 257).astype(np.uint8)  # 65535 -> 255
        else:
            scaled = np.clip(array / np.float32(257), 0, 255).astype(np.uint8)
        return Image.fromarray(scaled, mode="L").convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def center_square(image: Image.Image, size: int) -> Image.Image:
    """Resize the shorter side to ``size`` and crop the central square."""
    return ImageOps.fit(image, (size, size), method=Image.Resampling.BILINEAR)


def to_model_input(image: Image.Image, size: int) -> np.ndarray:
    """A ``(size, size, 3)`` float32 array of 0-255 pixels (the model normalises)."""
    return np.asarray(center_square(image, size), dtype=np.float32)


@dataclass(frozen=True)
class DisplayPhoto:
    """A photo as a page keeps it for showing: a JPEG, a tenth or less of the memory of
    its pixels, which ``st.image`` sends to the browser as it is, without encoding again."""

    jpeg: bytes = field(repr=False)
    size: tuple[int, int]

    def decoded(self) -> Image.Image:
        """The photo as an RGB image (for saving a thumbnail, or for the assistant)."""
        with Image.open(io.BytesIO(self.jpeg)) as photo:
            return photo.convert("RGB")


DISPLAY_JPEG_QUALITY = 90


def display_copy(image: Image.Image, side: int = 1280) -> DisplayPhoto:
    """A copy at most ``side`` pixels on its long side, kept as a JPEG, for showing and
    keeping in a page: thirty 12-megapixel photos would hold a gigabyte as pixels, 110 MB
    as 1,280-pixel copies, and 5.5 MB as these JPEGs (0.18 MB each for the phone-sized
    photos of ``benchmarks/concurrent_sessions.py``)."""
    copy = image.convert("RGB")  # a copy, whatever the mode
    copy.thumbnail((side, side))
    buffer = io.BytesIO()
    copy.save(buffer, format="JPEG", quality=DISPLAY_JPEG_QUALITY)
    return DisplayPhoto(buffer.getvalue(), copy.size)
