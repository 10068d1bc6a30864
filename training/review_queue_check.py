"""How many of the model's wrong answers the History review queue brings up early.

On the field validation leaves of an exported model, the model's answers (refused
photos count as wrong: a review of one catches it) are put in the queue's order
(``potato_disease.review_queue.review_priority``) and, for comparison, in order of
lowest confidence; the script prints the share of the wrong answers found after
reviewing the first 10, 20, 30 and 50 % of the photos. In random order that share is
the share reviewed.

Usage: ``python -m training.review_queue_check [--model model] [--pack cache/photos.npz]``
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from potato_disease.diagnosis import Diagnoser, Diagnosis
from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES
from potato_disease.photo_files import LAB_SOURCE
from potato_disease.review_queue import review_priority
from training import train

SHARES_REVIEWED = (0.1, 0.2, 0.3, 0.5)


def wrong_found(
    wrong: Sequence[bool], order: Sequence[int], shares: Sequence[float] = SHARES_REVIEWED
) -> dict[str, float]:
    """The share of all wrong answers among the first ``share`` of ``order``, per share."""
    total = sum(wrong)
    found = {}
    for share in shares:
        reviewed = order[: round(share * len(order))]
        found[f"{share:.0%}"] = sum(wrong[i] for i in reviewed) / total if total else 0.0
    return found


def review_orders(diagnoses: Sequence[Diagnosis]) -> dict[str, list[int]]:
    """Photo indices in the queue's order and in order of lowest confidence first."""
    indices = range(len(diagnoses))
    keys: dict[str, Callable[[int], object]] = {
        "review queue": lambda i: review_priority(diagnoses[i].is_leaf, diagnoses[i].probabilities),
        "lowest confidence": lambda i: (diagnoses[i].is_leaf, diagnoses[i].confidence),
    }
    return {name: sorted(indices, key=key) for name, key in keys.items()}


def main() -> None:
    """Diagnose the field validation leaves and print the wrong answers found per order."""
    args = train.exported_model_command_line(__doc__.splitlines()[0])
    _, photos, _, validation, _ = train.read_exported_model(args)
    field = [
        i
        for i in validation
        if photos.sources[i] != LAB_SOURCE and MODEL_CLASSES[photos.labels[i]] in DISEASE_LABELS
    ]
    diagnoses = Diagnoser(args.model).diagnose_many([photos.images[i] for i in field])
    wrong = [
        diagnosis.label != MODEL_CLASSES[photos.labels[i]]
        for i, diagnosis in zip(field, diagnoses, strict=True)
    ]
    report = {
        "photos": len(field),
        "wrong": sum(wrong),
        "wrong_found_after_reviewing": {
            name: wrong_found(wrong, order) for name, order in review_orders(diagnoses).items()
        },
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
