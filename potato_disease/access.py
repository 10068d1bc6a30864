"""Password access with a per-session lockout (no Streamlit here, so it can be tested alone)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

MAX_FAILURES = 5
LOCKOUT_SECONDS = 300


@dataclass(frozen=True)
class AccessResult:
    """Whether access is granted, and what to tell the person if not."""

    granted: bool
    message: str = ""


def password_matches(attempt: str, password: str) -> bool:
    """Compare in constant time, so timing does not reveal how much of it was right."""
    return hmac.compare_digest(attempt.encode("utf-8"), password.encode("utf-8"))


def try_password(
    attempt: str,
    password: str,
    state: MutableMapping[str, Any],
    clock: Callable[[], float] = time.monotonic,
) -> AccessResult:
    """Check one attempt, counting failures in ``state`` and locking out after too many."""
    locked_until = state.get("access_locked_until", 0.0)
    now = clock()
    if now < locked_until:
        minutes = max(1, round((locked_until - now) / 60))
        return AccessResult(False, f"Too many wrong passwords. Try again in {minutes} min.")
    if password_matches(attempt, password):
        state["access_granted"] = True
        state["access_failures"] = 0
        return AccessResult(True)
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
