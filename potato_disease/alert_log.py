"""The team alerts sent, kept in the history's database, and who is sending one now.

A field alerted about within :data:`team_alerts.QUIET_FOR` is not alerted about again, so
a field walk of many photos sends one message. Only a message SNS accepted is recorded:
after a failure the next late blight saved or confirmed in that field tries again.

Two agronomists saving late blight in one field at the same moment (or two app servers)
would both find no message sent yet; so a session first *claims* the field
(:func:`claim_field`), decides and sends while it holds the claim, and then releases it.
A claim a crashed session never released lapses after :data:`CLAIM_LASTS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Integer, String, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from potato_disease.database import Base, session_factory
from potato_disease.history import FIELD_NAME_MAX_LENGTH, UtcDateTime

MESSAGE_ID_MAX_LENGTH = 100
CASE_IDS_MAX_LENGTH = 1000
# Longer than deciding and publishing can take (SNS: 2 tries of at most 3 s + 5 s).
CLAIM_LASTS = timedelta(minutes=2)
RELEASED_AT = datetime(2000, 1, 1, tzinfo=UTC)  # a released claim's time: long lapsed
NO_FIELD = ""  # the claim of cases without a field (a field's name is never empty)


class SentAlert(Base):
    """One message the team's topic accepted."""

    __tablename__ = "team_alerts"
    __table_args__: ClassVar[dict[str, Any]] = {
        "sqlite_autoincrement": True
    }  # ids never used again

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    field_name: Mapped[str | None] = mapped_column(String(FIELD_NAME_MAX_LENGTH), index=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    case_ids: Mapped[str] = mapped_column(String(CASE_IDS_MAX_LENGTH))  # "12,13"
    message_id: Mapped[str | None] = mapped_column(String(MESSAGE_ID_MAX_LENGTH))


def record_sent_alert(
    engine: Engine,
    field_name: str | None,
    case_ids: Sequence[int],
    message_id: str,
    sent_at: datetime | None = None,
) -> None:
    """Keep a sent alert about ``field_name`` (None: cases without a field)."""
    listed = ",".join(str(case_id) for case_id in case_ids)[:CASE_IDS_MAX_LENGTH]
    with session_factory(engine).begin() as session:
        session.add(
            SentAlert(
                field_name=field_name,
                sent_at=sent_at or datetime.now(UTC),
                case_ids=listed,
                message_id=message_id[:MESSAGE_ID_MAX_LENGTH],
            )
        )


def last_alert_sent(engine: Engine, field_name: str | None) -> datetime | None:
    """When the team was last told of ``field_name``, if ever."""
    same_field = (
        SentAlert.field_name.is_(None) if field_name is None else SentAlert.field_name == field_name
    )
    statement = select(SentAlert.sent_at).where(same_field).order_by(SentAlert.sent_at.desc())
    with session_factory(engine)() as session:
        return session.execute(statement.limit(1)).scalar_one_or_none()


class AlertClaim(Base):
    """Which session may alert about a field now: one row per field, ever, whose number
    grows with each claim (so a lapsed claim's owner cannot release its successor's)."""

    __tablename__ = "team_alert_claims"

    field_key: Mapped[str] = mapped_column(String(FIELD_NAME_MAX_LENGTH), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_number: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Claim:
    """A session's right to alert about one field, until released or lapsed."""

    field_key: str
    number: int


def claim_field(
    engine: Engine, field_name: str | None, now: datetime | None = None
) -> Claim | None:
    """Claim the right to alert about ``field_name``; None while another session holds it.

    Atomic on SQLite and PostgreSQL alike: one conditional UPDATE takes a free claim (the
    database lets one of two concurrent updates see it free), and a field's first claim
    is one INSERT, which its primary key lets only one session make."""
    now = now or datetime.now(UTC)
    key = NO_FIELD if field_name is None else field_name
    take_free_claim = (
        update(AlertClaim)
        .where(AlertClaim.field_key == key, AlertClaim.claimed_at <= now - CLAIM_LASTS)
        .values(claimed_at=now, claim_number=AlertClaim.claim_number + 1)
    )
    with engine.begin() as connection:
        if connection.execute(take_free_claim).rowcount == 1:
            number = connection.execute(
                select(AlertClaim.claim_number).where(AlertClaim.field_key == key)
            ).scalar_one()
            return Claim(key, number)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(AlertClaim).values(field_key=key, claimed_at=now, claim_number=1)
            )
    except IntegrityError:  # the field has a claim, held by another session
        return None
    return Claim(key, 1)


def release_claim(engine: Engine, claim: Claim) -> None:
    """Give ``claim`` up, if it is still this session's (it may have lapsed and been taken)."""
    release = (
        update(AlertClaim)
        .where(AlertClaim.field_key == claim.field_key, AlertClaim.claim_number == claim.number)
        .values(claimed_at=RELEASED_AT)
    )
    with engine.begin() as connection:
        connection.execute(release)
