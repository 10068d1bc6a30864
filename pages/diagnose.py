"""Diagnose: upload or take leaf photos, read the answer, the advice, and save the case."""

import streamlit as st

from potato_disease import imaging
from potato_disease.photo_quality import quality_warnings
from potato_disease.presentation import summary_counts, summary_row
from potato_disease.resources import get_diagnoser
from potato_disease.ui.diagnosis_view import (
    ask_assistant_button,
    save_form,
    show_advice,
    show_verdict,
)

st.session_state.setdefault("diagnoses", {})

st.title("Diagnose a potato leaf")
st.caption("One leaf per photo, close up, in daylight. Several photos can be uploaded at once.")

uploads = st.file_uploader(
    "Leaf photos (JPEG, PNG, WebP or HEIC)",
    type=["jpg", "jpeg", "png", "webp", "heic", "heif"],
    accept_multiple_files=True,
)
with st.expander("Or take a photo with the camera"):
    camera_photo = st.camera_input("Take a photo")
photos = list(uploads or []) + ([camera_photo] if camera_photo else [])
show_heatmap = st.toggle("Show where the model looked (heatmap)", value=True)

if not photos:
    st.info("Upload or take a photo of a potato leaf to begin.")
    st.stop()

diagnoser = get_diagnoser()
progress = st.progress(0.0, text="Diagnosing…")
results = []  # (photo, display copy or None, error message or None)
for index, photo in enumerate(photos):
    try:
        image = imaging.decode_image(photo.getvalue())
    except imaging.ImageError as error:
        results.append((photo, None, str(error)))
    else:
        if photo.file_id not in st.session_state["diagnoses"]:  # once per upload, not per rerun
            st.session_state["diagnoses"][photo.file_id] = (
                diagnoser.diagnose(image, with_heatmap=True),
                quality_warnings(image),
            )
        results.append((photo, imaging.display_copy(image), None))
    progress.progress((index + 1) / len(photos), text=f"Diagnosed {index + 1} of {len(photos)}")
progress.empty()

if len(results) > 1:
    answers = [
        st.session_state["diagnoses"][photo.file_id][0] if image is not None else None
        for photo, image, _ in results
    ]
    st.subheader(f"{len(results)} photos")
    st.write(summary_counts(answers))
    st.dataframe(
        [summary_row(photo.name, answer) for (photo, _, _), answer in zip(results, answers)],
        hide_index=True,
    )

for photo, image, error in results:
    st.divider()
    st.subheader(photo.name)
    if image is None:
        st.error(error)
        continue
    diagnosis, photo_warnings = st.session_state["diagnoses"][photo.file_id]
    show_verdict(diagnosis, image, show_heatmap, photo_warnings)
    show_advice(diagnosis.label)
    ask_assistant_button(photo.file_id, diagnosis, image)
    save_form(photo.file_id, diagnosis, image, photo.name, diagnoser.model_version)
