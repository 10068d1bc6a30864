"""The History page's "Rename or merge a field": one name for a field typed two ways."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from potato_disease import history
from potato_disease.database import DatabaseError
from potato_disease.field_names import look_alike_fields
from potato_disease.history import FIELD_NAME_MAX_LENGTH
from potato_disease.markdown_safety import escape_markdown
from potato_disease.presentation import counted
from potato_disease.ui.database_trouble import stop_on_database_error


def rename_field_form(engine: Engine) -> None:
    """Rename a field in all its cases, or merge it into another (asked first); field
    names that look like one name typed two ways are pointed out and offered first."""
    try:
        counts = history.cases_per_field(engine)
    except DatabaseError as error:
        stop_on_database_error(error)
    if not counts:
        return
    pairs = look_alike_fields(counts)
    title = "Rename or merge a field"
    if pairs:
        title += f" ({counted(len(pairs), 'pair')} of names alike)"
    with st.expander(title):
        if pairs:
            alike = "; ".join(
                f"**{escape_markdown(rarer)}** ({counts[rarer]}) and "
                f"**{escape_markdown(commoner)}** ({counts[commoner]})"
                for rarer, commoner in pairs
            )
            st.markdown(f"These names look like one name typed two ways: {alike}.")
        names = sorted(counts)
        rarer, commoner = pairs[0] if pairs else (names[0], "")
        with st.form("rename_field"):
            old_name = st.selectbox(
                "Field",
                names,
                index=names.index(rarer),
                format_func=lambda name: f"{name} ({counted(counts[name], 'case')})",
            )
            new_name = st.text_input("New name", value=commoner, max_chars=FIELD_NAME_MAX_LENGTH)
            merge = st.checkbox(
                "If the new name is another field's, merge the two: their cases cannot be "
                "told apart afterwards"
            )
            renamed = st.form_submit_button("Rename the field in all its cases")
    if renamed:
        carry_out_rename(engine, old_name, new_name, merge)


def carry_out_rename(engine: Engine, old_name: str, new_name: str, merge: bool) -> None:
    """Carry out the rename form: refuse an unasked merge, else rename and say so."""
    what, now_named = "renamed", " ".join(new_name.split())  # as the history stores it
    try:
        try:
            changed = history.rename_field(engine, old_name, new_name, merge=False)
        except history.FieldExistsError as existing:
            if not merge:
                st.error(
                    f"“{escape_markdown(existing.name)}” is another field already: tick the "
                    "merge box to make the two one field."
                )
                return
            changed = history.rename_field(engine, old_name, new_name, merge=True)
            what, now_named = "merged into", existing.name
    except ValueError as error:
        st.error(str(error))
        return
    except DatabaseError as error:
        stop_on_database_error(error)
    st.session_state.history_notice = (
        f"Field “{escape_markdown(old_name)}” {what} “{escape_markdown(now_named)}”: "
        f"{counted(changed, 'case')} changed."
    )
    st.rerun()
