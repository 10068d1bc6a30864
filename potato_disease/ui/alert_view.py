"""Team alerts from the pages: once cases are saved or reviewed, tell the team of new late
blight (``team_alerts``, through SNS) and show whether the message went."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.engine import Engine

from potato_disease import alert_log, aws, history
from potato_disease.config import get_settings
from potato_disease.database import DatabaseError
from potato_disease.monitoring import record_alert
from potato_disease.outbreaks import counts_as_late_blight
from potato_disease.photo_exif import coarse
from potato_disease.resources import get_engine
from potato_disease.team_alerts import alert_message, alert_subject, late_blight_alert
from potato_disease.ui.weather_view import blight_weather_sentence

logger = logging.getLogger(__name__)

OUTCOMES_KEY = "team_alert_outcomes"  # what became of each alert, by the page's own key
SENT = "The team was told of this late blight by message."
NOT_SENT = "The team could not be told of this late blight by message: tell them yourself."
NOT_CHECKED = (
    "Whether the team should be told of late blight could not be checked (the history "
    "cannot be read right now): if this is late blight, tell them yourself."
)
TRY_AGAIN = "Try the message again"
NOTHING_MORE = (
    "No message went this time: the team was told of late blight in this field in the "
    "last day, or is being told right now."
)


@dataclass(frozen=True)
class AlertOutcome:
    """Whether a message went to the team, in words for the page."""

    sent: bool
    text: str
    case_ids: tuple[int, ...] = ()  # of a failed alert: what trying again sends about


def alert_the_team(case_ids: Sequence[int]) -> AlertOutcome | None:
    """Tell the team (``ALERT_TOPIC_ARN``) of the late blight these just saved or just
    reviewed cases (all of one field) bring, unless their field was alerted about lately;
    None when there is nothing to tell, alerts are off, or another session is telling
    the team of this field right now."""
    settings = get_settings()
    if not settings.alert_topic_arn or not case_ids:
        return None
    now = datetime.now(UTC)
    try:
        engine = get_engine()
        changed = [record for case_id in case_ids if (record := history.get_case(engine, case_id))]
        if not any(map(counts_as_late_blight, changed)):
            return None
        claim = alert_log.claim_field(engine, changed[0].field_name, now)
    except (DatabaseError, OSError):
        return _history_unreadable(case_ids)
    if claim is None:
        return None
    try:
        return _alert_while_claimed(engine, changed, now)
    finally:
        try:
            alert_log.release_claim(engine, claim)
        except (DatabaseError, OSError):  # it lapses on its own
            logger.exception("Cases %s: the alert claim could not be released", case_ids)


def _alert_while_claimed(
    engine: Engine, changed: Sequence[history.CaseRecord], now: datetime
) -> AlertOutcome | None:
    """The alert decision and message, made while this session holds the field's claim,
    so that what it reads of the messages sent cannot change until it is done."""
    settings = get_settings()
    case_ids = [record.id for record in changed]
    try:
        last_sent = alert_log.last_alert_sent(engine, changed[0].field_name)
        places = history.field_locations(engine)
    except (DatabaseError, OSError):
        return _history_unreadable(case_ids)
    alert = late_blight_alert(changed, places, now, last_sent)
    if alert is None:
        return None
    started = time.perf_counter()
    try:
        weather = blight_weather_sentence(coarse(alert.location))  # cached: seldom a wait
        message = alert_message(alert, settings.app_url, weather, settings.zone)
        message_id = aws.publish_alert(settings, alert_subject(alert), message)
    except aws.AWS_CALL_FAILURES as error:
        logger.warning(
            "Cases %s: the alert was not sent (%s)", alert.case_ids, aws.describe_error(error)
        )
        outcome = AlertOutcome(False, NOT_SENT, tuple(record.id for record in changed))
    else:
        logger.info("Cases %s: alert sent as SNS message %s", alert.case_ids, message_id)
        outcome = AlertOutcome(True, SENT)
        try:
            alert_log.record_sent_alert(engine, alert.field_name, alert.case_ids, message_id)
        except (DatabaseError, OSError):  # sent all the same; the next save may repeat it
            logger.exception("Cases %s: the sent alert could not be recorded", alert.case_ids)
    record_alert(settings.metrics_namespace, outcome.sent, (time.perf_counter() - started) * 1000)
    return outcome


def _history_unreadable(case_ids: Sequence[int]) -> AlertOutcome:
    """Log the database error being handled; the page says the alert was not checked."""
    logger.exception("Cases %s: could not read the history to decide on an alert", case_ids)
    return AlertOutcome(False, NOT_CHECKED, tuple(case_ids))


def remember_outcome(key: Hashable, outcome: AlertOutcome | None) -> None:
    """Keep an alert's outcome for the page's later runs to show under ``key``."""
    if outcome is not None:
        st.session_state.setdefault(OUTCOMES_KEY, {})[key] = outcome


def show_outcome(key: Hashable, once: bool = False) -> None:
    """Say whether the alert remembered under ``key`` went (nothing if there was none);
    ``once``: forget it then."""
    outcomes = st.session_state.get(OUTCOMES_KEY, {})
    outcome = outcomes.pop(key, None) if once else outcomes.get(key)
    if outcome is None:
        return
    if outcome.sent:
        st.caption(outcome.text)
        return
    st.warning(outcome.text, icon=":material/notifications_off:")
    if outcome.case_ids:
        st.button(
            TRY_AGAIN,
            key=f"alert_retry_{key}",
            on_click=try_again,
            args=(key, outcome.case_ids),
            icon=":material/refresh:",
        )


def try_again(key: Hashable, case_ids: Sequence[int]) -> None:
    """Callback of a failed alert's button: try it once more, and keep what came of it
    (as told on the page: nothing more to send is said too)."""
    remember_outcome(key, alert_the_team(case_ids) or AlertOutcome(True, NOTHING_MORE))
