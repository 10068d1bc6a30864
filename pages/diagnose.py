"""Diagnose: upload or take leaf photos, read the answer, the advice, and save the case."""

import streamlit as st

from potato_disease.resources import get_diagnoser
from potato_disease.ui.diagnosis_view import (
    ask_assistant_button,
    save_form,
    show_advice,
    show_verdict,
)
from potato_disease.ui.uploads import diagnose_uploads, show_summary

st.title("Diagnose a potato leaf")
st.caption("One leaf per photo, close up, in daylight. Several photos can be uploaded at once.")

uploaded_files = st.file_uploader(
    "Leaf photos (JPEG, PNG, WebP or HEIC)",
    type=["jpg", "jpeg", "png", "webp", "heic", "heif"],
    accept_multiple_files=True,
)
with st.expander("Or take a photo with the camera"):
    camera_photo = st.camera_input("Take a photo")
photos = list(uploaded_files or []) + ([camera_photo] if camera_photo else [])
show_heatmap = st.toggle("Show where the model looked (heatmap)", value=True)

if not photos:
    st.info("Upload or take a photo of a potato leaf to begin.")
    st.stop()

diagnoser = get_diagnoser()
progress = st.progress(0.0, text="Diagnosing…")
uploads = diagnose_uploads(
    photos,
    diagnoser,
    lambda done: progress.progress(done / len(photos), text=f"Diagnosed {done} of {len(photos)}"),
)
progress.empty()

if len(uploads) > 1:
    show_summary(uploads)

for upload in uploads:
    st.divider()
    st.subheader(upload.name)
    if upload.diagnosis is None or upload.image is None:
        st.error(upload.error)
        continue
    show_verdict(upload.diagnosis, upload.image, show_heatmap, upload.warnings)
    show_advice(upload.diagnosis.label)
    ask_assistant_button(upload.key, upload.diagnosis, upload.image)
    save_form(upload.key, upload.diagnosis, upload.image, upload.name, diagnoser.model_version)
