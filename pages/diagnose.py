"""Diagnose: upload or take leaf photos and read the model's answer."""

import streamlit as st

from potato_disease import imaging
from potato_disease.labels import DISPLAY_NAMES
from potato_disease.presentation import verdict
from potato_disease.resources import get_diagnoser

st.title("Diagnose a potato leaf")
st.caption("Photograph one leaf, close up, in daylight. Several photos can be uploaded at once.")

uploads = st.file_uploader(
    "Leaf photos",
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
    st.subheader(photo.name)
    try:
        image = imaging.decode_image(photo.getvalue())
    except imaging.ImageError as error:
        st.error(str(error))
        progress.progress((index + 1) / len(photos))
        continue
    diagnosis = diagnoser.diagnose(image, with_heatmap=show_heatmap)
    said = verdict(diagnosis)
    left, right = st.columns(2)
    left.image(image, caption="Your photo", width="stretch")
    if show_heatmap and diagnosis.heatmap is not None:
        right.image(diagnosis.heatmap, caption="Heatmap: red = most evidence", width="stretch")
    getattr(st, said.tone)(f"**{said.headline}**")
    if said.detail:
        st.write(said.detail)
    with st.expander("All probabilities (if this is a potato leaf)"):
        st.bar_chart({DISPLAY_NAMES[k]: v for k, v in diagnosis.probabilities.items()})
    progress.progress((index + 1) / len(photos), text=f"Diagnosed {index + 1} of {len(photos)}")
progress.empty()
