"""One portable file holding every training photo, its label and its split side.

Full fine-tuning runs on a GPU machine that cannot read the data folder, so the
photos travel as a single ``.npz``: WebP bytes of each photo (shrunk to
``PACK_SIZE``), label index, source, relative path, near-duplicate group and whether
it belongs to the validation split. The split is computed here, on this machine, exactly as
:mod:`training.train` computes it, and travels with the pack, so the GPU run and the
export that follows agree on which photos were never trained on.

Usage: ``python -m training.photo_pack [--data DIR] [--extra-data DIR] [--output
cache/photos.npz]``
"""

from __future__ import annotations

import argparse
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from potato_disease.imaging import center_square

log = logging.getLogger(__name__)

PACK_SIZE = 192
WEBP_QUALITY = 80  # 192 px at q80: ~31 MB for all photos, under the 64 MiB a GPU call carries
DEFAULT_PACK = Path("cache") / "photos.npz"


@dataclass
class PhotoPack:
    """Photos (decoded), labels, sources, relative paths and the validation mask."""

    images: list[Image.Image]
    labels: np.ndarray
    sources: np.ndarray
    paths: np.ndarray
    validation: np.ndarray
    groups: np.ndarray

    @property
    def train_indices(self) -> np.ndarray:
        return np.flatnonzero(~self.validation)

    @property
    def validation_indices(self) -> np.ndarray:
        return np.flatnonzero(self.validation)


def encode(image: Image.Image, size: int = PACK_SIZE, quality: int = WEBP_QUALITY) -> bytes:
    """WebP bytes of the photo's centre square at ``size`` pixels."""
    buffer = io.BytesIO()
    center_square(image.convert("RGB"), size).save(buffer, format="WEBP", quality=quality)
    return buffer.getvalue()


def save_pack(
    path: Path, pack: PhotoPack, size: int = PACK_SIZE, quality: int = WEBP_QUALITY
) -> None:
    """Write ``pack`` to ``path`` (no pickled objects: arrays of bytes and strings)."""
    encoded = [encode(image, size, quality) for image in pack.images]
    offsets = np.cumsum([0] + [len(data) for data in encoded])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        blob=np.frombuffer(b"".join(encoded), dtype=np.uint8),
        offsets=offsets.astype(np.int64),
        labels=pack.labels.astype(np.int8),
        sources=pack.sources.astype(str),
        paths=pack.paths.astype(str),
        validation=pack.validation.astype(bool),
        groups=pack.groups.astype(np.int64),
    )
    log.info("Wrote %d photos to %s (%.1f MB)", len(encoded), path, path.stat().st_size / 1e6)


def load_pack(path: Path) -> PhotoPack:
    """Read a pack written by :func:`save_pack`; images are decoded to RGB."""
    with np.load(path) as data:
        blob, offsets = data["blob"].tobytes(), data["offsets"]
        images = [
            Image.open(io.BytesIO(blob[start:end])).convert("RGB")
            for start, end in zip(offsets[:-1], offsets[1:])
        ]
        return PhotoPack(
            images=images,
            labels=data["labels"].astype(np.int64),
            sources=data["sources"],
            paths=data["paths"],
            validation=data["validation"],
            groups=data["groups"],
        )


def load_split(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Photo names, validation mask and near-duplicate groups of a pack (no decoding)."""
    with np.load(path) as data:
        return data["paths"], data["validation"], data["groups"]


def main() -> None:
    """Index the data, compute the grouped split and write the pack."""
    from training import train

    parser = argparse.ArgumentParser(description="Pack the training photos for a GPU run.")
    train.add_data_arguments(parser)
    parser.add_argument("--output", type=Path, default=DEFAULT_PACK)
    parser.add_argument("--size", type=int, default=PACK_SIZE, help="side of the packed photos")
    parser.add_argument("--quality", type=int, default=WEBP_QUALITY, help="WebP quality")
    parser.add_argument("--synthetic", type=int, default=train.SYNTHETIC_NOT_LEAF)
    parser.add_argument("--limit", type=int, default=0, help="use N photos per class (tests)")
    parser.add_argument("--no-pretrained", action="store_true", help="random backbone (tests)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    records, photos = train.load_records_and_photos(
        args.data, args.limit, args.synthetic, args.extra_data
    )
    split_train, split_validation, groups = train.split_photos(photos, not args.no_pretrained)
    validation = np.zeros(len(photos.labels), dtype=bool)
    validation[split_validation] = True
    pack = PhotoPack(
        images=photos.images,
        labels=photos.labels,
        sources=np.array(photos.sources),
        paths=np.array(train.photo_ids(records, photos)),
        validation=validation,
        groups=groups,
    )
    save_pack(args.output, pack, args.size, args.quality)
    log.info("Train %d, validation %d", len(split_train), len(split_validation))


if __name__ == "__main__":
    main()
