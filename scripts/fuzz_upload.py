"""Fuzz the upload path with atheris (libFuzzer for Python): bytes -> decode -> photo
quality -> diagnosis with heatmap. Whatever the bytes, the result must be a diagnosis or
an ``ImageError`` (a message for people), never another exception, hang or crash.

    pip install -r requirements-dev.txt
    python scripts/fuzz_upload.py CORPUS_DIR -max_total_time=300 -timeout=30

An empty CORPUS_DIR is first seeded with small synthetic images (random pixels, no
dataset photo) in every format and colour mode the app reads. Inputs that fail are
written as ``crash-*`` files; a found case belongs in ``tests/test_imaging.py``.
In session 10 an earlier form of it found, within a minute, a damaged HEIC whose decoder
raised ``EOFError`` (now a damaged-file message); after the fix this script ran 83,795
inputs in 5 minutes with no failure.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import atheris
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, when run as a file

with atheris.instrument_imports(include=["potato_disease"]):
    from potato_disease import imaging
    from potato_disease.config import PROJECT_ROOT
    from potato_disease.diagnosis import Diagnoser
    from potato_disease.photo_quality import quality_warnings

SEED_SIDE = 64
MAX_PIXELS = 4_000_000  # smaller than the app's limit, so that each run stays quick
SEEDS = {  # file name: (Pillow format, colour mode)
    "rgb.jpg": ("JPEG", "RGB"),
    "cmyk.jpg": ("JPEG", "CMYK"),
    "rgb.png": ("PNG", "RGB"),
    "alpha.png": ("PNG", "LA"),
    "grey16.png": ("PNG", "I;16"),
    "rgb.webp": ("WEBP", "RGB"),
    "palette.gif": ("GIF", "P"),
    "rgb.tif": ("TIFF", "RGB"),
    "rgb.bmp": ("BMP", "RGB"),
    "rgb.heic": ("HEIF", "RGB"),
}


def write_seeds(corpus: Path) -> None:
    """Small synthetic images in every seed format, plus one whose EXIF rotates it."""
    pixels = np.random.default_rng(20261127).integers(0, 255, (SEED_SIDE, SEED_SIDE, 3))
    image = Image.fromarray(pixels.astype(np.uint8))
    for name, (file_format, mode) in SEEDS.items():
        buffer = io.BytesIO()
        image.convert(mode).save(buffer, format=file_format)
        (corpus / name).write_bytes(buffer.getvalue())
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    (corpus / "rotated.jpg").write_bytes(buffer.getvalue())


def main() -> None:
    """Seed empty corpus folders, load the model once, and fuzz until libFuzzer stops."""
    corpus_dirs = [Path(arg) for arg in sys.argv[1:] if not arg.startswith("-")]
    for corpus in corpus_dirs:
        corpus.mkdir(parents=True, exist_ok=True)
        if not any(corpus.iterdir()):
            write_seeds(corpus)
    diagnoser = Diagnoser(PROJECT_ROOT / "model", threads=1)

    def one_input(data: bytes) -> None:
        try:
            image = imaging.decode_image(data, max_pixels=MAX_PIXELS)
        except imaging.ImageError:
            return
        assert image.mode == "RGB", image.mode
        quality_warnings(image)
        diagnosis = diagnoser.diagnose(image, with_heatmap=True)
        assert 0.0 <= diagnosis.confidence <= 1.0, diagnosis.confidence

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
