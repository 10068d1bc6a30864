"""Decoding of every kind of good and bad upload."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from potato_disease import imaging
from tests.conftest import encode, leafish

DATA_DIR = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", imaging.EmptyFileError),
        (b"this is a text file, not a photo\n" * 10, imaging.NotAnImageError),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", imaging.NotAnImageError),
        (encode(leafish(), "JPEG")[:300], imaging.TruncatedImageError),
        (encode(leafish(), "PNG")[:-40], imaging.TruncatedImageError),
        (encode(leafish((20, 20)), "PNG"), imaging.ImageTooSmallError),
    ],
    ids=["empty", "text-named-jpg", "pdf", "truncated-jpeg", "truncated-png", "tiny"],
)
def test_bad_input_raises_a_typed_error_with_a_human_message(data: bytes, error: type) -> None:
    with pytest.raises(error) as raised:
        imaging.decode_image(data)
    message = str(raised.value)
    assert message.endswith(".") and "Traceback" not in message and len(message) > 20


def test_the_too_small_message_names_the_smallest_size() -> None:
    with pytest.raises(imaging.ImageTooSmallError) as raised:
        imaging.decode_image(encode(leafish((20, 20)), "PNG"))
    assert str(raised.value).endswith(f"at least {imaging.MIN_SIDE} pixels on each side.")


def test_a_damaged_heic_whose_decoder_raises_eof_is_a_damaged_file() -> None:
    # Random pixels saved as HEIC, then one byte changed by the fuzzer (atheris): its
    # decoder raises EOFError, which is neither OSError nor ValueError.
    data = (DATA_DIR / "damaged-noise.heic").read_bytes()
    with pytest.raises(imaging.TruncatedImageError, match="damaged or incomplete"):
        imaging.decode_image(data)


@pytest.mark.parametrize(
    "failure", [EOFError, KeyError, IndexError, struct.error, ZeroDivisionError, TypeError]
)
def test_any_failure_inside_a_decoder_is_a_damaged_file(monkeypatch, failure: type) -> None:
    def fail(self: Image.Image) -> None:
        raise failure("decoder trouble")

    monkeypatch.setattr(ImageFile.ImageFile, "load", fail)
    with pytest.raises(imaging.TruncatedImageError):
        imaging.decode_image(encode(leafish(), "PNG"))


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = encode(Image.new("1", (20_000, 20_000)), "PNG")  # 400 MP in a few kB
    assert len(bomb) < 200_000
    with pytest.raises(imaging.ImageTooLargeError, match="pixels"):
        imaging.decode_image(bomb)


def test_pixel_limit_is_configurable() -> None:
    data = encode(leafish((400, 300)), "PNG")
    with pytest.raises(imaging.ImageTooLargeError):
        imaging.decode_image(data, max_pixels=100_000)
    assert imaging.decode_image(data).size == (400, 300)


def test_file_over_the_byte_limit_is_refused() -> None:
    with pytest.raises(imaging.FileTooLargeError, match="MB"):
        imaging.decode_image(encode(leafish(), "PNG"), max_bytes=100)


def test_exif_orientation_is_applied() -> None:
    image = leafish((60, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    decoded = imaging.decode_image(encode(image, "JPEG", exif=exif))
    assert decoded.size == (40, 60)


@pytest.mark.parametrize(
    ("image", "format"),
    [
        (leafish().convert("L"), "PNG"),
        (leafish().convert("RGBA"), "PNG"),
        (leafish().convert("P"), "PNG"),
        (leafish().convert("CMYK"), "JPEG"),
        (leafish(), "WEBP"),
        (leafish(), "TIFF"),
        (leafish(), "BMP"),
    ],
    ids=["greyscale", "rgba", "palette", "cmyk", "webp", "tiff", "bmp"],
)
def test_every_colour_mode_and_format_becomes_8bit_rgb(image: Image.Image, format: str) -> None:
    decoded = imaging.decode_image(encode(image, format))
    assert decoded.mode == "RGB" and decoded.size == image.size


def test_a_large_photo_is_decoded_at_the_working_size_upright() -> None:
    """A phone's 48-megapixel photo is decoded small (JPEG at a reduced DCT scale), and
    its EXIF orientation still applies."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    data = encode(leafish((8000, 6000)), "JPEG", exif=exif)
    decoded = imaging.decode_image(data, max_pixels=50_000_000)
    assert decoded.size == (1536, imaging.WORKING_SIDE) and decoded.mode == "RGB"


@pytest.mark.parametrize("format", ["PPM", "TGA", "ICO"])
def test_formats_that_are_not_photo_formats_are_not_opened(format: str) -> None:
    with pytest.raises(imaging.NotAnImageError, match="JPEG, PNG, WebP or HEIC"):
        imaging.decode_image(encode(leafish(), format))


def test_sixteen_bit_greyscale_keeps_its_range() -> None:
    array = np.full((40, 40), 65535, dtype=np.uint16)
    array[:20] = 32768
    decoded = np.asarray(imaging.decode_image(encode(Image.fromarray(array), "PNG")))
    assert decoded[30, 5, 0] == 255 and 120 <= decoded[5, 5, 0] <= 135


def test_transparent_areas_become_white() -> None:
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    decoded = imaging.decode_image(encode(image, "PNG"))
    assert decoded.getpixel((5, 5)) == (255, 255, 255)


def test_heic_from_phones_is_read() -> None:
    pytest.importorskip("pillow_heif")
    decoded = imaging.decode_image(encode(leafish((64, 64)), "HEIF"))
    assert decoded.mode == "RGB" and decoded.size == (64, 64)


def test_model_input_is_a_centre_square_of_raw_pixels() -> None:
    pixels = imaging.to_model_input(leafish((300, 200)), 96)
    assert pixels.shape == (96, 96, 3) and pixels.dtype == np.float32 and pixels.max() > 1


def test_display_copy_is_bounded_and_keeps_the_aspect() -> None:
    big = Image.new("RGB", (4000, 3000), (10, 120, 30))
    copy = imaging.display_copy(big)
    assert copy.size == (1280, 960) and big.size == (4000, 3000)
    assert copy.decoded().size == (1280, 960)
    assert imaging.display_copy(Image.new("RGB", (300, 200))).size == (300, 200)


def test_display_copy_is_kept_as_a_jpeg_far_smaller_than_its_pixels() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 40, (768, 1024, 3), dtype=np.uint8)
    photo = Image.fromarray(noise + np.array([60, 130, 40], dtype=np.uint8))
    copy = imaging.display_copy(photo)
    assert copy.jpeg.startswith(b"\xff\xd8") and copy.size == (1024, 768)
    assert len(copy.jpeg) < 1024 * 768 * 3 / 4
    shown = np.asarray(copy.decoded(), dtype=np.float32)
    assert np.abs(shown.mean(axis=(0, 1)) - np.asarray(photo).mean(axis=(0, 1))).max() < 2
