"""Diagnosis metrics for Amazon CloudWatch, written as embedded metric format (EMF) lines.

On Elastic Beanstalk the container's standard output is streamed to CloudWatch Logs
(``.ebextensions/03-health-and-logs.config``), which turns each EMF line into metric
values: no agent and no AWS call from the app. A line says what the model answered,
whether the photo was refused or the answer unsure, how long it took, and how much memory
the app process holds after it; never the photo, a field, a note or who asked. A rising
share of refused or unsure photos is the first sign that photos differ from those the
model was measured on; a process near its instance's memory, that it needs a larger one
(the alarms in ``.ebextensions/06-alarms.config``).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from potato_disease.diagnosis import Diagnosis
from potato_disease.presentation import UNSURE_BELOW

SERVICE = "potato-disease"  # the one value of the Service dimension


def _document(
    namespace: str,
    dimensions: list[list[str]],
    metrics: dict[str, tuple[float, str]],
    members: dict[str, str],
    now: datetime | None,
) -> str:
    """An EMF document: ``metrics`` (name: value, unit) by ``dimensions``, whose values
    are among ``members`` (with other properties to search by)."""
    moment = now or datetime.now(UTC)
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(moment.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": dimensions,
                    "Metrics": [
                        {"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()
                    ],
                }
            ],
        },
        "Service": SERVICE,
        **members,
        **{name: value for name, (value, _) in metrics.items()},
    }
    return json.dumps(document, separators=(",", ":"))


def emf_line(
    namespace: str,
    diagnosis: Diagnosis,
    milliseconds: float,
    model_version: str,
    now: datetime | None = None,
) -> str:
    """One diagnosis as an EMF document: counts and time, per service and per answer."""
    metrics = {
        "Diagnoses": (1, "Count"),
        "Refused": (int(not diagnosis.is_leaf), "Count"),
        "Unsure": (int(diagnosis.is_leaf and diagnosis.confidence < UNSURE_BELOW), "Count"),
        "DiagnosisTime": (round(milliseconds, 2), "Milliseconds"),
    }
    members = {
        "Answer": diagnosis.label,
        "ModelVersion": model_version,  # a property to search by, not a dimension
    }
    return _document(namespace, [["Service"], ["Service", "Answer"]], metrics, members, now)


def call_emf_line(
    namespace: str, service: str, answered: bool, milliseconds: float, now: datetime | None = None
) -> str:
    """One call to an outside ``service`` (``Weather``, ``Alert``) as an EMF document, per
    service: ``<service>Requests``, ``<service>Failures`` and ``<service>Time``."""
    metrics = {
        f"{service}Requests": (1, "Count"),
        f"{service}Failures": (int(not answered), "Count"),
        f"{service}Time": (round(milliseconds, 2), "Milliseconds"),
    }
    return _document(namespace, [["Service"]], metrics, {}, now)


def model_fallback_line(namespace: str, now: datetime | None = None) -> str:
    """The EMF line of a process that could not use the model at MODEL_S3_URI and serves
    the one built into the image: ``ModelFallback`` 1, by service."""
    return _document(namespace, [["Service"]], {"ModelFallback": (1, "Count")}, {}, now)


def memory_emf_line(namespace: str, megabytes: float, now: datetime | None = None) -> str:
    """The app process's resident memory as an EMF document, by service:
    ``ServerMemory`` in megabytes (the instance is at risk well before it is full)."""
    metrics = {"ServerMemory": (round(megabytes, 1), "Megabytes")}
    return _document(namespace, [["Service"]], metrics, {}, now)


def resident_megabytes(statm: Path = Path("/proc/self/statm")) -> float | None:
    """This process's resident memory in MiB, or None where the system does not say
    (``/proc`` is Linux's, as in the container)."""
    try:
        pages = int(statm.read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _write(line: str) -> None:
    """One line in one write: sessions run in threads."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def record_diagnosis(
    namespace: str | None, diagnosis: Diagnosis, milliseconds: float, model_version: str
) -> None:
    """Write the diagnosis's metrics, and the process's memory after it, to standard
    output when a namespace is configured (METRICS_NAMESPACE)."""
    if namespace:
        _write(emf_line(namespace, diagnosis, milliseconds, model_version))
        megabytes = resident_megabytes()
        if megabytes is not None:
            _write(memory_emf_line(namespace, megabytes))


def record_weather_request(namespace: str | None, answered: bool, milliseconds: float) -> None:
    """Write a weather request's metrics to standard output when a namespace is
    configured: failures show a lost route out, or an expired key."""
    if namespace:
        _write(call_emf_line(namespace, "Weather", answered, milliseconds))


def record_model_fallback(namespace: str | None) -> None:
    """Write that the S3 model could not be used, when a namespace is configured: the
    app still answers, with the image's model, so only this metric (and its alarm) says."""
    if namespace:
        _write(model_fallback_line(namespace))


def record_alert(namespace: str | None, sent: bool, milliseconds: float) -> None:
    """Write a team alert's metrics to standard output when a namespace is configured:
    failures show a missing permission, a deleted topic or no route to SNS."""
    if namespace:
        _write(call_emf_line(namespace, "Alert", sent, milliseconds))
