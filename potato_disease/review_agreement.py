"""How often the model agreed with the agronomist on reviewed cases, and where it did not.

The farms' own answer to "how good is the model here?": every case an agronomist
confirmed or corrected compares the model's label with the agronomist's. A refused
photo (``not_leaf``) that the agronomist labelled as a leaf counts as a disagreement.
A review given after seeing the model's answer leans towards it; a blind review (the
agronomist's label given first, ``CaseRecord.blind_label``) does not, so its agreement is
reported apart, with how often the agronomist later switched to the model's answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from potato_disease.history import REVIEW_BASES, CaseRecord
from potato_disease.reviewed_photos import reviewed_cases

NO_FIELD = "(no field)"
NO_VERSION = "(not recorded)"
NO_REVIEWER = "(no name given)"
NO_BASIS = "not said"


@dataclass(frozen=True)
class Agreement:
    """Reviewed cases and how many of them the model had right."""

    reviewed: int
    agreed: int

    @property
    def rate(self) -> float | None:
        """The share the model had right, or None when nothing was reviewed."""
        return self.agreed / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class Correction:
    """The agronomist changed ``model_label`` to ``confirmed_label`` this many times."""

    model_label: str
    confirmed_label: str
    count: int


def agreement(records: Iterable[CaseRecord]) -> Agreement:
    """Agreement over every reviewed case in ``records``."""
    reviewed = reviewed_cases(records)
    agreed = sum(record.model_label == record.confirmed_label for record in reviewed)
    return Agreement(len(reviewed), agreed)


@dataclass(frozen=True)
class BlindAgreement:
    """Blind reviews: agreement with the label given before the model's answer was seen,
    and how many of the disagreements the agronomist later changed to the model's label."""

    agreement: Agreement
    changed_to_model: int


def blind_agreement(records: Iterable[CaseRecord]) -> BlindAgreement:
    """Agreement over the cases given a blind review in ``records``."""
    blind = reviewed_cases(records, blind=True)
    agreed = sum(record.model_label == record.blind_label for record in blind)
    changed = sum(
        record.blind_label != record.model_label == record.confirmed_label for record in blind
    )
    return BlindAgreement(Agreement(len(blind), agreed), changed)


def agreement_by_field(records: Iterable[CaseRecord]) -> dict[str, Agreement]:
    """Agreement per field name (``NO_FIELD`` for cases without one), fields sorted."""
    return _agreement_by(records, lambda record: record.field_name or NO_FIELD)


def agreement_by_model_version(records: Iterable[CaseRecord]) -> dict[str, Agreement]:
    """Agreement per model version that answered (``NO_VERSION`` for cases saved before
    versions were recorded), versions sorted: how a new model fares against the old."""
    return _agreement_by(records, lambda record: record.model_version or NO_VERSION)


def agreement_by_reviewer(records: Iterable[CaseRecord]) -> dict[str, Agreement]:
    """Agreement per agronomist who reviewed (``NO_REVIEWER`` for reviews not signed),
    names sorted: the model against each one's eye."""
    return _agreement_by(records, lambda record: record.reviewed_by or NO_REVIEWER)


def agreement_by_basis(records: Iterable[CaseRecord]) -> dict[str, Agreement]:
    """Agreement per what the reviews rest on (``history.REVIEW_BASES``, weakest first,
    then ``NO_BASIS``): a laboratory's word is the surest test of the model."""
    by_basis = _agreement_by(records, lambda record: record.review_basis or NO_BASIS)
    order = [*REVIEW_BASES, NO_BASIS]
    return dict(sorted(by_basis.items(), key=lambda item: order.index(item[0])))


def _agreement_by(
    records: Iterable[CaseRecord], key: Callable[[CaseRecord], str]
) -> dict[str, Agreement]:
    """Agreement per value of ``key`` among the reviewed cases, values sorted."""
    groups: dict[str, list[CaseRecord]] = {}
    for record in reviewed_cases(records):
        groups.setdefault(key(record), []).append(record)
    return {name: agreement(groups[name]) for name in sorted(groups)}


def corrections(records: Iterable[CaseRecord], limit: int = 5) -> list[Correction]:
    """The most frequent corrections (model label, agronomist's label), most first."""
    counts = Counter(
        (record.model_label, record.confirmed_label)
        for record in reviewed_cases(records)
        if record.model_label != record.confirmed_label
    )
    return [Correction(model, confirmed, n) for (model, confirmed), n in counts.most_common(limit)]
