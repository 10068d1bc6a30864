"""Streamlit pieces of the Diagnose page: verdict, advice card, save form, assistant link."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from PIL import Image

from potato_disease.combination import CombinedDiagnosis
from potato_disease.config import get_settings
from potato_disease.database import DatabaseError
from potato_disease.diagnosis import Diagnosis
from potato_disease.field_names import names_alike
from potato_disease.guide import TREATMENT_SECTION, GuideEntry, guide_entry
from potato_disease.history import (
    FIELD_NAME_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    PLOT_MAX_LENGTH,
    CaseRecord,
    NewCase,
    cases_of_photos,
    cases_per_field,
    field_locations,
    get_case,
    save_cases,
)
from potato_disease.imaging import DisplayPhoto
from potato_disease.labels import DISPLAY_NAMES, LATE_BLIGHT, MODEL_CLASSES, NOT_LEAF
from potato_disease.local_time import local_day, minute_text
from potato_disease.markdown_safety import escape_markdown
from potato_disease.outbreaks import NEARBY_M, counts_as_late_blight, fields_near
from potato_disease.photo_exif import NOTHING_KNOWN, Location, PhotoExif, coarse
from potato_disease.presentation import (
    likeliest_first,
    probabilities_in_words,
    track_record_note,
    verdict,
)
from potato_disease.resources import get_diagnoser, get_engine
from potato_disease.ui.alert_view import alert_the_team, remember_outcome, show_outcome
from potato_disease.ui.reviewer import review_basis_input, reviewer_name, signature_note
from potato_disease.ui.typed_details import ASK_FORM_KEY_PREFIX

ADVICE_TABS = (  # short names: a phone shows the first four across
    ("What it is", "What it is"),
    ("Look-alikes", "Look-alikes"),
    ("Confirm", "How to confirm in the field"),
    ("What to do", TREATMENT_SECTION),
    ("Spread", "How it spreads (and how fast)"),
    ("Expert", "When to call an expert"),
)
URGENT_TAB = "What to do"  # opened first for late blight: act the same day
PHOTO_TABS = (
    ("Why it was refused", "Why a photo is refused"),
    ("How to take a good photo", "How to take a good photo"),
)


def show_verdict(
    diagnosis: Diagnosis, photo: DisplayPhoto, show_heatmap: bool, photo_warnings: list[str]
) -> None:
    """The diagnosis in plain words and photo-quality warnings, then the photo and its
    heatmap (answer first: on a phone the two pictures stack a screen high)."""
    said = verdict(diagnosis, photo_warnings)
    getattr(st, said.tone)(f"**{said.headline}**")
    if said.detail:
        st.write(said.detail)
    track_record = None if said.unsure else track_record_note(diagnosis.label, model_metadata())
    if track_record:
        st.info(track_record, icon=":material/fact_check:")
    for warning in photo_warnings:
        st.warning(warning, icon=":material/photo_camera:")
    left, right = st.columns(2)
    left.image(photo.jpeg, caption="Your photo", width="stretch")
    if show_heatmap and diagnosis.heatmap is not None:
        right.image(
            diagnosis.heatmap,
            caption="Where the model looked, in the centre square it reads: brightest = "
            "most evidence"
            if diagnosis.is_leaf
            else "Where the model saw something other than a potato leaf, in the centre "
            "square it reads: brightest = most",
            width="stretch",
        )
    if diagnosis.is_leaf:
        show_probabilities(diagnosis.probabilities)


def model_metadata() -> Mapping[str, Any]:
    """The serving model's metadata (its measured figures among them)."""
    return get_diagnoser().files.metadata


def show_probabilities(
    probabilities: dict[str, float], title: str = "Probability of each answer"
) -> None:
    """The calibrated probability of each leaf label, in words (the bars alone show no
    figures, and a screen reader cannot read them), then as bars: likeliest first."""
    ordered = likeliest_first(probabilities)
    with st.expander(f"{title} (calibrated)"):
        st.markdown(probabilities_in_words(probabilities))
        st.bar_chart(
            {
                "Answer": [DISPLAY_NAMES[label] for label, _ in ordered],
                "Probability": [probability for _, probability in ordered],
            },
            x="Answer",
            y="Probability",
            horizontal=True,
            sort=False,  # as given: likeliest first, not alphabetical
        )


def show_advice(label: str) -> None:
    """The guide's advice card for a label."""
    entry = guide_entry(label)
    tabs = PHOTO_TABS if label == NOT_LEAF else ADVICE_TABS
    with st.container(border=True):
        st.markdown(f"### {entry.title}")
        st.write(entry.summary)
        names = [name for name, _ in tabs]
        opened = URGENT_TAB if label == LATE_BLIGHT else None
        for tab, (_, heading) in zip(st.tabs(names, default=opened), tabs):
            with tab:
                show_guide_section(entry, heading)
        st.divider()  # apart from the kinds of control folded above it
        with st.expander("Sources of this card"):
            st.markdown("\n".join(f"- {source}" for source in entry.sources))


def show_guide_section(entry: GuideEntry, heading: str) -> None:
    """One section of a guide entry: its opening words, then each ``###`` subsection
    folded (Cultural, Organic, Chemical would take three phone screens; one is wanted)."""
    if heading not in entry.sections:
        st.markdown("_Not covered in the guide._")
        return
    opening, subsections = entry.outline(heading)
    if opening:
        st.markdown(opening)
    for name, body in subsections.items():
        with st.expander(name):
            st.markdown(body)


@dataclass(frozen=True)
class BlindReview:
    """Whether the model's answer may be shown yet, and the label given blind, if any."""

    show_answer: bool
    label: str | None = None


def blind_review(key: str, digest: str, photo: DisplayPhoto) -> BlindReview:
    """Blind review: ask for the agronomist's diagnosis of the photo before the model's
    answer is shown. The label given is kept for the session. A photo already in the
    history (``digest``: SHA-256 of its file) is not asked about: it would not be saved."""
    given = st.session_state.setdefault("blind_labels", {})
    if key in given:
        st.info(f"Your diagnosis before seeing the model's: **{DISPLAY_NAMES[given[key]]}**.")
        return BlindReview(True, given[key])
    earlier = photos_in_history().get(digest)
    if earlier is not None:
        st.caption(
            f"Blind review: this photo is already in the history as case #{earlier}, so it "
            "is not reviewed blind again."
        )
        return BlindReview(True)
    if key in st.session_state.setdefault("answers_shown", set()):
        st.caption(
            "Blind review: the model's answer for this photo was already shown, so it is "
            "not reviewed blind."
        )
        return BlindReview(True)
    asking = st.empty()
    with asking.container():
        st.image(photo.jpeg, caption="Your photo", width=360)
        with st.form(f"blind-{key}"):
            label = st.selectbox(
                "Your diagnosis, before you see the model's",
                options=[None, *MODEL_CLASSES],
                format_func=lambda label: "Choose…" if label is None else DISPLAY_NAMES[label],
                placeholder="Choose…",  # see case_detail_inputs
                key=f"blind-label-{key}",
            )
            submitted = st.form_submit_button("Show the model's answer")
    if not submitted:
        return BlindReview(False)
    if label is None:
        st.warning("Choose your diagnosis first: the model's answer is shown after it.")
        return BlindReview(False)
    given[key] = label
    asking.empty()  # the question gives way to the answer
    st.info(f"Your diagnosis before seeing the model's: **{DISPLAY_NAMES[label]}**.")
    return BlindReview(True, label)


def on_off(key: str, default: bool = False) -> str:
    """How the toggle ``key`` is set now, in a word (``default`` before it is drawn)."""
    return "on" if st.session_state.get(key, default) else "off"


def mark_answer_shown(key: str) -> None:
    """Remember that the model's answer for this photo was shown (no blind review after)."""
    st.session_state.setdefault("answers_shown", set()).add(key)


PHOTOS_KEY = "photos_in_history"
SAVE_FAILED = (
    "Nothing was saved: the history database is not reachable. The diagnosis stays on "
    "screen; please try again later."
)


def save_form(
    key: str,
    digest: str,
    diagnosis: Diagnosis,
    photo: DisplayPhoto,
    photo_name: str,
    model_version: str,
    blind_label: str | None = None,
    exif: PhotoExif = NOTHING_KNOWN,
) -> None:
    """Field, plot, notes, location (starting at the one in the photo's ``exif``) and
    the agronomist's label; saves to history, with the time the photo was taken if it
    says, once per photo (``digest``: SHA-256 of its file). A blind review's label is
    stored apart and starts as the agronomist's label."""
    saved = saved_cases()
    if key in saved:
        ask_assistant_button(key, diagnosis, photo, exif.taken_at)
        show_saved([saved[key]], f"Saved to history as case #{saved[key]}.")
        return
    earlier = photos_in_history().get(digest)
    if earlier is not None:
        ask_assistant_button(key, diagnosis, photo, exif.taken_at)
        st.info(already_saved_message(earlier))
        return
    slot = st.empty()  # the form gives way to "Saved" once saved
    with slot.container(), st.form(f"save-{key}"):
        st.markdown("**Save to history**")
        details = case_detail_inputs(
            key,
            "Your diagnosis (kept apart from the model's)",
            MODEL_CLASSES,
            blind_label,
            None
            if blind_label is None
            else "Your blind review is stored as it was given, whatever you choose here.",
            exif.location,
        )
        if exif.taken_at is not None:
            taken = minute_text(exif.taken_at, get_settings().zone)
            st.caption(f"Taken {taken}, by the photo's own clock.")
        submitted, asked = save_and_ask_buttons(key, "Save to history")
    if asked:
        open_assistant(key, diagnosis, photo, exif.taken_at)
    if not submitted:
        return
    case = NewCase.from_diagnosis(
        diagnosis,
        photo.decoded(),
        photo_name,
        blind_label=blind_label,
        model_version=model_version,
        photo_sha256=digest,
        taken_at=exif.taken_at,
        **details,
    )
    ids = stored([case])
    if ids is None:
        return
    saved[key] = photos_in_history()[digest] = ids[0]
    st.session_state["current_case"] = case_for_assistant(
        diagnosis,
        case.photo,
        details["field_name"],
        details["notes"],
        details["confirmed_label"],
        CaseTimePlace.from_form(key, exif.taken_at),
        details["severity_percent"],
    )
    with slot.container():
        ask_assistant_button(key, diagnosis, photo, exif.taken_at)
        show_saved(ids, f"Saved to history as case #{saved[key]}.")


def save_and_ask_buttons(key: str, save_label: str) -> tuple[bool, bool]:
    """A save form's two buttons: save, and ask the assistant with what the form holds
    (a button outside the form would not see what was typed in it)."""
    save_column, ask_column = st.columns(2)
    submitted = save_column.form_submit_button(save_label)
    asked = ask_column.form_submit_button(
        ASK_ASSISTANT, key=f"{ASK_FORM_KEY_PREFIX}{key}", icon=":material/chat:"
    )
    return submitted, asked


def show_saved(case_ids: Sequence[int], message: str) -> None:
    """Say the cases are saved, and whether the team was alerted; then, when they hold
    late blight, name the fields near them, and when their field is new and looks like a
    known one misspelt, say so."""
    st.success(message)
    show_outcome(case_ids[0])
    try:
        engine = get_engine()
        records = [record for case_id in case_ids if (record := get_case(engine, case_id))]
        places = field_locations(engine) if any(map(counts_as_late_blight, records)) else {}
        counts = cases_per_field(engine) if records and records[0].field_name else {}
    except (DatabaseError, OSError):
        return  # the save itself went through; the rest can wait for History
    warn_of_late_blight_nearby(records, places)
    ask_about_a_new_field_name(records, counts)


def warn_of_late_blight_nearby(
    records: Sequence[CaseRecord], places: Mapping[str, Location]
) -> None:
    """When the cases hold late blight: the other fields within reach of its spores."""
    struck = [record for record in records if counts_as_late_blight(record)]
    if not struck:
        return
    field_name = struck[0].field_name
    location = next((r.location for r in struck if r.location), places.get(field_name or ""))
    near = fields_near(location, field_name, places)
    if near:
        listed = ", ".join(
            f"{escape_markdown(name)} ({metres / 1000:.1f} km)" for name, metres in near
        )
        st.warning(
            f"**Late blight near other fields.** Within {NEARBY_M / 1000:.0f} km: {listed}. "
            "Its spores ride the wind for several kilometres in cloudy, humid weather: "
            "tell their growers and scout them now.",
            icon=":material/warning:",
        )


def ask_about_a_new_field_name(records: Sequence[CaseRecord], counts: Mapping[str, int]) -> None:
    """When the cases start a field whose name looks like a known field's misspelt."""
    name = records[0].field_name if records else None
    if not name or counts.get(name) != len(records):
        return  # no field, or one the history knew before these cases
    alike = [other for other in sorted(counts) if other != name and names_alike(name, other)]
    if alike:
        known = " or ".join(f"“{escape_markdown(other)}”" for other in alike)
        st.info(
            f"“{escape_markdown(name)}” is a new field. Did you mean {known}? If so, merge "
            "them under **Rename or merge a field** on the History page.",
            icon=":material/spellcheck:",
        )


def case_detail_inputs(
    key: str,
    diagnosis_question: str,
    labels: Sequence[str],
    preset: str | None = None,
    diagnosis_help: str | None = None,
    location: Location | None = None,
) -> dict[str, Any]:
    """Inside a form: field, plot, notes, the agronomist's diagnosis (one of ``labels``,
    starting at ``preset``), location (starting at ``location``, read from the photos)
    and severity in the plot; the :class:`NewCase` details they give, signed with the
    sidebar's name."""
    left, right = st.columns(2)
    field_name = left.text_input("Field", key=f"field-{key}", max_chars=FIELD_NAME_MAX_LENGTH)
    plot = right.text_input("Plot", key=f"plot-{key}", max_chars=PLOT_MAX_LENGTH)
    notes = st.text_area("Notes", key=f"notes-{key}", max_chars=NOTES_MAX_LENGTH)
    options = [None, *labels]
    confirmed = st.selectbox(
        diagnosis_question,
        options=options,
        index=options.index(preset),
        format_func=lambda label: "Not checked yet" if label is None else DISPLAY_NAMES[label],
        # Shown for None once keep_typed_details has set the value through the session
        # state (Streamlit then reads None as no choice), so it reads the same as before.
        placeholder="Not checked yet",
        key=f"confirm-{key}",
        help=diagnosis_help,
    )
    basis = review_basis_input(f"basis-{key}")
    st.caption(signature_note())
    left, right = st.columns(2)
    latitude, longitude = location or (None, None)
    where = LOCATION_FROM_PHOTO if location is not None else None
    return {
        "field_name": field_name,
        "plot": plot,
        "notes": notes,
        "confirmed_label": confirmed,
        "reviewed_by": reviewer_name(),
        "review_basis": basis,
        "latitude": coordinate_input(left, "Latitude", 90.0, f"lat-{key}", latitude, where),
        "longitude": coordinate_input(right, "Longitude", 180.0, f"lon-{key}", longitude, where),
        "severity_percent": severity_input(st.columns(2)[0], f"severity-{key}"),
    }


def stored(cases: list[NewCase]) -> list[int] | None:
    """Save the cases together, alert the team if they bring late blight, and return
    their ids; on failure say why (nothing is saved, the page keeps its answers) and
    return None."""
    try:
        ids = save_cases(get_engine(), cases)
    except ValueError as error:
        st.error(str(error))
    except (DatabaseError, OSError):
        st.error(SAVE_FAILED)
    else:
        remember_outcome(ids[0], alert_the_team(ids))
        return ids
    return None


def look_up_photos(digests: Sequence[str]) -> None:
    """Once per page run, with one query: which of these photos (by SHA-256) the history
    holds already, for the save forms to read; none when the history cannot be read
    (saving then says why)."""
    try:
        found = cases_of_photos(get_engine(), digests)
    except (DatabaseError, OSError):
        found = {}
    st.session_state[PHOTOS_KEY] = found


def photos_in_history() -> dict[str, int]:
    """Photo SHA-256 to the case holding it: as looked up in this page run, plus the
    photos saved since."""
    return st.session_state.setdefault(PHOTOS_KEY, {})


def already_saved_message(case_id: int) -> str:
    """Why a photo's save form is not shown: it is in the history already."""
    return (
        f"This photo is already in the history as case #{case_id}, so it is not saved "
        "again; review or correct it on the History page."
    )


LOCATION_FROM_PHOTO = (
    "Read from the photo's GPS tags. Clear both to save no location; only what is "
    "saved here is kept."
)


def coordinate_input(
    column: st.delta_generator.DeltaGenerator,
    name: str,
    limit: float,
    key: str,
    preset: float | None = None,
    help_text: str | None = None,
) -> float | None:
    """An optional latitude or longitude in decimal degrees, starting at ``preset``."""
    if preset is not None and key not in st.session_state:
        # Preset through the session state, not ``value``: Streamlit lets a number input
        # be cleared only when its default is empty, and a location must be removable.
        st.session_state[key] = preset
    # No min_value/max_value: Streamlit would keep an out-of-range number back silently
    # (the box turns red, the value stays empty); the history's check names the range.
    return column.number_input(
        f"{name} (optional)",
        value=None,
        format="%.5f",
        key=key,
        help=help_text,
    )


SEVERITY_HELP = (
    "Your estimate of the share of the plot's foliage with symptoms, as on a field "
    "assessment key (0, 1, 5, 10, 25, 50, 75, 100 %). Estimated at each visit, it gives "
    "the plot's disease progress in the field report."
)


def severity_input(
    column: st.delta_generator.DeltaGenerator, key: str, preset: float | None = None
) -> float | None:
    """The agronomist's optional severity estimate for the plot, in percent."""
    if preset is not None and key not in st.session_state:
        st.session_state[key] = preset  # as coordinate_input: it must stay clearable
    return column.number_input(  # no bounds either: see coordinate_input
        "Severity in the plot, % of foliage (optional)",
        value=None,
        step=1.0,
        format="%.0f",
        key=key,
        help=SEVERITY_HELP,
    )


def saved_cases() -> dict[str, int]:
    """Upload key to case id, for the photos saved to history in this session."""
    return st.session_state.setdefault("saved_cases", {})


@dataclass(frozen=True)
class CaseTimePlace:
    """When the photo was taken and diagnosed, and where, as far as known."""

    taken_at: datetime | None = None
    diagnosed_at: datetime | None = None  # None: now
    location: Location | None = None

    @classmethod
    def from_form(cls, key: str, taken_at: datetime | None) -> CaseTimePlace:
        """The location as the save form ``key`` holds it now (cleared: none)."""
        latitude, longitude = (st.session_state.get(f"{axis}-{key}") for axis in ("lat", "lon"))
        known = latitude is not None and longitude is not None
        return cls(taken_at, None, Location(latitude, longitude) if known else None)


def case_for_assistant(
    diagnosis: Diagnosis | CombinedDiagnosis,
    image: Image.Image,
    field_name: str = "",
    notes: str = "",
    agronomist_label: str | None = None,
    time_place: CaseTimePlace | None = None,
    severity_percent: float | None = None,
) -> dict:
    """The plain-data case the Assistant page reads from the session (for a combined
    answer, ``image`` is one of its photos); its location only to 0.1° (``coarse``)."""
    time_place = time_place or CaseTimePlace()
    zone = get_settings().zone  # the days as the team counts them
    thumbnail = image.copy()
    thumbnail.thumbnail((512, 512))
    buffer = io.BytesIO()
    thumbnail.convert("RGB").save(buffer, format="JPEG", quality=85)
    return {
        "label": diagnosis.label,
        "confidence": diagnosis.confidence,
        "is_leaf": diagnosis.is_leaf,
        "field_name": field_name,
        "notes": notes,
        "photo_jpeg": buffer.getvalue(),
        "photos": diagnosis.photos_combined if isinstance(diagnosis, CombinedDiagnosis) else 1,
        "agronomist_label": agronomist_label,
        "taken_on": time_place.taken_at and local_day(time_place.taken_at, zone).isoformat(),
        "diagnosed_on": local_day(time_place.diagnosed_at or datetime.now(UTC), zone).isoformat(),
        "near": coarse(time_place.location),
        "severity_percent": severity_percent,
    }


def ask_assistant_button(
    key: str,
    diagnosis: Diagnosis | CombinedDiagnosis,
    photo: DisplayPhoto,
    taken_at: datetime | None = None,
) -> None:
    """A button that opens the Assistant with this case as its context (once its save
    form is gone; the form has its own, which takes what was typed in it)."""
    if st.button(ASK_ASSISTANT, key=f"ask-{key}", icon=":material/chat:"):
        open_assistant(key, diagnosis, photo, taken_at)


ASK_ASSISTANT = "Ask the assistant about this"


def open_assistant(
    key: str,
    diagnosis: Diagnosis | CombinedDiagnosis,
    photo: DisplayPhoto,
    taken_at: datetime | None = None,
) -> None:
    """Open the Assistant with this case, and what its save form holds, as its context."""
    st.session_state["current_case"] = case_for_assistant(
        diagnosis,
        photo.decoded(),
        st.session_state.get(f"field-{key}", ""),
        st.session_state.get(f"notes-{key}", ""),
        st.session_state.get(f"confirm-{key}"),
        CaseTimePlace.from_form(key, taken_at),
        st.session_state.get(f"severity-{key}"),
    )
    st.switch_page("pages/assistant.py")
