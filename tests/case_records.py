"""Saved cases as the history reads them back, built in memory for tests that need no
database: plain defaults, and the changes a test cares about."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from potato_disease.history import CaseRecord
from potato_disease.labels import NOT_LEAF


def case_record(
    case_id: int = 1, model_label: str = "early_blight", **changes: object
) -> CaseRecord:
    """A reviewed-by-nobody case of field "North" without plot, notes or location, the
    model 90% sure of ``model_label``; ``changes`` replace any field."""
    record = CaseRecord(
        id=case_id,
        created_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        photo_name=f"leaf-{case_id}.jpg",
        thumbnail=b"",
        model_label=model_label,
        model_confidence=0.9,
        probabilities={model_label: 0.9},
        is_leaf=model_label != NOT_LEAF,
        confirmed_label=None,
        confirmed_at=None,
        field_name="North",
        plot=None,
        notes=None,
        latitude=None,
        longitude=None,
        model_version="v1",
    )
    return replace(record, **changes)
