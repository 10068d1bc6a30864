"""The Diagnose page, driven by Streamlit's AppTest: upload, verdict, advice, save, errors."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from PIL import Image, ImageFilter
from streamlit.testing.v1 import AppTest

from potato_disease.config import PROJECT_ROOT, get_settings
from potato_disease.database import init_db, make_engine
from potato_disease.diagnosis import Diagnosis
from potato_disease.history import NewCase, file_sha256, list_cases, save_case
from potato_disease.imaging import load_image
from potato_disease.markdown_safety import escape_markdown
from potato_disease.photo_exif import photo_location
from potato_disease.ui import uploads
from tests.conftest import ROOT, encode, phone_exif, refuse_alerts, sample_photos
from tests.fake_open_meteo import FakeOpenMeteo


@pytest.fixture
def app_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    st.cache_resource.clear()
    yield tmp_path
    get_settings.cache_clear()
    st.cache_resource.clear()


def page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "diagnose.py"), default_timeout=60)


def as_upload(photo: Path, name: str | None = None) -> tuple[str, bytes, str]:
    """A photo file as the uploader's value: name, bytes, type."""
    return (name or photo.name, photo.read_bytes(), "image/jpeg")


def upload(at: AppTest, *photos: Path) -> AppTest:
    """Put these photo files in the page's uploader and run the page."""
    return at.file_uploader[0].set_value([as_upload(photo) for photo in photos]).run()


def uploaded(*photos: Path) -> AppTest:
    """A fresh page run with these photo files uploaded."""
    return upload(page().run(), *photos)


def form_errors(at: AppTest) -> list[str]:
    """The page's error messages but a verdict's (late blight is shown in red too)."""
    return [m.value for m in at.error if not m.value.startswith("**")]


def turn_on_blind_review(at: AppTest) -> None:
    next(t for t in at.toggle if t.label.startswith("Blind review")).set_value(True).run()


def test_without_photos_the_page_explains_what_to_do(app_data: Path) -> None:
    at = page().run()
    assert not at.exception
    assert "Upload or take a photo" in at.info[0].value


def test_the_camera_asks_for_photos_large_enough_to_show_lesions(app_data: Path) -> None:
    (camera,) = page().run().get("camera_input")
    assert camera.proto.resolution_height == 1080  # not the widget's size on a phone


def test_the_toggles_are_explained_on_the_page_not_in_a_tooltip(app_data: Path) -> None:
    """On a phone, a tap on a toggle's "?" flips the toggle instead of explaining it."""
    at = page().run()
    assert all(not toggle.help for toggle in at.toggle)
    captions = " ".join(caption.value for caption in at.caption)
    assert "Your first opinion is saved apart" in captions


def test_the_folded_options_say_how_they_are_set(app_data: Path) -> None:
    at = page().run()
    assert at.expander[1].label == "Options: heatmap on, blind review off"
    turn_on_blind_review(at)
    assert at.expander[1].label == "Options: heatmap on, blind review on"


def test_what_to_do_opens_with_its_urgency_and_folds_each_kind_of_control(
    app_data: Path, data_dir: Path
) -> None:
    at = uploaded(sample_photos(data_dir, "field-java", "late_blight", 1)[0])
    (what_to_do,) = [tab for tab in at.tabs if tab.label == "What to do"]
    assert "Treat a confirmed or strongly suspected case as urgent" in what_to_do.markdown[0].value
    assert [fold.label for fold in what_to_do.expander] == ["Cultural", "Organic", "Chemical"]
    assert "FRAC" in what_to_do.expander[2].markdown[0].value


def test_a_choice_left_empty_reads_the_same_after_the_page_keeps_it(
    app_data: Path, data_dir: Path
) -> None:
    """Streamlit shows a None choice as the placeholder (once the router has set the
    value through the session state, in a browser): it must say what the option says."""
    at = uploaded(sample_photos(data_dir, "field-java", "virus", 1)[0])
    empty_choices = {box.label: box for box in at.selectbox if box.value is None}
    assert {"Your diagnosis (kept apart from the model's)", "Your diagnosis rests on"} <= set(
        empty_choices
    )
    for box in empty_choices.values():
        assert box.proto.placeholder == box.options[0], box.label
    at = page().run()
    turn_on_blind_review(at)
    upload(at, sample_photos(data_dir, "field-java", "pest", 1)[0])
    (blind,) = [box for box in at.selectbox if box.label.startswith("Your diagnosis, before")]
    assert blind.proto.placeholder == blind.options[0] == "Choose…"


def test_a_leaf_is_diagnosed_advised_and_saved(app_data: Path, data_dir: Path) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    at = uploaded(leaf)
    assert not at.exception
    verdicts = [m.value for m in at.error]  # late blight in red: act today
    assert any("Late blight" in text for text in verdicts), verdicts
    assert any("Phytophthora infestans" in m.value for m in at.markdown)
    assert [t.label for t in at.tabs][:4] == [
        "What it is",
        "Look-alikes",
        "Confirm",
        "What to do",
    ]

    field = next(w for w in at.text_input if w.label == "Field")
    field.input("North field")
    next(w for w in at.text_area if w.label == "Notes").input("spots after rain")
    next(w for w in at.number_input if w.label.startswith("Latitude")).set_value(-7.25)
    next(w for w in at.number_input if w.label.startswith("Longitude")).set_value(109.9)
    next(w for w in at.number_input if w.label.startswith("Severity")).set_value(10)
    next(w for w in at.selectbox if w.label.startswith("Your diagnosis")).select("late_blight")
    next(w for w in at.selectbox if w.label == "Your diagnosis rests on").select("plants")
    at.session_state["reviewer_name"] = "Ana Putri"  # the sidebar's name (the router's)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    assert any("Saved to history as case #1" in m.value for m in at.success)
    assert not any(b.label == "Save to history" for b in at.button)  # the form gave way
    (case,) = list_cases(make_engine(get_settings()))
    assert (case.field_name, case.notes, case.model_label, case.latitude, case.longitude) == (
        "North field",
        "spots after rain",
        "late_blight",
        -7.25,
        109.9,
    )
    assert case.severity_percent == 10
    assert (case.confirmed_label, case.reviewed_by, case.review_basis) == (
        "late_blight",
        "Ana Putri",
        "plants",
    )


def test_the_assistant_gets_what_was_typed_in_the_form_before_saving(
    app_data: Path, data_dir: Path
) -> None:
    at = uploaded(sample_photos(data_dir, "field-java", "late_blight", 1)[0])
    next(w for w in at.text_input if w.label == "Field").input("West field")
    next(w for w in at.text_area if w.label == "Notes").input("dark lesions after rain")
    ask = next(b for b in at.button if b.key.startswith("ask-form-"))
    assert ask.label == "Ask the assistant about this"
    ask.click().run()
    case = at.session_state["current_case"]
    assert (case["field_name"], case["notes"]) == ("West field", "dark lesions after rain")
    assert list_cases(make_engine(get_settings())) == []  # asking saves nothing


def test_numbers_out_of_range_are_named_and_nothing_typed_is_lost(
    app_data: Path, data_dir: Path
) -> None:
    at = uploaded(sample_photos(data_dir, "field-java", "late_blight", 1)[0])
    next(w for w in at.text_input if w.label == "Field").input("North field")
    latitude = next(w for w in at.number_input if w.label.startswith("Latitude"))
    latitude.set_value(95.0)
    next(w for w in at.number_input if w.label.startswith("Longitude")).set_value(110.4)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    assert form_errors(at) == ["Latitude must be between -90 and 90, not 95.0."]
    assert list_cases(make_engine(get_settings())) == []
    assert next(w for w in at.text_input if w.label == "Field").value == "North field"

    next(w for w in at.number_input if w.label.startswith("Latitude")).set_value(-7.25)
    next(w for w in at.number_input if w.label.startswith("Severity")).set_value(150)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert form_errors(at) == ["The severity must be between 0 and 100 %, not 150.0."]
    next(w for w in at.number_input if w.label.startswith("Severity")).set_value(15)
    next(b for b in at.button if b.label == "Save to history").click().run()
    (case,) = list_cases(make_engine(get_settings()))
    assert (case.field_name, case.latitude, case.severity_percent) == ("North field", -7.25, 15)


def test_bad_files_get_a_clear_message_and_good_ones_still_work(
    app_data: Path, data_dir: Path
) -> None:
    leaf = sample_photos(data_dir, "field-java", "healthy", 1)[0]
    at = page().run()
    at.file_uploader[0].set_value(
        [
            ("notes.jpg", b"this is a text file", "image/jpeg"),
            ("broken.jpg", leaf.read_bytes()[:500], "image/jpeg"),
            as_upload(leaf),
        ]
    ).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("not a photo we can read" in e for e in errors)
    assert any("damaged or incomplete" in e for e in errors)
    names = ["notes.jpg", "broken.jpg", leaf.name]  # shown as written, not as Markdown
    assert [h.value for h in at.header] == ["3 photos", *map(escape_markdown, names)]
    assert any(b.label == "Save to history" for b in at.button)
    summary = at.dataframe[0].value
    assert summary["Photo"].tolist() == ["notes.jpg", "broken.jpg", leaf.name]
    assert summary["Answer"].tolist()[:2] == ["Could not be read"] * 2
    assert any(m.value.startswith("2 × Could not be read · 1 × ") for m in at.markdown)


def test_a_healthy_answer_comes_with_its_field_track_record(app_data: Path, data_dir: Path) -> None:
    """The shipped model's healthy answers on field photos were right less often than
    their confidence said (model card): the page says so with such an answer, only."""
    leaf = sample_photos(data_dir, "plantvillage", "healthy", 1)[0]
    at = uploaded(leaf)
    assert not at.exception
    notes = [i.value for i in at.info if "kept out of its training" in i.value]
    assert len(notes) == 1 and notes[0].startswith("On field photos kept out of its training, a ")
    shipped = json.loads((PROJECT_ROOT / "model" / "metadata.json").read_text())
    healthy = shipped["validation_audit"]["field_by_answer"]["healthy"]
    assert f"healthy answer was right for {healthy['right']} of {healthy['answers']}" in notes[0]
    blight = uploaded(sample_photos(data_dir, "plantvillage", "late_blight", 1)[0])
    assert not [i.value for i in blight.info if "kept out of its training" in i.value]


def test_photos_past_the_limit_wait_and_the_page_says_so(
    app_data: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "MAX_PHOTOS_AT_ONCE", 2)
    leaves = sample_photos(data_dir, "field-java", "healthy", 3)
    at = uploaded(*leaves)
    assert not at.exception
    assert "The first 2 photos are diagnosed below; 1 more photo waits." in at.warning[0].value
    assert [h.value for h in at.header][:3] == [
        "2 photos",
        *(escape_markdown(leaf.name) for leaf in leaves[:2]),
    ]


def test_a_non_leaf_photo_is_refused_with_photo_advice(app_data: Path, data_dir: Path) -> None:
    tuber = sample_photos(data_dir, "not-leaf", "tuber", 1)[0]
    at = uploaded(tuber)
    assert not at.exception
    assert "does not look like a potato leaf" in at.error[0].value
    assert [t.label for t in at.tabs][:2] == ["Why it was refused", "How to take a good photo"]


def test_a_blurred_leaf_gets_a_retake_warning_and_is_not_called_a_non_leaf(
    app_data: Path, data_dir: Path
) -> None:
    # Blurred this much, the shipped model refuses the leaf (its distance rule); the page
    # must then ask for a better photo rather than say it is not a leaf.
    leaf = load_image(sample_photos(data_dir, "field-java", "late_blight", 1)[0])
    blurred = encode(leaf.filter(ImageFilter.GaussianBlur(6)), "JPEG", quality=90)
    at = page().run()
    at.file_uploader[0].set_value(("blurred.jpg", blurred, "image/jpeg")).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("Could not judge this photo" in text for text in warnings), warnings
    assert any("looks blurred" in text for text in warnings), warnings
    assert not any("does not look like a potato leaf" in e.value for e in at.error)


def test_blind_review_hides_the_answer_until_the_agronomist_gives_theirs(
    app_data: Path, data_dir: Path
) -> None:
    leaves = sample_photos(data_dir, "plantvillage", "late_blight", 2)
    at = page().run()
    turn_on_blind_review(at)
    upload(at, *leaves)
    assert not at.exception

    def shown() -> str:
        return " ".join(m.value for m in (*at.success, *at.warning, *at.markdown, *at.info))

    assert "Late blight" not in shown()  # no verdict, advice or summary yet
    assert not at.dataframe and not any(b.label == "Save to history" for b in at.button)
    reveal = [b for b in at.button if b.label == "Show the model's answer"]
    assert len(reveal) == 2
    reveal[0].click().run()  # without a diagnosis of one's own: still hidden
    assert any("Choose your diagnosis first" in w.value for w in at.warning)
    assert "Late blight" not in shown()

    next(s for s in at.selectbox if s.label.startswith("Your diagnosis, before")).set_value(
        "early_blight"
    )
    next(b for b in at.button if b.label == "Show the model's answer").click().run()
    assert not at.exception
    assert "Your diagnosis before seeing the model's: **Early blight**" in shown()
    assert "Late blight" in shown()  # the first photo's answer, now shown
    assert len([b for b in at.button if b.label == "Show the model's answer"]) == 1  # 2nd hidden
    final = next(s for s in at.selectbox if s.label.startswith("Your diagnosis (kept apart"))
    assert final.value == "early_blight"  # starts as the blind label
    final.set_value("late_blight")  # the agronomist changes their mind after seeing it
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    cases = list_cases(make_engine(get_settings()))
    assert [(c.model_label, c.blind_label, c.confirmed_label) for c in cases] == [
        ("late_blight", "early_blight", "late_blight")
    ]


def test_a_photo_whose_answer_was_seen_is_not_reviewed_blind(
    app_data: Path, data_dir: Path
) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "healthy", 1)[0]
    at = uploaded(leaf)
    turn_on_blind_review(at)
    assert not at.exception
    assert any("already shown, so it is not reviewed blind" in c.value for c in at.caption)
    assert not any(b.label == "Show the model's answer" for b in at.button)
    assert any(b.label == "Save to history" for b in at.button)


def test_a_photo_already_in_the_history_is_not_reviewed_blind_again(
    app_data: Path, data_dir: Path
) -> None:
    saved, new = sample_photos(data_dir, "plantvillage", "healthy", 2)
    at = uploaded(saved)
    next(b for b in at.button if b.label == "Save to history").click().run()

    at = page().run()  # another visit, blind this time, with the saved file renamed
    turn_on_blind_review(at)
    at.file_uploader[0].set_value([as_upload(saved, "renamed.jpg"), as_upload(new)]).run()
    assert not at.exception
    assert any(
        "already in the history as case #1, so it is not reviewed blind again" in c.value
        for c in at.caption
    )
    assert len([b for b in at.button if b.label == "Show the model's answer"]) == 1  # the new
    assert any("already in the history as case #1, so it is not saved" in m.value for m in at.info)


COMBINE = "Combine them into one answer"


def test_photos_of_one_plot_are_combined_on_request(app_data: Path, data_dir: Path) -> None:
    leaves = sample_photos(data_dir, "plantvillage", "late_blight", 2)
    tuber = sample_photos(data_dir, "not-leaf", "tuber", 1)[0]
    uploads = [as_upload(p) for p in [*leaves, tuber]]
    repeated = as_upload(leaves[0], "again-" + leaves[0].name)
    at = page().run()
    at.file_uploader[0].set_value([*uploads, repeated]).run()
    assert not at.exception

    def combined() -> list[str]:
        return [m.value for m in (*at.success, *at.warning, *at.error) if "Combined" in m.value]

    assert at.header[0].value == "3 photos (1 uploaded twice)"
    table = at.dataframe[0].value
    assert table["Answer"].tolist()[-1] == f"Same file as {leaves[0].name}"
    counts = next(m.value for m in at.markdown if " × " in m.value)
    assert sum(int(part.split(" × ")[0]) for part in counts.split(" · ")) == 3  # once each
    assert not combined()  # only on request
    next(t for t in at.toggle if t.label.startswith(COMBINE)).set_value(True).run()
    assert not at.exception
    assert len(combined()) == 1 and combined()[0].startswith("**Combined: Late blight (")
    detail = " ".join(m.value for m in at.markdown)
    assert "2 of 2 photos point to it on their own" in detail
    assert "1 photo refused as not a potato leaf was left out" in detail
    assert "1 repeated upload counted once" in detail
    expanders = [e.label for e in at.expander]
    assert "Probability of each answer, combined (calibrated)" in expanders
    assert any(b.key == "ask-form-combined" for b in at.button)  # the browser test follows it

    # One form saves the combined photos (not the refused one, the repeat only once).
    next(w for w in at.text_input if w.key == "field-combined").input("South field")
    next(w for w in at.text_input if w.key == "plot-combined").input("B2")
    next(s for s in at.selectbox if s.key == "confirm-combined").set_value("late_blight")
    next(b for b in at.button if b.label == "Save the combined photos").click().run()
    assert not at.exception
    cases = list_cases(make_engine(get_settings()))
    assert sorted((c.photo_name, c.field_name, c.plot, c.confirmed_label) for c in cases) == [
        (p.name, "South field", "B2", "late_blight") for p in sorted(leaves)
    ]
    assert any(m.value.startswith("Saved 2 photos to history: #") for m in at.success)
    assert not any(b.label == "Save the combined photos" for b in at.button)  # form gave way
    saved_below = [m.value for m in at.success if m.value.startswith("Saved to history as case")]
    assert len(saved_below) == 2  # each photo's own form says so
    repeat_says = [m.value for m in at.info if "already in the history as case #" in m.value]
    assert len(repeat_says) == 1  # the repeated upload is not offered for saving again
    at.run()
    assert any("All 2 combined photos are in the history" in m.value for m in at.success)
    assert len(list_cases(make_engine(get_settings()))) == 2


def test_a_late_blight_leaf_among_healthy_ones_is_never_combined_away(
    app_data: Path, data_dir: Path
) -> None:
    healthy = sample_photos(data_dir, "plantvillage", "healthy", 2)
    blighted = sample_photos(data_dir, "plantvillage", "late_blight", 1)
    at = page().run()
    at.file_uploader[0].set_value([as_upload(p) for p in [*healthy, *blighted]]).run()
    next(t for t in at.toggle if t.label.startswith(COMBINE)).set_value(True).run()
    assert not at.exception
    combined = [m.value for m in at.error if "Combined" in m.value]
    assert combined == [
        "**Combined: Late blight on some of these photos: treat the plot as infected until "
        "checked**"
    ]
    assert not any("Combined: Healthy" in m.value for m in (*at.success, *at.warning))
    assert "name late blight and healthy, each with confidence" in " ".join(
        m.value for m in at.markdown
    )
    assert "Probability of each answer, combined (calibrated)" not in [e.label for e in at.expander]
    combined_asks = [b for b in at.button if b.key in ("ask-combined", "ask-form-combined")]
    assert combined_asks == []  # no one answer to ask about
    assert any(b.label == "Save the combined photos" for b in at.button)  # saving still works


def test_a_photo_already_in_the_history_is_not_saved_again(app_data: Path, data_dir: Path) -> None:
    first, second = sample_photos(data_dir, "plantvillage", "late_blight", 2)
    at = uploaded(first)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert any("Saved to history as case #1" in m.value for m in at.success)

    # Another visit to the page: the same file, renamed, and a new photo, combined.
    at = page().run()
    at.file_uploader[0].set_value([as_upload(first, "renamed.jpg"), as_upload(second)]).run()
    assert not at.exception
    notes = [m.value for m in at.info]
    assert any("already in the history as case #1, so it is not saved again" in n for n in notes)
    assert sum(b.label == "Save to history" for b in at.button) == 1  # the new photo's form
    next(t for t in at.toggle if t.label.startswith(COMBINE)).set_value(True).run()
    assert any(m.value == "1 photo already in the history (#1): not saved again." for m in at.info)
    next(b for b in at.button if b.label == "Save the combined photos").click().run()
    assert not at.exception
    cases = list_cases(make_engine(get_settings()))
    assert sorted(c.photo_name for c in cases) == sorted([first.name, second.name])
    assert len({c.photo_sha256 for c in cases}) == 2
    at.run()
    assert any("All 2 combined photos are in the history: " in m.value for m in at.success)


def test_a_photo_saved_meanwhile_from_another_page_is_not_saved_again(
    app_data: Path, data_dir: Path
) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    at = uploaded(leaf)
    elsewhere = NewCase.from_diagnosis(
        Diagnosis("late_blight", 0.9, {"late_blight": 0.9}, True),
        load_image(leaf),
        leaf.name,
        photo_sha256=file_sha256(leaf.read_bytes()),
    )
    save_case(make_engine(get_settings()), elsewhere)  # after this page showed its form
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    assert any("already in the history as case #1" in m.value for m in at.info)
    assert len(list_cases(make_engine(get_settings()))) == 1  # the unique index backs this


def test_blind_review_offers_no_combined_answer(app_data: Path, data_dir: Path) -> None:
    leaves = sample_photos(data_dir, "plantvillage", "early_blight", 2)
    at = page().run()
    turn_on_blind_review(at)
    upload(at, *leaves)
    assert not at.exception
    assert not any(t.label.startswith(COMBINE) for t in at.toggle)


def test_an_unreachable_history_database_loses_nothing_on_screen(
    app_data: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    leaves = sample_photos(data_dir, "plantvillage", "late_blight", 2)
    at = uploaded(*leaves)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    assert any(
        "Nothing was saved: the history database is not reachable" in e.value for e in at.error
    )
    assert any("Late blight" in m.value for m in at.error)  # still shown
    next(t for t in at.toggle if t.label.startswith(COMBINE)).set_value(True).run()
    next(b for b in at.button if b.label == "Save the combined photos").click().run()
    assert not at.exception
    assert sum("Nothing was saved" in e.value for e in at.error) == 1


def test_the_assistant_is_told_the_agronomists_diagnosis_chosen_so_far(
    app_data: Path, data_dir: Path
) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()  # the router
    upload(at, leaf)
    next(s for s in at.selectbox if s.key.startswith("confirm-")).set_value("pest").run()
    next(b for b in at.button if b.key and b.key.startswith("ask-")).click().run()
    assert not at.exception
    case = at.session_state["current_case"]
    assert (case["label"], case["agronomist_label"]) == ("late_blight", "pest")
    assert any(block.value == "Your diagnosis: Insect pest damage" for block in at.markdown)


def from_phone(
    photo: Path,
    name: str,
    latitude: tuple[float, float, float] | None = None,
    taken: str | None = None,
    offset: str | None = None,
) -> tuple[str, bytes, str]:
    """The photo as an upload from a phone that wrote this southern latitude (at 110° 24'
    E) and this local time and UTC offset into its EXIF."""
    exif = phone_exif(latitude, latitude and (110, 24, 0), taken=taken, offset=offset)
    with Image.open(photo) as image:
        data = encode(image.convert("RGB"), "JPEG", quality=95, exif=exif)
    return (name, data, "image/jpeg")


def test_the_location_in_a_photos_gps_tags_is_offered_and_saved(
    app_data: Path, data_dir: Path
) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    at = page().run()
    at.file_uploader[0].set_value([from_phone(leaf, "phone.jpg", (7, 15, 0))]).run()
    assert not at.exception
    latitude = next(n for n in at.number_input if n.key.startswith("lat-"))
    longitude = next(n for n in at.number_input if n.key.startswith("lon-"))
    assert (latitude.value, longitude.value) == (-7.25, 110.4)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    (case,) = list_cases(make_engine(get_settings()))
    assert (case.latitude, case.longitude) == (-7.25, 110.4)


def test_a_location_read_from_the_photo_can_be_cleared(app_data: Path, data_dir: Path) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "healthy", 1)[0]
    at = page().run()
    at.file_uploader[0].set_value([from_phone(leaf, "phone.jpg", (7, 15, 0))]).run()
    for coordinate in at.number_input:
        coordinate.set_value(None)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    (case,) = list_cases(make_engine(get_settings()))
    assert (case.latitude, case.longitude) == (None, None)
    assert photo_location(case.thumbnail) is None  # nor is it kept in the thumbnail's EXIF
    assert not Image.open(io.BytesIO(case.thumbnail)).getexif()


def test_photos_of_one_plot_are_saved_at_their_mean_position(
    app_data: Path, data_dir: Path
) -> None:
    first, second, third = sample_photos(data_dir, "plantvillage", "early_blight", 3)
    at = page().run()
    at.file_uploader[0].set_value(
        [
            from_phone(first, "a.jpg", (7, 15, 0), taken="2026:11:20 09:00:00", offset="+07:00"),
            from_phone(second, "b.jpg", (7, 15, 1.8)),  # 55 m further south
            as_upload(third),  # no GPS tags: it does not pull the mean
        ]
    ).run()
    next(t for t in at.toggle if t.label.startswith(COMBINE)).set_value(True).run()
    assert not at.exception
    latitude = next(n for n in at.number_input if n.key == "lat-combined")
    assert latitude.value == pytest.approx(-7.25025)
    next(b for b in at.button if b.label == "Save the combined photos").click().run()
    assert not at.exception
    cases = list_cases(make_engine(get_settings()))
    assert len(cases) == 3
    assert {(c.latitude, c.longitude) for c in cases} == {(-7.25025, 110.4)}
    assert {c.photo_name: c.taken_at for c in cases} == {
        "a.jpg": datetime(2026, 11, 20, 2, tzinfo=UTC),  # each photo keeps its own time
        "b.jpg": None,
        third.name: None,
    }


def test_the_time_a_photo_was_taken_is_saved_with_it(app_data: Path, data_dir: Path) -> None:
    dated, undated = sample_photos(data_dir, "plantvillage", "healthy", 2)
    at = page().run()
    uploads = [
        from_phone(dated, "dated.jpg", taken="2026:11:20 09:14:05", offset="+07:00"),
        from_phone(undated, "undated.jpg", taken="2026:11:20 10:00:00"),  # no offset, no zone
    ]
    at.file_uploader[0].set_value(uploads).run()
    assert not at.exception
    taken = [c.value for c in at.caption if c.value.startswith("Taken ")]
    assert taken == ["Taken 2026-11-20 02:14 UTC, by the photo's own clock."]
    for _ in range(2):
        next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    cases = {case.photo_name: case for case in list_cases(make_engine(get_settings()))}
    assert cases["dated.jpg"].taken_at == datetime(2026, 11, 20, 2, 14, 5, tzinfo=UTC)
    assert cases["undated.jpg"].taken_at is None


def test_the_assistant_is_told_when_and_roughly_where_the_photo_was_taken(
    app_data: Path, data_dir: Path
) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()  # the router
    phone = from_phone(leaf, "phone.jpg", (7, 15, 30), "2026:11:20 09:14:05", "+07:00")
    at.file_uploader[0].set_value([phone]).run()
    next(b for b in at.button if b.key and b.key.startswith("ask-")).click().run()
    assert not at.exception
    case = at.session_state["current_case"]
    assert (case["taken_on"], case["near"]) == ("2026-11-20", (-7.3, 110.4))


def test_each_diagnosis_writes_one_metrics_line_when_metrics_are_on(
    app_data: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("METRICS_NAMESPACE", "PotatoDisease")
    get_settings.cache_clear()
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    tuber = sample_photos(data_dir, "not-leaf", "tuber", 1)[0]
    at = page().run()
    capsys.readouterr()
    upload(at, leaf, tuber)
    assert not at.exception
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    documents = [json.loads(line) for line in lines if '"Answer"' in line]
    assert [(d["Answer"], d["Refused"]) for d in documents] == [("late_blight", 0), ("not_leaf", 1)]
    memory = [json.loads(line)["ServerMemory"] for line in lines if '"Answer"' not in line]
    assert len(memory) == 2 and all(megabytes > 100 for megabytes in memory)
    assert all(d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "PotatoDisease" for d in documents)
    at.run()  # a rerun diagnoses nothing again, so it counts nothing again
    assert '{"_aws"' not in capsys.readouterr().out


WEATHER_HERE = "Late blight weather where the photo was taken"


def test_late_blight_weather_is_shown_once_per_place_the_photos_were_taken(
    app_data: Path, data_dir: Path, fake_open_meteo: FakeOpenMeteo
) -> None:
    first, second = sample_photos(data_dir, "plantvillage", "late_blight", 2)
    at = page().run()
    at.file_uploader[0].set_value(
        [from_phone(first, "a.jpg", (7, 15, 40)), from_phone(second, "b.jpg", (7, 16, 0))]
    ).run()
    assert not at.exception
    (weather,) = [e for e in at.expander if e.label == WEATHER_HERE]  # one place, one section
    assert weather.proto.expanded  # the answer is late blight: open at once
    (query,) = fake_open_meteo.queries
    assert (query["latitude"], query["longitude"]) == (["-7.3"], ["110.4"])  # rounded
    (ahead,) = [w.value for w in weather.warning]
    assert ahead.startswith("**Blight weather ahead.** Hutton periods in the last 7 days and ")
    assert "(under way)" in ahead  # the fake's weather suits blight every day
    (table,) = weather.dataframe
    assert len(table.value) == 15
    assert set(table.value["Suits blight"]) == {"yes"}
    (caption,) = [c.value for c in weather.caption if "Open-Meteo.com" in c.value]
    assert caption.startswith("Days in the place's own time (Asia/Jakarta).")


def test_no_weather_without_a_location_or_when_switched_off(app_data: Path, data_dir: Path) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    at = page().run()
    at.file_uploader[0].set_value([from_phone(leaf, "a.jpg", (7, 15, 0))]).run()
    assert not at.exception
    assert not [e for e in at.expander if e.label == WEATHER_HERE]  # WEATHER_URL is empty


def test_an_unreachable_weather_service_leaves_the_diagnosis_whole(
    app_data: Path, data_dir: Path, fake_open_meteo: FakeOpenMeteo
) -> None:
    fake_open_meteo.status = 503
    healthy = sample_photos(data_dir, "plantvillage", "healthy", 1)[0]
    at = page().run()
    at.file_uploader[0].set_value([from_phone(healthy, "a.jpg", (7, 15, 0))]).run()
    assert not at.exception
    (weather,) = [e for e in at.expander if e.label == WEATHER_HERE]
    assert not weather.proto.expanded  # not late blight: closed
    assert "could not be reached" in weather.info[0].value
    assert any("Healthy" in s.value for s in at.success)
    assert any(b.label == "Save to history" for b in at.button)


def save_field(name: str, latitude: float, longitude: float) -> None:
    """A healthy case of field ``name`` at this place, already in the history."""
    engine = make_engine(get_settings())
    init_db(engine)
    save_case(
        engine,
        NewCase.from_diagnosis(
            Diagnosis("healthy", 0.95, {"healthy": 0.95}, is_leaf=True),
            Image.new("RGB", (64, 64), (40, 140, 60)),
            "n.jpg",
            field_name=name,
            latitude=latitude,
            longitude=longitude,
        ),
    )
    engine.dispose()


def saved_as_field_east(data_dir: Path, label: str) -> AppTest:
    """A page run that diagnosed a phone photo of ``label`` taken at 7° 15' S, 110° 24' E
    and saved it as field "East"."""
    photo = sample_photos(data_dir, "plantvillage", label, 1)[0]
    at = page().run()
    at.file_uploader[0].set_value([from_phone(photo, "a.jpg", (7, 15, 0))]).run()
    next(w for w in at.text_input if w.label == "Field").input("East")
    return next(b for b in at.button if b.label == "Save to history").click().run()


def test_saving_late_blight_names_the_fields_near_it(app_data: Path, data_dir: Path) -> None:
    save_field("West", -7.25, 110.38)  # 2.2 km from the photo
    save_field("Far", -7.25, 110.9)  # 55 km
    at = saved_as_field_east(data_dir, "late_blight")
    assert not at.exception
    assert at.success[-1].value == "Saved to history as case #3."
    (near,) = [w.value for w in at.warning if "Late blight near other fields" in w.value]
    assert "Within 5 km: West (2.2 km)." in near
    at.run()  # and again on the next run, with "Saved"
    assert any("Within 5 km: West (2.2 km)." in w.value for w in at.warning)


def test_saving_another_answer_warns_of_nothing(app_data: Path, data_dir: Path) -> None:
    save_field("West", -7.25, 110.38)
    at = saved_as_field_east(data_dir, "healthy")
    assert not at.exception
    assert at.success[-1].value == "Saved to history as case #2."
    assert not [w for w in at.warning if "Late blight near" in w.value]


def test_saving_combined_late_blight_names_the_fields_near_it(
    app_data: Path, data_dir: Path
) -> None:
    save_field("West", -7.25, 110.38)
    first, second = sample_photos(data_dir, "plantvillage", "late_blight", 2)
    at = page().run()
    at.file_uploader[0].set_value(
        [from_phone(first, "a.jpg", (7, 15, 0)), from_phone(second, "b.jpg", (7, 15, 1))]
    ).run()
    next(t for t in at.toggle if t.label.startswith(COMBINE)).set_value(True).run()
    next(b for b in at.button if b.label == "Save the combined photos").click().run()
    assert not at.exception
    assert any(s.value == "Saved 2 photos to history: #2, #3" for s in at.success)
    assert any("Within 5 km: West (2.2 km)." in w.value for w in at.warning)


def test_saving_late_blight_tells_the_team_once_a_day_per_field(
    app_data: Path, data_dir: Path, alert_topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP_URL", "https://potato.example.org")
    get_settings.cache_clear()
    save_field("West", -7.25, 110.38)  # 2.2 km from the photo
    at = saved_as_field_east(data_dir, "late_blight")
    assert not at.exception
    (message,) = alert_topic.messages()
    assert message["Subject"] == "Late blight in East"
    assert message["Message"].startswith("Late blight in East: 1 photo, the model's answer")
    assert "Other fields within 5 km: West (2.2 km)." in message["Message"]
    assert message["Message"].endswith(
        "Cases in the app's History: #2.\nOpen the History: https://potato.example.org/history"
    )
    assert "The team was told of this late blight by message." in [c.value for c in at.caption]
    at.run()  # the next run shows it again and sends nothing more
    assert "The team was told of this late blight by message." in [c.value for c in at.caption]
    assert alert_topic.messages() == []

    other = sample_photos(data_dir, "plantvillage", "late_blight", 2)[1]
    at = page().run()  # more late blight in East the same day: the team knows already
    at.file_uploader[0].set_value([from_phone(other, "b.jpg", (7, 15, 0))]).run()
    next(w for w in at.text_input if w.label == "Field").input("East")
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert at.success[-1].value == "Saved to history as case #3."
    assert alert_topic.messages() == []


def test_late_blight_saved_in_the_field_while_the_team_is_being_told_sends_no_second(
    app_data: Path, data_dir: Path, alert_topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another agronomist saves late blight in East while this page's message is on its
    way: the field's claim makes theirs wait for the next day instead of sending a second
    message that the log would not show yet."""
    from potato_disease import aws
    from potato_disease.ui import alert_view

    send = aws.publish_alert
    other_session: list[object] = []

    def publish_while_another_saves(*args: object) -> str:
        if not other_session:  # the other session saves and decides, then this one sends
            other_session.append(None)
            engine = make_engine(get_settings())
            case_id = save_case(
                engine,
                NewCase.from_diagnosis(
                    Diagnosis("late_blight", 0.97, {"late_blight": 0.97}, is_leaf=True),
                    Image.new("RGB", (64, 64), (90, 70, 40)),
                    "theirs.jpg",
                    field_name="East",
                ),
            )
            engine.dispose()
            other_session[0] = alert_view.alert_the_team([case_id])
        return send(*args)

    monkeypatch.setattr(aws, "publish_alert", publish_while_another_saves)
    at = saved_as_field_east(data_dir, "late_blight")
    assert not at.exception
    assert other_session == [None]  # the other session sent nothing and said nothing
    (message,) = alert_topic.messages()
    assert message["Message"].endswith("Cases in the app's History: #1.")
    assert "The team was told of this late blight by message." in [c.value for c in at.caption]


@pytest.mark.parametrize("failing", ["claim_field", "last_alert_sent"])
def test_an_alert_that_cannot_be_decided_is_said_and_the_case_kept(
    app_data: Path, data_dir: Path, alert_topic, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The history cannot be read to decide on an alert (claiming the field, or reading
    the messages sent): the page asks the agronomist to tell the team; the save stands."""
    from sqlalchemy.exc import OperationalError

    from potato_disease import alert_log

    def unreadable(*_: object) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(alert_log, failing, unreadable)
    at = saved_as_field_east(data_dir, "late_blight")
    assert not at.exception
    assert at.success[-1].value == "Saved to history as case #1."
    assert any("could not be checked" in w.value for w in at.warning)
    assert alert_topic.messages() == []


def test_a_failed_alert_can_be_tried_again_from_the_page(
    app_data: Path, data_dir: Path, alert_topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_alerts(monkeypatch, alert_topic, refused=True)
    at = saved_as_field_east(data_dir, "late_blight")
    assert any("could not be told" in w.value for w in at.warning)
    retry = next(b for b in at.button if b.label == "Try the message again")
    at = retry.click().run()  # SNS still refuses: said again, the button stays
    assert not at.exception
    assert any("could not be told" in w.value for w in at.warning)
    assert alert_topic.messages() == []

    refuse_alerts(monkeypatch, alert_topic, refused=False)  # SNS works again
    at = next(b for b in at.button if b.label == "Try the message again").click().run()
    (message,) = alert_topic.messages()
    assert message["Subject"] == "Late blight in East"
    assert "The team was told of this late blight by message." in [c.value for c in at.caption]
    assert not any("could not be told" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Try the message again"]


def test_trying_again_after_the_team_was_told_by_another_save_sends_nothing(
    app_data: Path, data_dir: Path, alert_topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_alerts(monkeypatch, alert_topic, refused=True)
    at = saved_as_field_east(data_dir, "late_blight")
    refuse_alerts(monkeypatch, alert_topic, refused=False)
    from potato_disease.alert_log import record_sent_alert

    engine = make_engine(get_settings())
    record_sent_alert(engine, "East", [1], "sent-by-another-session")
    engine.dispose()
    at = next(b for b in at.button if b.label == "Try the message again").click().run()
    assert not at.exception
    assert alert_topic.messages() == []
    assert any(c.value.startswith("No message went this time") for c in at.caption)


def test_a_late_blight_alert_carries_the_blight_weather_where_it_was_found(
    app_data: Path, data_dir: Path, alert_topic, fake_open_meteo
) -> None:
    at = saved_as_field_east(data_dir, "late_blight")
    assert not at.exception
    (message,) = alert_topic.messages()
    weather_line = next(
        line for line in message["Message"].splitlines() if line.startswith("Late blight weather")
    )
    assert weather_line.startswith("Late blight weather there: Hutton periods in the last 7 days")
    assert len(fake_open_meteo.queries) == 1  # the page's own request, reused for the alert


def test_saving_healthy_tells_the_team_nothing(app_data: Path, data_dir: Path, alert_topic) -> None:
    at = saved_as_field_east(data_dir, "healthy")
    assert not at.exception
    assert alert_topic.messages() == []
    assert not [c for c in at.caption if "The team" in c.value]


def test_an_alert_that_cannot_be_sent_is_said_and_the_case_kept(
    app_data: Path, data_dir: Path, alert_topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_alerts(monkeypatch, alert_topic, refused=True)
    at = saved_as_field_east(data_dir, "late_blight")
    assert not at.exception
    assert at.success[-1].value == "Saved to history as case #1."
    assert any("could not be told of this late blight" in w.value for w in at.warning)

    refuse_alerts(monkeypatch, alert_topic, refused=False)  # SNS works again
    other = sample_photos(data_dir, "plantvillage", "late_blight", 2)[1]
    at = page().run()  # the next late blight in East tries again: no message went before
    at.file_uploader[0].set_value([from_phone(other, "b.jpg", (7, 15, 0))]).run()
    next(w for w in at.text_input if w.label == "Field").input("East")
    next(b for b in at.button if b.label == "Save to history").click().run()
    (message,) = alert_topic.messages()
    assert message["Message"].endswith("Cases in the app's History: #2.")


def test_a_new_field_named_like_a_known_one_is_questioned_on_saving(
    app_data: Path, data_dir: Path
) -> None:
    save_field("Block 2", -7.0, 110.0)  # numbered: not a look-alike of "Block 3"
    save_field("North field", -7.0, 110.0)
    photo = sample_photos(data_dir, "plantvillage", "healthy", 1)[0]
    at = page().run()
    at.file_uploader[0].set_value([as_upload(photo)]).run()
    next(w for w in at.text_input if w.label == "Field").input("Nroth field")
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    (asked,) = [i.value for i in at.info if "is a new field" in i.value]
    assert asked.startswith("“Nroth field” is a new field. Did you mean “North field”?")

    at = page().run()  # a field known by its own name, or a new one unlike any: no question
    other = sample_photos(data_dir, "plantvillage", "healthy", 3)[1:]
    at.file_uploader[0].set_value([as_upload(photo) for photo in other]).run()
    for name in ("Nroth field", "Block 3"):
        next(w for w in at.text_input if w.label == "Field").input(name)
        next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception
    assert not [i for i in at.info if "is a new field" in i.value]
