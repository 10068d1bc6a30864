"""Assistant: ask about the current diagnosis, potato diseases and what to do."""

import logging
from dataclasses import replace

import streamlit as st

from potato_disease.assistant import MAX_QUESTION_CHARACTERS, Assistant, CaseContext, section_name
from potato_disease.config import get_settings
from potato_disease.labels import DISPLAY_NAMES
from potato_disease.markdown_safety import escape_markdown
from potato_disease.presentation import as_percent
from potato_disease.resources import get_gemini_client
from potato_disease.ui.access import through_the_router
from potato_disease.ui.weather_view import blight_weather_sentence

through_the_router("pages/assistant.py")  # before anything: see its docstring

LOGGER = logging.getLogger(__name__)

st.session_state.setdefault("chat_turns", [])
st.session_state.setdefault("gemini_calls_used", 0)


GUIDE_QUESTION = "guide_question"  # a guide section chosen to read next, asked on the rerun


def ask_for(section: str) -> None:
    """Ask, on the coming rerun, for a guide section by its name."""
    st.session_state[GUIDE_QUESTION] = section


def show_extras(turn: dict, latest: bool) -> None:
    """The offline notice and the guide sections under an answer; under the latest, the
    sections it left out, each a button that asks for it (a tap, not its name typed)."""
    if turn.get("limit_reached"):
        st.warning(turn["notice"])
    elif turn.get("notice"):
        st.info(turn["notice"])
    if turn.get("sources"):
        with st.expander("Guide sections used"):
            st.markdown("\n".join(f"- {name}" for name in turn["sources"]))
    if latest and turn.get("further"):
        st.caption("Also in the guide:")
        for name in turn["further"]:
            st.button(
                name,
                key=f"read-{name}",
                on_click=ask_for,
                args=(name,),
                icon=":material/menu_book:",
            )


st.title("Ask the assistant")

case = None
if st.session_state.get("current_case"):
    try:
        case = CaseContext.from_mapping(st.session_state["current_case"])
    except (KeyError, TypeError, ValueError):
        st.warning("The current case could not be read, so the assistant answers without it.")
if case is not None:
    case = replace(case, blight_weather=blight_weather_sentence(case.near))
if case is None:
    st.caption(
        "No diagnosis yet: ask a general question, or diagnose a photo on the Diagnose page "
        "and press 'Ask the assistant about this'."
    )
else:
    with st.container(border=True):
        if case.photo_jpeg:
            photo_column, text_column = st.columns([1, 5])
            photo_column.image(case.photo_jpeg, caption="Your photo")
        else:
            text_column = st.container()
        confidence = as_percent(case.confidence)
        combined = f", {case.photos} photos combined" if case.photos > 1 else ""
        text_column.markdown(f"**Current case:** {case.display_name} ({confidence}{combined})")
        if case.agronomist_label:
            text_column.write(f"Your diagnosis: {DISPLAY_NAMES[case.agronomist_label]}")
        if case.field_name:
            text_column.markdown(f"Field: {escape_markdown(case.field_name)}")
        if case.notes:
            text_column.markdown(f"Notes: {escape_markdown(case.notes)}")
        if case.when_and_where():
            text_column.caption(" ".join(case.when_and_where()))
        if case.blight_weather:
            text_column.caption(f"Late blight weather near there: {case.blight_weather}")

try:
    client = get_gemini_client()
except Exception:  # a broken client must not take the guide down with it
    LOGGER.exception("The Gemini client could not be created; the assistant stays offline")
    client = None
assistant = Assistant(get_settings(), client)

if st.button("Clear chat", icon=":material/delete_sweep:"):
    st.session_state["chat_turns"] = []
if assistant.has_gemini:
    calls_left = assistant.calls_left(st.session_state["gemini_calls_used"])
    if calls_left == 0:
        st.warning(
            "This session has reached its limit of Gemini questions: answers now come from "
            "the built-in guide."
        )
    else:
        st.caption(f"Gemini questions left in this session: {calls_left}.")

chosen_section = st.session_state.pop(GUIDE_QUESTION, None)
question = (
    st.chat_input(
        "Ask about this leaf, a disease, or what to do", max_chars=MAX_QUESTION_CHARACTERS
    )
    or chosen_section
)

turns = st.session_state["chat_turns"]
for number, turn in enumerate(turns, start=1):
    with st.chat_message(turn["role"]):
        said = turn["content"]
        st.markdown(said if turn["role"] == "assistant" else escape_markdown(said))
        show_extras(turn, latest=number == len(turns) and not question)

if question:
    history = [{"role": t["role"], "content": t["content"]} for t in st.session_state["chat_turns"]]
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        try:
            with st.spinner("Thinking…"):
                reply = assistant.answer(
                    question, history, case, st.session_state["gemini_calls_used"]
                )
            text = st.write_stream(reply.chunks)
        except ValueError as error:  # the question itself: empty or too long
            st.error(str(error))
        except Exception as error:  # never a traceback on screen, no user text in logs
            LOGGER.error("The assistant failed to answer (%s)", type(error).__name__)
            st.error("Sorry, the assistant could not answer just now. Please try again.")
        else:
            st.session_state["gemini_calls_used"] = reply.calls_used
            read = {
                name for turn in st.session_state["chat_turns"] for name in turn.get("sources", [])
            }
            answer_turn = {
                "role": "assistant",
                "content": text if isinstance(text, str) else "".join(map(str, text)),
                "notice": reply.notice,
                "limit_reached": reply.limit_reached,
                "sources": [section_name(section) for section in reply.sources],
                "further": [  # offered to read next, unless read in this chat already
                    name for name in map(section_name, reply.further) if name not in read
                ],
            }
            show_extras(answer_turn, latest=True)
            st.session_state["chat_turns"] += [{"role": "user", "content": question}, answer_turn]
