"""Agreement between the model and the agronomist on reviewed cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from potato_disease.review_agreement import (
    NO_BASIS,
    NO_FIELD,
    NO_REVIEWER,
    NO_VERSION,
    Agreement,
    BlindAgreement,
    Correction,
    agreement,
    agreement_by_basis,
    agreement_by_field,
    agreement_by_model_version,
    agreement_by_reviewer,
    blind_agreement,
    corrections,
)
from tests.case_records import case_record


def case(model_label: str, confirmed_label: str | None, field_name: str | None = "North"):
    return case_record(
        1,
        model_label,
        created_at=datetime(2025, 3, 1, tzinfo=UTC),
        probabilities={},
        confirmed_label=confirmed_label,
        field_name=field_name,
        model_version=None,
    )


RECORDS = [
    case("early_blight", "early_blight"),
    case("early_blight", "pest"),
    case("early_blight", "pest", "South"),
    case("not_leaf", "healthy", None),  # a real leaf the model refused
    case("late_blight", "late_blight", "South"),
    case("virus", None),  # not reviewed: left out everywhere
]


def test_agreement_counts_only_reviewed_cases() -> None:
    result = agreement(RECORDS)
    assert result == Agreement(reviewed=5, agreed=2)
    assert result.rate == 0.4
    assert agreement([case("virus", None)]).rate is None


def test_agreement_per_field_sorted_with_a_name_for_no_field() -> None:
    assert agreement_by_field(RECORDS) == {
        NO_FIELD: Agreement(1, 0),
        "North": Agreement(2, 1),
        "South": Agreement(2, 1),
    }


def test_agreement_per_model_version_sorted_with_a_name_for_none() -> None:
    versions = ["lite0-224px-b", "lite0-224px-a", "lite0-224px-a", None, "lite0-224px-b", "x"]
    records = [replace(r, model_version=v) for r, v in zip(RECORDS, versions, strict=True)]
    assert agreement_by_model_version(records) == {
        NO_VERSION: Agreement(1, 0),
        "lite0-224px-a": Agreement(2, 0),
        "lite0-224px-b": Agreement(2, 2),
    }  # "x" answered only the unreviewed case


def test_agreement_per_reviewer_sorted_with_a_name_for_unsigned_reviews() -> None:
    names = ["Budi", "Ana", None, "Ana", "Budi", "Citra"]
    records = [replace(r, reviewed_by=n) for r, n in zip(RECORDS, names, strict=True)]
    assert agreement_by_reviewer(records) == {
        NO_REVIEWER: Agreement(1, 0),
        "Ana": Agreement(2, 0),
        "Budi": Agreement(2, 2),
    }  # Citra signed only the unreviewed case


def test_agreement_per_basis_surest_last_then_not_said() -> None:
    bases = ["lab", None, "photo", "lab", "plants", "photo"]
    records = [replace(r, review_basis=b) for r, b in zip(RECORDS, bases, strict=True)]
    by_basis = agreement_by_basis(records)
    assert list(by_basis) == ["photo", "plants", "lab", NO_BASIS]
    assert by_basis == {
        "photo": Agreement(1, 0),
        "plants": Agreement(1, 1),
        "lab": Agreement(2, 1),
        NO_BASIS: Agreement(1, 0),
    }


def test_corrections_most_frequent_first() -> None:
    assert corrections(RECORDS) == [
        Correction("early_blight", "pest", 2),
        Correction("not_leaf", "healthy", 1),
    ]
    assert corrections(RECORDS, limit=1) == [Correction("early_blight", "pest", 2)]


def test_blind_reviews_are_counted_apart_with_later_switches_to_the_model() -> None:
    records = [
        replace(case("early_blight", "early_blight"), blind_label="early_blight"),
        replace(case("early_blight", "early_blight"), blind_label="pest"),  # switched
        replace(case("late_blight", "healthy"), blind_label="healthy"),  # kept their own
        replace(case("virus", None), blind_label="virus"),  # blind, final label cleared
        case("pest", "pest"),  # reviewed after seeing the model: not blind
    ]
    result = blind_agreement(records)
    assert result == BlindAgreement(Agreement(reviewed=4, agreed=2), changed_to_model=1)
    assert blind_agreement(RECORDS).agreement.rate is None
