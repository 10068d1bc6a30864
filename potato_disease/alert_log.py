"""The team alerts sent, kept in the history's database.

A field alerted about within :data:`team_alerts.QUIET_FOR` is not alerted about again, so
a field walk of many photos sends one message. Only a message SNS accepted is recorded:
after a failure the next late blight saved or confirmed in that field tries again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from potato_disease.database import Base, session_factory
from potato_disease.history import FIELD_NAME_MAX_LENGTH, UtcDateTime

MESSAGE_ID_MAX_LENGTH = 100
CASE_IDS_MAX_LENGTH = 1000


class SentAlert(Base):
    """One message the team's topic accepted."""

    __tablename__ = "team_alerts"

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
