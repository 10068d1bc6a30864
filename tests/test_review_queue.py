"""The review queue: unreviewed cases, least sure first, and reviewed photos per label."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from potato_disease.history import ReviewCandidate
from potato_disease.labels import DISEASE_LABELS
from potato_disease.review_queue import (
    LabelProgress,
    field_photo_counts,
    label_progress,
    review_queue,
    runner_up_and_margin,
)


def case(
    case_id: int, probabilities: dict[str, float], is_leaf: bool = True, day: int = 1
) -> ReviewCandidate:
    """An unreviewed case as the queue reads it from the history."""
    return ReviewCandidate(case_id, is_leaf, probabilities, datetime(2025, 3, day, tzinfo=UTC))


@pytest.mark.parametrize(
    ("probabilities", "runner_up", "margin"),
    [
        ({"early_blight": 0.5, "pest": 0.3, "virus": 0.2}, "pest", 0.2),
        ({"healthy": 0.2, "virus": 0.7, "pest": 0.1}, "healthy", 0.5),
        ({"healthy": 0.6}, None, 0.6),
        ({}, None, 1.0),
    ],
)
def test_runner_up_and_margin(probabilities, runner_up, margin):
    found_runner_up, found_margin = runner_up_and_margin(probabilities)
    assert found_runner_up == runner_up
    assert found_margin == pytest.approx(margin)


def test_the_queue_puts_refused_photos_then_the_closest_calls_first():
    records = [
        case(1, {"early_blight": 0.9, "pest": 0.1}),  # sure: margin 0.8
        case(2, {"early_blight": 0.45, "pest": 0.4, "virus": 0.15}),  # closest call
        case(3, {"late_blight": 0.95, "healthy": 0.05}, is_leaf=False),  # refused
        case(4, {"virus": 0.6, "bacteria": 0.4}),  # margin 0.2
    ]
    queue = review_queue(records)
    assert [queued.case.id for queued in queue] == [3, 2, 4, 1]
    assert queue[1].runner_up == "pest"
    assert queue[1].margin == pytest.approx(0.05)


def test_equal_margins_put_the_newest_first_and_skipped_cases_are_left_out():
    records = [
        case(1, {"virus": 0.6, "bacteria": 0.4}, day=1),
        case(2, {"virus": 0.6, "bacteria": 0.4}, day=3),
        case(3, {"virus": 0.6, "bacteria": 0.4}, day=2),
    ]
    assert [queued.case.id for queued in review_queue(records)] == [2, 3, 1]
    assert [queued.case.id for queued in review_queue(records, skipped={2})] == [3, 1]


def test_nothing_unreviewed_or_all_skipped_leaves_an_empty_queue():
    assert review_queue([]) == []
    assert review_queue([case(1, {"virus": 0.6, "bacteria": 0.4})], skipped={1}) == []


def test_field_photo_counts_add_every_source_but_the_lab_photos():
    counts = field_photo_counts(
        {
            "plantvillage": {"early_blight": 788, "healthy": 119},
            "field-java": {"early_blight": 454, "nematode": 40},
            "reviewed-2026": {"early_blight": 6, "healthy": 3},
            "not-leaf": {"not_leaf": 474},
        }
    )
    assert counts == {"early_blight": 460, "nematode": 40, "healthy": 3, "not_leaf": 474}


def test_label_progress_lists_every_leaf_label_fewest_photos_first():
    reviewed = {"nematode": 2, "not_leaf": 1}  # not_leaf is no leaf label: not listed
    field_counts = {
        "early_blight": 454,
        "late_blight": 150,
        "healthy": 117,
        "bacteria": 405,
        "virus": 350,
        "pest": 394,
        "nematode": 40,
    }
    progress = label_progress(reviewed, field_counts)
    assert sorted(row.label for row in progress) == sorted(DISEASE_LABELS)
    assert progress[0] == LabelProgress("nematode", 2, 40)
    assert progress[1] == LabelProgress("healthy", 0, 117)
    assert progress[-1] == LabelProgress("early_blight", 0, 454)
    assert label_progress({}, {})[0] == LabelProgress(DISEASE_LABELS[0], 0, 0)


def test_the_check_counts_the_wrong_answers_found_in_each_order():
    from potato_disease.diagnosis import Diagnosis
    from training.review_queue_check import review_orders, wrong_found

    wrong = [False, True, False, True, False, False, False, False, False, True]
    assert wrong_found(wrong, [1, 3, 0, 2, 4, 5, 6, 7, 8, 9], (0.1, 0.2, 0.5)) == {
        "10%": pytest.approx(1 / 3),
        "20%": pytest.approx(2 / 3),
        "50%": pytest.approx(2 / 3),
    }
    assert wrong_found([False, False], [0, 1], (0.5,)) == {"50%": 0.0}  # nothing to find
    diagnoses = [
        Diagnosis("virus", 0.4, {"virus": 0.4, "pest": 0.3, "healthy": 0.3}, True),
        Diagnosis("pest", 0.5, {"pest": 0.5, "virus": 0.45, "healthy": 0.05}, True),
        Diagnosis("not_leaf", 0.9, {"healthy": 0.9, "virus": 0.1}, False),
    ]
    orders = review_orders(diagnoses)
    assert orders["review queue"] == [2, 1, 0]  # refused, then margins 0.05 and 0.1
    assert orders["lowest confidence"] == [2, 0, 1]  # refused, then 0.4 and 0.5
