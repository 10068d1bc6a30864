"""The built-in disease guide: one Markdown document per label, and search over its sections.

The ``.md`` files live in this package directory and ship with it as package data.
"""

from potato_disease.guide.documents import (
    LEAF_SECTIONS,
    PHOTO_SECTIONS,
    REQUIRED_SECTIONS,
    TREATMENT_SECTION,
    TREATMENT_SUBSECTIONS,
    GuideEntry,
    guide_entry,
    load_guide,
    parse_document,
)
from potato_disease.guide.search import (
    GuideSection,
    all_sections,
    asks_about_weather,
    search_guide,
)

__all__ = [
    "LEAF_SECTIONS",
    "PHOTO_SECTIONS",
    "REQUIRED_SECTIONS",
    "TREATMENT_SECTION",
    "TREATMENT_SUBSECTIONS",
    "GuideEntry",
    "GuideSection",
    "all_sections",
    "asks_about_weather",
    "guide_entry",
    "load_guide",
    "parse_document",
    "search_guide",
]
