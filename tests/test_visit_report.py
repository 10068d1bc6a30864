"""The plot visit report: one HTML page with the photos, both answers, notes and advice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from potato_disease.guide import guide_entry
from potato_disease.plot_visits import plot_visits
from potato_disease.ui.weather_view import visit_weather
from potato_disease.visit_report import (
    advice_basis,
    combined_words,
    report_file_name,
    visit_report_html,
)
from tests.fake_open_meteo import FakeOpenMeteo
from tests.test_plot_visits import record

UNSURE = {"healthy": 0.55, "late_blight": 0.4, "early_blight": 0.05}  # a photo's answers
VOID_TAGS = {"meta", "img", "br", "hr", "link", "input"}


class TagBalance(HTMLParser):
    """Fails on an end tag that closes nothing open; ``open`` is left non-empty if a tag
    is never closed."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def assert_well_formed(page: str) -> None:
    parser = TagBalance()
    parser.feed(page)
    parser.close()
    assert parser.open == []


def test_a_reviewed_visit_has_its_photos_answers_notes_and_the_guides_advice() -> None:
    cases = [
        replace(record(hour=8), thumbnail=b"first", notes="<script>alert(1)</script> & more"),
        replace(
            record(hour=9, confirmed="late_blight"),
            thumbnail=b"second",
            severity_percent=5,
            reviewed_by="Ana <b>",
            review_basis="plants",
        ),
        replace(record(label="healthy", hour=10), thumbnail=b"third", probabilities=UNSURE),
    ]
    cases = [replace(case, field_name="North & Sons") for case in cases]
    (visit,) = plot_visits(cases)
    page = visit_report_html(visit, list(reversed(cases)))  # any order: the visit's is used

    assert_well_formed(page)
    assert "<title>Plot visit: North &amp; Sons, plot A1, 2026-06-03</title>" in page
    assert "2026-06-03 08:00 UTC to 2026-06-03 10:00 UTC" in page and "3 photos" in page
    assert page.count("saved 2026-06-03") == 3  # no photo said when it was taken
    assert "<strong>Agronomist's diagnosis:</strong> Late blight" in page
    assert "Late blight (&gt;99%; 2 of 3 photos agree)" in page  # the combined model answer
    positions = [page.index(case.thumbnail_data_url) for case in cases]
    assert positions == sorted(positions)  # oldest first
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<td>Severity in the plot: 5 % of foliage.</td>" in page
    assert "<td>Late blight, by Ana &lt;b&gt;, from the plants, seen in the field</td>" in page
    assert "Advice for the agronomist&#x27;s diagnosis." in page
    entry = guide_entry("late_blight")
    assert f"What to do: {entry.title}" in page
    for subsection in ("Cultural", "Organic", "Chemical"):
        assert f"<h3>{subsection}</h3>" in page
    assert "When to call an expert" in page and entry.sources[0][:40] in page


def test_without_an_agreed_review_the_advice_follows_the_model_and_says_so() -> None:
    mixed = [record(confirmed="late_blight"), record(confirmed="early_blight")]
    label, basis = advice_basis(plot_visits(mixed)[0])
    assert label == "late_blight"
    assert basis == (
        "the model's combined answer, not yet confirmed by the agronomist; "
        "their reviews of the photos differ"
    )
    unreviewed = plot_visits([record(label="pest"), record(label="pest")])[0]
    assert advice_basis(unreviewed) == (
        "pest",
        "the model's combined answer, not yet confirmed by the agronomist",
    )


def test_no_advice_when_no_photo_was_a_leaf_or_the_model_is_unsure() -> None:
    tubers = [record(is_leaf=False), record(is_leaf=False)]
    refused = plot_visits(tubers)[0]
    label, why = advice_basis(refused)
    assert label is None and "No photo of this visit was accepted" in why
    page = visit_report_html(refused, tubers)
    assert_well_formed(page)
    assert "no photo accepted as a potato leaf" in page and "What to do:" not in page
    assert page.count("Not a potato leaf") == 2  # each photo's answer, with no confidence
    pest, virus = {"pest": 0.5, "virus": 0.45}, {"pest": 0.45, "virus": 0.5}
    two_unsure = [replace(record(), probabilities=pest), replace(record(), probabilities=virus)]
    label, why = advice_basis(plot_visits(two_unsure)[0])
    assert label is None and "The model is unsure of this visit" in why


def test_photos_that_confidently_disagree_get_no_one_answer_but_late_blight_comes_first():
    split = plot_visits([record(label="healthy"), record(label="virus")])[0]
    label, why = advice_basis(split)
    assert label is None and "look healthy and others diseased" in why
    assert combined_words(split) == (
        "no one answer: the photos confidently show Healthy and Viral disease"
    )
    cases = [record(label="healthy"), record(label="healthy"), record(label="late_blight")]
    (blight_among_healthy,) = plot_visits(cases)
    assert blight_among_healthy.combined.label == "healthy"  # what the product says
    label, why = advice_basis(blight_among_healthy)
    assert label == "late_blight" and why.startswith("late blight, which the model saw")
    page = visit_report_html(blight_among_healthy, cases)
    assert "What to do: " + guide_entry("late_blight").title in page
    assert "<strong>Model's combined answer:</strong> no one answer: the photos" in page


def test_a_report_needs_every_case_of_the_visit() -> None:
    cases = [record(), record()]
    (visit,) = plot_visits(cases)
    with pytest.raises(ValueError, match=f"missing #{cases[1].id}"):
        visit_report_html(visit, cases[:1])


def test_the_file_name_is_safe_whatever_the_field_is_called() -> None:
    cases = [replace(record(), field_name="../Nord Feld/ü", plot="A 1")] * 2
    cases = [replace(case, id=index) for index, case in enumerate(cases)]
    (visit,) = plot_visits(cases)
    assert visit.started_at == datetime(2026, 6, 3, 9, tzinfo=UTC)
    assert report_file_name(visit) == "plot-visit-2026-06-03-nord-feld-a-1.html"


def test_a_photo_that_says_when_it_was_taken_is_dated_by_that() -> None:
    taken = datetime(2026, 6, 3, 7, tzinfo=UTC)
    cases = [replace(record(hour=8), taken_at=taken), record(hour=9)]
    (visit,) = plot_visits(cases)
    page = visit_report_html(visit, cases)
    assert "taken 2026-06-03 07:00 UTC" in page and "saved 2026-06-03 09:00 UTC" in page
    assert "2026-06-03 07:00 UTC to 2026-06-03 09:00 UTC" in page


def test_the_report_says_where_the_located_photos_were_taken() -> None:
    cases = [
        replace(record(hour=8), latitude=-7.25, longitude=110.4),
        replace(record(hour=9), latitude=-7.2502, longitude=110.4002),
        record(hour=10),  # no location: left out of the centre
    ]
    (visit,) = plot_visits(cases)
    assert "3 photos · at -7.25010, 110.40010</p>" in visit_report_html(visit, cases)
    unlocated = [record(hour=8), record(hour=9)]
    (visit,) = plot_visits(unlocated)
    assert "2 photos</p>" in visit_report_html(visit, unlocated)


def test_a_recent_visits_report_gives_the_blight_weather_near_it() -> None:
    cases = [record(hour=8), record(hour=9)]
    (visit,) = plot_visits(cases)
    sentence = "Hutton periods in the last 7 days and the forecast …: 29–30 Nov (forecast) <b>."
    page = visit_report_html(visit, cases, (date(2026, 11, 28), sentence))
    assert_well_formed(page)
    assert "<h2>Late blight weather at this place, as forecast on 2026-11-28</h2>" in page
    assert "29–30 Nov (forecast) &lt;b&gt;." in page  # escaped like everything else
    assert "Weather data by Open-Meteo.com" in page
    assert page.index("Late blight weather") < page.index("What to do:")  # timing, then what
    assert "Late blight weather" not in visit_report_html(visit, cases)


def test_the_weather_for_a_report_is_only_for_a_recent_located_visit(
    fake_open_meteo: FakeOpenMeteo,
) -> None:
    now = datetime.now(UTC)
    located = [
        replace(record(hour=hour), created_at=now - timedelta(hours=3 - hour), latitude=-7.21)
        for hour in (1, 2)
    ]
    located = [replace(case, longitude=109.91) for case in located]
    (visit,) = plot_visits(located)
    day, sentence = visit_weather(visit, located)
    assert day == now.date() and sentence.startswith("Hutton periods in the last 7 days")
    assert fake_open_meteo.queries[-1]["latitude"] == ["-7.2"]

    unlocated = [replace(case, latitude=None, longitude=None) for case in located]
    assert visit_weather(visit, unlocated) is None
    weeks_ago = [replace(case, created_at=case.created_at - timedelta(days=8)) for case in located]
    (old_visit,) = plot_visits(weeks_ago)
    assert visit_weather(old_visit, weeks_ago) is None
    assert len(fake_open_meteo.queries) == 1  # neither asked for the weather
