"""Field names that look like one name typed two ways."""

from __future__ import annotations

import pytest

from potato_disease.field_names import look_alike_fields, names_alike


@pytest.mark.parametrize(
    ("first", "second", "alike"),
    [
        ("North field", "Nroth field", True),  # two letters swapped
        ("North field", "North feild", True),
        ("Sembungan", "Sembugan", True),  # a letter left out
        ("Kledung", "Kledong", True),
        ("north  FIELD", "North field", True),  # capitals and spaces only
        ("Block 1", "Block 2", False),  # numbered fields are different fields
        ("Block 12", "Block 1", False),
        ("Plot A", "Plot B", False),  # so are lettered ones
        ("Kebun Atas", "Kebun Atas Baru", False),  # a whole word more: another field
        ("West", "East", False),
        ("Upper terrace", "Lower terrace", False),
        ("North field", "North field", False),  # the same name is not a pair
    ],
)
def test_names_alike(first: str, second: str, alike: bool) -> None:
    assert names_alike(first, second) is alike
    assert names_alike(second, first) is alike


def test_pairs_put_the_name_with_fewer_cases_first() -> None:
    counts = {"North field": 12, "Nroth field": 2, "South field": 5, "Block 1": 3, "Block 2": 4}
    assert look_alike_fields(counts) == [("Nroth field", "North field")]
    assert look_alike_fields({"Sembugan": 9, "Sembungan": 1}) == [("Sembungan", "Sembugan")]
    assert look_alike_fields({}) == []
