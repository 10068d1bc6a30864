"""Diagnosis metrics for Amazon CloudWatch, written as embedded metric format (EMF) lines.

On Elastic Beanstalk the container's standard output is streamed to CloudWatch Logs
(``.ebextensions/03-health-and-logs.config``), which turns each EMF line into metric
values: no agent and no AWS call from the app. A line says what the model answered,
whether the photo was refused or the answer unsure, and how long it took; never the
photo, a field, a note or who asked. A rising share of refused or unsure photos is the
first sign that photos differ from those the model was measured on (the alarm in
``.ebextensions/06-alarms.config``).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from potato_disease.diagnosis import Diagnosis
from potato_disease.presentation import UNSURE_BELOW

SERVICE = "potato-disease"  # the one value of the Service dimension


def emf_line(
    namespace: str,
    diagnosis: Diagnosis,
    milliseconds: float,
    model_version: str,
    now: datetime | None = None,
) -> str:
    """One diagnosis as an EMF document: counts and time, per service and per answer."""
    moment = now or datetime.now(UTC)
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(moment.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["Service"], ["Service", "Answer"]],
                    "Metrics": [
                        {"Name": "Diagnoses", "Unit": "Count"},
                        {"Name": "Refused", "Unit": "Count"},
                        {"Name": "Unsure", "Unit": "Count"},
                        {"Name": "DiagnosisTime", "Unit": "Milliseconds"},
                    ],
                }
            ],
        },
        "Service": SERVICE,
        "Answer": diagnosis.label,
        "Diagnoses": 1,
        "Refused": int(not diagnosis.is_leaf),
        "Unsure": int(diagnosis.is_leaf and diagnosis.confidence < UNSURE_BELOW),
        "DiagnosisTime": round(milliseconds, 2),
        "ModelVersion": model_version,  # a property to search by, not a dimension
    }
    return json.dumps(document, separators=(",", ":"))


def record_diagnosis(
    namespace: str | None, diagnosis: Diagnosis, milliseconds: float, model_version: str
) -> None:
    """Write the diagnosis's metrics to standard output, one line in one write (sessions
    run in threads), when a namespace is configured (METRICS_NAMESPACE)."""
    if namespace:
        sys.stdout.write(emf_line(namespace, diagnosis, milliseconds, model_version) + "\n")
        sys.stdout.flush()
