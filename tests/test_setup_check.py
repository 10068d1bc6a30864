"""``python -m potato_disease check``: what this server reaches, one line each."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import boto3

from potato_disease import setup_check
from potato_disease.config import Settings, get_settings, settings_from_env
from tests.aws_test_services import REGION
from tests.conftest import run_cli

NOTHING_LISTENS = {"aws_region": REGION, "aws_endpoint_url": "http://127.0.0.1:9"}


def local_settings(tmp_path: Path, **changes: object) -> Settings:
    """The embedded defaults with a fresh SQLite history and nothing optional switched on."""
    settings = settings_from_env({}, app_data_dir=tmp_path, weather_url=None)
    return replace(settings, **changes)


def by_name(settings: Settings) -> dict[str, setup_check.CheckResult]:
    return {result.name: result for result in setup_check.run_checks(settings)}


def test_on_the_embedded_defaults_everything_required_works(tmp_path):
    results = setup_check.run_checks(local_settings(tmp_path))
    assert [r.name for r in results] == ["model", "history", "assistant", "weather", "alerts"]
    assert all(result.ok for result in results)
    assert setup_check.exit_status(results) == 0
    found = {result.name: result.detail for result in results}
    assert found["model"].startswith("lite0-") and found["model"].endswith(", baked in")
    assert found["history"].startswith("0 cases in sqlite")
    assert found["weather"] == "switched off (WEATHER_URL is empty)"


def test_an_unreachable_history_fails_the_check_without_showing_its_password(tmp_path):
    env = {
        **os.environ,
        "APP_DATA_DIR": str(tmp_path),
        "WEATHER_URL": "",
        "DATABASE_URL": "postgresql://potato:hunter2@127.0.0.1:9/potato",
    }
    done = run_cli("check", env=env)
    assert done.returncode == 1
    assert "FAIL history: cannot be reached (OperationalError)" in done.stdout
    assert "hunter2" not in done.stdout + done.stderr
    as_json = json.loads(run_cli("check", "--json", env=env).stdout)
    assert {"name": "history", "ok": False, "required": True}.items() <= as_json[1].items()


def test_a_model_from_s3_that_cannot_be_had_fails_the_check(tmp_path, aws_credentials):
    settings = local_settings(
        tmp_path,
        model_s3_uri="s3://potato-models/missing/",
        **NOTHING_LISTENS,
        model_cache_dir=tmp_path / "cache",
    )
    model = by_name(settings)["model"]
    assert not model.ok and model.required
    assert "could not be used" in model.detail and "serving the baked-in" in model.detail
    assert setup_check.exit_status(setup_check.run_checks(settings)) == 1


def test_optional_parts_warn_without_failing_the_check(tmp_path, aws_credentials):
    settings = local_settings(
        tmp_path,
        gemini_secret_id="potato/gemini",
        **NOTHING_LISTENS,
        weather_url="http://127.0.0.1:9/v1/forecast",
        weather_timeout_seconds=1.0,
        alert_topic_arn=f"arn:aws:sns:{REGION}:123456789012:gone",
    )
    results = setup_check.run_checks(settings)
    lines = [result.as_line() for result in results]
    assert lines[2].startswith("WARN assistant: the secret potato/gemini could not be read")
    assert lines[3].startswith("WARN weather: ")
    assert lines[4].startswith("WARN alerts: topic cannot be read")
    assert setup_check.exit_status(results) == 0


def test_the_weather_check_asks_the_service_once(tmp_path, fake_open_meteo):
    weather = by_name(local_settings(tmp_path, weather_url=get_settings().weather_url))["weather"]
    assert weather.ok and weather.detail.endswith("days for a test place")
    assert len(fake_open_meteo.queries) == 1
    assert fake_open_meteo.queries[0]["latitude"] == ["-7.3"]  # the fixed test place


def test_the_alert_check_counts_who_is_told(tmp_path, alert_topic, moto_endpoint):
    settings = local_settings(
        tmp_path,
        alert_topic_arn=alert_topic.arn,
        aws_region=REGION,
        aws_endpoint_url=moto_endpoint,
    )
    alerts = by_name(settings)["alerts"]
    assert alerts.ok and alerts.detail == "1 confirmed subscription"
    sns = boto3.client("sns", region_name=REGION, endpoint_url=moto_endpoint)
    lonely = sns.create_topic(Name="nobody-listens")["TopicArn"]
    alerts = by_name(replace(settings, alert_topic_arn=lonely))["alerts"]
    assert not alerts.ok and "no confirmed subscription" in alerts.detail
    sns.delete_topic(TopicArn=lonely)
