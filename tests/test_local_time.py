"""Times in the team's zone (TIME_ZONE): the text people read and where days begin."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from potato_disease.config import settings_from_env
from potato_disease.field_report import field_report_html
from potato_disease.local_time import day_start, day_text, local_day, minute_text, time_zone
from potato_disease.team_alerts import LateBlightAlert, alert_message
from tests.case_records import case_record

JAKARTA = time_zone("Asia/Jakarta")  # UTC+7, no daylight saving
EARLY_MORNING_IN_JAVA = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # 06:30 on the 28th


def test_times_and_days_are_those_of_the_teams_zone():
    assert minute_text(EARLY_MORNING_IN_JAVA, JAKARTA) == "2026-11-28 06:30 WIB"
    assert minute_text(EARLY_MORNING_IN_JAVA, time_zone("UTC")) == "2026-11-27 23:30 UTC"
    assert local_day(EARLY_MORNING_IN_JAVA, JAKARTA) == date(2026, 11, 28)
    assert day_text(EARLY_MORNING_IN_JAVA, JAKARTA) == "2026-11-28"
    assert day_start(date(2026, 11, 28), JAKARTA) == datetime(2026, 11, 27, 17, tzinfo=UTC)


def test_an_unknown_zone_stops_the_settings_with_a_message():
    assert settings_from_env({}).time_zone == "UTC"
    assert settings_from_env({"TIME_ZONE": "Asia/Jakarta"}).zone == JAKARTA
    with pytest.raises(ValueError, match="TIME_ZONE 'Java/Dieng' is not a known time zone"):
        settings_from_env({"TIME_ZONE": "Java/Dieng"})


def test_the_field_report_counts_weeks_and_times_in_the_teams_zone():
    sunday_night_utc = datetime(2026, 11, 1, 20, tzinfo=UTC)  # Monday 03:00 in Java
    cases = [case_record(1, "late_blight", created_at=sunday_night_utc)]
    in_java = field_report_html("North", cases, JAKARTA)
    assert "<td>2026-11-02</td><td>1</td>" in in_java  # the week of Monday 2 November
    assert "2026-11-02 03:00 WIB: case #1" in in_java
    assert "times are in\nAsia/Jakarta and weeks start on Monday there" in in_java
    assert "<td>2026-10-26</td><td>1</td>" in field_report_html("North", cases)  # UTC


def test_the_team_alert_says_when_in_the_teams_zone():
    alert = LateBlightAlert("North", (1,), 0, EARLY_MORNING_IN_JAVA, ())
    assert "last seen 2026-11-28 06:30 WIB." in alert_message(alert, zone=JAKARTA)
    assert "last seen 2026-11-27 23:30 UTC." in alert_message(alert)
