"""Diagnose: upload or take leaf photos, read the answer, the advice, and save the case."""

import streamlit as st

from potato_disease.markdown_safety import escape_markdown
from potato_disease.presentation import counted
from potato_disease.resources import get_diagnoser
from potato_disease.ui.access import through_the_router
from potato_disease.ui.camera import camera_photos
from potato_disease.ui.diagnosis_view import (
    BlindReview,
    blind_review,
    look_up_photos,
    mark_answer_shown,
    on_off,
    save_form,
    show_advice,
    show_verdict,
)
from potato_disease.ui.kept_photos import forget_uploads, uploads_kept_across_pages
from potato_disease.ui.photo_shrinking import shrink_photos_before_sending
from potato_disease.ui.uploads import (
    MAX_PHOTOS_AT_ONCE,
    diagnose_uploads,
    show_combined,
    show_summary,
    within_photo_limit,
)
from potato_disease.ui.weather_view import show_weather_where_taken

through_the_router("pages/diagnose.py")  # before anything: see its docstring

UPLOADER_KEY = "leaf_photos"


st.title("Diagnose a potato leaf")
st.caption(
    "One leaf per photo, close up, in daylight. Several photos can be uploaded at once; "
    "large JPEGs are made smaller on this device before they are sent."
)

uploaded_files = st.file_uploader(
    "Leaf photos (JPEG, PNG, WebP or HEIC)",
    type=["jpg", "jpeg", "png", "webp", "heic", "heif"],
    accept_multiple_files=True,
    on_change=forget_uploads,  # the user's own change: what was kept goes
    key=UPLOADER_KEY,
)
shrink_photos_before_sending(UPLOADER_KEY)
files = uploads_kept_across_pages(uploaded_files)
with st.expander("Or take photos with the camera"):
    camera_shots = camera_photos()
photos, waiting = within_photo_limit([*files, *camera_shots])
if waiting:
    st.warning(
        f"The first {MAX_PHOTOS_AT_ONCE} photos are diagnosed below; "
        f"{counted(waiting, 'more photo')} {'waits' if waiting == 1 else 'wait'}. "
        "Save these, then remove them from the upload box to diagnose the rest.",
        icon=":material/photo_library:",
    )
# Folded, so that on a phone the answer comes within the first screen; the label says
# how they are set. Explained in a caption, not a tooltip: on a phone, a tap on a
# toggle's "?" flips the toggle.
options = f"heatmap {on_off('show_heatmap', True)}, blind review {on_off('blind_review')}"
# Keyed: a new label would otherwise make it a new expander, shut after every change.
with st.expander(f"Options: {options}", key="options_expander"):
    show_heatmap = st.toggle("Show where the model looked (heatmap)", True, key="show_heatmap")
    blind = st.toggle(
        "Blind review: give your own diagnosis before seeing the model's", key="blind_review"
    )
    st.caption(
        "Your first opinion is saved apart from any later change, so History can show how "
        "often the model agrees with you without its answer swaying yours."
    )

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
look_up_photos([upload.digest for upload in uploads if upload.diagnosis is not None])

if len(uploads) > 1 and not blind:  # the summary would give the answers away
    show_summary(uploads)
    combine = st.toggle(
        "Combine them into one answer: different leaves with the same symptoms, one plot"
    )
    st.caption(
        "Each photo counts as independent evidence, which makes the combined answer more "
        "often right than one photo (About page, model card: 'Several photos of one "
        "plot'). Take one photo per leaf, from different plants: several shots of one leaf "
        "are not independent and would make the answer overconfident."
    )
    if combine:
        show_combined(uploads, diagnoser.model_version)

weather_shown_for: set[object] = set()  # one blight weather section per place
for upload in uploads:
    st.divider()
    st.header(escape_markdown(upload.name))
    if upload.diagnosis is None or upload.image is None:
        st.error(upload.error)
        continue
    review = blind_review(upload.key, upload.digest, upload.image) if blind else BlindReview(True)
    if not review.show_answer:
        continue  # hidden until the agronomist has given their own diagnosis
    mark_answer_shown(upload.key)
    show_verdict(upload.diagnosis, upload.image, show_heatmap, upload.warnings)
    show_advice(upload.diagnosis.label)
    show_weather_where_taken(upload.diagnosis.label, upload.exif.location, weather_shown_for)
    save_form(
        upload.key,
        upload.digest,
        upload.diagnosis,
        upload.image,
        upload.name,
        diagnoser.model_version,
        review.label,
        upload.exif,
    )
