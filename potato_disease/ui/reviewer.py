"""Who gives a diagnosis and what it rests on: the agronomist's name, asked once per
session in the sidebar and stored with every diagnosis they save or review, so the
history says who confirmed or corrected each case; and, with each diagnosis, whether it
rests on the photo, the plants or a lab test."""

from __future__ import annotations

import streamlit as st

from potato_disease.history import REVIEW_BASES, REVIEWER_NAME_MAX_LENGTH, ReviewBasis
from potato_disease.markdown_safety import escape_markdown
from potato_disease.presentation import basis_name, first_letter_up

REVIEWER_NAME_KEY = "reviewer_name"


def reviewer_name_input() -> None:
    """The sidebar's "Your name" box (on every page: the router draws it, so the name
    lasts the whole session)."""
    st.sidebar.text_input(
        "Your name",
        key=REVIEWER_NAME_KEY,
        max_chars=REVIEWER_NAME_MAX_LENGTH,
        placeholder="Signs the diagnoses you give",
        help="Stored with each diagnosis you give (when saving a photo, or reviewing a case "
        "in History), so the history shows who confirmed or corrected it. Optional.",
    )


def reviewer_name() -> str | None:
    """The name given in the sidebar, tidied, or None."""
    name = " ".join(str(st.session_state.get(REVIEWER_NAME_KEY) or "").split())
    return name or None


def signature_note() -> str:
    """A line saying whose name a diagnosis given here will carry."""
    name = reviewer_name()
    if name is None:
        return (
            "Give your name in the sidebar (on a phone, the » at the top left) to sign the "
            "diagnoses you give."
        )
    return (
        f"Diagnoses you give here are signed “{escape_markdown(name)}” (the sidebar's *Your name*)."
    )


def review_basis_input(key: str, current: str | None = None) -> ReviewBasis | None:
    """ "Your diagnosis rests on": the photo, the plants or a lab test (None: not said)."""
    options: list[ReviewBasis | None] = [None, *REVIEW_BASES]
    return st.selectbox(
        "Your diagnosis rests on",
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda basis: first_letter_up(basis_name(basis, "Not said")),
        placeholder="Not said",  # None set through the session state reads as no choice
        key=key,
        help="A diagnosis checked on the plants (hand lens, stems, tubers) or by a lab "
        "is surer than one from the photo alone; History reports the model's agreement "
        "with each kind apart, and a lab's word is the surest test of it.",
    )
