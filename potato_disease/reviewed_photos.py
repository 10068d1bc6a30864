"""Reviewed cases as a labelled photo set: the farm's own test set and new training data.

Every case an agronomist confirmed or corrected becomes ``<label>/case-<id>.jpg`` (its
stored thumbnail, at most 256 px a side, no metadata), the class-folder layout that
``python -m potato_disease evaluate`` scores and ``python -m training.train
--extra-data`` trains on, with ``cases.csv`` (the History CSV of those cases) beside the
class folders. Cases nobody reviewed are left out: their label is only the model's.
With ``blind=True`` the set holds only the cases reviewed blind, filed under the label
given before the model's answer was seen: a test set that answer did not sway.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from potato_disease import history_csv
from potato_disease.history import CaseRecord
from potato_disease.labels import MODEL_CLASSES

LOGGER = logging.getLogger(__name__)

MANIFEST_NAME = "cases.csv"


def review_label(record: CaseRecord, blind: bool = False) -> str | None:
    """The agronomist's label of a case: the final one, or the one given blind."""
    return record.blind_label if blind else record.confirmed_label


def reviewed_cases(records: Iterable[CaseRecord], blind: bool = False) -> list[CaseRecord]:
    """The cases that carry the agronomist's label, in the order given (a label that is
    none of the model's, which only a hand-edited database holds, is left out and logged)."""
    reviewed = []
    for record in records:
        label = review_label(record, blind)
        if label in MODEL_CLASSES:
            reviewed.append(record)
        elif label:
            LOGGER.warning("Case #%d has an unknown label %r: left out", record.id, label)
    return reviewed


def photo_path(record: CaseRecord, blind: bool = False) -> str:
    """Where a reviewed case's photo goes: its class folder and a name made of its id."""
    label = review_label(record, blind)
    if not label:
        raise ValueError(f"Case #{record.id} has not been reviewed{' blind' if blind else ''}.")
    if label not in MODEL_CLASSES:  # the database is read, not trusted: no "../" folders
        raise ValueError(f"Case #{record.id} has an unknown label {label!r}; it was not exported.")
    return f"{label}/case-{record.id:06d}.jpg"


def labelled_files(
    records: Iterable[CaseRecord], blind: bool = False
) -> Iterator[tuple[str, bytes]]:
    """(relative path, content) of every file of the set: photos, then the manifest."""
    reviewed = reviewed_cases(records, blind)
    for record in reviewed:
        yield photo_path(record, blind), record.thumbnail
    yield MANIFEST_NAME, history_csv.cases_to_csv(reviewed)


def label_counts(records: Iterable[CaseRecord], blind: bool = False) -> dict[str, int]:
    """How many reviewed cases there are of each label."""
    return dict(Counter(review_label(record, blind) for record in reviewed_cases(records, blind)))


def to_zip(records: Iterable[CaseRecord]) -> bytes:
    """The set as a ZIP archive (photos are JPEG already, so they are stored, not deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in labelled_files(records):
            compression = zipfile.ZIP_STORED if name.endswith(".jpg") else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compression)
    return buffer.getvalue()


def write_folder(records: Iterable[CaseRecord], folder: Path, blind: bool = False) -> int:
    """Write the set under ``folder``, which must be new or empty (an earlier export is
    never mixed with or overwritten by this one); return the number of photos."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"{folder} already exists and is not an empty folder: choose a new one.")
    photos = 0
    for name, content in labelled_files(records, blind):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        photos += name != MANIFEST_NAME
    return photos
