"""Team alerts of new late blight: when one is due, its words, and its publishing to SNS."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from potato_disease import aws
from potato_disease.alert_log import (
    CLAIM_LASTS,
    Claim,
    claim_field,
    last_alert_sent,
    record_sent_alert,
    release_claim,
)
from potato_disease.config import get_settings
from potato_disease.history import CaseRecord
from potato_disease.photo_exif import Location
from potato_disease.team_alerts import (
    QUIET_FOR,
    LateBlightAlert,
    alert_message,
    alert_subject,
    late_blight_alert,
)
from tests.case_records import case_record

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
NORTH = Location(-7.25, 110.40)
EAST = Location(-7.25, 110.42)  # 2.2 km from NORTH
FAR = Location(-7.50, 110.40)  # 28 km from NORTH
PLACES = {"North field": NORTH, "East field": EAST, "Far field": FAR}


def case(case_id: int, label: str = "late_blight", **changes: object) -> CaseRecord:
    located = {"latitude": NORTH.latitude, "longitude": NORTH.longitude}
    return case_record(
        case_id, label, **{"created_at": NOW, "field_name": "North field"} | located | changes
    )


def test_new_late_blight_calls_for_an_alert_naming_the_fields_near_it():
    new = [case(1), case(2, confirmed_label="late_blight", confirmed_at=NOW), case(3, "healthy")]
    alert = late_blight_alert(new, PLACES, NOW)
    assert alert is not None
    assert (alert.field_name, alert.case_ids, alert.confirmed) == ("North field", (1, 2), 1)
    assert [name for name, _ in alert.fields_near] == ["East field"]
    assert alert.location == NORTH
    assert alert.fields_near[0][1] == pytest.approx(2_200, rel=0.05)
    assert alert.severity_percent is None  # none estimated
    estimated = [case(1, severity_percent=5), case(2, severity_percent=20), case(3, "healthy")]
    estimated.append(case(4, "healthy", severity_percent=90))  # not late blight: not counted
    assert late_blight_alert(estimated, PLACES, NOW).severity_percent == 20
    assert alert.confirmed_by == ()  # confirmed without a name
    signed = [
        case(1, confirmed_label="late_blight", reviewed_by="Budi"),
        case(2, confirmed_label="late_blight", reviewed_by="Ana"),
        case(3, confirmed_label="late_blight", reviewed_by="Ana"),
        case(4, confirmed_label="healthy", reviewed_by="Citra"),  # not late blight
    ]
    assert late_blight_alert(signed, PLACES, NOW).confirmed_by == ("Ana", "Budi")


@pytest.mark.parametrize(
    "changes",
    [
        {"label": "early_blight"},
        {"model_confidence": 0.5},  # the model was unsure
        {"confirmed_label": "pest"},  # the agronomist said otherwise
        {"taken_at": NOW - timedelta(days=20), "created_at": NOW},  # an old photo
    ],
)
def test_no_alert_without_late_blight_seen_lately(changes):
    label = changes.pop("label", "late_blight")
    assert late_blight_alert([case(1, label, **changes)], PLACES, NOW) is None


def test_a_field_the_team_was_told_of_within_a_day_is_not_told_of_again():
    new = [case(8)]
    assert late_blight_alert(new, PLACES, NOW, NOW - QUIET_FOR + timedelta(minutes=5)) is None
    assert late_blight_alert(new, PLACES, NOW, NOW - QUIET_FOR - timedelta(minutes=5))
    assert late_blight_alert(new, PLACES, NOW, None)  # never told


def test_a_review_to_late_blight_calls_for_an_alert():
    reviewed = case(4, "pest", confirmed_label="late_blight", confirmed_at=NOW)
    alert = late_blight_alert([reviewed], PLACES, NOW)
    assert alert is not None and alert.confirmed == 1


def test_the_alert_log_keeps_the_last_message_sent_per_field(database_engine):
    engine = database_engine
    assert last_alert_sent(engine, "North field") is None
    record_sent_alert(engine, "North field", [3, 4], "m-1", NOW - timedelta(hours=30))
    record_sent_alert(engine, "North field", [9], "m-2", NOW - timedelta(hours=2))
    record_sent_alert(engine, None, [11], "m-3", NOW)
    assert last_alert_sent(engine, "North field") == NOW - timedelta(hours=2)
    assert last_alert_sent(engine, None) == NOW
    assert last_alert_sent(engine, "East field") is None


def test_one_session_at_a_time_holds_a_fields_claim(database_engine):
    engine = database_engine
    first = claim_field(engine, "North field", NOW)
    assert first is not None
    assert claim_field(engine, "North field", NOW + timedelta(seconds=5)) is None  # held
    assert claim_field(engine, "East field", NOW) is not None  # each field its own
    assert claim_field(engine, None, NOW) is not None  # and cases without a field theirs
    release_claim(engine, first)
    second = claim_field(engine, "North field", NOW + timedelta(seconds=6))
    assert second is not None and second.number > first.number


def test_a_claim_never_released_lapses_and_its_owner_cannot_release_the_next(database_engine):
    """A session that crashed while claiming blocks its field for CLAIM_LASTS only; if it
    wakes up later, its release leaves the claim of the session that took over alone."""
    engine = database_engine
    stale = claim_field(engine, "North field", NOW)
    assert claim_field(engine, "North field", NOW + CLAIM_LASTS - timedelta(seconds=1)) is None
    fresh = claim_field(engine, "North field", NOW + CLAIM_LASTS)
    assert stale is not None and fresh is not None and fresh != stale
    release_claim(engine, stale)
    assert claim_field(engine, "North field", NOW + CLAIM_LASTS + timedelta(seconds=1)) is None


def test_of_sessions_claiming_a_field_at_once_exactly_one_gets_it(database_engine):
    """Eight sessions at the same moment, through the pool, on SQLite and PostgreSQL: for a
    field claimed before (one conditional UPDATE each) and a new one (one INSERT each)."""
    engine = database_engine
    release_claim(engine, claim_field(engine, "North field", NOW - timedelta(hours=1)))
    for field_name in ("North field", "New field"):
        claims = claims_at_once(engine, field_name, sessions=8)
        assert len(claims) == 8 and sum(c is not None for c in claims) == 1, field_name


def claims_at_once(engine: Engine, field_name: str, sessions: int) -> list[Claim | None]:
    """What ``sessions`` threads get, claiming ``field_name`` together."""
    start = threading.Barrier(sessions)

    def claim(_: int) -> Claim | None:
        start.wait()
        return claim_field(engine, field_name, NOW)

    with ThreadPoolExecutor(sessions) as pool:
        return list(pool.map(claim, range(sessions)))


def test_the_subject_is_one_line_of_printable_ascii_under_100_characters():
    alert = LateBlightAlert("Ladang Bàtu\nutara " + "x" * 200, (1,), 0, NOW, ())
    subject = alert_subject(alert)
    assert subject.startswith("Late blight in Ladang Batu utara xxx")
    assert subject.isascii() and subject.isprintable() and len(subject) < 100
    assert alert_subject(replace(alert, field_name=None)) == (
        "Late blight in a case saved without a field name"
    )


def test_the_message_says_what_where_and_which_cases():
    alert = LateBlightAlert("North field", (12, 13), 1, NOW, (("East field", 2_230.0),))
    assert alert_message(alert) == (
        "Late blight in North field: 2 photos, 1 confirmed by an agronomist; last seen "
        "2026-11-28 12:00 UTC.\n"
        "Other fields within 5 km: East field (2.2 km). Its spores ride the wind for several "
        "kilometres in cloudy, humid weather: tell their growers and scout them now.\n"
        "Cases in the app's History: #12, #13."
    )
    assert alert_message(alert, "https://potato.example.org/").endswith(
        "#12, #13.\nOpen the History: https://potato.example.org/history"
    )
    assert alert_message(alert, "potato.example.org") == alert_message(alert)  # no scheme
    with_weather = alert_message(alert, None, "Hutton periods in the last 7 days: …")
    assert "(2.2 km). Its spores" in with_weather
    assert "\nLate blight weather there: Hutton periods in the last 7 days: …\nCases" in (
        with_weather
    )
    assert "Severity" not in alert_message(alert)
    assert alert_message(replace(alert, severity_percent=12.5)).split("\n")[1] == (
        "Severity estimated by the agronomist: 12.5 % of the plot's foliage."
    )
    assert alert_message(replace(alert, confirmed_by=("Ana", "Budi"))).startswith(
        "Late blight in North field: 2 photos, 1 confirmed by an agronomist (Ana, Budi); "
    )
    unconfirmed = alert_message(replace(alert, confirmed=0, fields_near=()))
    assert "the model's answer (not yet confirmed by an agronomist)" in unconfirmed
    assert "Scout the neighbouring fields" in unconfirmed


def test_an_alert_is_published_to_the_topic(alert_topic):
    message_id = aws.publish_alert(get_settings(), "Late blight in North field", "Body\ntext")
    assert message_id
    assert alert_topic.messages() == [
        {"Subject": "Late blight in North field", "Message": "Body\ntext"}
    ]


def test_publishing_to_a_missing_topic_raises_a_client_error(alert_topic, monkeypatch):
    from botocore.exceptions import ClientError

    monkeypatch.setenv("ALERT_TOPIC_ARN", alert_topic.arn + "-gone")
    get_settings.cache_clear()
    with pytest.raises(ClientError):
        aws.publish_alert(get_settings(), "Subject", "Message")
    assert alert_topic.messages() == []
