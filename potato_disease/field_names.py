"""Field names that look like slips of the keyboard for one another ("Nroth", "North").

Only a hint for the agronomist, who decides: two real fields can have names alike
("Ladang", "Padang"). Names that differ in a number or a one-letter part ("Block 1",
"Block 2"; "Plot A", "Plot B") are told apart on purpose and never paired.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from difflib import SequenceMatcher
from itertools import combinations

ALIKE_AT = 0.85  # difflib's similarity ratio: one slip in a name of about 7 letters or more
NUMBER = re.compile(r"\d+")


def _normalised(name: str) -> str:
    return " ".join(name.casefold().split())


def _labels(name: str) -> tuple[list[str], list[str]]:
    """The numbers and the one-letter words of a name: what tells numbered fields apart."""
    words = _normalised(name).split()
    return NUMBER.findall(name), [word for word in words if len(word) == 1]


def names_alike(first: str, second: str) -> bool:
    """Whether two field names look like one name typed two ways."""
    if _labels(first) != _labels(second):
        return False
    ratio = SequenceMatcher(None, _normalised(first), _normalised(second)).ratio()
    return first != second and ratio >= ALIKE_AT


def look_alike_fields(cases_per_field: Mapping[str, int]) -> list[tuple[str, str]]:
    """Pairs of field names that look alike, each as (the one with fewer cases, the one
    with more: the likelier spelling), the pairs in name order."""
    pairs = []
    for first, second in combinations(sorted(cases_per_field), 2):
        if names_alike(first, second):
            rarer, commoner = sorted((first, second), key=lambda name: cases_per_field[name])
            pairs.append((rarer, commoner))
    return pairs
