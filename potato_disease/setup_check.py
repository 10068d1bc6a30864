"""Whether this server can reach what the app uses: ``python -m potato_disease check``.

For the operator after a deploy (docs/deploy.md, "Troubleshooting"): the load balancer's
health check only says Streamlit answers, while a wrong secret, a missing permission or no
route out shows only when someone saves a case or asks the assistant. Each check says what
it found in one line, never a secret. The model and the history are required: without
them the app cannot do its job; the rest are optional and fail softly in the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from potato_disease import aws, history
from potato_disease.config import Settings
from potato_disease.database import (
    DatabaseError,
    database_url,
    init_db,
    make_engine,
    url_without_secrets,
)
from potato_disease.diagnosis import Diagnoser
from potato_disease.model_files import ModelFilesError
from potato_disease.photo_exif import Location
from potato_disease.presentation import counted
from potato_disease.weather import WeatherUnavailableError, fetch_place_weather

WEATHER_PROBE = Location(-7.3, 110.4)  # Central Java: any fixed place will do
PENDING = "PendingConfirmation"  # SNS's subscription ARN until the address confirms


@dataclass(frozen=True)
class CheckResult:
    """One thing the app uses, and what was found."""

    name: str
    ok: bool
    required: bool
    detail: str

    def as_line(self) -> str:
        """``OK``, ``FAIL`` or ``WARN`` (an optional part failing), the name and the detail."""
        status = "OK" if self.ok else "FAIL" if self.required else "WARN"
        return f"{status:<4} {self.name}: {self.detail}"


def check_model(settings: Settings) -> CheckResult:
    """The model the app would serve loads; from S3 when MODEL_S3_URI asks for it."""
    model_dir = aws.resolve_model_dir(settings)
    try:
        diagnoser = Diagnoser(model_dir, settings.inference_threads)
    except (ModelFilesError, OSError, ValueError) as error:
        return CheckResult("model", False, True, f"cannot be loaded from {model_dir}: {error}")
    if settings.model_s3_uri and model_dir == settings.model_dir:
        return CheckResult(
            "model",
            False,
            True,
            f"MODEL_S3_URI {settings.model_s3_uri} could not be used (the log says why); "
            f"serving the baked-in {diagnoser.model_version} instead",
        )
    source = f"from {settings.model_s3_uri}" if settings.model_s3_uri else "baked in"
    return CheckResult("model", True, True, f"{diagnoser.model_version}, {source}")


def check_history(settings: Settings) -> CheckResult:
    """The history database answers and holds the app's tables."""
    engine = make_engine(settings)
    try:
        init_db(engine)
        cases = history.count_cases(engine)
    except DatabaseError as error:
        return CheckResult("history", False, True, f"cannot be reached ({type(error).__name__})")
    finally:
        engine.dispose()
    where = url_without_secrets(database_url(settings))
    return CheckResult("history", True, True, f"{cases} cases in {where}")


def check_assistant(settings: Settings) -> CheckResult:
    """Whether the assistant has its Gemini key (it answers offline without one)."""
    if aws.read_gemini_key(settings):
        return CheckResult("assistant", True, False, "Gemini key found")
    if settings.gemini_secret_id:
        return CheckResult(
            "assistant",
            False,
            False,
            f"the secret {settings.gemini_secret_id} could not be read (the log says why): "
            "the assistant answers offline from the guide",
        )
    return CheckResult("assistant", True, False, "no Gemini key: answers offline from the guide")


def check_weather(settings: Settings) -> CheckResult:
    """The weather service answers (one request for a fixed place, not a user's)."""
    if not settings.weather_url:
        return CheckResult("weather", True, False, "switched off (WEATHER_URL is empty)")
    try:
        weather = fetch_place_weather(WEATHER_PROBE, settings)
    except WeatherUnavailableError as error:
        return CheckResult("weather", False, False, str(error))
    return CheckResult("weather", True, False, f"{len(weather.days)} days for a test place")


def check_alerts(settings: Settings) -> CheckResult:
    """The team alert topic exists and has someone to tell (a subscription still waiting
    for its address to confirm it tells nobody)."""
    if not settings.alert_topic_arn:
        return CheckResult("alerts", True, False, "off (no ALERT_TOPIC_ARN)")
    try:
        sns = aws.aws_client("sns", settings, aws.ALERT_CLIENT_CONFIG)
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(
            TopicArn=settings.alert_topic_arn
        )
        subscribers = sum(
            subscription["SubscriptionArn"] != PENDING
            for page in pages
            for subscription in page["Subscriptions"]
        )
    except aws.AWS_CALL_FAILURES as error:
        return CheckResult(
            "alerts", False, False, f"topic cannot be read ({aws.describe_error(error)})"
        )
    if not subscribers:
        return CheckResult(
            "alerts", False, False, "the topic has no confirmed subscription: nobody is told"
        )
    return CheckResult("alerts", True, False, counted(subscribers, "confirmed subscription"))


CHECKS: tuple[Callable[[Settings], CheckResult], ...] = (
    check_model,
    check_history,
    check_assistant,
    check_weather,
    check_alerts,
)


def run_checks(settings: Settings) -> list[CheckResult]:
    """Every check, in order."""
    return [check(settings) for check in CHECKS]


def exit_status(results: list[CheckResult]) -> int:
    """0 when every required part works, else 1."""
    return 0 if all(result.ok for result in results if result.required) else 1


def as_json_ready(results: list[CheckResult]) -> list[dict[str, Any]]:
    """The results as plain dictionaries."""
    return [asdict(result) for result in results]
