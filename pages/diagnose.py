"""Diagnose: upload or take leaf photos, read the answer, the advice, and save the case."""

import streamlit as st

from potato_disease import imaging
from potato_disease.photo_quality import quality_warnings
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
for index, photo in enumerate(photos):
    key = photo.file_id
    st.divider()
    st.subheader(photo.name)
    try:
        image = imaging.decode_image(photo.getvalue())
    except imaging.ImageError as error:
        st.error(str(error))
    else:
        if key not in st.session_state["diagnoses"]:  # once per upload, not on every rerun
            st.session_state["diagnoses"][key] = (
                diagnoser.diagnose(image, with_heatmap=True),
                quality_warnings(image),
            )
        diagnosis, photo_warnings = st.session_state["diagnoses"][key]
        show_verdict(diagnosis, image, show_heatmap, photo_warnings)
        show_advice(diagnosis.label)
        ask_assistant_button(key, diagnosis, image)
        save_form(key, diagnosis, image, photo.name, diagnoser.model_version)
    progress.progress((index + 1) / len(photos), text=f"Diagnosed {index + 1} of {len(photos)}")
progress.empty()
