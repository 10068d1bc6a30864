"""A fake Open-Meteo forecast API on 127.0.0.1, for the weather tests and page tests."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# (hour of the local day) -> (temperature °C, relative humidity %)
HourlyShape = Callable[[date, int], tuple[float | None, float | None]]


def blight_weather(day: date, hour: int) -> tuple[float, float]:
    """Warm nights and 8 humid hours: every day suits late blight."""
    return 14.0 + hour % 12, 95.0 if hour < 8 else 70.0


def dry_weather(day: date, hour: int) -> tuple[float, float]:
    """Warm but never humid: no day suits late blight."""
    return 14.0 + hour % 12, 60.0


def forecast_answer(
    today: date,
    shape: HourlyShape = blight_weather,
    utc_offset_hours: int = 7,
    past_days: int = 7,
    forecast_days: int = 8,
) -> dict[str, Any]:
    """An answer shaped as Open-Meteo's ``/v1/forecast?hourly=…&timezone=auto``."""
    first = today - timedelta(days=past_days)
    times, temperatures, humidities = [], [], []
    for offset in range(past_days + forecast_days):
        day = first + timedelta(days=offset)
        for hour in range(24):
            temperature, humidity = shape(day, hour)
            times.append(datetime(day.year, day.month, day.day, hour).isoformat(timespec="minutes"))
            temperatures.append(temperature)
            humidities.append(humidity)
    return {
        "latitude": -7.25,
        "longitude": 109.9,
        "utc_offset_seconds": utc_offset_hours * 3600,
        "timezone": "Asia/Jakarta",
        "hourly_units": {"time": "iso8601", "temperature_2m": "°C", "relative_humidity_2m": "%"},
        "hourly": {
            "time": times,
            "temperature_2m": temperatures,
            "relative_humidity_2m": humidities,
        },
    }


@dataclass
class FakeOpenMeteo:
    """What the fake answers, and the query strings it was asked."""

    answer: dict[str, Any] | str = field(default_factory=dict)  # a str is sent as it is
    answer_at: dict[str, dict[str, Any]] = field(default_factory=dict)  # by latitude asked
    status: int = 200
    delay_seconds: float = 0.0
    queries: list[dict[str, list[str]]] = field(default_factory=list)
    url: str = ""


class OpenMeteoHandler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        fake: FakeOpenMeteo = self.server.fake
        query = parse_qs(urlsplit(self.path).query)
        fake.queries.append(query)
        time.sleep(fake.delay_seconds)
        answer = fake.answer_at.get(query.get("latitude", [""])[0], fake.answer)
        body = answer if isinstance(answer, str) else json.dumps(answer)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@contextlib.contextmanager
def serve_fake_open_meteo(fake: FakeOpenMeteo) -> Iterator[FakeOpenMeteo]:
    """Serve ``fake`` from a thread; its ``url`` is the forecast endpoint's."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), OpenMeteoHandler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_port}/v1/forecast"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
