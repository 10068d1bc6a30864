"""Potato leaf disease diagnosis: model serving, guide, history and cloud glue."""

__version__ = "0.1.0"
