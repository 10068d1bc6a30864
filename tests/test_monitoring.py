"""Diagnosis metrics as CloudWatch embedded metric format lines."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from potato_disease.diagnosis import Diagnosis
from potato_disease.monitoring import (
    SERVICE,
    call_emf_line,
    emf_line,
    memory_emf_line,
    record_alert,
    record_diagnosis,
    record_weather_request,
    resident_megabytes,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def emf(diagnosis: Diagnosis) -> dict:
    return json.loads(emf_line("PotatoDisease", diagnosis, 12.345, "lite0-192px-abc", NOW))


def test_a_line_is_a_valid_emf_document_naming_every_member_it_promises() -> None:
    document = emf(Diagnosis("late_blight", 0.93, {"late_blight": 0.93}, True))
    metadata = document["_aws"]
    assert metadata["Timestamp"] == 1795780800000  # milliseconds since the epoch
    (directive,) = metadata["CloudWatchMetrics"]
    assert directive["Namespace"] == "PotatoDisease"
    for dimension_set in directive["Dimensions"]:
        assert 1 <= len(dimension_set) <= 30
        assert all(isinstance(document[name], str) for name in dimension_set)
    for metric in directive["Metrics"]:
        assert isinstance(document[metric["Name"]], int | float)
    assert (document["Service"], document["Answer"]) == (SERVICE, "late_blight")
    assert (document["Diagnoses"], document["Refused"], document["Unsure"]) == (1, 0, 0)
    assert document["DiagnosisTime"] == 12.35
    assert document["ModelVersion"] == "lite0-192px-abc"


@pytest.mark.parametrize(
    ("diagnosis", "refused", "unsure"),
    [
        (Diagnosis("not_leaf", 0.97, {"healthy": 0.5}, False), 1, 0),
        (Diagnosis("pest", 0.55, {"pest": 0.55}, True), 0, 1),
        (Diagnosis("healthy", 0.60, {"healthy": 0.60}, True), 0, 0),
    ],
)
def test_refused_and_unsure_answers_are_counted(diagnosis, refused, unsure) -> None:
    document = emf(diagnosis)
    assert (document["Refused"], document["Unsure"]) == (refused, unsure)


def test_nothing_is_written_without_a_namespace_and_one_line_with_one(capsys) -> None:
    diagnosis = Diagnosis("virus", 0.8, {"virus": 0.8}, True)
    record_diagnosis(None, diagnosis, 10.0, "v1")
    assert capsys.readouterr().out == ""
    record_diagnosis("PotatoDisease", diagnosis, 10.0, "v1")
    line, memory = capsys.readouterr().out.splitlines()
    assert json.loads(line)["Answer"] == "virus"  # the JSON alone on its line
    # This process's own memory (Linux), in a line of its own: more than the model takes.
    assert 100 < json.loads(memory)["ServerMemory"] == pytest.approx(resident_megabytes(), 0.2)


def test_resident_memory_is_read_from_proc_and_none_where_there_is_none(tmp_path) -> None:
    statm = tmp_path / "statm"
    statm.write_text("90000 25600 1200 1 0 60000 0\n")
    assert resident_megabytes(statm) == 25600 * os.sysconf("SC_PAGE_SIZE") / 2**20
    assert resident_megabytes(tmp_path / "missing") is None
    statm.write_text("garbled")
    assert resident_megabytes(statm) is None
    document = json.loads(memory_emf_line("PotatoDisease", 412.345, NOW))
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Metrics"] == [{"Name": "ServerMemory", "Unit": "Megabytes"}]
    assert document["ServerMemory"] == 412.3 and directive["Dimensions"] == [["Service"]]


@pytest.mark.parametrize(("answered", "failures"), [(True, 0), (False, 1)])
def test_a_weather_request_is_counted_with_its_failure_and_time(answered, failures) -> None:
    document = json.loads(call_emf_line("PotatoDisease", "Weather", answered, 812.345, NOW))
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["Service"]] and document["Service"] == SERVICE
    assert [m["Name"] for m in directive["Metrics"]] == [
        "WeatherRequests",
        "WeatherFailures",
        "WeatherTime",
    ]
    assert (document["WeatherRequests"], document["WeatherFailures"]) == (1, failures)
    assert document["WeatherTime"] == 812.35


@pytest.mark.parametrize(
    ("record", "failures"),
    [(record_weather_request, "WeatherFailures"), (record_alert, "AlertFailures")],
)
def test_outside_call_lines_are_written_only_with_a_namespace(capsys, record, failures) -> None:
    record(None, True, 10.0)
    assert capsys.readouterr().out == ""
    record("PotatoDisease", False, 10.0)
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)[failures] == 1
