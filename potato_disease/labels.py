"""The fixed label set shared by the model, the CLI, the app and other tools."""

from typing import Final

DISEASE_LABELS: Final = (
    "early_blight",
    "late_blight",
    "healthy",
    "bacteria",
    "virus",
    "pest",
    "nematode",
)
"""The seven answers about a potato leaf, in model output order."""

HEALTHY: Final = "healthy"
LATE_BLIGHT: Final = "late_blight"
"""The most urgent answer: a field can be lost within days, so it is never averaged away."""

NOT_LEAF: Final = "not_leaf"
"""The rejection label: the photo is not a potato leaf."""

MODEL_CLASSES: Final = (*DISEASE_LABELS, NOT_LEAF)
"""Classes of the classifier head: the seven leaf labels, then ``not_leaf``."""

DISPLAY_NAMES: Final = {
    "early_blight": "Early blight",
    "late_blight": "Late blight",
    "healthy": "Healthy",
    "bacteria": "Bacterial disease",
    "virus": "Viral disease",
    "pest": "Insect pest damage",
    "nematode": "Nematode damage",
    NOT_LEAF: "Not a potato leaf",
}
