"""The history: storage, queries, CSV export and the page, on SQLite and on PostgreSQL.

Every database test runs twice: on a fresh SQLite file and in a fresh schema of the
PostgreSQL server on 127.0.0.1:5432 (database ``test``). Without that server the
PostgreSQL runs are skipped, saying why, unless ``REQUIRE_POSTGRES=1`` makes them fail.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import math
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest
import streamlit as st
from google.protobuf.json_format import MessageToDict
from PIL import Image
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateTable
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from potato_disease import history, history_csv
from potato_disease.blight_weather import HuttonSpell
from potato_disease.config import PROJECT_ROOT, Settings, get_settings, settings_from_env
from potato_disease.database import (
    DatabaseError,
    database_url,
    init_db,
    make_engine,
)
from potato_disease.history import Case, CaseDetails, CaseFilter, LabelCount, NewCase
from potato_disease.history_charts import CASE_LAYER
from potato_disease.markdown_safety import escape_markdown
from potato_disease.ui.case_review_view import REVIEWED_CASE_KEY
from potato_disease.ui.database_trouble import DATABASE_TROUBLE, from_the_history
from tests.conftest import refuse_alerts

HISTORY_PAGE = str(PROJECT_ROOT / "pages" / "history.py")
JAVA = "Asia/Jakarta"


# Every database test runs on both kinds (conftest's database_settings) ---------------


@pytest.fixture
def settings(database_settings: Settings) -> Settings:
    return database_settings


@pytest.fixture
def engine(database_engine: Engine) -> Engine:
    return database_engine


# Helpers ----------------------------------------------------------------------------


def photo(size: tuple[int, int] = (640, 480), mode: str = "RGB") -> Image.Image:
    """A small picture with a gradient, so it compresses like a photo would not."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    return image


def new_case(**changes: object) -> NewCase:
    case = NewCase(
        photo=photo(),
        photo_name="leaf.jpg",
        model_label="early_blight",
        model_confidence=0.91,
        probabilities={"early_blight": 0.91, "late_blight": 0.05, "healthy": 0.04},
        is_leaf=True,
        field_name="North field",
        plot="A3",
        notes="Lower leaves first.",
        model_version="v1",
    )
    return replace(case, **changes)


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment in March 2025, UTC."""
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def ids(records: list[history.CaseRecord]) -> list[int]:
    return [record.id for record in records]


# Saving and reading -----------------------------------------------------------------


def test_save_and_get_round_trip(engine):
    case = new_case(latitude=52.37, longitude=-4.89, created_at=at(3, 9))
    case_id = history.save_case(engine, case)
    record = history.get_case(engine, case_id)
    assert record is not None
    assert record.id == case_id
    assert record.created_at == at(3, 9)
    assert record.created_at.tzinfo is not None
    assert record.photo_name == "leaf.jpg"
    assert record.model_label == "early_blight"
    assert math.isclose(record.model_confidence, 0.91)
    assert record.probabilities == {"early_blight": 0.91, "late_blight": 0.05, "healthy": 0.04}
    assert record.is_leaf is True
    assert record.confirmed_label is None and record.confirmed_at is None
    assert record.label == "early_blight"
    assert (record.field_name, record.plot, record.notes) == ("North field", "A3", case.notes)
    assert (record.latitude, record.longitude) == (52.37, -4.89)
    assert record.model_version == "v1"
    assert record.thumbnail_data_url.startswith("data:image/jpeg;base64,/9j/")


def test_get_missing_case_is_none(engine):
    assert history.get_case(engine, 12345) is None


def test_created_at_defaults_to_now_and_is_stored_in_utc(engine):
    before = datetime.now(UTC)
    default_id = history.save_case(engine, new_case())
    plus_two = timezone(timedelta(hours=2))
    zoned_id = history.save_case(
        engine, new_case(created_at=datetime(2025, 3, 3, 1, 30, tzinfo=plus_two))
    )
    default_record = history.get_case(engine, default_id)
    assert before - timedelta(seconds=1) <= default_record.created_at <= datetime.now(UTC)
    assert history.get_case(engine, zoned_id).created_at == datetime(2025, 3, 2, 23, 30, tzinfo=UTC)


def test_blank_text_is_stored_as_none_and_text_is_stripped(engine):
    case_id = history.save_case(engine, new_case(field_name="  East ", plot="   ", notes=""))
    record = history.get_case(engine, case_id)
    assert (record.field_name, record.plot, record.notes) == ("East", None, None)


def test_a_confirmed_label_can_be_given_when_saving(engine):
    case_id = history.save_case(engine, new_case(confirmed_label="late_blight"))
    record = history.get_case(engine, case_id)
    assert record.confirmed_label == "late_blight"
    assert record.confirmed_at is not None


def test_a_blind_review_is_stored_apart_from_later_corrections(engine):
    case_id = history.save_case(
        engine, new_case(blind_label="pest", confirmed_label="pest", model_label="early_blight")
    )
    history.confirm_case(engine, case_id, "early_blight")  # changed after seeing the model
    record = history.get_case(engine, case_id)
    assert (record.blind_label, record.confirmed_label) == ("pest", "early_blight")
    assert history.get_case(engine, history.save_case(engine, new_case())).blind_label is None


def test_a_saved_photo_is_found_again_by_the_sha256_of_its_file(engine):
    data, other = b"photo file bytes", b"another photo"
    digest = history.file_sha256(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert history.cases_of_photos(engine, [digest]) == {}
    first = history.save_case(engine, new_case(photo_sha256=digest.upper()))  # stored lower
    history.save_case(engine, new_case())  # saved before photos had a SHA-256
    history.save_case(engine, new_case())  # and another: no SHA-256 clashes with none
    assert history.get_case(engine, first).photo_sha256 == digest
    wanted = [digest, history.file_sha256(other)]
    assert history.cases_of_photos(engine, wanted) == {digest: first}
    assert history.cases_of_photos(engine, []) == {}


def test_a_photo_saved_meanwhile_elsewhere_is_not_stored_twice(engine):
    digest, other = history.file_sha256(b"one photo"), history.file_sha256(b"another")
    history.save_case(engine, new_case(photo_sha256=digest))  # from another page, first
    before = len(history.list_cases(engine))
    with pytest.raises(history.PhotoAlreadySavedError, match="Nothing was saved"):
        history.save_cases(
            engine, [new_case(photo_sha256=other), new_case(photo_sha256=digest.upper())]
        )
    assert len(history.list_cases(engine)) == before  # all or none
    assert history.cases_of_photos(engine, [other]) == {}
    with pytest.raises(ValueError, match="given twice"):
        history.save_cases(engine, [new_case(photo_sha256=other), new_case(photo_sha256=other)])
    assert history.save_cases(engine, [new_case(photo_sha256=other)])  # then it is saved


def test_from_diagnosis_copies_the_model_answer(engine):
    from potato_disease.diagnosis import Diagnosis

    diagnosis = Diagnosis("not_leaf", 0.8, {"healthy": 0.6, "pest": 0.4}, False, "a tuber")
    case = NewCase.from_diagnosis(diagnosis, photo(), "tuber.jpg", field_name="South")
    record = history.get_case(engine, history.save_case(engine, case))
    assert (record.model_label, record.is_leaf, record.field_name) == ("not_leaf", False, "South")
    assert record.probabilities == {"healthy": 0.6, "pest": 0.4}


# Validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model_label": "rust"}, "not a known label"),
        ({"confirmed_label": "blight"}, "not a known label"),
        ({"blind_label": "scab"}, "blind review label 'scab' is not a known label"),
        ({"photo_sha256": "abc"}, "SHA-256 must be 64 hexadecimal digits"),
        ({"photo_sha256": "g" * 64}, "SHA-256 must be 64 hexadecimal digits"),
        ({"probabilities": {"mildew": 0.5}}, "not a known label"),
        ({"probabilities": {"healthy": 1.5}}, "between 0 and 1"),
        ({"model_confidence": -0.1}, "between 0 and 1"),
        ({"model_confidence": float("nan")}, "between 0 and 1"),
        ({"notes": "x" * (history.NOTES_MAX_LENGTH + 1)}, "notes is too long"),
        ({"field_name": "f" * (history.FIELD_NAME_MAX_LENGTH + 1)}, "field name is too long"),
        ({"plot": "p" * (history.PLOT_MAX_LENGTH + 1)}, "plot is too long"),
        ({"latitude": 90.5, "longitude": 0.0}, "Latitude must be between -90 and 90"),
        ({"latitude": 0.0, "longitude": -180.1}, "Longitude must be between -180 and 180"),
        ({"latitude": float("inf"), "longitude": 0.0}, "Latitude"),
        ({"latitude": 10.0}, "both latitude and longitude"),
        ({"created_at": datetime(2025, 3, 1, 12)}, "timezone"),
        ({"photo": b"not an image"}, "decoded image"),
    ],
)
def test_invalid_cases_are_refused_with_a_message(engine, changes, message):
    with pytest.raises(ValueError, match=message):
        history.save_case(engine, new_case(**changes))
    assert history.list_cases(engine) == []


def test_several_cases_are_saved_together_or_not_at_all(engine):
    first, second = new_case(plot="A1"), new_case(plot="A2")
    saved = history.save_cases(engine, [first, second])
    assert saved == sorted(saved) and len(set(saved)) == 2
    assert [history.get_case(engine, i).plot for i in saved] == ["A1", "A2"]
    with pytest.raises(ValueError, match="plot is too long"):
        history.save_cases(engine, [new_case(plot="A3"), new_case(plot="p" * 1000)])
    assert len(history.list_cases(engine)) == 2  # the valid one was not written either


def test_limits_are_inclusive(engine):
    case = new_case(
        notes="n" * history.NOTES_MAX_LENGTH,
        field_name="f" * history.FIELD_NAME_MAX_LENGTH,
        latitude=-90.0,
        longitude=180.0,
    )
    record = history.get_case(engine, history.save_case(engine, case))
    assert len(record.notes) == history.NOTES_MAX_LENGTH
    assert (record.latitude, record.longitude) == (-90.0, 180.0)


def test_unknown_filter_label_and_bad_limit_are_refused(engine):
    with pytest.raises(ValueError, match="not a known label"):
        history.list_cases(engine, CaseFilter(label="rust"))
    with pytest.raises(ValueError, match="at least 1"):
        history.list_cases(engine, CaseFilter(limit=0))


# Thumbnails -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "mode", "expected"),
    [
        ((3000, 2000), "RGB", (256, 171)),
        ((1000, 4000), "RGBA", (64, 256)),
        ((800, 800), "L", (256, 256)),
        ((120, 90), "P", (120, 90)),  # small photos are not enlarged
    ],
)
def test_thumbnail_is_a_small_jpeg(engine, size, mode, expected):
    case_id = history.save_case(engine, new_case(photo=photo(size, mode)))
    thumbnail = Image.open(io.BytesIO(history.get_case(engine, case_id).thumbnail))
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == expected
    assert max(thumbnail.size) <= history.THUMBNAIL_MAX_SIDE


# Listing and filtering --------------------------------------------------------------


def test_list_is_newest_first(engine):
    middle = history.save_case(engine, new_case(created_at=at(2)))
    oldest = history.save_case(engine, new_case(created_at=at(1)))
    newest = history.save_case(engine, new_case(created_at=at(3)))
    assert ids(history.list_cases(engine)) == [newest, middle, oldest]
    assert ids(history.list_cases(engine, CaseFilter(limit=2))) == [newest, middle]
    assert ids(history.list_cases(engine, CaseFilter(limit=None))) == [newest, middle, oldest]
    assert ids(history.list_cases(engine, CaseFilter(limit=2), offset=2)) == [oldest]
    assert ids(history.list_cases(engine, CaseFilter(limit=None), offset=1)) == [middle, oldest]
    assert history.list_cases(engine, offset=3) == []
    with pytest.raises(ValueError, match="offset must be 0 or more"):
        history.list_cases(engine, offset=-1)


def test_iter_cases_reads_every_match_past_the_lists_limit_a_batch_at_a_time(engine):
    """What the downloads and the agreement figures read: all the filter's cases, newest
    first, past the limit, in batches smaller than the history."""
    saved = [history.save_case(engine, new_case(created_at=at(day))) for day in range(1, 6)]
    history.save_case(engine, new_case(created_at=at(9), field_name="South field"))
    assert history.confirm_case(engine, saved[0], "late_blight")
    assert history.confirm_case(engine, saved[3], "early_blight")
    north = CaseFilter(field_name="North field", limit=2)

    streamed = list(history.iter_cases(engine, north, batch_size=2))
    assert ids(streamed) == saved[::-1]
    assert streamed == history.list_cases(engine, replace(north, limit=None))
    reviewed = history.iter_cases(engine, north, reviewed_only=True, batch_size=1)
    assert ids(list(reviewed)) == [saved[3], saved[0]]


def test_iter_cases_without_thumbnails_reads_everything_else(engine):
    case_id = history.save_case(engine, new_case(latitude=-7.2, longitude=110.1, notes="n"))
    history.confirm_case(engine, case_id, "pest")
    (light,) = history.iter_cases(engine, with_thumbnails=False)
    full = history.get_case(engine, case_id)
    assert light.thumbnail == b"" and full.thumbnail
    assert replace(light, thumbnail=full.thumbnail) == full


def test_summarize_counts_the_filters_cases_past_the_limit_and_their_span(engine):
    first = history.save_case(engine, new_case(created_at=at(4), taken_at=at(2, 8)))
    history.save_case(engine, new_case(created_at=at(6)))
    last = history.save_case(engine, new_case(created_at=at(7)))
    history.save_case(engine, new_case(created_at=at(9), field_name="South field"))
    history.confirm_case(engine, first, "healthy")
    history.confirm_case(engine, last, "early_blight")

    north = CaseFilter(field_name="North field", limit=1)
    assert history.summarize(engine, north) == history.FilterSummary(3, 2, at(2, 8), at(7))
    assert history.summarize(engine, CaseFilter()) == history.FilterSummary(4, 2, at(2, 8), at(9))
    healthy = CaseFilter(label="healthy")
    assert history.summarize(engine, healthy) == history.FilterSummary(1, 1, at(2, 8), at(2, 8))
    nothing = CaseFilter(field_name="West field")
    assert history.summarize(engine, nothing) == history.FilterSummary(0, 0, None, None)


def test_filter_by_field(engine):
    north = history.save_case(engine, new_case(field_name="North field"))
    history.save_case(engine, new_case(field_name="South field"))
    history.save_case(engine, new_case(field_name=None))
    assert ids(history.list_cases(engine, CaseFilter(field_name="North field"))) == [north]
    assert history.list_cases(engine, CaseFilter(field_name="West field")) == []
    assert len(history.list_cases(engine)) == 3


def test_filter_by_label_prefers_the_confirmed_label(engine):
    model_only = history.save_case(engine, new_case(model_label="late_blight"))
    corrected = history.save_case(engine, new_case(model_label="late_blight"))
    confirmed = history.save_case(engine, new_case(model_label="healthy"))
    assert history.confirm_case(engine, corrected, "early_blight")
    assert history.confirm_case(engine, confirmed, "late_blight")

    late = history.list_cases(engine, CaseFilter(label="late_blight"))
    assert sorted(ids(late)) == sorted([model_only, confirmed])
    assert ids(history.list_cases(engine, CaseFilter(label="early_blight"))) == [corrected]
    assert history.list_cases(engine, CaseFilter(label="healthy")) == []


def test_a_case_is_dated_by_when_its_photo_was_taken_when_that_is_known(engine):
    taken_earlier = history.save_case(
        engine, new_case(created_at=at(9, 17), taken_at=datetime(2025, 3, 2, 9, tzinfo=UTC))
    )
    undated = history.save_case(engine, new_case(created_at=at(9, 18)))
    record = history.get_case(engine, taken_earlier)
    assert record.taken_at == at(2, 9) and record.observed_at == at(2, 9)
    assert record.created_at == at(9, 17)
    assert history.get_case(engine, undated).observed_at == at(9, 18)

    on_the_2nd = CaseFilter(date_from=date(2025, 3, 2), date_to=date(2025, 3, 2))
    assert ids(history.list_cases(engine, on_the_2nd)) == [taken_earlier]
    from_the_9th = CaseFilter(date_from=date(2025, 3, 9))
    assert ids(history.list_cases(engine, from_the_9th)) == [undated]
    assert history.cases_by_label_over_time(engine, CaseFilter(), "day") == [
        LabelCount(date(2025, 3, 2), "early_blight", 1),
        LabelCount(date(2025, 3, 9), "early_blight", 1),
    ]


def test_a_photo_taken_after_the_case_is_saved_is_refused(engine):
    with pytest.raises(ValueError, match="taken after the case is saved"):
        history.save_case(engine, new_case(created_at=at(2), taken_at=at(4)))
    with pytest.raises(ValueError, match="timezone"):
        history.save_case(engine, new_case(created_at=at(2), taken_at=datetime(2025, 3, 1)))
    assert history.save_case(engine, new_case(created_at=at(2), taken_at=at(2, 20)))  # clock


def test_filter_by_date_range_includes_whole_days(engine):
    history.save_case(engine, new_case(created_at=at(1, 23, 59)))
    first = history.save_case(engine, new_case(created_at=at(2, 0, 0)))
    last = history.save_case(engine, new_case(created_at=at(4, 23, 59)))
    history.save_case(engine, new_case(created_at=at(5, 0, 0)))

    between = CaseFilter(date_from=date(2025, 3, 2), date_to=date(2025, 3, 4))
    assert ids(history.list_cases(engine, between)) == [last, first]
    since = history.list_cases(engine, CaseFilter(date_from=date(2025, 3, 5)))
    until = history.list_cases(engine, CaseFilter(date_to=date(2025, 3, 1)))
    assert len(since) == 1 and len(until) == 1
    assert history.list_cases(engine, CaseFilter(date_from=date(2025, 3, 6))) == []


def test_date_filters_and_the_trend_count_days_in_the_teams_zone(engine):
    # 20:00 UTC on 2 March is 03:00 on 3 March in Java (UTC+7).
    history.save_case(engine, new_case(created_at=datetime(2025, 3, 2, 20, tzinfo=UTC)))
    in_java = CaseFilter(date_from=date(2025, 3, 3), date_to=date(2025, 3, 3), time_zone=JAVA)
    assert len(history.list_cases(engine, in_java)) == 1
    assert not history.list_cases(engine, replace(in_java, time_zone="UTC"))
    (count,) = history.cases_by_label_over_time(engine, in_java)
    assert count.period_start == date(2025, 3, 3)
    (count,) = history.cases_by_label_over_time(engine, CaseFilter())
    assert count.period_start == date(2025, 3, 2)  # the same case, counted on the UTC day


def test_filters_combine(engine):
    wanted = history.save_case(engine, new_case(field_name="North", created_at=at(2)))
    history.save_case(engine, new_case(field_name="North", created_at=at(9)))
    history.save_case(engine, new_case(field_name="South", created_at=at(2)))
    history.save_case(engine, new_case(field_name="North", created_at=at(2), model_label="pest"))
    combined = CaseFilter("North", "early_blight", date(2025, 3, 1), date(2025, 3, 3))
    assert ids(history.list_cases(engine, combined)) == [wanted]


def test_field_names_are_distinct_and_sorted(engine):
    for name in ["South", "North", None, "South", "east"]:
        history.save_case(engine, new_case(field_name=name))
    assert history.field_names(engine) == sorted(["South", "North", "east"])


# Review and deletion ----------------------------------------------------------------


def test_confirm_correct_and_clear(engine):
    case_id = history.save_case(engine, new_case(model_label="early_blight"))

    assert history.confirm_case(engine, case_id, "early_blight")  # confirmation
    confirmed = history.get_case(engine, case_id)
    assert confirmed.confirmed_label == "early_blight"
    assert confirmed.confirmed_at is not None and confirmed.confirmed_at.tzinfo is not None

    assert history.confirm_case(engine, case_id, "late_blight")  # correction
    corrected = history.get_case(engine, case_id)
    assert (corrected.model_label, corrected.confirmed_label) == ("early_blight", "late_blight")
    assert corrected.label == "late_blight"
    assert corrected.confirmed_at >= confirmed.confirmed_at

    assert history.confirm_case(engine, case_id, None)  # cleared
    cleared = history.get_case(engine, case_id)
    assert (cleared.confirmed_label, cleared.confirmed_at, cleared.label) == (
        None,
        None,
        "early_blight",
    )


def test_confirm_refuses_unknown_labels_and_missing_cases(engine):
    case_id = history.save_case(engine, new_case())
    with pytest.raises(ValueError, match="not a known label"):
        history.confirm_case(engine, case_id, "rust")
    assert history.get_case(engine, case_id).confirmed_label is None
    assert history.confirm_case(engine, case_id + 1, "healthy") is False


def test_a_review_is_signed_by_the_name_given_and_cleared_with_it(engine):
    case_id = history.save_case(engine, new_case(model_label="early_blight"))
    assert history.confirm_case(engine, case_id, "late_blight", "  Ana   Putri ")
    assert history.get_case(engine, case_id).reviewed_by == "Ana Putri"  # spaces tidied

    assert history.confirm_case(engine, case_id, "early_blight", "Budi")  # another's review
    assert history.get_case(engine, case_id).reviewed_by == "Budi"
    assert history.confirm_case(engine, case_id, "early_blight")  # unsigned
    assert history.get_case(engine, case_id).reviewed_by is None

    history.confirm_case(engine, case_id, "pest", "Ana")
    history.confirm_case(engine, case_id, None, "Ana")  # clearing keeps no name
    assert history.get_case(engine, case_id).reviewed_by is None
    with pytest.raises(ValueError, match="reviewer's name is too long"):
        history.confirm_case(engine, case_id, "pest", "x" * 101)
    assert history.get_case(engine, case_id).confirmed_label is None


def test_a_name_is_stored_with_a_diagnosis_given_when_saving_and_only_then(engine):
    signed = history.save_case(engine, new_case(confirmed_label="pest", reviewed_by="Ana"))
    unreviewed = history.save_case(engine, new_case(reviewed_by="Ana"))
    assert history.get_case(engine, signed).reviewed_by == "Ana"
    assert history.get_case(engine, unreviewed).reviewed_by is None


def test_field_plot_notes_and_location_can_be_corrected(engine):
    case_id = history.save_case(
        engine, new_case(field_name="Nroth", plot="A3", latitude=-7.2, longitude=110.4)
    )
    history.confirm_case(engine, case_id, "late_blight")
    assert history.update_case_details(
        engine,
        case_id,
        CaseDetails(
            field_name="  North field ", plot="", notes="Wet corner.", severity_percent=12.5
        ),
    )
    record = history.get_case(engine, case_id)
    assert (record.field_name, record.plot, record.notes) == ("North field", None, "Wet corner.")
    assert record.severity_percent == 12.5
    assert (record.latitude, record.longitude) == (None, None)
    assert (record.model_label, record.confirmed_label) == ("early_blight", "late_blight")
    assert history.field_names(engine) == ["North field"]


def test_filter_by_review(engine):
    waiting = history.save_case(engine, new_case())
    confirmed = history.save_case(engine, new_case(confirmed_label="early_blight"))
    corrected = history.save_case(engine, new_case(confirmed_label="pest"))
    refused = history.save_case(
        engine, new_case(model_label="not_leaf", is_leaf=False, confirmed_label="healthy")
    )

    def found(review: str | None, **conditions: object) -> list[int]:
        case_filter = CaseFilter(review=review, **conditions)
        return sorted(ids(history.list_cases(engine, case_filter)))

    assert found("not_reviewed") == [waiting]
    assert found("reviewed") == sorted([confirmed, corrected, refused])
    assert found("corrected") == sorted([corrected, refused])  # a refused leaf was wrong too
    assert found("corrected", label="pest") == [corrected]
    assert len(found(None)) == 4
    assert history.summarize(engine, CaseFilter(review="corrected")).reviewed == 2
    with pytest.raises(ValueError, match="review filter must be one of"):
        found("maybe")


def test_filter_by_the_name_that_signed_the_review(engine):
    ana = history.save_case(engine, new_case(confirmed_label="pest", reviewed_by="Ana"))
    budi = history.save_case(engine, new_case(confirmed_label="pest", reviewed_by="Budi"))
    history.save_case(engine, new_case(confirmed_label="pest"))  # unsigned
    history.save_case(engine, new_case())  # not reviewed
    assert history.reviewer_names(engine) == ["Ana", "Budi"]
    assert ids(history.list_cases(engine, CaseFilter(reviewed_by="Ana"))) == [ana]
    assert ids(history.list_cases(engine, CaseFilter(reviewed_by="Budi"))) == [budi]
    assert len(history.list_cases(engine, CaseFilter(reviewed_by=None))) == 4
    history.confirm_case(engine, ana, None)  # the review cleared, and its name with it
    assert history.reviewer_names(engine) == ["Budi"]
    assert history.list_cases(engine, CaseFilter(reviewed_by="Ana")) == []


def test_a_review_says_what_it_rests_on_and_can_be_filtered_by_it(engine):
    lab = history.save_case(engine, new_case(confirmed_label="late_blight", review_basis="lab"))
    seen = history.save_case(engine, new_case())
    history.confirm_case(engine, seen, "pest", "Ana", "plants")
    unsaid = history.save_case(engine, new_case(review_basis="photo"))  # no review: not kept
    assert history.get_case(engine, lab).review_basis == "lab"
    assert history.get_case(engine, seen).review_basis == "plants"
    assert history.get_case(engine, unsaid).review_basis is None
    assert history.review_bases(engine) == ["plants", "lab"]  # weakest first
    assert ids(history.list_cases(engine, CaseFilter(review_basis="lab"))) == [lab]
    with pytest.raises(ValueError, match="must be one of photo, plants, lab, not 'rumour'"):
        history.confirm_case(engine, seen, "pest", basis="rumour")
    with pytest.raises(ValueError, match="must be one of photo, plants, lab"):
        history.save_case(engine, new_case(confirmed_label="pest", review_basis="guess"))
    assert history.get_case(engine, seen).review_basis == "plants"  # unchanged
    history.confirm_case(engine, seen, None)
    assert history.get_case(engine, seen).review_basis is None
    assert (
        history_csv.cases_to_csv([history.get_case(engine, lab)]).splitlines()[1].count(b",lab,")
        == 1
    )


def test_filter_by_words_in_the_notes_plot_or_photo_name(engine):
    wet = history.save_case(engine, new_case(notes="After IRRIGATION, lesions spread"))
    plot = history.save_case(engine, new_case(notes=None, plot="Irrigated strip"))
    photo_name = history.save_case(engine, new_case(photo_name="irrigation-day.jpg", notes=""))
    accented = history.save_case(engine, new_case(notes="Bord ÉCLAIRCI, 50% touché_a"))
    history.save_case(engine, new_case(notes="Dry corner", field_name="Irrigation field"))

    def found(words: str | None) -> list[int]:
        return sorted(ids(history.list_cases(engine, CaseFilter(words=words))))

    assert found("irrigat") == sorted([wet, plot, photo_name])  # not the field's name
    assert found("  Lesions SPREAD ") == [wet]
    assert found("éclairci") == [accented]  # every letter folds, on SQLite too
    assert found("50%") == [accented] and found("0% t") == [accented]  # % is no wildcard
    assert found("_a") == [accented] and found("h_") == []  # nor is _
    assert len(found("  ")) == 5 and len(found(None)) == 5
    words_and_field = CaseFilter(words="irrigat", field_name="North field", label="early_blight")
    assert history.summarize(engine, words_and_field).cases == 3


def test_a_field_and_plot_are_spelled_as_the_history_already_spells_them(engine):
    first = history.save_case(engine, new_case(field_name="North field", plot="A3"))
    again = history.save_cases(
        engine,
        [
            new_case(field_name="  north   FIELD ", plot="a3"),
            new_case(field_name="North field", plot="b1"),  # a new plot keeps its spelling
            new_case(field_name="South", plot="a3"),  # another field's plot is another plot
        ],
    )
    spelled = [history.get_case(engine, i) for i in [first, *again]]
    assert [(c.field_name, c.plot) for c in spelled] == [
        ("North field", "A3"),
        ("North field", "A3"),
        ("North field", "b1"),
        ("South", "a3"),
    ]
    assert history.field_names(engine) == ["North field", "South"]
    # Correcting the only case of a spelling is not undone by that case itself.
    history.update_case_details(engine, again[2], CaseDetails(field_name="SOUTH", plot="A3"))
    assert history.get_case(engine, again[2]).field_name == "SOUTH"
    history.update_case_details(engine, first, CaseDetails(field_name="north field", plot="a3"))
    assert (history.get_case(engine, first).field_name, history.get_case(engine, first).plot) == (
        "North field",
        "A3",
    )


def test_a_field_is_renamed_in_all_its_cases_or_merged_into_another(engine):
    history.save_cases(engine, [new_case(field_name="Nroth", plot="A3") for _ in range(2)])
    history.save_cases(engine, [new_case(field_name="North field") for _ in range(3)])
    history.save_case(engine, new_case(field_name=None))
    assert history.cases_per_field(engine) == {"Nroth": 2, "North field": 3}

    assert history.rename_field(engine, "Nroth", "  north   FIELD ") == 2  # merged, as spelled
    assert history.cases_per_field(engine) == {"North field": 5}
    assert history.rename_field(engine, "North field", "NORTH FIELD") == 5  # a new spelling
    assert history.field_names(engine) == ["NORTH FIELD"]
    assert history.rename_field(engine, "Gone", "Elsewhere") == 0
    with pytest.raises(ValueError, match="Give the new field name"):
        history.rename_field(engine, "NORTH FIELD", "   ")
    with pytest.raises(ValueError, match="field name is too long"):
        history.rename_field(engine, "NORTH FIELD", "x" * 101)
    assert history.cases_per_field(engine) == {"NORTH FIELD": 5}  # nothing changed


def test_a_rename_that_would_merge_two_fields_must_be_asked_for(engine):
    history.save_case(engine, new_case(field_name="Nroth field"))
    history.save_case(engine, new_case(field_name="North field"))
    with pytest.raises(history.FieldExistsError) as existing:
        history.rename_field(engine, "Nroth field", "north FIELD", merge=False)
    assert existing.value.name == "North field"
    assert history.cases_per_field(engine) == {"Nroth field": 1, "North field": 1}
    assert history.rename_field(engine, "North field", "NORTH FIELD", merge=False) == 1


def test_field_locations_are_the_mean_of_each_fields_located_cases(engine):
    history.save_case(engine, new_case(field_name="North", latitude=-7.2, longitude=110.4))
    history.save_case(engine, new_case(field_name="North", latitude=-7.4, longitude=110.6))
    history.save_case(engine, new_case(field_name="South"))  # not located
    history.save_case(engine, new_case(field_name=None, latitude=1.0, longitude=1.0))
    (north,) = history.field_locations(engine).items()
    assert north[0] == "North"
    assert north[1] == (pytest.approx(-7.3), pytest.approx(110.5))


def test_a_correction_is_checked_as_a_new_case_is(engine):
    case_id = history.save_case(engine, new_case(field_name="North"))
    details = CaseDetails(field_name="North")
    with pytest.raises(ValueError, match="both latitude and longitude"):
        history.update_case_details(engine, case_id, replace(details, latitude=-7.2))
    with pytest.raises(ValueError, match="field name is too long"):
        history.update_case_details(engine, case_id, replace(details, field_name="x" * 101))
    for wrong in (-1, 100.5, math.nan):
        with pytest.raises(ValueError, match="severity must be between 0 and 100 %"):
            history.update_case_details(engine, case_id, replace(details, severity_percent=wrong))
    with pytest.raises(ValueError, match="severity must be between 0 and 100 %"):
        history.save_case(engine, new_case(severity_percent=101))
    assert history.get_case(engine, case_id).field_name == "North"  # nothing changed
    assert not history.update_case_details(engine, case_id + 1, details)


def test_delete(engine):
    kept = history.save_case(engine, new_case())
    deleted = history.save_case(engine, new_case())
    assert history.delete_case(engine, deleted) is True
    assert history.get_case(engine, deleted) is None
    assert history.delete_case(engine, deleted) is False
    assert ids(history.list_cases(engine)) == [kept]


# Trends -----------------------------------------------------------------------------


def test_cases_by_label_over_time(engine):
    history.save_case(engine, new_case(created_at=at(3, 8)))  # Monday
    history.save_case(engine, new_case(created_at=at(3, 18)))
    corrected = history.save_case(engine, new_case(created_at=at(4)))
    history.save_case(engine, new_case(created_at=at(10), model_label="healthy"))  # next Monday
    history.save_case(engine, new_case(created_at=at(10), field_name="South"))
    history.confirm_case(engine, corrected, "late_blight")

    by_day = history.cases_by_label_over_time(engine, CaseFilter(), "day")
    assert by_day == [
        LabelCount(date(2025, 3, 3), "early_blight", 2),
        LabelCount(date(2025, 3, 4), "late_blight", 1),
        LabelCount(date(2025, 3, 10), "early_blight", 1),
        LabelCount(date(2025, 3, 10), "healthy", 1),
    ]
    by_week = history.cases_by_label_over_time(engine, CaseFilter(), "week")
    assert by_week == [
        (date(2025, 3, 3), "early_blight", 2),
        (date(2025, 3, 3), "late_blight", 1),
        (date(2025, 3, 10), "early_blight", 1),
        (date(2025, 3, 10), "healthy", 1),
    ]
    north = CaseFilter(field_name="North field", date_from=date(2025, 3, 4), limit=1)
    assert history.cases_by_label_over_time(engine, north, "week") == [
        (date(2025, 3, 3), "late_blight", 1),
        (date(2025, 3, 10), "healthy", 1),
    ]
    assert history.cases_by_label_over_time(engine, CaseFilter(label="pest")) == []
    with pytest.raises(ValueError, match="period"):
        history.cases_by_label_over_time(engine, CaseFilter(), "month")


# CSV export -------------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_csv_export_has_a_header_and_one_row_per_case(engine):
    first = history.save_case(engine, new_case(created_at=at(1), notes="Mildiú, «tache»"))
    second = history.save_case(
        engine, new_case(created_at=at(2), latitude=-33.9, longitude=-70.6, model_label="virus")
    )
    history.confirm_case(engine, first, "late_blight", "Ana")
    digest = history.file_sha256(b"the photo")
    blind = history.save_case(
        engine,
        new_case(
            created_at=at(3),
            blind_label="healthy",
            photo_sha256=digest,
            taken_at=at(3, 8),
            severity_percent=35.0,
            reviewed_by="Ana",  # not stored: no diagnosis beside the blind one
        ),
    )
    data = history_csv.cases_to_csv(history.list_cases(engine))
    blind_row, *rows = read_csv(data)
    assert (int(blind_row["id"]), blind_row["blind_label"]) == (blind, "healthy")
    assert blind_row["photo_sha256"] == digest
    assert blind_row["taken_at"] == "2025-03-03T08:00:00+00:00"
    assert blind_row["severity_percent"] == "35.0"
    assert blind_row["reviewed_by"] == ""

    assert data.decode("utf-8").splitlines()[0] == ",".join(history_csv.CSV_COLUMNS)
    assert "thumbnail" not in data.decode("utf-8")
    assert [int(row["id"]) for row in rows] == [second, first]
    newest, oldest = rows
    assert newest["created_at"] == "2025-03-02T12:00:00+00:00"
    assert (newest["label"], newest["model_label"], newest["confirmed_label"]) == (
        "virus",
        "virus",
        "",
    )
    assert (newest["latitude"], newest["longitude"]) == ("-33.9", "-70.6")  # numbers, not text
    assert (oldest["label"], oldest["confirmed_label"]) == ("late_blight", "late_blight")
    assert oldest["notes"] == "Mildiú, «tache»"
    assert oldest["model_confidence"] == "0.91"
    assert oldest["blind_label"] == oldest["photo_sha256"] == oldest["taken_at"] == ""
    assert oldest["reviewed_by"] == "Ana"


def test_csv_export_of_nothing_is_just_the_header():
    assert (
        history_csv.cases_to_csv([]).decode("utf-8") == ",".join(history_csv.CSV_COLUMNS) + "\r\n"
    )


@pytest.mark.parametrize("dangerous", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"])
def test_csv_export_defuses_formulas(engine, dangerous):
    case = new_case(notes=dangerous, photo_name=dangerous, field_name=dangerous, plot="ok")
    history.save_case(engine, case)
    [row] = read_csv(history_csv.cases_to_csv(history.list_cases(engine)))
    assert row["notes"] == row["photo_name"] == row["field_name"] == "'" + dangerous
    assert row["plot"] == "ok"


# Concurrency and setup --------------------------------------------------------------


def test_concurrent_saves_from_several_threads(engine):
    threads_count, saves_each = 8, 10
    start = threading.Barrier(threads_count)
    saved: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            start.wait()
            for index in range(saves_each):
                case_id = history.save_case(engine, new_case(plot=f"{worker}-{index}"))
                with lock:
                    saved.append(case_id)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    assert len(set(saved)) == threads_count * saves_each
    records = history.list_cases(engine, CaseFilter(limit=None))
    assert sorted(ids(records)) == sorted(saved)
    assert {record.plot for record in records} == {
        f"{worker}-{index}" for worker in range(threads_count) for index in range(saves_each)
    }


def errors_when_started_together(
    engines: list[Engine], action: Callable[[Engine], None], timeout: float
) -> list[BaseException]:
    """Run ``action`` on every engine in its own thread, all released at once."""
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start_instance(instance_engine: Engine) -> None:
        try:
            start.wait()
            action(instance_engine)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=start_instance, args=(each,)) for each in engines]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    return errors


def init_db_in_wal_mode(instance_engine: Engine) -> None:
    init_db(instance_engine)
    with instance_engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert mode == "wal"


def test_a_fresh_sqlite_file_opened_by_many_instances_at_once_never_reports_locked(
    tmp_path,
) -> None:
    """SQLite answers "database is locked" at once to a WAL switch it cannot make
    alone; without the retry this test failed within its first rounds."""
    instances, rounds = 6, 100
    for round_index in range(rounds):
        settings = settings_from_env({}, app_data_dir=tmp_path / f"round-{round_index}")
        engines = [make_engine(settings) for _ in range(instances)]
        errors = errors_when_started_together(engines, init_db_in_wal_mode, timeout=60)
        for each in engines:
            each.dispose()
        assert errors == [], f"round {round_index}"


def test_init_db_is_idempotent_and_safe_from_several_instances_at_once(settings):
    instances = 4
    engines = [make_engine(settings) for _ in range(instances)]
    errors = errors_when_started_together(engines, init_db, timeout=120)
    try:
        assert errors == []
        init_db(engines[0])  # and once more, on existing tables
        case_id = history.save_case(engines[1], new_case())
        assert history.get_case(engines[2], case_id) is not None
    finally:
        for each in engines:
            each.dispose()


def test_a_deleted_case_number_is_never_given_to_a_new_case(engine):
    first = history.save_case(engine, new_case())
    newest = history.save_case(engine, new_case())
    assert history.delete_case(engine, newest)
    assert history.save_case(engine, new_case()) > newest  # an alert may cite #newest
    assert history.get_case(engine, first) is not None


def test_an_old_sqlite_table_is_remade_so_that_case_numbers_are_never_reused(tmp_path, caplog):
    engine = make_engine(settings_from_env({}, app_data_dir=tmp_path))
    made_as = str(CreateTable(Case.__table__).compile(dialect=engine.dialect))
    assert "AUTOINCREMENT" in made_as
    with engine.begin() as connection:  # as versions before this one made it
        connection.exec_driver_sql(made_as.replace(" AUTOINCREMENT", ""))
    kept = [history.save_case(engine, new_case(notes=f"case {n}")) for n in range(3)]
    history.delete_case(engine, kept.pop())  # the old table gives its number out again
    try:
        with caplog.at_level(logging.INFO, logger="potato_disease.database"):
            init_db(engine)
        assert "Remade the table cases" in caplog.text
        assert [(r.id, r.notes) for r in history.list_cases(engine)] == [
            (kept[1], "case 1"),
            (kept[0], "case 0"),
        ]
        indexes = {index["name"]: index for index in inspect(engine).get_indexes("cases")}
        assert indexes["ix_cases_photo_sha256"]["unique"]
        newest = history.save_case(engine, new_case())
        history.delete_case(engine, newest)
        assert history.save_case(engine, new_case()) == newest + 1
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="potato_disease.database"):
            init_db(engine)  # once is enough
        assert "Remade" not in caplog.text
    finally:
        engine.dispose()


def make_old_database(engine: Engine) -> int:
    """The schema of the first release (no ``blind_label``, no ``photo_sha256`` and its
    index, no ``taken_at``, no ``severity_percent``) with one saved case."""
    init_db(engine)
    case_id = history.save_case(engine, new_case(confirmed_label="virus"))
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_cases_photo_sha256"))
        connection.execute(text("ALTER TABLE cases DROP COLUMN photo_sha256"))
        connection.execute(text("ALTER TABLE cases DROP COLUMN blind_label"))
        connection.execute(text("ALTER TABLE cases DROP COLUMN taken_at"))
        connection.execute(text("ALTER TABLE cases DROP COLUMN severity_percent"))
    return case_id


def test_init_db_adds_new_optional_columns_to_an_old_database(settings, caplog):
    engine = make_engine(settings)
    try:
        old_case = make_old_database(engine)
        with pytest.raises(DatabaseError):  # what the new code meets before the upgrade
            history.list_cases(engine)
        with caplog.at_level(logging.INFO, logger="potato_disease.database"):
            init_db(engine)
        assert "Added the column cases.blind_label" in caplog.text
        assert "Added the column cases.photo_sha256" in caplog.text
        assert "Added the column cases.taken_at" in caplog.text
        assert "Added the column cases.severity_percent" in caplog.text
        indexes = {index["name"]: index for index in inspect(engine).get_indexes("cases")}
        assert indexes["ix_cases_photo_sha256"]["unique"]
        record = history.get_case(engine, old_case)
        assert (record.confirmed_label, record.blind_label) == ("virus", None)  # kept
        assert record.photo_sha256 is None and record.observed_at == record.created_at
        digest = history.file_sha256(b"new photo")
        new = history.save_case(engine, new_case(blind_label="healthy", photo_sha256=digest))
        assert history.get_case(engine, new).blind_label == "healthy"
        assert history.cases_of_photos(engine, [digest]) == {digest: new}
        caplog.clear()
        init_db(engine)  # nothing left to add
        assert "Added the column" not in caplog.text
    finally:
        engine.dispose()


def test_several_instances_upgrade_an_old_database_at_once(settings):
    engines = [make_engine(settings) for _ in range(4)]
    try:
        old_case = make_old_database(engines[0])
        assert errors_when_started_together(engines, init_db, timeout=120) == []
        assert history.get_case(engines[1], old_case).blind_label is None
    finally:
        for each in engines:
            each.dispose()


def test_a_missing_required_column_stops_with_a_message(tmp_path):
    engine = make_engine(settings_from_env({}, app_data_dir=tmp_path))
    try:
        init_db(engine)
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE cases DROP COLUMN is_leaf"))
        with pytest.raises(RuntimeError, match=r"required column cases\.is_leaf"):
            init_db(engine)
    finally:
        engine.dispose()


# Engine configuration ---------------------------------------------------------------


def test_sqlite_file_is_created_under_the_app_data_dir_with_wal_and_foreign_keys(tmp_path):
    settings = settings_from_env({}, app_data_dir=tmp_path / "nested" / "app-data")
    engine = make_engine(settings)
    try:
        init_db(engine)
        assert (tmp_path / "nested" / "app-data" / "history.sqlite3").is_file()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "driver", "database"),
    [
        ("postgres://user:secret@db.example:5432/app", "postgresql+psycopg", "app"),
        ("postgresql://user:secret@db.example/app", "postgresql+psycopg", "app"),
        ("postgresql+psycopg://user@db.example/app", "postgresql+psycopg", "app"),
        ("sqlite:////srv/elsewhere.sqlite3", "sqlite", "/srv/elsewhere.sqlite3"),
    ],
)
def test_database_urls_go_to_the_installed_drivers(given, driver, database):
    url = database_url(settings_from_env({}, database_url=given))
    assert (url.drivername, url.database) == (driver, database)


def test_the_default_database_is_a_sqlite_file_in_the_app_data_dir(tmp_path):
    url = database_url(settings_from_env({}, app_data_dir=tmp_path))
    assert (url.drivername, url.database) == ("sqlite+pysqlite", str(tmp_path / "history.sqlite3"))


@pytest.mark.parametrize(
    "url",
    [
        "postgres://agronomist:s3cret-pass@127.0.0.1:1/app",
        "postgresql://agronomist@127.0.0.1:1/app?password=s3cret-pass&sslmode=require",
        "postgresql://agronomist@127.0.0.1:1/app?sslpassword=s3cret-pass",
    ],
)
def test_the_database_password_is_never_logged_nor_shown(caplog, url):
    settings = settings_from_env({}, database_url=url)
    with caplog.at_level(logging.DEBUG, logger="potato_disease"):
        engine = make_engine(settings)  # connects lazily
    engine.dispose()
    assert "127.0.0.1" in caplog.text
    assert "s3cret-pass" not in caplog.text
    assert "s3cret-pass" not in repr(settings)


# The page ---------------------------------------------------------------------------


@pytest.fixture
def page_settings(settings: Settings, monkeypatch) -> Iterator[Settings]:
    """Point the app's settings at the test database and start from empty caches."""
    monkeypatch.setenv("APP_DATA_DIR", str(settings.app_data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    st.cache_resource.clear()
    yield settings
    st.cache_resource.clear()  # disposes the page's engine before the database goes
    get_settings.cache_clear()


def run_page() -> AppTest:
    return AppTest.from_file(HISTORY_PAGE, default_timeout=30).run()


def table_with(page: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all these ``columns``."""
    return next(table.value for table in page.dataframe if set(columns) <= set(table.value.columns))


def deferred_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], object]]:
    """The data builders of the page's deferred downloads (run when a user clicks), by
    file name, as the page registers them from now on."""
    builders: dict[str, Callable[[], object]] = {}
    register = MediaFileManager.add_deferred

    def recorded(
        manager: MediaFileManager,
        data_callable: Callable[[], object],
        mimetype: str | None,
        coordinates: str,
        file_name: str | None = None,
    ) -> str:
        builders[file_name or ""] = data_callable
        return register(manager, data_callable, mimetype, coordinates, file_name)

    monkeypatch.setattr(MediaFileManager, "add_deferred", recorded)
    return builders


def built(builders: dict[str, Callable[[], object]], prefix: str) -> object:
    """What the download whose file name starts with ``prefix`` gives when clicked."""
    (name,) = [name for name in builders if name.startswith(prefix)]
    return builders[name]()


def test_page_shows_the_table_chart_and_download(page_settings, engine):
    history.save_case(engine, new_case(created_at=at(1), field_name="North", notes="=cmd"))
    history.save_case(engine, new_case(created_at=at(2), field_name="South", model_label="pest"))
    page = run_page()
    assert not page.exception
    table = page.dataframe[0].value
    assert list(table["Field"]) == ["South", "North"]
    # What a phone's three visible columns show: which case, where, and what the model said.
    assert list(table.columns[:5]) == [
        "Case", "Photo", "Field", "Model's diagnosis", "Agronomist's diagnosis"
    ]  # fmt: skip
    assert list(table["Agronomist's diagnosis"]) == ["Not reviewed", "Not reviewed"]
    assert table["Photo"][0].startswith("data:image/jpeg;base64,")
    assert table["Model's diagnosis"][0] == "Insect pest damage (91%)"
    assert len(page.get("vega_lite_chart")) == 1
    csv_button, photos_button = page.download_button
    assert csv_button.label == "Download 2 cases (CSV)"
    assert photos_button.label == "Download 0 reviewed photos (ZIP)"
    assert photos_button.disabled  # nothing reviewed yet: nothing to evaluate or train on
    assert any("No case here has been reviewed yet" in block.value for block in page.caption)
    assert not page.info

    page.sidebar.selectbox[0].select("North").run()  # the field filter
    assert not page.exception
    assert list(page.dataframe[0].value["Field"]) == ["North"]

    page.sidebar.selectbox[0].select(None)
    page.sidebar.text_input[0].input("  CMD ").run()  # words in the notes
    assert not page.exception
    assert list(page.dataframe[0].value["Notes"]) == ["=cmd"]
    page.sidebar.text_input[0].input("no such words").run()
    assert page.info[0].value == "No saved cases match these filters."


def test_page_filters_the_cases_the_agronomist_corrected(page_settings, engine):
    history.save_case(engine, new_case(notes="waiting"))
    history.save_case(engine, new_case(notes="confirmed", confirmed_label="early_blight"))
    history.save_case(engine, new_case(notes="wrong", confirmed_label="pest"))
    page = run_page()
    review = next(box for box in page.sidebar.selectbox if box.label == "Review")
    assert review.value is None and len(page.dataframe[0].value) == 3
    review.select("corrected").run()
    assert not page.exception
    assert list(page.dataframe[0].value["Notes"]) == ["wrong"]
    assert page.download_button[0].label == "Download 1 case (CSV)"
    next(box for box in page.sidebar.selectbox if box.label == "Review").select(
        "not_reviewed"
    ).run()
    assert list(page.dataframe[0].value["Notes"]) == ["waiting"]


def test_past_the_tables_limit_the_downloads_and_figures_count_every_case(
    page_settings, engine, monkeypatch
):
    """The table lists 500 at a time, the newest first, and older ones on request; the
    CSV, the ZIP, the field report and the agreement figures are of all the filter's
    cases, and the page says which is which."""
    small = photo((32, 24))
    oldest = history.save_case(engine, new_case(photo=small, created_at=at(1), notes="first"))
    history.save_cases(
        engine,
        [
            new_case(photo=small, created_at=at(2) + timedelta(minutes=number))
            for number in range(history.DEFAULT_LIST_LIMIT + 1)
        ],
    )
    history.confirm_case(engine, oldest, "late_blight")  # outside the table, still counted
    page = run_page()
    assert not page.exception
    assert len(page.dataframe[0].value) == history.DEFAULT_LIST_LIMIT
    assert oldest not in list(page.dataframe[0].value["Case"])
    assert any("list cases 1–500 of 502, newest first" in block.value for block in page.caption)
    csv_button, photos_button = page.download_button[:2]  # then the visit report's
    assert csv_button.label == "Download 502 cases (CSV)"
    assert photos_button.label == "Download 1 reviewed photo (ZIP)" and not photos_button.disabled
    shown = " ".join(block.value for block in page.markdown)
    assert "Of **1 reviewed case** here, the model agreed with the agronomist on **0**" in shown

    page.sidebar.selectbox(key="history-listed-of-502").select(1).run()  # the older ones
    assert not page.exception
    assert list(page.dataframe[0].value["Case"])[-1] == oldest
    assert len(page.dataframe[0].value) == 2
    assert any("list cases 501–502 of 502" in block.value for block in page.caption)
    assert page.selectbox(key=REVIEWED_CASE_KEY).options[-1].startswith(f"#{oldest} ·")

    downloads = deferred_downloads(monkeypatch)
    page.sidebar.selectbox[0].select("North field").run()  # the field report is offered
    assert not page.exception
    labels = [button.label.split(" (")[0] for button in page.download_button]
    assert labels == [
        "Download 502 cases", "Download 1 reviewed photo", "Download the report of North field"
    ]  # fmt: skip
    # A download changes nothing on the page, so it does not run the page again.
    assert all(button.proto.ignore_rerun for button in page.download_button)
    rows = list(csv.DictReader(io.StringIO(built(downloads, "potato-history-").decode())))
    assert len(rows) == 502 and rows[-1]["id"] == str(oldest) and rows[-1]["notes"] == "first"
    archive = zipfile.ZipFile(io.BytesIO(built(downloads, "potato-reviewed-photos-")))
    assert archive.namelist() == [f"late_blight/case-{oldest:06d}.jpg", "cases.csv"]
    report_name = "field-report-north-field-2025-03-01-to-2025-03-02.html"
    assert "502 cases" in built(downloads, report_name)


def test_a_download_the_database_fails_says_so_plainly_and_logs_no_sql(caplog):
    def unanswered() -> bytes:
        raise OperationalError("SELECT notes FROM cases", {"f": "Secret farm"}, Exception("x"))

    with pytest.raises(RuntimeError) as raised, caplog.at_level(logging.ERROR):
        from_the_history(unanswered)()
    assert str(raised.value) == DATABASE_TROUBLE
    assert raised.value.__suppress_context__  # Streamlit's log shows no SQL either
    assert "OperationalError" in caplog.text
    assert "SELECT" not in caplog.text and "Secret farm" not in caplog.text
    assert from_the_history(lambda: b"rows")() == b"rows"


def test_the_case_chosen_on_the_map_or_table_is_the_one_reviewed(page_settings, engine):
    """The map's and the table's callbacks put the chosen case in "Review a case"'s
    choice (the browser test ticks a table row); a choice filtered out falls back."""
    older = history.save_case(engine, new_case(created_at=at(1), field_name="North"))
    newer = history.save_case(engine, new_case(created_at=at(2), field_name="South"))
    page = run_page()
    assert page.selectbox(key=REVIEWED_CASE_KEY).value == newer  # the newest first
    assert page.dataframe[0].proto.selection_mode  # its rows can be ticked
    page.session_state[REVIEWED_CASE_KEY] = older  # what a callback does
    page.run()
    assert page.selectbox(key=REVIEWED_CASE_KEY).value == older
    assert any("**Field:** North" in block.value for block in page.markdown)
    page.sidebar.selectbox[0].select("South").run()  # the field filter leaves it out
    assert not page.exception
    assert page.selectbox(key=REVIEWED_CASE_KEY).value == newer


def test_page_maps_the_cases_that_have_a_location(page_settings, engine):
    history.save_case(engine, new_case(created_at=at(1), latitude=-7.25, longitude=110.4))
    history.save_case(
        engine,
        new_case(created_at=at(2), model_label="late_blight", latitude=-7.26, longitude=110.41),
    )
    history.save_case(engine, new_case(created_at=at(3)))  # no location
    page = run_page()
    assert not page.exception
    (deck,) = page.get("deck_gl_json_chart")
    assert deck.proto.selection_mode and CASE_LAYER in deck.proto.json  # a dot can be chosen
    assert "Click a dot to open its case in **Review a case** below." in [
        block.value for block in page.caption
    ]
    legend = " ".join(block.proto.body for block in page.get("html"))
    assert "Early blight (1)" in legend and "Late blight (1)" in legend
    assert any(block.value == "1 case without a location not shown." for block in page.caption)


def test_page_shows_typed_text_as_written_not_as_markdown(page_settings, engine):
    typed = "![pixel](https://tracker.example/p.png) **wet** corner"
    history.save_case(engine, new_case(created_at=at(1), notes=typed, field_name="[North](x)"))
    page = run_page()
    assert not page.exception
    shown = " ".join(block.value for block in page.markdown)
    assert "**Notes:** " + escape_markdown(typed) in shown
    assert "**Field:** " + escape_markdown("[North](x)") in shown


MARKDOWN_IMAGE = "![p](https://tracker.example/p.png)"
# Proto fields that Streamlit renders as Markdown: labels, captions, help and text blocks.
MARKDOWN_FIELDS = frozenset({"label", "caption", "help", "body"})


def markdown_texts(message: object) -> Iterator[str]:
    """Every string in ``message`` (a proto as a dict, at any depth) that Streamlit shows
    through Markdown."""
    if isinstance(message, dict):
        for name, value in message.items():
            if name in MARKDOWN_FIELDS and isinstance(value, str):
                yield value
            else:
                yield from markdown_texts(value)
    elif isinstance(message, list):
        for item in message:
            yield from markdown_texts(item)


def page_markdown_texts(page: AppTest) -> list[str]:
    """What every element on the page shows through Markdown, sidebar included."""
    texts: list[str] = []
    pending = [page._tree]
    while pending:
        node = pending.pop()
        pending.extend(getattr(node, "children", {}).values())
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts += markdown_texts(MessageToDict(proto))
    return texts


def test_typed_text_reaches_no_label_or_caption_as_markdown(page_settings, engine):
    """Labels, captions and help render Markdown too: an image typed into a field name,
    plot, notes, reviewer's name or photo name must not be fetched by readers' browsers."""
    typed = {
        "field_name": MARKDOWN_IMAGE,
        "plot": MARKDOWN_IMAGE,
        "notes": MARKDOWN_IMAGE,
        "photo_name": MARKDOWN_IMAGE + ".jpg",
    }
    history.save_case(engine, new_case(created_at=at(1), model_confidence=0.41, **typed))
    history.save_case(
        engine,
        new_case(created_at=at(2), confirmed_label="pest", reviewed_by=MARKDOWN_IMAGE, **typed),
    )
    page = AppTest.from_file(HISTORY_PAGE, default_timeout=30)
    page.session_state["reviewer_name"] = MARKDOWN_IMAGE
    page.run()
    page.sidebar.selectbox[0].set_value(MARKDOWN_IMAGE).run()  # the field: its report too
    assert not page.exception
    texts = page_markdown_texts(page)
    assert any("Download the report of" in text for text in texts)
    assert any(escape_markdown(MARKDOWN_IMAGE) in text for text in texts)  # shown, escaped
    assert not [text for text in texts if MARKDOWN_IMAGE in text]


def test_page_shows_no_map_when_no_case_has_a_location(page_settings, engine):
    history.save_case(engine, new_case(created_at=at(1)))
    page = run_page()
    assert not page.exception
    assert not page.get("deck_gl_json_chart")
    assert "Where they were found" not in [block.value for block in page.header]


def test_page_corrects_a_cases_field_plot_notes_and_location(page_settings, engine):
    case_id = history.save_case(
        engine, new_case(field_name="Nroth", plot="A3", latitude=-7.2, longitude=110.4)
    )
    page = run_page()
    form = [w for w in page.text_input if w.label in ("Field", "Plot")]
    assert [w.value for w in form] == ["Nroth", "A3"]
    form[0].input("North")
    next(w for w in page.text_area if w.label == "Notes").input("Wet corner")
    longitude = next(w for w in page.number_input if w.label.startswith("Longitude"))
    assert longitude.value == 110.4
    longitude.set_value(None)  # latitude without longitude: refused, nothing saved
    next(b for b in page.button if b.label == "Save the corrections").click().run()
    assert not page.exception
    assert any("both latitude and longitude" in e.value for e in page.error)
    assert history.get_case(engine, case_id).field_name == "Nroth"

    next(w for w in page.number_input if w.label.startswith("Latitude")).set_value(None)
    next(w for w in page.number_input if w.label.startswith("Severity")).set_value(30)
    next(b for b in page.button if b.label == "Save the corrections").click().run()
    assert not page.exception
    assert "details corrected" in page.success[0].value
    record = history.get_case(engine, case_id)
    assert (record.field_name, record.plot, record.notes) == ("North", "A3", "Wet corner")
    assert (record.latitude, record.longitude) == (None, None)
    assert record.severity_percent == 30
    assert list(page.dataframe[0].value["Field"]) == ["North"]
    assert any(m.value == "**Severity in the plot:** 30 % of foliage" for m in page.markdown)


def test_page_warns_of_recent_late_blight_and_the_fields_near_it(page_settings, engine):
    now = datetime.now(UTC)
    history.save_case(
        engine,
        new_case(
            model_label="late_blight", field_name="<b>North</b>", latitude=-7.25, longitude=110.4
        ),
    )
    history.save_case(engine, new_case(field_name="West", latitude=-7.25, longitude=110.38))
    history.save_case(  # late blight too, but a month ago
        engine,
        new_case(model_label="late_blight", field_name="Old", created_at=now - timedelta(days=30)),
    )
    page = run_page()
    assert not page.exception
    (alert,) = [w.value for w in page.error if "Late blight in the last 14 days" in w.value]
    assert f"- **{escape_markdown('<b>North</b>')}**: 1 case, last seen {now:%Y-%m-%d}." in alert
    assert "Fields within 5 km: West." in alert
    assert "Old" not in alert
    page.sidebar.selectbox[0].select("West").run()  # the alert does not follow the filters
    assert any("Late blight in the last 14 days" in w.value for w in page.error)


FIELD_WEATHER = "Late blight weather at your fields"


def test_page_shows_blight_weather_at_the_field_with_late_blight_first(
    page_settings, engine, fake_open_meteo
):
    history.save_case(engine, new_case(field_name="Dieng", latitude=-7.21, longitude=109.91))
    history.save_case(
        engine,
        new_case(model_label="late_blight", field_name="Kledung", latitude=-7.33, longitude=110.04),
    )
    history.save_case(engine, new_case(field_name="Unmapped"))  # no location: not offered
    page = run_page()
    assert not page.exception
    (section,) = [e for e in page.expander if e.label == FIELD_WEATHER]
    assert section.proto.expanded  # late blight lately: open at once
    fields, days = section.dataframe
    assert fields.value.to_dict("list") == {
        "Field": ["Kledung", "Dieng"],  # late blight first
        "Late blight lately": ["yes", ""],
        "Next blight weather (Hutton period, 7 days)": [fake_spell()] * 2,
    }
    choice = next(s for s in page.selectbox if s.key.startswith("weather-field"))
    assert (choice.value, choice.options) == ("Kledung", ["Dieng", "Kledung"])
    assert sorted(q["latitude"][0] for q in fake_open_meteo.queries) == ["-7.2", "-7.3"]
    assert len(days.value) == 15
    assert any(w.value.startswith("**Blight weather ahead.**") for w in section.warning)

    page.sidebar.selectbox[0].select("Dieng").run()  # the field filter picks the field
    assert not page.exception
    assert next(s for s in page.selectbox if s.key.startswith("weather-field")).value == "Dieng"
    assert len(fake_open_meteo.queries) == 2  # each place asked once, then kept


def fake_spell() -> str:
    """The one Hutton spell of the fake service's weather (every day suits blight), as
    the table shows it: from 7 days ago to 7 days ahead, in Java (UTC+7)."""
    today = (datetime.now(UTC) + timedelta(hours=7)).date()
    spell = HuttonSpell(today - timedelta(days=7), today + timedelta(days=7), True, True)
    return f"{spell} ({spell.when})"


def test_the_fields_table_shows_an_unreachable_service_and_shares_a_place(
    page_settings, engine, fake_open_meteo
):
    fake_open_meteo.status = 503
    history.save_case(engine, new_case(field_name="A", latitude=-7.21, longitude=109.91))
    history.save_case(engine, new_case(field_name="B", latitude=-7.22, longitude=109.92))
    page = run_page()
    assert not page.exception
    (section,) = [e for e in page.expander if e.label == FIELD_WEATHER]
    assert not section.proto.expanded  # no late blight lately
    fields = section.dataframe[0].value
    assert (
        list(fields["Next blight weather (Hutton period, 7 days)"]) == ["unknown: no weather"] * 2
    )
    assert len(fake_open_meteo.queries) == 1  # one 0.1° cell, one request
    assert "could not be reached" in section.info[0].value


def test_page_shows_no_blight_weather_when_no_field_has_a_location(
    page_settings, engine, fake_open_meteo
):
    history.save_case(engine, new_case(field_name="North"))
    page = run_page()
    assert not page.exception
    assert not [e for e in page.expander if e.label == FIELD_WEATHER]
    assert not fake_open_meteo.queries


def test_page_merges_a_misspelt_field_into_the_right_one_when_asked(page_settings, engine):
    history.save_case(engine, new_case(field_name="Nroth field"))
    history.save_cases(engine, [new_case(field_name="North field") for _ in range(3)])
    history.save_case(engine, new_case(field_name="Block 2"))
    page = run_page()
    assert not page.exception
    (section,) = [e for e in page.expander if e.label.startswith("Rename or merge a field")]
    assert section.label == "Rename or merge a field (1 pair of names alike)"
    assert "**Nroth field** (1) and **North field** (3)" in section.markdown[0].value
    field = next(s for s in section.selectbox if s.label == "Field")
    new_name = next(t for t in section.text_input if t.label == "New name")
    assert (field.value, new_name.value) == ("Nroth field", "North field")  # offered first

    next(b for b in section.button if b.label.startswith("Rename")).click().run()
    assert not page.exception
    assert any("another field already: tick the merge box" in e.value for e in page.error)
    assert history.cases_per_field(engine)["Nroth field"] == 1  # nothing changed

    next(t for t in page.text_input if t.label == "New name").input(" north   FIELD ")
    next(b for b in page.button if b.label.startswith("Rename")).click().run()
    assert any("another field already" in e.value for e in page.error)  # spacing aside
    next(c for c in page.checkbox if c.label.startswith("If the new name")).check().run()
    next(b for b in page.button if b.label.startswith("Rename")).click().run()
    assert not page.exception
    assert page.success[0].value == (
        "Field “Nroth field” merged into “North field”: 1 case changed."
    )
    assert history.cases_per_field(engine) == {"North field": 4, "Block 2": 1}
    (section,) = [e for e in page.expander if e.label.startswith("Rename or merge a field")]
    assert section.label == "Rename or merge a field"  # no look-alikes left


def test_page_renames_a_field(page_settings, engine):
    history.save_case(engine, new_case(field_name="Blok 2"))
    page = run_page()
    next(t for t in page.text_input if t.label == "New name").input("  Block   2 ")
    next(b for b in page.button if b.label.startswith("Rename")).click().run()
    assert not page.exception
    assert page.success[0].value == "Field “Blok 2” renamed “Block 2”: 1 case changed."
    assert history.field_names(engine) == ["Block 2"]


def test_page_gives_no_late_blight_warning_without_recent_late_blight(page_settings, engine):
    history.save_case(engine, new_case(model_label="late_blight", model_confidence=0.5))  # unsure
    history.save_case(engine, new_case(model_label="late_blight", confirmed_label="pest"))
    page = run_page()
    assert not page.exception
    assert not any("Late blight in the last" in w.value for w in (*page.warning, *page.error))


def test_page_compares_model_versions_on_reviewed_cases_once_there_are_two(page_settings, engine):
    old = {"model_version": "lite0-224px-old", "confirmed_label": "pest"}  # it said early blight
    history.save_cases(engine, [new_case(**old), new_case(**old, field_name="South")])
    page = run_page()
    assert not any("By model version" in block.value for block in page.markdown)  # one only

    new = {"model_version": "lite0-224px-new"}
    history.save_case(engine, new_case(**new, confirmed_label="pest"))
    history.save_case(engine, new_case(**new, confirmed_label="early_blight"))  # right
    history.save_case(engine, new_case(**new, model_label="pest"))  # not reviewed
    page.run()
    assert not page.exception
    assert any("By model version" in block.value for block in page.markdown)
    assert table_with(page, "Model version").to_dict("list") == {
        "Model version": ["lite0-224px-new", "lite0-224px-old"],
        "Reviewed": [2, 2],
        "Model agreed": [1, 0],
        "Share": ["50%", "0%"],
    }


def test_page_confirms_and_deletes_a_case(page_settings, engine):
    case_id = history.save_case(engine, new_case(field_name="North"))
    page = run_page()
    review = next(box for box in page.selectbox if box.label.startswith("Agronomist"))
    review.select("late_blight")
    page.button("history_save_review").click().run()
    assert not page.exception
    assert history.get_case(engine, case_id).confirmed_label == "late_blight"
    assert "review saved" in page.success[0].value
    assert page.toast[0].value == page.success[0].value  # seen where the form was, too
    photos_button = page.download_button[1]
    assert photos_button.label == "Download 1 reviewed photo (ZIP)"
    assert not photos_button.disabled
    shown = " ".join(block.value for block in page.markdown)
    assert "Of **1 reviewed case** here, the model agreed with the agronomist on **0**" in shown
    assert "Early blight → Late blight (1)" in shown  # the model had said early blight

    page.button("history_delete").click().run()
    assert history.get_case(engine, case_id) is not None  # asks first
    assert any("cannot be undone" in warning.value for warning in page.warning)
    page.button("history_delete_yes").click().run()
    assert not page.exception
    assert history.get_case(engine, case_id) is None
    assert "No diagnoses have been saved yet" in page.info[0].value


def test_page_signs_a_review_with_the_sidebars_name_and_compares_agronomists(page_settings, engine):
    first = history.save_case(engine, new_case(field_name="North", model_label="pest"))
    page = run_page()
    cases_table = table_with(page, "Case")
    assert not cases_table.isna().any().any()  # an empty cell is empty, not "None"
    assert cases_table.loc[0, "Taken (UTC)"] == ""  # the photo did not say
    assert any("Give your name in the sidebar" in caption.value for caption in page.caption)
    page.session_state["reviewer_name"] = "Ana  Putri"
    page.run()
    assert any("signed “Ana Putri”" in caption.value for caption in page.caption)
    review = next(box for box in page.selectbox if box.label.startswith("Agronomist"))
    review.select("pest")
    page.selectbox(key=f"history_basis_{first}").select("lab")
    page.button("history_save_review").click().run()
    assert not page.exception
    record = history.get_case(engine, first)
    assert (record.confirmed_label, record.reviewed_by, record.review_basis) == (
        "pest",
        "Ana Putri",
        "lab",
    )
    shown = " ".join(block.value for block in page.markdown)
    assert "**Reviewed:** Insect pest damage, " in shown
    assert ", by Ana Putri, from a lab test (ELISA, PCR, culture or microscope)" in shown
    assert table_with(page, "Case")["Reviewed by"].tolist() == ["Ana Putri"]
    assert not any("By agronomist" in block.value for block in page.markdown)  # one only

    history.save_case(engine, new_case(confirmed_label="virus", reviewed_by="Budi"))
    page.run()
    assert table_with(page, "Reviewed by", "Share").to_dict("list") == {
        "Reviewed by": ["Ana Putri", "Budi"],
        "Reviewed": [1, 1],
        "Model agreed": [1, 0],
        "Share": ["100%", "0%"],
    }
    assert table_with(page, "Review rests on").to_dict("list") == {
        "Review rests on": ["A lab test (ELISA, PCR, culture or microscope)", "Not said"],
        "Reviewed": [1, 1],
        "Model agreed": [1, 0],
        "Share": ["100%", "0%"],
    }
    next(box for box in page.sidebar.selectbox if box.label == "Reviewed by").select("Budi")
    page.run()
    assert table_with(page, "Case")["Reviewed by"].tolist() == ["Budi"]


def unsure_case(first: str, second: str, share: float, **changes: object) -> NewCase:
    """A case the model split between two labels, ``share`` going to the first."""
    return new_case(
        model_label=first,
        model_confidence=share,
        probabilities={first: share, second: 1 - share},
        **changes,
    )


def test_the_review_queue_reads_every_unreviewed_match_past_the_lists_limit(engine):
    """What the queue ranks: the filter's unreviewed cases, all of them, not only the
    newest the page lists; and the reviewed labels of the whole history."""
    older = history.save_case(
        engine, unsure_case("virus", "bacteria", 0.6, created_at=at(2), taken_at=at(1, 7))
    )
    newer = history.save_case(engine, unsure_case("pest", "virus", 0.7, created_at=at(3)))
    history.save_case(engine, unsure_case("pest", "virus", 0.5, confirmed_label="pest"))
    history.save_case(engine, unsure_case("virus", "pest", 0.8, field_name="South"))
    history.save_case(
        engine, unsure_case("virus", "pest", 0.8, field_name="South", confirmed_label="virus")
    )
    found = history.unreviewed_cases(engine, CaseFilter(field_name="North field", limit=1))
    assert sorted(candidate.id for candidate in found) == [older, newer]
    first = next(candidate for candidate in found if candidate.id == older)
    assert first.probabilities == {"virus": 0.6, "bacteria": pytest.approx(0.4)}
    assert first.observed_at == at(1, 7) and first.is_leaf  # the photo's own time
    assert history.reviewed_label_counts(engine) == {"pest": 1, "virus": 1}


def test_a_queue_the_database_cannot_give_is_said_and_the_page_goes_on(
    page_settings, engine, monkeypatch
):
    history.save_case(engine, unsure_case("virus", "bacteria", 0.6))

    def unanswered(*_: object) -> None:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(history, "unreviewed_cases", unanswered)
    page = run_page()
    assert not page.exception
    assert any(w.value.startswith("The cases to review cannot be read") for w in page.warning)
    assert "Review a case" in [block.value for block in page.header]


def test_page_queues_the_closest_calls_first_and_saves_a_review_in_one_step(page_settings, engine):
    sure = history.save_case(engine, unsure_case("virus", "bacteria", 0.95, created_at=at(3)))
    closest = history.save_case(engine, unsure_case("early_blight", "pest", 0.52, created_at=at(1)))
    close = history.save_case(engine, unsure_case("late_blight", "healthy", 0.7, created_at=at(2)))
    history.save_case(engine, unsure_case("pest", "virus", 0.5, confirmed_label="pest"))
    page = run_page()
    assert not page.exception
    assert any("3 cases here await the agronomist's diagnosis" in c.value for c in page.caption)
    cards = [block.value for block in page.markdown if block.value.startswith("**Model:**")]
    assert cards[:3] == [
        "**Model:** Early blight (52%), then insect pest damage (48%)",
        "**Model:** Late blight (70%), then healthy (30%)",
        "**Model:** Viral disease (95%), then bacterial disease (5%)",
    ]
    progress = table_with(page, "Reviewed in the history")  # per label, fewest first
    assert progress["Diagnosis"][0] == "Nematode damage"
    assert (
        dict(zip(progress["Diagnosis"], progress["Reviewed in the history"], strict=True))[
            "Insect pest damage"
        ]
        == 1
    )

    page.button(f"review_queue_save_{closest}").click().run()  # no diagnosis chosen
    assert not page.exception
    assert any("choose a diagnosis before saving" in w.value for w in page.warning)
    assert history.get_case(engine, closest).confirmed_label is None

    page.selectbox(key=f"review_queue_label_{closest}").select("pest")
    page.button(f"review_queue_save_{closest}").click().run()
    assert not page.exception
    assert history.get_case(engine, closest).confirmed_label == "pest"
    assert page.success[0].value == f"Case #{closest}: review saved (insect pest damage)."
    assert any("2 cases here await" in caption.value for caption in page.caption)
    assert f"review_queue_save_{closest}" not in [button.key for button in page.button]
    assert history.get_case(engine, close).confirmed_label is None
    assert history.get_case(engine, sure).confirmed_label is None


def test_the_queue_says_how_many_it_shows_and_how_many_were_skipped(page_settings, engine):
    waiting = [
        history.save_case(engine, unsure_case("virus", "pest", share, created_at=at(day)))
        for day, share in enumerate((0.51, 0.6, 0.7, 0.8), start=1)
    ]
    page = run_page()
    caption = next(c.value for c in page.caption if "await the agronomist's" in c.value)
    assert caption.startswith(
        "4 cases here await the agronomist's diagnosis; the first 3 are below, and each "
        "review brings up the next."
    )
    page.button(f"review_queue_skip_{waiting[0]}").click().run()
    caption = next(c.value for c in page.caption if "await the agronomist's" in c.value)
    assert caption.startswith(
        "3 cases here await the agronomist's diagnosis (besides 1 skipped for now); here they are."
    )


def test_a_reviews_failed_alert_can_be_tried_again(page_settings, engine, alert_topic, monkeypatch):
    case_id = history.save_case(engine, unsure_case("early_blight", "late_blight", 0.52))
    refuse_alerts(monkeypatch, alert_topic, refused=True)
    page = run_page()
    page.selectbox(key=f"review_queue_label_{case_id}").select("late_blight")
    page.button(f"review_queue_save_{case_id}").click().run()
    assert any("could not be told" in warning.value for warning in page.warning)
    assert history.get_case(engine, case_id).confirmed_label == "late_blight"  # kept

    refuse_alerts(monkeypatch, alert_topic, refused=False)
    next(b for b in page.button if b.label == "Try the message again").click().run()
    assert not page.exception
    (message,) = alert_topic.messages()
    assert "1 confirmed by an agronomist" in message["Message"]
    assert "The team was told of this late blight by message." in [c.value for c in page.caption]


def test_page_tells_the_team_when_a_review_finds_late_blight(page_settings, engine, alert_topic):
    first = history.save_case(engine, unsure_case("early_blight", "late_blight", 0.52))
    second = history.save_case(engine, unsure_case("pest", "late_blight", 0.55))
    page = run_page()
    page.selectbox(key=f"review_queue_label_{second}").select("pest")
    page.button(f"review_queue_save_{second}").click().run()
    assert alert_topic.messages() == []  # not late blight: nothing to tell

    page.selectbox(key=f"review_queue_label_{first}").select("late_blight")
    page.button(f"review_queue_save_{first}").click().run()
    assert not page.exception
    (message,) = alert_topic.messages()
    assert message["Subject"] == "Late blight in North field"
    assert "1 confirmed by an agronomist" in message["Message"]
    assert "The team was told of this late blight by message." in [c.value for c in page.caption]
    page.run()  # said once
    assert "The team was told of this late blight by message." not in [
        c.value for c in page.caption
    ]

    review = next(box for box in page.selectbox if box.label.startswith("Agronomist"))
    review.select("late_blight")  # the same field again within the day: no second message
    page.button("history_save_review").click().run()
    assert history.get_case(engine, second).confirmed_label == "late_blight"
    assert alert_topic.messages() == []


def test_page_skips_a_queued_case_for_the_session_and_brings_it_back(page_settings, engine):
    first = history.save_case(engine, unsure_case("early_blight", "pest", 0.5))
    page = run_page()
    assert any("1 case here awaits the agronomist's" in c.value for c in page.caption)
    page.button(f"review_queue_skip_{first}").click().run()
    assert not page.exception
    assert any("Every case here has been reviewed, or skipped." in c.value for c in page.caption)
    assert history.get_case(engine, first).confirmed_label is None  # skipping saves nothing
    page.button("review_queue_unskip").click().run()
    assert not page.exception
    assert f"review_queue_save_{first}" in [button.key for button in page.button]


def test_page_sends_a_saved_case_with_its_review_to_the_assistant(page_settings, engine):
    history.save_case(
        engine,
        new_case(
            confirmed_label="pest",
            notes="Holes in leaves",
            created_at=at(9),
            latitude=-13.52,
            longitude=-71.97,
            severity_percent=15,
        ),
    )
    page = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=30).run()
    page.switch_page("pages/history.py").run()  # the router knows every page
    page.button("history_ask").click().run()
    assert not page.exception
    assert any("Current case:** Early blight" in block.value for block in page.markdown)
    case = page.session_state["current_case"]
    assert (case["label"], case["agronomist_label"]) == ("early_blight", "pest")
    assert (case["field_name"], case["notes"]) == ("North field", "Holes in leaves")
    assert case["photo_jpeg"].startswith(b"\xff\xd8")  # the saved thumbnail, as JPEG
    assert (case["taken_on"], case["diagnosed_on"]) == (None, "2025-03-09")  # saved that day
    assert case["near"] == (-13.5, -72.0)
    assert case["severity_percent"] == 15


def test_page_reports_blind_reviews_apart(page_settings, engine):
    history.save_case(engine, new_case(confirmed_label="late_blight"))  # seen, not blind
    page = run_page()
    assert "turn on *Blind review*" in " ".join(block.value for block in page.caption)
    for blind, final in (("early_blight", "early_blight"), ("pest", "early_blight")):
        history.save_case(engine, new_case(blind_label=blind, confirmed_label=final))
    page = run_page()
    assert not page.exception
    shown = " ".join(block.value for block in page.markdown)
    assert "the model agreed on **1** of **2 cases** (50%)" in shown
    assert "switched to it in 1 case." in shown
    blind_column = list(page.dataframe[0].value["Blind review"])
    assert blind_column == ["Insect pest damage", "Early blight", ""]


def test_page_combines_the_cases_of_one_plot_visit(page_settings, engine):
    late = {"early_blight": 0.1, "late_blight": 0.85, "healthy": 0.05}
    for hour in (8, 9):
        history.save_case(
            engine,
            new_case(created_at=at(3, hour), model_label="late_blight", probabilities=late),
        )
    unsure = {"early_blight": 0.55, "late_blight": 0.4, "healthy": 0.05}
    history.save_case(
        engine,
        new_case(
            created_at=at(3, 10),
            model_confidence=0.55,
            probabilities=unsure,
            confirmed_label="late_blight",
            severity_percent=30,
        ),
    )
    history.save_case(engine, new_case(created_at=at(4), plot="B1"))  # alone: no visit
    page = run_page()
    assert not page.exception
    assert "Plot visits" in [header.value for header in page.header]
    visits = page.dataframe[-1].value
    assert list(visits["Plot"]) == ["A3"] and list(visits["Cases"]) == [3]
    assert list(visits["Severity (%)"]) == [30]
    assert visits["Combined model answer"][0].startswith("Late blight (")
    assert visits["Combined model answer"][0].endswith("; 2 of 3 photos agree)")
    assert list(visits["Agronomist's diagnosis"]) == ["Late blight"]
    report = next(b for b in page.download_button if b.label.startswith("Download the visit"))
    assert report.label == "Download the visit report (HTML)" and not report.disabled
    visit_choice = next(box for box in page.selectbox if box.label.startswith("Report of a"))
    assert visit_choice.options == ["2025-03-03 08:00 UTC · North field, plot A3"]


def test_page_shows_times_in_the_teams_zone(page_settings, engine, monkeypatch):
    monkeypatch.setenv("TIME_ZONE", JAVA)
    get_settings.cache_clear()
    case_id = history.save_case(engine, new_case(created_at=datetime(2025, 3, 2, 20, tzinfo=UTC)))
    page = run_page()
    assert not page.exception
    assert "Times and days are in Asia/Jakarta" in page.caption[0].value
    case_choice = next(box for box in page.selectbox if box.label == "Case")
    assert case_choice.options == [
        f"#{case_id} · 2025-03-03 03:00 WIB · North field · Early blight"
    ]


def test_page_draws_the_disease_progress_of_the_field_chosen(page_settings, engine):
    history.save_cases(
        engine,
        [
            new_case(created_at=at(2), plot="A1", severity_percent=5),
            new_case(created_at=at(9), plot="A1", severity_percent=25),
            new_case(created_at=at(9), plot="B2", severity_percent=0),
            new_case(created_at=at(9), field_name="South", plot="A1", severity_percent=50),
        ],
    )
    page = run_page()
    assert "Disease progress" not in [block.value for block in page.header]  # no field yet
    page.sidebar.selectbox[0].select("North field").run()
    assert not page.exception
    assert "Disease progress" in [block.value for block in page.header]
    progress = next(t.value for t in page.dataframe if "AUDPC (%·days)" in t.value.columns)
    assert progress.drop(columns="Relative AUDPC").to_dict("list") == {
        "Plot": ["A1", "B2"],
        "Days assessed": [2, 1],
        "AUDPC (%·days)": [105, 0],  # (5 + 25) / 2 * 7
    }
    relative = progress["Relative AUDPC"]
    assert relative[0] == pytest.approx(0.15) and math.isnan(relative[1])  # one day: none


def test_page_offers_a_report_of_the_field_chosen_in_the_filters(page_settings, engine):
    history.save_case(engine, new_case(created_at=at(3), field_name="North field"))
    history.save_case(engine, new_case(created_at=at(4), field_name="South field"))
    page = run_page()
    assert not [b for b in page.download_button if "report of" in b.label]
    assert any(c.value.startswith("Choose a field in the filters") for c in page.caption)
    page.sidebar.selectbox[0].select("South field").run()
    assert not page.exception
    (report,) = [b for b in page.download_button if "report of" in b.label]
    assert report.label == "Download the report of South field (HTML)"


def test_page_with_an_empty_history_explains_how_to_add_cases(page_settings, engine):
    page = run_page()
    assert not page.exception
    assert "No diagnoses have been saved yet" in page.info[0].value
    assert not page.dataframe


def test_page_shows_a_plain_message_when_the_database_is_down(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/none")
    get_settings.cache_clear()
    st.cache_resource.clear()
    try:
        page = run_page()
    finally:
        st.cache_resource.clear()
        get_settings.cache_clear()
    assert not page.exception
    assert "cannot be reached" in page.error[0].value
    assert "secret" not in page.error[0].value
