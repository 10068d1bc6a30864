"""Telling the team when late blight is found: one message per field a day.

The agronomist who saves late blight sees the fields near it on the Diagnose page; the
growers and the rest of the team learn of it from a message to an Amazon SNS topic
(``ALERT_TOPIC_ARN``; e-mail, SMS or a chat hook, as its subscriptions say). A case counts
as the outbreak warning counts it (:func:`outbreaks.counts_as_late_blight`), if it was seen
within :data:`outbreaks.RECENT`. A field the team was told of in the :data:`QUIET_FOR`
before is not told of again (``alert_log`` keeps the messages sent), so a field walk of
many photos, or their review one by one, sends one message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from potato_disease.history import CaseRecord
from potato_disease.local_time import minute_text
from potato_disease.outbreaks import (
    LATE_BLIGHT,
    NEARBY_M,
    RECENT,
    counts_as_late_blight,
    fields_near,
)
from potato_disease.photo_exif import Location
from potato_disease.presentation import as_severity, counted

QUIET_FOR = timedelta(hours=24)
SUBJECT_MAX_LENGTH = 99  # SNS: fewer than 100 printable ASCII characters, one line


@dataclass(frozen=True)
class LateBlightAlert:
    """New late blight in one field, as the team is told of it."""

    field_name: str | None
    case_ids: tuple[int, ...]
    confirmed: int  # of them, confirmed by an agronomist
    last_seen: datetime
    fields_near: tuple[tuple[str, float], ...]  # other fields within NEARBY_M, metres
    location: Location | None = None  # where it was found (its photos, else its field)
    severity_percent: float | None = None  # the highest the agronomist estimated, if any
    confirmed_by: tuple[str, ...] = ()  # the names of those who confirmed it, when given


def late_blight_alert(
    changed: Sequence[CaseRecord],
    places: Mapping[str, Location],
    now: datetime,
    last_sent: datetime | None = None,
) -> LateBlightAlert | None:
    """The alert that ``changed`` cases (just saved, or just reviewed; all of one field)
    call for, or None: when none counts as late blight seen lately, or when the team was
    told of their field (``last_sent``) within :data:`QUIET_FOR`."""
    struck = [
        record
        for record in changed
        if counts_as_late_blight(record) and record.observed_at >= now - RECENT
    ]
    if not struck or (last_sent is not None and last_sent >= now - QUIET_FOR):
        return None
    field_name = struck[0].field_name
    location = next((r.location for r in struck if r.location), places.get(field_name or ""))
    return LateBlightAlert(
        field_name,
        tuple(record.id for record in struck),
        sum(record.confirmed_label == LATE_BLIGHT for record in struck),
        max(record.observed_at for record in struck),
        tuple(fields_near(location, field_name, places)),
        location,
        max((r.severity_percent for r in struck if r.severity_percent is not None), default=None),
        tuple(
            sorted(
                {
                    record.reviewed_by
                    for record in struck
                    if record.reviewed_by and record.confirmed_label == LATE_BLIGHT
                }
            )
        ),
    )


def field_words(alert: LateBlightAlert) -> str:
    """The field as a message names it."""
    return alert.field_name or "a case saved without a field name"


def alert_subject(alert: LateBlightAlert) -> str:
    """A one-line subject in printable ASCII (letters lose their accents), as SNS asks."""
    subject = f"Late blight in {field_words(alert)}"
    ascii_only = unicodedata.normalize("NFKD", subject).encode("ascii", "ignore").decode()
    printable = "".join(c if c.isprintable() else " " for c in ascii_only)
    return " ".join(printable.split())[:SUBJECT_MAX_LENGTH]


def history_link(app_url: str | None) -> str | None:
    """The History page's address under the app's public one (``APP_URL``), or None
    when that is not an http(s) address."""
    if not app_url or not app_url.startswith(("https://", "http://")):
        return None
    return app_url.rstrip("/") + "/history"


def alert_message(
    alert: LateBlightAlert,
    app_url: str | None = None,
    blight_weather: str | None = None,
    zone: tzinfo = UTC,
) -> str:
    """The message body: what was found, where else to scout, the ``blight_weather``
    there (a sentence of Hutton periods) when known, and which cases (with a link to the
    History page when the app's address is known)."""
    found = f"Late blight in {field_words(alert)}: {counted(len(alert.case_ids), 'photo')}"
    if alert.confirmed:
        found += f", {alert.confirmed} confirmed by an agronomist"
        if alert.confirmed_by:
            found += f" ({', '.join(alert.confirmed_by)})"
    else:
        found += ", the model's answer (not yet confirmed by an agronomist)"
    lines = [f"{found}; last seen {minute_text(alert.last_seen, zone)}."]
    if alert.severity_percent is not None:
        lines.append(
            f"Severity estimated by the agronomist: {as_severity(alert.severity_percent)} of the "
            "plot's foliage."
        )
    if alert.fields_near:
        listed = ", ".join(f"{name} ({metres / 1000:.1f} km)" for name, metres in alert.fields_near)
        lines.append(
            f"Other fields within {NEARBY_M / 1000:.0f} km: {listed}. Its spores ride the wind "
            "for several kilometres in cloudy, humid weather: tell their growers and scout "
            "them now."
        )
    else:
        lines.append(
            "Scout the neighbouring fields: its spores ride the wind in cloudy, humid weather."
        )
    if blight_weather:
        lines.append(f"Late blight weather there: {blight_weather}")
    lines.append(
        "Cases in the app's History: "
        + ", ".join(f"#{case_id}" for case_id in alert.case_ids)
        + "."
    )
    link = history_link(app_url)
    if link:
        lines.append(f"Open the History: {link}")
    return "\n".join(lines)
