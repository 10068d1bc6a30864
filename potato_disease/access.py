"""Password access with lockouts (no Streamlit here, so it can be tested alone).

A session is locked out for a while after a few wrong passwords. That alone does not stop
guessing, since a new browser session starts afresh, so each server process also counts
the wrong passwords from each client address, in all its sessions, and shuts that address
out once it has made too many within a window.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

MAX_FAILURES = 5
LOCKOUT_SECONDS = 300
ADDRESS_MAX_FAILURES = 20  # from one address, in all its sessions, within the window
ADDRESS_WINDOW_SECONDS = 900
MAX_ADDRESSES_TRACKED = 10_000  # beyond this, the addresses with no recent failure go
UNKNOWN_ADDRESS = "unknown"


class FailureLedger:
    """Wrong passwords per client address within a sliding window; thread-safe, for one
    server process (each instance behind the load balancer keeps its own)."""

    def __init__(
        self,
        max_failures: int = ADDRESS_MAX_FAILURES,
        window_seconds: float = ADDRESS_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_failures = max_failures
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.get(address, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def seconds_locked(self, address: str) -> float:
        """How long ``address`` stays shut out (0 when it is not)."""
        with self._lock:
            now = self._clock()
            times = self._recent(address, now)
            if len(times) < self._max_failures:
                return 0.0
            return times[-self._max_failures] + self._window - now

    def record_failure(self, address: str) -> None:
        """Count one wrong password from ``address``."""
        with self._lock:
            now = self._clock()
            if address not in self._failures and len(self._failures) >= MAX_ADDRESSES_TRACKED:
                self._failures = {
                    known: times
                    for known, times in self._failures.items()
                    if self._recent(known, now)
                }
            times = self._recent(address, now)
            times.append(now)
            self._failures[address] = times


def sent_in_plain_text(forwarded_proto: str | None) -> bool:
    """Whether the proxy in front (the load balancer's ``X-Forwarded-Proto``) received this
    request over plain HTTP: then passwords cross the network readable."""
    return (forwarded_proto or "").split(",")[0].strip().lower() == "http"


def client_address(forwarded_for: str | None, peer: str | None, proxy_hops: int) -> str:
    """The client's address: with ``proxy_hops`` proxies in front that each append to
    X-Forwarded-For (on Elastic Beanstalk: the load balancer, then nginx), the entry that
    many places from its end, which a client cannot forge; with none, the peer's."""
    if proxy_hops > 0:
        entries = [entry.strip() for entry in (forwarded_for or "").split(",") if entry.strip()]
        if len(entries) >= proxy_hops:
            return entries[-proxy_hops]
    return peer or UNKNOWN_ADDRESS


@dataclass(frozen=True)
class AccessResult:
    """Whether access is granted, and what to tell the person if not."""

    granted: bool
    message: str = ""


def password_matches(attempt: str, password: str) -> bool:
    """Compare in constant time, so timing does not reveal how much of it was right."""
    return hmac.compare_digest(attempt.encode("utf-8"), password.encode("utf-8"))


def try_again_in(seconds: float) -> AccessResult:
    """Refused, with the wait in whole minutes."""
    minutes = max(1, round(seconds / 60))
    return AccessResult(False, f"Too many wrong passwords. Try again in {minutes} min.")


def try_password(
    attempt: str,
    password: str,
    state: MutableMapping[str, Any],
    clock: Callable[[], float] = time.monotonic,
    ledger: FailureLedger | None = None,
    address: str = UNKNOWN_ADDRESS,
) -> AccessResult:
    """Check one attempt, counting failures in ``state`` (and, with a ``ledger``, for the
    client ``address`` across sessions) and locking out after too many."""
    locked_until = state.get("access_locked_until", 0.0)
    now = clock()
    if now < locked_until:
        return try_again_in(locked_until - now)
    if ledger is not None and (seconds := ledger.seconds_locked(address)) > 0:
        return try_again_in(seconds)  # not even checked: guessing from here is over a while
    if password_matches(attempt, password):
        state["access_granted"] = True
        state["access_failures"] = 0
        return AccessResult(True)  # the address's count stays: someone else may share it
    if ledger is not None:
        ledger.record_failure(address)
    failures = state.get("access_failures", 0) + 1
    state["access_failures"] = failures
    if failures >= MAX_FAILURES:
        state["access_locked_until"] = now + LOCKOUT_SECONDS
        state["access_failures"] = 0
        return AccessResult(False, "Too many wrong passwords. Try again in 5 min.")
    left = MAX_FAILURES - failures
    return AccessResult(False, f"Wrong password. {left} attempt{'s' if left > 1 else ''} left.")


def is_granted(password: str | None, state: MutableMapping[str, Any]) -> bool:
    """True when no password is configured or this session has entered it."""
    return password is None or bool(state.get("access_granted"))
