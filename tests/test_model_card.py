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


def test_the_shipped_card_is_the_one_its_metadata_makes() -> None:
    model = PROJECT_ROOT / "model"
    metadata = json.loads((model / "metadata.json").read_text("utf-8"))
    assert (model / "README.md").read_text("utf-8") == model_card.render(metadata)
