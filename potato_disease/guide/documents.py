"""Parse and load the guide's Markdown documents, one per label, shipped in this package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from potato_disease.labels import DISEASE_LABELS, MODEL_CLASSES, NOT_LEAF

LEAF_SECTIONS = (
    "What it is",
    "Symptoms",
    "Look-alikes",
    "How to confirm in the field",
    "Conditions that favour it",
    "How it spreads (and how fast)",
    "What to do now",
    "Resistance management",
    "When to call an expert",
    "Sources",
)
"""The ``##`` sections of every leaf label's document, in order."""

TREATMENT_SECTION = "What to do now"
TREATMENT_SUBSECTIONS = ("Cultural", "Organic", "Chemical")
"""The ``###`` subsections the treatment section must have, in order."""

PHOTO_SECTIONS = (
    "What it is",
    "Why a photo is refused",
    "How to take a good photo",
    "When to call an expert",
    "Sources",
)
"""The ``##`` sections of the ``not_leaf`` document (it is about photos, not a disease)."""

REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    **{label: LEAF_SECTIONS for label in DISEASE_LABELS},
    NOT_LEAF: PHOTO_SECTIONS,
}

_HEADING = re.compile(r"^(#{1,3}) +(.+?) *$", re.MULTILINE)


@dataclass(frozen=True)
class GuideEntry:
    """One label's guide document: title, one-paragraph summary, sections and sources."""

    label: str
    title: str
    summary: str
    sections: dict[str, str]
    sources: list[str]

    def outline(self, heading: str) -> tuple[str, dict[str, str]]:
        """One section's text before its first ``###`` subsection, and its subsections."""
        return _split(self.sections[heading], level=3)

    def subsections(self, heading: str) -> dict[str, str]:
        """The ``###`` subsections of one section (empty when it has none)."""
        return self.outline(heading)[1]


def _split(text: str, level: int) -> tuple[str, dict[str, str]]:
    """Text before the first heading of ``level``, and the body under each such heading."""
    marks = [match for match in _HEADING.finditer(text) if len(match.group(1)) == level]
    before = text[: marks[0].start()] if marks else text
    bodies: dict[str, str] = {}
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        if mark.group(2) in bodies:
            raise ValueError(f"heading {mark.group(2)!r} appears twice")
        bodies[mark.group(2)] = text[mark.end() : end].strip()
    return before.strip(), bodies


def _check_order(found: list[str], required: tuple[str, ...], what: str) -> None:
    """Raise ValueError unless ``found`` is exactly ``required``, naming what differs."""
    if tuple(found) == required:
        return
    missing = [heading for heading in required if heading not in found]
    unexpected = [heading for heading in found if heading not in required]
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected {', '.join(unexpected)}")
    if not problems:
        problems.append(f"out of order (expected {', '.join(required)})")
    raise ValueError(f"{what}: {'; '.join(problems)}")


def parse_document(label: str, text: str) -> GuideEntry:
    """Parse one guide document, raising ValueError if its structure is not the required one."""
    if label not in REQUIRED_SECTIONS:
        raise ValueError(f"No guide document is defined for label {label!r}")
    name = f"guide document {label}.md"
    try:
        head, sections = _split(text, level=2)
        title_match = re.match(r"# +(.+)", head)
        if title_match is None:
            raise ValueError("it does not start with a '# Title' line")
        summary = head[title_match.end() :].strip()
        if not summary:
            raise ValueError("it has no summary paragraph under the title")
        _check_order(list(sections), REQUIRED_SECTIONS[label], "sections")
        if label in DISEASE_LABELS:
            treatment = _split(sections[TREATMENT_SECTION], level=3)[1]
            _check_order(list(treatment), TREATMENT_SUBSECTIONS, f"'{TREATMENT_SECTION}'")
        empty = [heading for heading, body in sections.items() if not body]
        if empty:
            raise ValueError(f"empty sections: {', '.join(empty)}")
    except ValueError as error:
        raise ValueError(f"The {name} is malformed: {error}") from None
    sources = [line[2:].strip() for line in sections["Sources"].splitlines() if line[:2] == "- "]
    if not sources:
        raise ValueError(f"The {name} lists no sources")
    return GuideEntry(label, title_match.group(1).strip(), summary, sections, sources)


@cache
def _load_all() -> dict[str, GuideEntry]:
    folder = resources.files(__package__)
    return {
        label: parse_document(label, (folder / f"{label}.md").read_text(encoding="utf-8"))
        for label in MODEL_CLASSES
    }


def load_guide() -> dict[str, GuideEntry]:
    """Every label's guide entry, read from the package's Markdown files once per process."""
    return dict(_load_all())


def guide_entry(label: str) -> GuideEntry:
    """The guide entry for one label (ValueError for an unknown label)."""
    entries = _load_all()
    if label not in entries:
        raise ValueError(f"Unknown label {label!r}; expected one of {', '.join(entries)}")
    return entries[label]
