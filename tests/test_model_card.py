"""The model card's plain-words summary, from the measured figures."""

from __future__ import annotations

import json

from potato_disease.config import PROJECT_ROOT
from training import model_card

LABELS = ["early_blight", "late_blight", "pest", "not_leaf"]


def field_figures() -> dict:
    return {
        "accuracy": 0.75,
        "intervals_95": {"accuracy": [0.6, 0.9]},
        "leaf_photos": 20,
        "leaves_refused": 0.05,
        "ece": 0.031,
        "confusion_matrix": {
            "labels": LABELS,
            "rows_true_columns_predicted": [
                [6, 0, 3, 1],  # early blight: 6 of 10 right, 3 called pest
                [0, 5, 0, 0],
                [2, 0, 3, 0],  # pest called early blight twice: 5 both ways
                [0, 0, 0, 0],  # no non-leaf photo among the field ones
            ],
        },
    }


def test_the_plain_words_come_from_the_figures() -> None:
    text = model_card.in_plain_words(
        {
            "validation": {"field-java": field_figures(), "plantvillage": {"accuracy": 0.99}},
            "heldout_artwork": {"refused": 0.98, "views": 400},
        }
    )
    assert "(Central Java, 20 leaves): the right answer for 75.0% (95 % interval 60.0% to" in text
    assert "by disease: late blight 100.0%, early blight 60.0%, pest 60.0%." in text
    assert "most often mistaken for each other: early blight and pest (5 photos" in text
    assert "**Lab photos** (PlantVillage, leaves on a plain board): 99.0%" in text
    assert "refused 5.0% of the field leaf photos" in text and "98.0% of 400" in text
    assert "off by 3.1 points on average (ECE 0.031)" in text
    assert "Several leaves" not in text  # not measured here
    assert model_card.in_plain_words({"validation": {}}) == ""
    unmeasured = model_card.in_plain_words(
        {
            "validation": {"field-java": field_figures()},
            "heldout_artwork": {"missing": "apt-get install tuxpaint-stamps-default"},
        }
    )
    assert "refused 5.0% of the field leaf photos as not a potato leaf." in unmeasured


def audit_figures() -> dict:
    unmated = field_figures() | {"macro_f1": 0.7, "balanced_accuracy": 0.72}
    return {
        "criterion": {"orb_keypoints": 400, "min_inliers": 10, "candidates_per_descriptor": 15},
        "field_validation_photos": 24,
        "with_a_same_scene_training_photo": 4,
        "with_a_same_scene_training_photo_by_label": {"bacteria": 3, "virus": 1},
        "field_without_same_scene_photos": unmated,
        "field_with_same_scene_photos": {"leaf_photos": 4, "accuracy": 1.0},
        "field_by_answer": {
            "healthy": {"answers": 30, "right": 20, "mean_confidence": 0.82},
            "virus": {"answers": 30, "right": 24, "mean_confidence": 0.85},  # within 10 points
            "nematode": {"answers": 5, "right": 2, "mean_confidence": 0.9},  # too few to say
        },
        "chained_groups": [
            {
                "photos": 61,
                "side": "validation",
                "by_source_and_label": {"plantvillage/healthy": 60, "plantvillage/late_blight": 1},
            }
        ],
    }


def test_the_plain_words_give_the_sterner_figure_and_answers_surer_than_right() -> None:
    metadata = {"validation": {"field-java": field_figures()}, "validation_audit": audit_figures()}
    text = model_card.in_plain_words(metadata)
    assert "**Without the 4 of them that show a plant also photographed for training**: " in text
    assert "75.0% (60.0% to 90.0%), the sterner figure." in text
    assert "**When it says healthy** on a field photo it is right for 66.7% (20 of 30)" in text
    assert "though it says 82.0% on average" in text
    assert "says virus" not in text and "says nematode" not in text


def test_the_audit_section_reports_the_check_and_each_answer() -> None:
    section = model_card.audit_section(audit_figures())
    assert "finds\n4 of the 24\nvalidation field photos" in section
    assert "(bacteria 3, virus 1)" in section and "On those 4 it was right for 100.0%" in section
    assert "**Without them** (20 field leaves): accuracy\n75.0%" in section
    assert "| healthy | 30 | 20 (66.7%) | 82.0% |" in section
    assert "61 photos on the validation side (plantvillage/healthy 60, plantvillage/late_bl" in (
        section
    )
    assert "Not measured" in model_card.audit_section(None)


def test_the_shipped_card_is_the_one_its_metadata_makes() -> None:
    model = PROJECT_ROOT / "model"
    metadata = json.loads((model / "metadata.json").read_text("utf-8"))
    assert (model / "README.md").read_text("utf-8") == model_card.render(metadata)
