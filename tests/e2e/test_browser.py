"""End to end in real headless Chromium: the app as an agronomist uses it.

Starts ``streamlit run app.py`` on a free port with a fresh data directory and no
Gemini key, then drives Debian's Chromium through Playwright. Screenshots go to
``artifacts/e2e/`` (kept by CI as test artefacts; ignored by git).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageFilter

from potato_disease import history
from potato_disease.config import settings_from_env
from potato_disease.database import init_db, make_engine
from tests.conftest import phone_exif, sample_photos
from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    serving_app,
    wait_for_the_photo_shrinker,
)
from tests.fake_open_meteo import FakeOpenMeteo, forecast_answer, serve_fake_open_meteo

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]  # one app server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def weather_service() -> Iterator[FakeOpenMeteo]:
    """A fake Open-Meteo with blight weather every day, for the app under test."""
    today = (datetime.now(UTC) + timedelta(hours=7)).date()
    with serve_fake_open_meteo(FakeOpenMeteo(forecast_answer(today))) as fake:
        yield fake


@contextlib.contextmanager
def running_app(logs: Path, **settings: str) -> Iterator[str]:
    """The app (:func:`serving_app`), its output in ``logs/streamlit.log``: its URL."""
    with (logs / "streamlit.log").open("w") as log, serving_app(log, **settings) as (url, _):
        yield url


@pytest.fixture(scope="module")
def app_url(
    tmp_path_factory: pytest.TempPathFactory, weather_service: FakeOpenMeteo
) -> Iterator[str]:
    with running_app(
        tmp_path_factory.mktemp("logs"),
        APP_DATA_DIR=str(tmp_path_factory.mktemp("app-data")),
        WEATHER_URL=weather_service.url,
    ) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def open_app(
    browser: object, app_url: str, init_script: str | None = None, **page_options: object
) -> object:
    """A new browser page on the app's Diagnose page, once it has rendered (after
    ``init_script`` has run in it, if given)."""
    page = browser.new_page(**page_options)
    page.set_default_timeout(TIMEOUT_MS)
    if init_script is not None:
        page.add_init_script(init_script)
    page.goto(app_url)
    page.get_by_text("Diagnose a potato leaf").wait_for()
    return page


def wait_for_the_run_to_end(page: object) -> None:
    """Wait until the app's script run has ended. Until then, elements of the previous
    run stand where the new run has not drawn yet, so a click could land on one of them
    (call it once something of the new run is seen)."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for()


def ask_assistant(page: object, case_shown: str, question: str) -> None:
    """Follow the first "Ask the assistant about this" on the page, once its run has
    ended, and ask."""
    wait_for_the_run_to_end(page)
    page.get_by_role("button", name="Ask the assistant about this").first.click()
    page.get_by_text(case_shown).wait_for()
    # The chat box by its placeholder: the sidebar's "Your name" is a textbox too.
    page.get_by_placeholder("Ask about this leaf, a disease, or what to do").fill(question)
    page.keyboard.press("Enter")


def leaf_copy(
    leaf: Path,
    path: Path,
    change: Callable[[Image.Image], Image.Image] = lambda photo: photo,
    **save_options: object,
) -> Path:
    """A copy of ``leaf`` saved at ``path``, changed (blurred, say) on the way."""
    with Image.open(leaf) as photo:
        change(photo.convert("RGB")).save(path, **save_options)
    return path


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_diagnose_save_find_in_history_and_ask(
    app_url: str, browser: object, data_dir: Path, tmp_path: Path
) -> None:
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    page.locator("input[type=file]").first.set_input_files(str(leaf))
    page.get_by_text("Late blight", exact=False).first.wait_for()
    urgent = page.get_by_role("tab", name="What to do", exact=True).first
    urgent.wait_for()
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(urgent).to_have_attribute("aria-selected", "true")  # late blight: act first
    shot(page, "1-diagnosis")

    page.get_by_label("Your name", exact=True).fill("E2E Ana")  # signs the review below
    page.get_by_label("Your name", exact=True).press("Enter")
    page.get_by_label("Field", exact=True).first.fill("E2E North field")
    page.get_by_label("Notes", exact=True).first.fill("lesions on lower leaves")
    page.get_by_label("Severity in the plot, % of foliage (optional)", exact=True).first.fill("10")
    page.get_by_role("button", name="Save to history").first.click()
    page.get_by_text("Saved to history").wait_for()
    shot(page, "2-saved")

    ask_assistant(page, "Current case", "How do I control late blight?")
    page.get_by_text("offline", exact=False).first.wait_for()
    page.get_by_text("Late blight — What to do now", exact=False).first.wait_for()
    wait_for_the_run_to_end(page)
    page.get_by_role("button", name="Late blight — What to do now: Chemical").click()  # read next
    page.get_by_text("with their FRAC group codes", exact=False).first.wait_for()
    shot(page, "3-assistant")
    assert_headings_in_order(page)

    page.get_by_role("link", name="History").click()
    page.get_by_role("heading", name="Cases over time").wait_for()
    shot(page, "4-history")
    page.get_by_text("E2E North field").filter(visible=True).first.wait_for()
    page.get_by_text("Severity in the plot: 10 % of foliage").wait_for()  # Review a case
    shot(page, "4-history")

    # The review queue offers the unreviewed case, with no answer chosen for the agronomist.
    page.get_by_role("heading", name="Cases to review first").wait_for()
    page.get_by_text("1 case here awaits the agronomist's diagnosis").wait_for()
    page.get_by_role("button", name="Save review of #1").wait_for()
    assert_headings_in_order(page)

    # The agronomist confirms it; the reviewed photo then downloads as a labelled set.
    page.get_by_role("combobox", name="Agronomist's diagnosis", exact=False).click()
    page.keyboard.type("Late blight")  # the selectbox filters its options as one types
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save review", exact=True).click()
    page.get_by_test_id("stAlertContentSuccess").get_by_text("review saved").wait_for()
    page.get_by_test_id("stToastText").get_by_text("review saved").wait_for()  # where it was
    page.get_by_text("by E2E Ana").wait_for()  # the name given on Diagnose, pages ago
    page.get_by_text("Every case here has been reviewed").wait_for()  # the queue is empty
    wait_for_the_run_to_end(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download 1 reviewed photo (ZIP)").click()
    archive = zipfile.ZipFile(download.value.path())
    photos = [name for name in archive.namelist() if name.endswith(".jpg")]
    assert len(photos) == 1 and photos[0].startswith("late_blight/case-")
    assert "cases.csv" in archive.namelist()
    with page.expect_download() as download:  # built on the click, from the database
        page.get_by_role("button", name="Download 1 case (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert [(row["confirmed_label"], row["reviewed_by"]) for row in rows] == [
        ("late_blight", "E2E Ana")
    ]
    shot(page, "7-reviewed")
    page.close()


def test_the_diagnose_page_keeps_its_photo_and_form_through_a_visit_to_the_assistant(
    app_url: str, browser: object, data_dir: Path
) -> None:
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    leaf = sample_photos(data_dir, "field-java", "early_blight", 1)[0]
    page.locator("input[type=file]").first.set_input_files(str(leaf))
    page.get_by_role("tab", name="What to do", exact=True).first.wait_for()
    page.get_by_label("Field", exact=True).first.fill("E2E kept field")
    page.get_by_label("Notes", exact=True).first.fill("kept notes")
    wait_for_the_run_to_end(page)
    page.get_by_role("button", name="Ask the assistant about this").first.click()
    page.get_by_text("Field: E2E kept field").wait_for()  # typed, never saved
    page.get_by_text("kept notes").first.wait_for()

    page.get_by_role("link", name="Diagnose").click()
    page.get_by_text("1 photo uploaded before you left this page").wait_for()
    page.get_by_role("tab", name="What to do", exact=True).first.wait_for()
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.get_by_label("Field", exact=True).first).to_have_value("E2E kept field")
    expect(page.get_by_label("Notes", exact=True).first).to_have_value("kept notes")
    shot(page, "15-kept-after-assistant")

    page.get_by_role("button", name="Clear them").click()
    page.get_by_text("Upload or take a photo of a potato leaf to begin.").wait_for()
    page.close()


def test_what_is_typed_in_a_form_and_not_yet_saved_outlives_other_changes_on_the_page(
    app_url: str, browser: object, data_dir: Path
) -> None:
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    leaves = sample_photos(data_dir, "field-java", "pest", 2)
    page.locator("input[type=file]").first.set_input_files([str(leaf) for leaf in leaves])
    page.get_by_role("button", name="Save to history").nth(1).wait_for()
    page.get_by_label("Field", exact=True).first.fill("E2E typed field")
    page.get_by_label("Notes", exact=True).nth(1).fill("typed, not saved")
    page.get_by_text("Options: heatmap on, blind review off").click()
    page.get_by_text("Show where the model looked (heatmap)").click()  # a run of the page
    page.get_by_text("Options: heatmap off, blind review off").wait_for()
    page.get_by_text("Show where the model looked (heatmap)").click()  # and another
    page.get_by_text("Options: heatmap on, blind review off").wait_for()
    wait_for_the_run_to_end(page)  # the forms below are this run's, not the last one's
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.get_by_label("Field", exact=True).first).to_have_value("E2E typed field")
    expect(page.get_by_label("Notes", exact=True).nth(1)).to_have_value("typed, not saved")
    page.close()


def test_a_text_file_named_jpg_gets_a_clear_message(
    app_url: str, browser: object, tmp_path: Path
) -> None:
    page = open_app(browser, app_url)
    fake = tmp_path / "leaf.jpg"
    fake.write_text("this is not a photo")
    page.locator("input[type=file]").first.set_input_files(str(fake))
    page.get_by_text("not a photo we can read", exact=False).wait_for()
    wait_for_the_run_to_end(page)
    shot(page, "5-bad-file")
    assert page.get_by_text("Traceback").count() == 0
    page.close()


def test_a_blurred_leaf_is_sent_back_for_a_retake_not_called_a_non_leaf(
    app_url: str, browser: object, data_dir: Path, tmp_path: Path
) -> None:
    leaf = sample_photos(data_dir, "field-java", "late_blight", 1)[0]
    blur = ImageFilter.GaussianBlur(6)
    blurred = leaf_copy(leaf, tmp_path / "blurred-leaf.jpg", lambda p: p.filter(blur), quality=90)
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    page.locator("input[type=file]").first.set_input_files(str(blurred))
    page.get_by_text("Could not judge this photo").wait_for()
    page.get_by_text("looks blurred", exact=False).first.wait_for()
    wait_for_the_run_to_end(page)
    shot(page, "6-blurred")
    assert page.get_by_text("does not look like a potato leaf").count() == 0
    page.close()


def test_blind_review_shows_the_answer_only_after_the_agronomists_own(
    app_url: str, browser: object, data_dir: Path
) -> None:
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    page.get_by_text("Options: heatmap on, blind review off").click()
    page.get_by_text("Blind review: give your own diagnosis", exact=False).click()
    page.get_by_text("Options: heatmap on, blind review on").wait_for()  # says so, folded
    leaf = sample_photos(data_dir, "plantvillage", "early_blight", 1)[0]
    page.locator("input[type=file]").first.set_input_files(str(leaf))
    page.get_by_role("button", name="Show the model's answer").wait_for()
    wait_for_the_run_to_end(page)
    shot(page, "8-blind-question")
    assert (
        page.get_by_role("tab", name="What to do", exact=True).count() == 0
    )  # no answer, no advice yet

    page.get_by_role("combobox", name="Your diagnosis, before", exact=False).click()
    page.keyboard.type("Early blight")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Show the model's answer").click()
    page.get_by_text("Your diagnosis before seeing the model's").wait_for()
    page.get_by_role("tab", name="What to do", exact=True).first.wait_for()
    assert page.get_by_role("button", name="Show the model's answer").count() == 0
    page.get_by_role("button", name="Save to history").first.click()
    page.get_by_text("Saved to history").wait_for()
    shot(page, "9-blind-answer")
    page.close()


def test_several_photos_of_one_plot_combined(app_url: str, browser: object, data_dir: Path) -> None:
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    leaves = sample_photos(data_dir, "field-java", "late_blight", 3)
    page.locator("input[type=file]").first.set_input_files([str(p) for p in leaves])
    page.get_by_text("3 photos").wait_for()
    wait_for_the_run_to_end(page)
    assert page.get_by_text("Combined:").count() == 0  # only on request
    page.get_by_text("Combine them into one answer").click()
    page.get_by_text("Combined:").wait_for()
    page.get_by_text("point to it on their own").wait_for()
    shot(page, "6-combined")

    ask_assistant(page, "3 photos combined", "Should I spray?")  # the combined answer's
    page.get_by_text("Your 3 photos, combined, were diagnosed as").wait_for()
    shot(page, "7-combined-assistant")


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
CONTRAST = """element => {
    // The text's colour over the white page, faded by its own and its parents' opacity
    // (Streamlit greys captions with opacity), against white: WCAG's contrast ratio.
    let [r, g, b, alpha = 1] = getComputedStyle(element).color.match(/[\\d.]+/g).map(Number);
    for (let node = element; node; node = node.parentElement) {
        alpha *= Number(getComputedStyle(node).opacity);
    }
    const linear = c => ((c = (c * alpha + 255 * (1 - alpha)) / 255) <= 0.04045
        ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    const luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    return 1.05 / (luminance + 0.05);
}"""


HEADING_LEVELS = """() => Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6"))
    .filter((heading) => !heading.closest("[data-testid='stSidebar']"))
    .map((heading) => Number(heading.tagName[1]))"""


def assert_headings_in_order(page: object) -> None:
    """WCAG 1.3.1 as axe's heading-order rule reads it: the page (its sidebar apart) has
    one h1, first, and no heading is more than one level below the one before it."""
    wait_for_the_run_to_end(page)
    levels = page.evaluate(HEADING_LEVELS)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(level <= before + 1 for before, level in zip(levels, levels[1:])), levels


LAYOUT_SETTLED = """async () => {
    await document.fonts.ready;
    const main = document.querySelector('[data-testid="stMain"]');
    let last = -1, unchanged = 0;
    for (let frame = 0; frame < 1200 && unchanged < 60; frame++) {
        await new Promise(requestAnimationFrame);
        const width = main.scrollWidth;
        unchanged = width === last ? unchanged + 1 : 0;
        last = width;
    }
}"""
"""Resolves once the fonts are in and the main area's content width has held for 60
animation frames (about a second), or after 1,200 frames (about 20 s) at most."""


def sideways_overflow(page: object) -> int:
    """How many CSS pixels the page's content is wider than its scrolling main area
    (0: nothing to scroll sideways to)."""
    return page.locator('[data-testid="stMain"]').evaluate("e => e.scrollWidth - e.clientWidth")


def test_on_a_phone_no_page_scrolls_sideways_and_grey_text_is_readable(
    app_url: str, browser: object, data_dir: Path
) -> None:
    """WCAG 2.2 reflow (1.4.10) at 390 px and contrast (1.4.3) of the captions."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    page.get_by_text("Diagnose a potato leaf").wait_for()
    leaf = sample_photos(data_dir, "field-java", "late_blight", 1)[0]
    page.locator("input[type=file]").first.set_input_files(str(leaf))
    page.get_by_role("button", name="Save to history").wait_for()
    shot(page, "11-phone-diagnosis")
    assert sideways_overflow(page) <= 0
    verdict = page.get_by_text("Late blight (", exact=False).first.bounding_box()
    assert verdict["y"] + verdict["height"] <= PHONE["viewport"]["height"]  # no scrolling
    assert_headings_in_order(page)
    caption = page.locator('[data-testid="stCaptionContainer"] p').first
    assert caption.evaluate(CONTRAST) >= 4.5
    chosen_tab = page.get_by_role("tab", name="What to do", selected=True).locator("p").first
    assert chosen_tab.evaluate(CONTRAST) >= 4.5  # late blight opens it: in the theme's red

    page.goto(f"{app_url}/about")
    page.get_by_text("Model card: data, method").click()  # its tables are the widest
    page.locator("[data-testid=stExpanderDetails] table").first.wait_for()
    page.evaluate(LAYOUT_SETTLED)  # the tables take a moment to be laid out at full width
    shot(page, "12-phone-about")
    assert sideways_overflow(page) <= 0
    assert_headings_in_order(page)  # the model card's own headings among the page's
    context.close()


def take_photo(page: object, tries: int = 10) -> None:
    """Press the camera's shutter until it has taken a photo: a press before its video
    plays is lost, and after a rerun the old video may still be on the page."""
    timeout_error = pytest.importorskip("playwright.sync_api").TimeoutError
    taken = page.get_by_role("button", name="Clear photo")
    taken.wait_for(state="detached")  # the last shot's camera, still shown while a run goes on
    for attempt in range(tries):
        if attempt and taken.is_visible():  # the last press took longer than its wait
            return
        try:
            page.get_by_role("button", name="Take Photo").click(timeout=5_000)
            taken.wait_for(timeout=5_000)
            return
        except timeout_error:
            continue
    if not taken.is_visible():  # the last press may have been slow too
        pytest.fail(f"the camera took no photo in {tries} presses")


def test_several_camera_photos_are_kept_and_diagnosed_together(
    app_url: str, browser: object
) -> None:
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    page.get_by_text("Or take photos with the camera").click()
    take_photo(page)
    page.get_by_role("button", name="Keep it and take another").click()
    page.get_by_text("1 camera photo kept").wait_for()
    wait_for_the_run_to_end(page)
    take_photo(page)
    page.get_by_role("heading", name="2 photos").wait_for()  # the kept one and the new one
    for name in ("camera-1.jpg", "camera-2.jpg"):
        page.get_by_role("heading", name=name).wait_for()
    shot(page, "10-camera-photos")
    page.get_by_role("button", name="Discard the kept camera photos").click()
    page.get_by_role("heading", name="camera-1.jpg").wait_for(state="detached")
    page.close()


def test_a_phone_photos_time_is_read_in_the_browsers_zone_and_its_place_can_be_cleared(
    app_url: str, browser: object, data_dir: Path, tmp_path: Path
) -> None:
    leaf = sample_photos(data_dir, "field-java", "healthy", 1)[0]
    exif = phone_exif((7, 15, 0), (110, 24, 0), taken="2026:11:20 09:14:05")  # no UTC offset
    phone_photo = leaf_copy(leaf, tmp_path / "phone.jpg", exif=exif)
    page = open_app(browser, app_url, timezone_id="Asia/Jakarta")  # UTC+7
    page.locator("input[type=file]").first.set_input_files(str(phone_photo))
    page.get_by_text("Taken 2026-11-20 02:14 UTC, by the photo's own clock.").wait_for()
    expect = pytest.importorskip("playwright.sync_api").expect
    latitude = page.get_by_role("spinbutton", name="Latitude (optional)")
    expect(latitude).to_have_value("-7.25000")
    latitude.fill("")
    latitude.press("Tab")  # Streamlit puts back a number input's value unless it may be empty
    page.get_by_role("spinbutton", name="Longitude (optional)").click()
    page.wait_for_timeout(1000)
    expect(latitude).to_have_value("")
    shot(page, "10-phone-photo")
    page.close()


RECORD_FILES_SENT = """
window.filesSent = [];  // the size of each file the page sends, by XHR or fetch
const sizes = (body) =>
  body instanceof FormData ? [...body.values()].filter((v) => v instanceof File) : [];
const send = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  sizes(body).forEach((file) => window.filesSent.push(file.size));
  return send.call(this, body);
};
const fetchFirst = window.fetch;
window.fetch = (input, init) => {
  sizes(init && init.body).forEach((file) => window.filesSent.push(file.size));
  return fetchFirst(input, init);
};
"""


def phone_sized(photo: Image.Image) -> Image.Image:
    """``photo`` as a phone's 12-megapixel camera stores it when held upright: 3,000 x
    4,000 px with sensor noise, turned on its side (EXIF orientation 6 puts it back)."""
    upright = np.asarray(photo.resize((3000, 4000), Image.Resampling.BICUBIC), dtype=np.int16)
    noise = np.random.default_rng(0).normal(0, 6, upright.shape).astype(np.int16)
    noisy = Image.fromarray(np.clip(upright + noise, 0, 255).astype(np.uint8))
    return noisy.transpose(Image.Transpose.ROTATE_90)


def sideways_phone_photo(leaf: Path, path: Path) -> Path:
    """``leaf`` saved at ``path`` as a phone's camera stores it (:func:`phone_sized`), with
    EXIF orientation 6, GPS in Central Java and the time taken, 09:14 at +07:00."""
    exif = phone_exif((7, 15, 0), (110, 24, 0), taken="2026:11:20 09:14:05", offset="+07:00")
    exif[ExifTags.Base.Orientation] = 6
    return leaf_copy(leaf, path, phone_sized, exif=exif, quality=92)


def first_photo_shown_upright(page: object) -> bool:
    """Whether the first photo on the page is taller than wide, as a phone held upright."""
    shown = page.locator("[data-testid='stImage'] img").first.element_handle()
    page.wait_for_function("image => image.naturalWidth > 0", arg=shown)  # 0 until loaded
    width, height = shown.evaluate("image => [image.naturalWidth, image.naturalHeight]")
    return width < height


def test_a_large_phone_photo_is_made_smaller_before_it_is_sent_with_its_exif(
    app_url: str, browser: object, data_dir: Path, tmp_path: Path
) -> None:
    leaf = sample_photos(data_dir, "field-java", "late_blight", 1)[0]
    photo = sideways_phone_photo(leaf, tmp_path / "IMG_0001.jpg")
    page = open_app(browser, app_url, RECORD_FILES_SENT, viewport={"width": 390, "height": 844})
    wait_for_the_photo_shrinker(page)
    page.locator("input[type=file]").first.set_input_files(str(photo))

    page.get_by_text("1 photo made smaller on this device before sending").wait_for()
    page.get_by_text("Taken 2026-11-20 02:14 UTC, by the photo's own clock.").wait_for()
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.get_by_role("spinbutton", name="Latitude (optional)")).to_have_value("-7.25000")
    wait_for_the_run_to_end(page)
    sent = page.evaluate("window.filesSent")
    assert len(sent) == 1 and sent[0] < photo.stat().st_size / 5, sent
    assert first_photo_shown_upright(page)
    shot(page, "12-phone-photo-made-smaller")
    page.close()


DROP_FILES = """async ([box, files]) => {
    const transfer = new DataTransfer();
    for (const [name, type, base64] of files) {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], name, { type }));
    }
    const zone = document.querySelector(`${box} [data-testid='stFileUploaderDropzone']`);
    for (const type of ["dragenter", "dragover", "drop"]) {  // as a drag from the desktop
        const init = { bubbles: true, cancelable: true, dataTransfer: transfer };
        zone.dispatchEvent(new DragEvent(type, init));
        if (type === "drop") transfer.items.clear();  // as a browser does once it is handled
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
}"""


def drop_files(page: object, files: list[tuple[Path, str]]) -> None:
    """Drop ``files`` (path, MIME type) on the Diagnose page's upload box, as a drag from
    the computer's file manager does."""
    encoded = [
        [path.name, kind, base64.b64encode(path.read_bytes()).decode()] for path, kind in files
    ]
    page.evaluate(DROP_FILES, [".st-key-leaf_photos", encoded])


def test_photos_dropped_on_the_upload_box_are_made_smaller_too_and_none_is_lost(
    app_url: str, browser: object, data_dir: Path, tmp_path: Path
) -> None:
    late_blight = sample_photos(data_dir, "field-java", "late_blight", 2)[1]
    large = sideways_phone_photo(late_blight, tmp_path / "DSC_0042.jpg")
    healthy = sample_photos(data_dir, "field-java", "healthy", 1)[0]
    png = leaf_copy(healthy, tmp_path / "scan.png")  # goes as it is: the browser's PNG is larger
    damaged = tmp_path / "damaged.jpg"  # the browser cannot read it: goes as it is
    damaged.write_bytes(b"\xff\xd8\xff" + np.random.default_rng(0).bytes(1_500_000))
    page = open_app(browser, app_url, RECORD_FILES_SENT)
    wait_for_the_photo_shrinker(page)
    drop_files(page, [(large, "image/jpeg"), (damaged, "image/jpeg"), (png, "image/png")])

    page.get_by_text("1 photo made smaller on this device before sending").wait_for()
    page.get_by_role("heading", name="DSC_0042.jpg").wait_for()
    page.get_by_role("heading", name="scan.png").wait_for()
    page.get_by_text("This file is not a photo we can read.").wait_for()
    wait_for_the_run_to_end(page)
    sent = page.evaluate("window.filesSent")
    as_taken = [damaged.stat().st_size, png.stat().st_size]
    made_smaller = [size for size in sent if size not in as_taken]  # sent in no set order
    assert sorted(sent) == sorted(as_taken + made_smaller), sent
    assert len(made_smaller) == 1 and made_smaller[0] < large.stat().st_size / 5, sent
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings.index("DSC_0042.jpg") < headings.index("scan.png")  # in the order dropped
    assert first_photo_shown_upright(page)  # so the first photo is the large one
    page.close()


LIVE_SHRINKER = 'window[Symbol.for("potato_disease.photo_shrinker")]'
"""The live photo shrinker's mount (its function that stops it listening)."""


def test_a_large_file_the_browser_cannot_read_is_sent_as_it_is_and_refused_by_the_server(
    app_url: str, browser: object, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(b"\xff\xd8\xff" + np.random.default_rng(0).bytes(1_500_000))
    page = open_app(browser, app_url, RECORD_FILES_SENT)
    wait_for_the_photo_shrinker(page)
    # A theme change mounts the shrinker again without unmounting it: two listeners, which
    # once passed a photo they could not make smaller back and forth, never sending it.
    page.evaluate(f"window.shrinkerBefore = {LIVE_SHRINKER}")
    page.emulate_media(color_scheme="dark")
    page.wait_for_function(f"{LIVE_SHRINKER} && {LIVE_SHRINKER} !== window.shrinkerBefore")
    wait_for_the_photo_shrinker(page)
    page.locator("input[type=file]").first.set_input_files(str(damaged))
    page.get_by_text("This file is not a photo we can read.").wait_for()
    assert page.evaluate("window.filesSent") == [damaged.stat().st_size]  # not lost
    assert page.get_by_text("made smaller on this device before sending").count() == 0
    page.close()


SHRINKER_FUNCTIONS = """async ([source, header]) => {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const { exifSegment, markUpright } = await import(url);
    const segment = exifSegment(new Uint8Array(header));
    if (segment === null) return null;
    markUpright(segment);
    return Array.from(segment);
}"""


def exif_app1(orientation: int, big_endian: bool) -> bytes:
    """An EXIF APP1 segment whose first IFD holds an orientation and a GPS pointer."""
    order = ">" if big_endian else "<"
    entries = [(0x0112, 3, 1, struct.pack(f"{order}HH", orientation, 0))]
    entries.append((0x8825, 4, 1, struct.pack(f"{order}I", 0)))
    ifd = struct.pack(f"{order}H", len(entries))
    ifd += b"".join(struct.pack(f"{order}HHI", *entry[:3]) + entry[3] for entry in entries)
    tiff = (b"MM" if big_endian else b"II") + struct.pack(f"{order}HI", 42, 8) + ifd + bytes(4)
    body = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


@pytest.mark.parametrize("big_endian", [True, False], ids=["MM, as iPhones write", "II"])
def test_the_shrinker_keeps_a_photos_exif_and_marks_it_upright(
    browser: object, big_endian: bool
) -> None:
    """The orientation is set to 1 (the pixels are drawn upright), nothing else changes."""
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    image_data = b"\xff\xda\x00\x02" + bytes(64)
    source = (ROOT / "potato_disease" / "ui" / "photo_shrinking.js").read_text()
    page = browser.new_page()
    for exif_first in (True, False):  # phones write EXIF first; some editors after JFIF
        segments = [exif_app1(6, big_endian), jfif]
        header = b"\xff\xd8" + b"".join(segments if exif_first else segments[::-1]) + image_data
        marked = page.evaluate(SHRINKER_FUNCTIONS, [source, list(header)])
        assert bytes(marked) == exif_app1(1, big_endian)
    no_exif = b"\xff\xd8" + jfif + image_data
    assert page.evaluate(SHRINKER_FUNCTIONS, [source, list(no_exif)]) is None
    page.close()


def test_late_blight_weather_where_a_phone_photo_was_taken(
    app_url: str, browser: object, data_dir: Path, tmp_path: Path, weather_service: FakeOpenMeteo
) -> None:
    leaf = sample_photos(data_dir, "plantvillage", "late_blight", 1)[0]
    exif = phone_exif((7, 15, 40), (110, 24, 0))
    page = open_app(browser, app_url, viewport={"width": 390, "height": 844})  # a phone
    page.locator("input[type=file]").first.set_input_files(
        str(leaf_copy(leaf, tmp_path / "blight.jpg", exif=exif))
    )
    page.get_by_text("Blight weather ahead.").wait_for()  # open at once for late blight
    page.get_by_text("Weather data by Open-Meteo.com").wait_for()  # under the day table
    page.get_by_text("Blight weather ahead.").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)  # the table draws on a canvas
    assert weather_service.queries[-1]["latitude"] == ["-7.3"]
    shot(page, "11-blight-weather")
    page.close()


@pytest.mark.parametrize(
    ("page_path", "title"),
    [("history", "History"), ("about", "About this app"), ("assistant", "Ask the assistant")],
)
def test_a_page_opened_first_by_its_address_still_asks_for_the_password(
    browser: object, tmp_path: Path, page_path: str, title: str
) -> None:
    # A new server, and this the first visit: no session has run the router yet.
    with running_app(tmp_path, APP_DATA_DIR=str(tmp_path), APP_PASSWORD="e2e-s3cret") as url:
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/{page_path}")
        page.get_by_text("Password", exact=True).wait_for()
        assert "History" not in page.inner_text("body")
        assert "About this app" not in page.inner_text("body")
        page.locator("input[type=password]").fill("e2e-s3cret")
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=title, exact=True).wait_for()  # then the page asked for
        page.get_by_role("link", name="History").wait_for()  # the app's own menu,
        assert page.get_by_role("link", name="app", exact=True).count() == 0  # not pages/'
        page.close()


def test_guessing_the_password_from_new_sessions_is_shut_out(
    browser: object, tmp_path: Path
) -> None:
    """The per-session lockout ends with the session; the address's count does not."""
    from potato_disease.access import ADDRESS_MAX_FAILURES, MAX_FAILURES

    with running_app(tmp_path, APP_DATA_DIR=str(tmp_path), APP_PASSWORD="e2e-s3cret") as url:
        for _ in range(ADDRESS_MAX_FAILURES // MAX_FAILURES):
            page = browser.new_page()  # a new session, as a guessing script would open
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            for failures in range(1, MAX_FAILURES + 1):
                page.locator("input[type=password]").fill(f"guess-{failures}")
                page.get_by_role("button", name="Enter").click()
                left = MAX_FAILURES - failures  # each answer differs from the one before,
                page.get_by_text(  # so the next guess waits until this one was answered
                    f"{left} attempt{'s' if left > 1 else ''} left."
                    if left
                    else "Too many wrong passwords. Try again in 5 min."
                ).wait_for()
            page.close()
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.locator("input[type=password]").fill("e2e-s3cret")  # even the right one, now
        page.keyboard.press("Enter")
        # 15 min from the first of the 20 guesses: 14 once they took more than 30 s.
        page.get_by_text(
            re.compile(r"Too many wrong passwords\. Try again in 1[45] min\.")
        ).wait_for()
        assert "Diagnose a potato leaf" not in page.inner_text("body")
        shot(page, "password-shut-out")
        page.close()


def test_ticking_a_row_of_the_cases_table_opens_that_case_for_review(
    app_url: str, browser: object, data_dir: Path, tmp_path: Path
) -> None:
    page = open_app(browser, app_url, viewport={"width": 1280, "height": 1000})
    saved = []
    for index, leaf in enumerate(sample_photos(data_dir, "field-java", "healthy", 2)):
        page.locator("input[type=file]").first.set_input_files(
            str(leaf_copy(leaf, tmp_path / f"pick-{index}.jpg"))
        )
        page.get_by_label("Field", exact=True).first.fill(f"E2E pick {index}")
        page.get_by_role("button", name="Save to history").first.click()
        message = page.get_by_text("Saved to history as case #").first
        message.wait_for()
        saved.append(int(message.inner_text().rsplit("#", 1)[1].rstrip(".")))
        page.reload()
        page.get_by_text("Diagnose a potato leaf").wait_for()
    older, newer = saved

    page.get_by_role("link", name="History").click()
    case_choice = page.get_by_role("combobox", name="Case", exact=True)
    case_choice.wait_for()
    expect = pytest.importorskip("playwright.sync_api").expect
    newest = re.compile(f"^#{newer} · .* · E2E pick 1 · ")
    expect(case_choice).to_have_value(newest)
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    # The rows go newest first, 64 px each under a header: tick the second row's box. The
    # table draws on a canvas, which may not take clicks at once: a lost one is retried.
    header_px, row_px = 36, 64
    second_newest = re.compile(f"^#{older} · .* · E2E pick 0 · ")
    for last_try in (False, False, True):
        table.click(position={"x": 18, "y": header_px + row_px + row_px // 2})
        try:
            expect(case_choice).to_have_value(second_newest, timeout=30_000)
            break
        except AssertionError:
            if last_try:
                raise
            wait_for_the_run_to_end(page)
            expect(case_choice).to_have_value(newest)  # the click was lost, not undone
    page.get_by_role("heading", name="Review a case").scroll_into_view_if_needed()
    shot(page, "14-case-from-table")
    page.close()


def point_at_the_dot(page: object, chart: object, place: str, tries: int = 30) -> tuple:
    """The mouse on the map's centre once deck.gl picks the dot there (its tooltip names
    ``place``): drawn in software, the map may take a while before a click finds it."""
    timeout_error = pytest.importorskip("playwright.sync_api").TimeoutError
    tooltip = page.locator(".deck-tooltip", has_text=place)
    for attempt in range(tries):
        box = chart.bounding_box()
        point = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + attempt % 2)
        page.mouse.move(*point)  # a hover is picked on a move: nudge by a pixel to retry
        try:
            tooltip.wait_for(timeout=1_000)
            return point
        except timeout_error:
            continue
    pytest.fail(f"no dot of {place} at the map's centre after {tries} tries")


def test_clicking_a_dot_on_the_map_opens_that_case_for_review(
    browser: object, tmp_path: Path
) -> None:
    """Two saved cases, the older one located: the map's one dot is at its centre, and a
    click there opens that case (WebGL draws in software under --disable-gpu)."""
    app_data = tmp_path / "app-data"
    engine = make_engine(settings_from_env({}, app_data_dir=app_data))
    init_db(engine)
    answer = {
        "photo": Image.new("RGB", (64, 64), (40, 140, 40)),
        "model_label": "late_blight",
        "model_confidence": 0.9,
        "probabilities": {"late_blight": 0.9, "healthy": 0.1},
        "is_leaf": True,
    }
    located = history.save_case(
        engine,
        history.NewCase(
            photo_name="dieng.jpg",
            field_name="E2E Dieng",
            latitude=-7.21,
            longitude=109.91,
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            **answer,
        ),
    )
    newer = history.save_case(
        engine,
        history.NewCase(
            photo_name="elsewhere.jpg",
            field_name="E2E no place",
            created_at=datetime(2026, 11, 2, tzinfo=UTC),
            **answer,
        ),
    )
    engine.dispose()
    with running_app(tmp_path, APP_DATA_DIR=str(app_data), WEATHER_URL="") as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{url}/history")
        case_choice = page.get_by_role("combobox", name="Case", exact=True)
        case_choice.wait_for()
        expect = pytest.importorskip("playwright.sync_api").expect
        expect(case_choice).to_have_value(re.compile(f"^#{newer} · .* · E2E no place · "))
        chart = page.get_by_test_id("stDeckGlJsonChart")
        chart.scroll_into_view_if_needed()
        page.mouse.click(*point_at_the_dot(page, chart, "E2E Dieng"))
        page.get_by_role("heading", name="Review a case").scroll_into_view_if_needed()
        expect(case_choice).to_have_value(re.compile(f"^#{located} · .* · E2E Dieng · "))
        shot(page, "15-case-from-map")
        page.close()
