"""The History's cases as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime

from potato_disease.history import CaseRecord

CSV_COLUMNS = (
    "id",
    "created_at",
    "photo_name",
    "label",
    "model_label",
    "model_confidence",
    "confirmed_label",
    "confirmed_at",
    "is_leaf",
    "field_name",
    "plot",
    "notes",
    "latitude",
    "longitude",
    "model_version",
    "blind_label",
    "photo_sha256",
    "taken_at",
    "severity_percent",
    "reviewed_by",
    "review_basis",
    "probabilities",
)
"""The :class:`CaseRecord` attributes written, in order (no thumbnail). New columns go
just before ``probabilities``, so older spreadsheets' column positions still hold."""

# Spreadsheets run cells starting with these as formulas (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A cell value safe to open in a spreadsheet; text that could run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _value(record: CaseRecord, column: str) -> object:
    if column == "model_confidence":
        return round(record.model_confidence, 4)
    if column == "probabilities":
        return json.dumps(record.probabilities, sort_keys=True)
    return getattr(record, column)


def cases_to_csv(records: Iterable[CaseRecord]) -> bytes:
    """The cases as UTF-8 CSV with a header row (no thumbnails)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        writer.writerow(_cell(_value(record, column)) for column in CSV_COLUMNS)
    return buffer.getvalue().encode("utf-8")
