"""The history of saved diagnoses: the ``Case`` table and the queries the app makes.

Every function takes the engine and opens its own short session, so they can be called
from any Streamlit session's thread at once. Results are plain frozen dataclasses.
Times are stored and returned in UTC; date filters are whole days in the filter's zone.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from PIL import Image
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    Integer,
    LargeBinary,
    Select,
    String,
    Text,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, defer, mapped_column
from sqlalchemy.types import TypeDecorator

from potato_disease.database import Base, session_factory
from potato_disease.labels import MODEL_CLASSES
from potato_disease.local_time import UTC_NAME, day_start, local_day, time_zone
from potato_disease.photo_exif import Location

if TYPE_CHECKING:
    from potato_disease.diagnosis import Diagnosis

THUMBNAIL_MAX_SIDE = 256
THUMBNAIL_JPEG_QUALITY = 80
PHOTO_NAME_MAX_LENGTH = 255
FIELD_NAME_MAX_LENGTH = 100
PLOT_MAX_LENGTH = 100
REVIEWER_NAME_MAX_LENGTH = 100
NOTES_MAX_LENGTH = 2000
MODEL_VERSION_MAX_LENGTH = 64
LABEL_MAX_LENGTH = 32
PHOTO_SHA256_LENGTH = 64
DEFAULT_LIST_LIMIT = 500
TAKEN_AT_TOLERANCE = timedelta(days=1)  # a camera clock a little ahead of the server's

Period = Literal["day", "week"]
PERIODS: tuple[Period, ...] = ("day", "week")
ReviewState = Literal["not_reviewed", "reviewed", "corrected"]
REVIEW_STATES: tuple[ReviewState, ...] = ("not_reviewed", "reviewed", "corrected")
"""Cases no agronomist reviewed; reviewed (confirmed or corrected); corrected: the
agronomist's label differs from the model's."""
ReviewBasis = Literal["photo", "plants", "lab"]
REVIEW_BASES: tuple[ReviewBasis, ...] = ("photo", "plants", "lab")
"""What a review rests on, weakest first: the photo only; the plants seen in the field
(hand lens, stem and tuber checks); a laboratory test (ELISA, PCR, culture, microscope)."""
REVIEW_BASIS_MAX_LENGTH = 16


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive, as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before storing; refuse naive datetimes."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Datetimes stored in the history must be timezone-aware.")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the backend gave back."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Case(Base):
    """One saved diagnosis: the model's answer, a thumbnail and the agronomist's review."""

    __tablename__ = "cases"
    # SQLite: never give a deleted case's number to a new one (see database.init_db).
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    photo_name: Mapped[str] = mapped_column(String(PHOTO_NAME_MAX_LENGTH))
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    model_label: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH))
    model_confidence: Mapped[float] = mapped_column(Float)
    probabilities: Mapped[dict[str, float]] = mapped_column(JSON)
    is_leaf: Mapped[bool] = mapped_column(Boolean)
    confirmed_label: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    field_name: Mapped[str | None] = mapped_column(String(FIELD_NAME_MAX_LENGTH), index=True)
    plot: Mapped[str | None] = mapped_column(String(PLOT_MAX_LENGTH))
    notes: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(MODEL_VERSION_MAX_LENGTH))
    # The agronomist's label given before seeing the model's answer (blind review); added
    # after the first release, so older databases get it empty (database.init_db).
    blind_label: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    # Hex SHA-256 of the photo file as uploaded: one case per photo. Added after the first
    # releases, so older cases have none (NULLs do not clash in a unique index).
    photo_sha256: Mapped[str | None] = mapped_column(
        String(PHOTO_SHA256_LENGTH), index=True, unique=True
    )
    # When the photo was taken, from its EXIF (photo_exif.photo_taken_at); None when it
    # does not say, and on cases saved before this column was added.
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The agronomist's estimate of the share of the plot's foliage with symptoms, in
    # percent (disease severity, as on a field assessment key); None when not estimated.
    severity_percent: Mapped[float | None] = mapped_column(Float)
    # Who gave ``confirmed_label``, as they named themselves (None when they did not, and on
    # cases reviewed before this column was added); cleared with the review.
    reviewed_by: Mapped[str | None] = mapped_column(String(REVIEWER_NAME_MAX_LENGTH))
    # What the review rests on (one of REVIEW_BASES), None when not said; cleared with it.
    review_basis: Mapped[str | None] = mapped_column(String(REVIEW_BASIS_MAX_LENGTH))


def file_sha256(data: bytes) -> str:
    """The hex SHA-256 of a photo file's bytes: what identifies one photo in the history."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CaseDetails:
    """What the agronomist tells of a case besides the diagnosis: where it was found and
    what was seen there (all optional)."""

    field_name: str | None = None
    plot: str | None = None
    notes: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    severity_percent: float | None = None  # of the plot's foliage, the agronomist's estimate


@dataclass(frozen=True)
class NewCase:
    """What the caller gives to save a diagnosis (the photo becomes a thumbnail)."""

    photo: Image.Image = field(repr=False)
    photo_name: str
    model_label: str
    model_confidence: float
    probabilities: Mapping[str, float]
    is_leaf: bool
    field_name: str | None = None
    plot: str | None = None
    notes: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    model_version: str | None = None
    confirmed_label: str | None = None
    blind_label: str | None = None  # given before the model's answer was seen
    created_at: datetime | None = None  # timezone-aware; None means now
    photo_sha256: str | None = None  # of the photo file as uploaded (:func:`file_sha256`)
    taken_at: datetime | None = None  # timezone-aware, from the photo's EXIF, if known
    severity_percent: float | None = None  # of the plot's foliage, the agronomist's estimate
    reviewed_by: str | None = None  # who gave ``confirmed_label``; ignored without one
    review_basis: ReviewBasis | None = None  # what ``confirmed_label`` rests on; idem

    @classmethod
    def from_diagnosis(
        cls, diagnosis: Diagnosis, photo: Image.Image, photo_name: str, **details: Any
    ) -> NewCase:
        """A new case from the diagnoser's answer; ``details`` are field, plot, notes..."""
        return cls(
            photo=photo,
            photo_name=photo_name,
            model_label=diagnosis.label,
            model_confidence=diagnosis.confidence,
            probabilities=diagnosis.probabilities,
            is_leaf=diagnosis.is_leaf,
            **details,
        )


@dataclass(frozen=True)
class CaseRecord:
    """A saved case as read back from the database."""

    id: int
    created_at: datetime
    photo_name: str
    thumbnail: bytes = field(repr=False)  # empty when read without (iter_cases)
    model_label: str
    model_confidence: float
    probabilities: dict[str, float]
    is_leaf: bool
    confirmed_label: str | None
    confirmed_at: datetime | None
    field_name: str | None
    plot: str | None
    notes: str | None
    latitude: float | None
    longitude: float | None
    model_version: str | None
    blind_label: str | None = None
    photo_sha256: str | None = None
    taken_at: datetime | None = None
    severity_percent: float | None = None
    reviewed_by: str | None = None
    review_basis: str | None = None  # one of REVIEW_BASES

    @property
    def label(self) -> str:
        """The agronomist's label when there is one, else the model's."""
        return self.confirmed_label or self.model_label

    @property
    def location(self) -> Location | None:
        """Where the case was found, when it says (the two coordinates are saved together)."""
        if self.latitude is None or self.longitude is None:
            return None
        return Location(self.latitude, self.longitude)

    @property
    def observed_at(self) -> datetime:
        """When the leaf was seen: the photo's own time when known, else the saving time."""
        return self.taken_at or self.created_at

    @property
    def thumbnail_data_url(self) -> str:
        """The thumbnail as a ``data:`` URL, for image columns and HTML."""
        return "data:image/jpeg;base64," + base64.b64encode(self.thumbnail).decode("ascii")


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to read: all given conditions must hold; dates are inclusive days in
    ``time_zone`` (the team's: Settings.time_zone)."""

    field_name: str | None = None
    label: str | None = None  # the confirmed label when present, else the model's
    date_from: date | None = None
    date_to: date | None = None
    limit: int | None = DEFAULT_LIST_LIMIT  # None: no limit
    time_zone: str = UTC_NAME
    words: str | None = None  # found in the notes, plot or photo name, any case
    review: ReviewState | None = None
    reviewed_by: str | None = None  # the name that signed the review
    review_basis: ReviewBasis | None = None  # what the review rests on


class LabelCount(NamedTuple):
    """How many cases had ``label`` in the period starting on ``period_start``."""

    period_start: date
    label: str
    count: int


# Validation -------------------------------------------------------------------------


def _check_label(label: str, what: str) -> str:
    if label not in MODEL_CLASSES:
        known = ", ".join(MODEL_CLASSES)
        raise ValueError(f"{what} '{label}' is not a known label (known: {known}).")
    return label


def _clean_text(value: str | None, what: str, max_length: int) -> str | None:
    """Stripped text, ``None`` when blank; ValueError when too long."""
    if value is None:
        return None
    cleaned = str(value).strip()
    if len(cleaned) > max_length:
        raise ValueError(f"{what} is too long: {len(cleaned)} characters, at most {max_length}.")
    return cleaned or None


def _check_fraction(value: float, what: str) -> float:
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ValueError(f"{what} must be between 0 and 1, not {value}.")
    return number


def _check_coordinate(value: float | None, what: str, limit: float) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValueError(f"{what} must be between -{limit:g} and {limit:g}, not {value}.")
    return number


def _check_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    digest = value.strip().lower()
    if len(digest) != PHOTO_SHA256_LENGTH or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("The photo's SHA-256 must be 64 hexadecimal digits.")
    return digest


def _check_aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("The case time must include a timezone.")
    return moment.astimezone(UTC)


def _check_taken_at(taken_at: datetime | None, saved_at: datetime) -> datetime | None:
    if taken_at is None:
        return None
    taken_at = _check_aware(taken_at)
    if taken_at > saved_at + TAKEN_AT_TOLERANCE:
        raise ValueError("The photo cannot have been taken after the case is saved.")
    return taken_at


def make_thumbnail(image: Image.Image, max_side: int = THUMBNAIL_MAX_SIDE) -> bytes:
    """A JPEG of the image no larger than ``max_side`` on either side, without metadata."""
    thumbnail = image.convert("RGB") if image.mode != "RGB" else image.copy()
    thumbnail.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumbnail.save(buffer, format="JPEG", quality=THUMBNAIL_JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _clean_name(value: str | None, what: str, max_length: int) -> str | None:
    """A field or plot name: as :func:`_clean_text`, with runs of spaces made single."""
    return _clean_text(None if value is None else " ".join(str(value).split()), what, max_length)


def _checked_details(details: CaseDetails) -> dict[str, Any]:
    """The details as stored (the ``Case`` columns' values), or ValueError saying what is
    wrong."""
    latitude = _check_coordinate(details.latitude, "Latitude", 90)
    longitude = _check_coordinate(details.longitude, "Longitude", 180)
    if (latitude is None) != (longitude is None):
        raise ValueError("Give both latitude and longitude, or neither.")
    return {
        "field_name": _clean_name(details.field_name, "The field name", FIELD_NAME_MAX_LENGTH),
        "plot": _clean_name(details.plot, "The plot", PLOT_MAX_LENGTH),
        "notes": _clean_text(details.notes, "The notes", NOTES_MAX_LENGTH),
        "latitude": latitude,
        "longitude": longitude,
        "severity_percent": _check_severity(details.severity_percent),
    }


def _check_reviewer(name: str | None) -> str | None:
    """The reviewer's name as stored (spaces tidied), None when blank, or ValueError."""
    return _clean_name(name, "The reviewer's name", REVIEWER_NAME_MAX_LENGTH)


def _check_basis(basis: str | None) -> str | None:
    """One of :data:`REVIEW_BASES`, None when not said, or ValueError."""
    if not basis:
        return None
    if basis not in REVIEW_BASES:
        raise ValueError(
            f"What a review rests on must be one of {', '.join(REVIEW_BASES)}, not {basis!r}."
        )
    return basis


def _check_severity(value: float | None) -> float | None:
    """A severity in percent (0 to 100), or None when not estimated."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 100.0:
        raise ValueError(f"The severity must be between 0 and 100 %, not {value}.")
    return number


def _validated_row(new_case: NewCase) -> Case:
    """The ``Case`` row for a new case, or ValueError saying what is wrong."""
    if not isinstance(new_case.photo, Image.Image):
        raise ValueError("The photo must be a decoded image.")
    photo_name = _clean_text(new_case.photo_name, "The photo name", PHOTO_NAME_MAX_LENGTH)
    details = _checked_details(
        CaseDetails(**{item.name: getattr(new_case, item.name) for item in fields(CaseDetails)})
    )
    probabilities = {
        _check_label(label, "Probability label"): _check_fraction(value, f"Probability of {label}")
        for label, value in new_case.probabilities.items()
    }
    confirmed_label = new_case.confirmed_label or None
    blind_label = new_case.blind_label or None
    created_at = _check_aware(new_case.created_at)
    return Case(
        created_at=created_at,
        photo_name=photo_name or "photo",
        thumbnail=make_thumbnail(new_case.photo),
        model_label=_check_label(new_case.model_label, "The model label"),
        model_confidence=_check_fraction(new_case.model_confidence, "The model confidence"),
        probabilities=probabilities,
        is_leaf=bool(new_case.is_leaf),
        confirmed_label=confirmed_label and _check_label(confirmed_label, "The confirmed label"),
        confirmed_at=created_at if confirmed_label else None,
        **details,
        model_version=_clean_text(
            new_case.model_version, "The model version", MODEL_VERSION_MAX_LENGTH
        ),
        blind_label=blind_label and _check_label(blind_label, "The blind review label"),
        photo_sha256=_check_sha256(new_case.photo_sha256),
        taken_at=_check_taken_at(new_case.taken_at, created_at),
        reviewed_by=_check_reviewer(new_case.reviewed_by) if confirmed_label else None,
        review_basis=_check_basis(new_case.review_basis) if confirmed_label else None,
    )


# Queries ----------------------------------------------------------------------------


def _record(row: Case, with_thumbnail: bool = True) -> CaseRecord:
    copied = (item.name for item in fields(CaseRecord))
    values = {
        name: getattr(row, name) for name in copied if name not in ("thumbnail", "probabilities")
    }
    return CaseRecord(
        **values,
        thumbnail=row.thumbnail if with_thumbnail else b"",  # deferred: not read at all
        probabilities=dict(row.probabilities or {}),
    )


def _effective_label() -> Any:
    return func.coalesce(Case.confirmed_label, Case.model_label)


def _observed_at() -> Any:
    """SQL for :attr:`CaseRecord.observed_at`."""
    return func.coalesce(Case.taken_at, Case.created_at, type_=UtcDateTime)


def _start_of_day(day: date, zone: tzinfo = UTC) -> datetime:
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=UTC)
    return day_start(day, zone)


def _filtered(statement: Select[Any], case_filter: CaseFilter) -> Select[Any]:
    """``statement`` restricted to the cases ``case_filter`` selects (limit aside)."""
    if case_filter.field_name:
        statement = statement.where(Case.field_name == case_filter.field_name.strip())
    if case_filter.label:
        _check_label(case_filter.label, "The label filter")
        statement = statement.where(_effective_label() == case_filter.label)
    wanted = (case_filter.words or "").strip().lower()
    if wanted:
        statement = statement.where(
            or_(
                *(
                    func.lower(column).contains(wanted, autoescape=True)
                    for column in (Case.notes, Case.plot, Case.photo_name)
                )
            )
        )
    if case_filter.review is not None:
        statement = statement.where(_in_review_state(case_filter.review))
    if case_filter.reviewed_by:
        statement = statement.where(Case.reviewed_by == case_filter.reviewed_by)
    if case_filter.review_basis:
        _check_basis(case_filter.review_basis)
        statement = statement.where(Case.review_basis == case_filter.review_basis)
    zone = time_zone(case_filter.time_zone)
    if case_filter.date_from is not None:
        statement = statement.where(_observed_at() >= _start_of_day(case_filter.date_from, zone))
    if case_filter.date_to is not None:
        if isinstance(case_filter.date_to, datetime):
            statement = statement.where(_observed_at() <= _start_of_day(case_filter.date_to))
        else:
            next_day = _start_of_day(case_filter.date_to + timedelta(days=1), zone)
            statement = statement.where(_observed_at() < next_day)
    return statement


def _in_review_state(state: ReviewState) -> Any:
    """SQL condition for the cases in ``state`` (see :data:`REVIEW_STATES`)."""
    if state == "not_reviewed":
        return Case.confirmed_label.is_(None)
    if state == "reviewed":
        return Case.confirmed_label.is_not(None)
    if state == "corrected":
        return Case.confirmed_label.is_not(None) & (Case.confirmed_label != Case.model_label)
    raise ValueError(f"The review filter must be one of {', '.join(REVIEW_STATES)}, not {state!r}.")


def _known_spelling(
    session: Session, field_name: str | None, plot: str | None, *ignoring: Any
) -> tuple[str | None, str | None]:
    """The field, and the plot within it, as the history already spells them when they
    differ only in capitals ("north field" is "North field"), else as given; so one field
    is not split in filters, trends and plot visits. Cases matching ``ignoring`` (SQL
    conditions) do not count."""
    others = [~condition for condition in ignoring]

    def spelled(column: Any, name: str, *where: Any) -> str:
        earliest = (
            select(column)
            .where(func.lower(column) == name.lower(), *where, *others)
            .order_by(Case.id)
            .limit(1)
        )
        return session.scalars(earliest).first() or name

    if field_name is not None:
        field_name = spelled(Case.field_name, field_name)
        if plot is not None:
            plot = spelled(Case.plot, plot, Case.field_name == field_name)
    return field_name, plot


def save_case(engine: Engine, new_case: NewCase) -> int:
    """Store a new case and return its id; ValueError (a message for people) if invalid."""
    return save_cases(engine, [new_case])[0]


class PhotoAlreadySavedError(ValueError):
    """A photo with the same SHA-256 is in the history already; nothing was saved."""


def save_cases(engine: Engine, new_cases: Sequence[NewCase]) -> list[int]:
    """Store several cases in one transaction (all or none) and return their ids;
    ValueError (a message for people) if any is invalid, before anything is written, or
    :class:`PhotoAlreadySavedError` if one of the photos is saved already."""
    rows = [_validated_row(new_case) for new_case in new_cases]
    digests = [row.photo_sha256 for row in rows if row.photo_sha256]
    if len(set(digests)) < len(digests):
        raise ValueError("The same photo is given twice; save it once.")
    try:
        with session_factory(engine).begin() as session:
            for row in rows:
                row.field_name, row.plot = _known_spelling(session, row.field_name, row.plot)
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]
    except IntegrityError as error:
        if not cases_of_photos(engine, digests):
            raise  # not a photo saved twice
        raise PhotoAlreadySavedError(
            "Nothing was saved: a photo among these reached the history meanwhile, from "
            "another page or device. Any others can be saved again."
        ) from error


def cases_of_photos(engine: Engine, digests: Iterable[str]) -> dict[str, int]:
    """For each photo (by :func:`photo_sha256`) already in the history, the id of the
    first case that holds it; photos not saved yet are absent."""
    wanted = {digest.lower() for digest in digests}
    if not wanted:
        return {}
    statement = (
        select(Case.photo_sha256, func.min(Case.id))
        .where(Case.photo_sha256.in_(wanted))
        .group_by(Case.photo_sha256)
    )
    with session_factory(engine)() as session:
        return {digest: case_id for digest, case_id in session.execute(statement)}


def _newest_first(case_filter: CaseFilter) -> Select[Any]:
    """The cases the filter selects (limit aside), newest saved first."""
    return _filtered(select(Case), case_filter).order_by(Case.created_at.desc(), Case.id.desc())


def list_cases(
    engine: Engine, case_filter: CaseFilter | None = None, offset: int = 0
) -> list[CaseRecord]:
    """The cases matching the filter, newest first, the ``offset`` newest skipped."""
    case_filter = case_filter or CaseFilter()
    if case_filter.limit is not None and case_filter.limit < 1:
        raise ValueError(f"The limit must be at least 1, not {case_filter.limit}.")
    if offset < 0:
        raise ValueError(f"The offset must be 0 or more, not {offset}.")
    statement = _newest_first(case_filter).offset(offset or None)
    if case_filter.limit is not None:
        statement = statement.limit(case_filter.limit)
    with session_factory(engine)() as session:
        return [_record(row) for row in session.scalars(statement)]


def iter_cases(
    engine: Engine,
    case_filter: CaseFilter | None = None,
    *,
    reviewed_only: bool = False,
    with_thumbnails: bool = True,
    batch_size: int = 200,
) -> Iterator[CaseRecord]:
    """Every case matching the filter (its limit aside), newest first, read ``batch_size``
    rows at a time: exports of a history of any size in bounded memory. ``reviewed_only``:
    only cases an agronomist reviewed; without thumbnails their ``thumbnail`` is empty."""
    statement = _newest_first(case_filter or CaseFilter())
    if reviewed_only:
        statement = statement.where(_in_review_state("reviewed"))
    if not with_thumbnails:
        statement = statement.options(defer(Case.thumbnail, raiseload=True))
    with session_factory(engine)() as session:
        rows = session.scalars(statement.execution_options(yield_per=batch_size))
        for row in rows:
            yield _record(row, with_thumbnails)


class FilterSummary(NamedTuple):
    """The cases a filter selects: how many, how many an agronomist reviewed, and the
    first and last :attr:`CaseRecord.observed_at` among them (None when there are none)."""

    cases: int
    reviewed: int
    first_seen: datetime | None
    last_seen: datetime | None


def summarize(engine: Engine, case_filter: CaseFilter) -> FilterSummary:
    """What :class:`FilterSummary` says of the cases matching the filter (limit aside)."""
    observed_at = _observed_at()
    statement = _filtered(
        select(
            func.count(),
            func.count(Case.confirmed_label),
            func.min(observed_at),
            func.max(observed_at),
        ).select_from(Case),
        case_filter,
    )
    with session_factory(engine)() as session:
        cases, reviewed, first_seen, last_seen = session.execute(statement).one()
    return FilterSummary(int(cases), int(reviewed), first_seen, last_seen)


def get_case(engine: Engine, case_id: int) -> CaseRecord | None:
    """One case by id, or None if there is no such case."""
    with session_factory(engine)() as session:
        row = session.get(Case, case_id)
        return _record(row) if row is not None else None


def confirm_case(
    engine: Engine,
    case_id: int,
    label: str | None,
    reviewed_by: str | None = None,
    basis: ReviewBasis | None = None,
) -> bool:
    """Record the agronomist's label, given by ``reviewed_by`` if named, resting on
    ``basis`` if said (a None label clears the review, its reviewer and basis); False if
    there is no such case."""
    if label:
        _check_label(label, "The confirmed label")
    values = {
        "confirmed_label": label or None,
        "confirmed_at": datetime.now(UTC) if label else None,
        "reviewed_by": _check_reviewer(reviewed_by) if label else None,
        "review_basis": _check_basis(basis) if label else None,
    }
    with session_factory(engine).begin() as session:
        result = session.execute(update(Case).where(Case.id == case_id).values(**values))
        return bool(result.rowcount)


def update_case_details(engine: Engine, case_id: int, details: CaseDetails) -> bool:
    """Make a case's details ``details`` (checked as when saving; blank or None clears);
    False if there is no such case. The diagnoses and the photo stay."""
    values = _checked_details(details)
    with session_factory(engine).begin() as session:
        values["field_name"], values["plot"] = _known_spelling(
            session, values["field_name"], values["plot"], Case.id == case_id
        )
        result = session.execute(update(Case).where(Case.id == case_id).values(**values))
        return bool(result.rowcount)


class FieldExistsError(ValueError):
    """The new name is another field's (as the history spells it): renaming would merge
    the two, which was not asked for."""

    def __init__(self, name: str) -> None:
        super().__init__(f"“{name}” is another field already.")
        self.name = name


def rename_field(engine: Engine, old_name: str, new_name: str, merge: bool = True) -> int:
    """Give every case of field ``old_name`` the name ``new_name`` (as the history spells
    it, when it names a field already: then the two fields become one, or, without
    ``merge``, :class:`FieldExistsError` and nothing changes); returns how many cases
    changed. ValueError (a message for people) for an empty or too long name."""
    name = _clean_name(new_name, "The new field name", FIELD_NAME_MAX_LENGTH)
    if name is None:
        raise ValueError("Give the new field name.")
    with session_factory(engine).begin() as session:
        spelled, _ = _known_spelling(session, name, None, Case.field_name == old_name)
        if not merge and session.scalar(
            select(func.count()).where(Case.field_name == spelled, Case.field_name != old_name)
        ):
            raise FieldExistsError(spelled)
        renamed = update(Case).where(Case.field_name == old_name).values(field_name=spelled)
        return session.execute(renamed).rowcount


def cases_per_field(engine: Engine) -> dict[str, int]:
    """How many cases each named field has."""
    return _cases_per_value(engine, Case.field_name)


def _cases_per_value(engine: Engine, column: Any) -> dict[str, int]:
    """How many cases hold each value of ``column`` (cases without one not counted)."""
    statement = select(column, func.count()).where(column.is_not(None)).group_by(column)
    with session_factory(engine)() as session:
        return {value: int(count) for value, count in session.execute(statement)}


@dataclass(frozen=True)
class ReviewCandidate:
    """What the review queue ranks an unreviewed case by (not its photo or notes)."""

    id: int
    is_leaf: bool
    probabilities: Mapping[str, float]
    observed_at: datetime


def unreviewed_cases(engine: Engine, case_filter: CaseFilter) -> list[ReviewCandidate]:
    """Every case matching the filter (its limit aside) that no agronomist has reviewed:
    the few columns the review queue ranks them by, so thousands load at once."""
    statement = _filtered(
        select(Case.id, Case.is_leaf, Case.probabilities, _observed_at().label("observed_at")),
        case_filter,
    ).where(_in_review_state("not_reviewed"))
    with session_factory(engine)() as session:
        return [
            ReviewCandidate(row.id, row.is_leaf, row.probabilities or {}, row.observed_at)
            for row in session.execute(statement)
        ]


def reviewed_label_counts(engine: Engine) -> dict[str, int]:
    """How many cases of the whole history an agronomist filed under each label."""
    return _cases_per_value(engine, Case.confirmed_label)


def count_cases(engine: Engine) -> int:
    """How many cases the history holds."""
    with session_factory(engine)() as session:
        return int(session.execute(select(func.count()).select_from(Case)).scalar_one())


def delete_case(engine: Engine, case_id: int) -> bool:
    """Delete a case for good; False if there was no such case."""
    with session_factory(engine).begin() as session:
        result = session.execute(delete(Case).where(Case.id == case_id))
        return bool(result.rowcount)


def field_names(engine: Engine) -> list[str]:
    """The distinct field names in the history, sorted."""
    return _distinct_values(engine, Case.field_name)


def reviewer_names(engine: Engine) -> list[str]:
    """The names that signed reviews in the history, sorted."""
    return _distinct_values(engine, Case.reviewed_by)


def review_bases(engine: Engine) -> list[str]:
    """What the history's reviews rest on, as :data:`REVIEW_BASES` orders them."""
    present = set(_distinct_values(engine, Case.review_basis))
    return [basis for basis in REVIEW_BASES if basis in present]


def _distinct_values(engine: Engine, column: Any) -> list[str]:
    """The distinct values of ``column`` that cases hold, sorted."""
    statement = select(column).where(column.is_not(None)).distinct().order_by(column)
    with session_factory(engine)() as session:
        return list(session.scalars(statement))


def field_locations(engine: Engine) -> dict[str, Location]:
    """Where each named field's located cases are, on average (one query)."""
    statement = (
        select(Case.field_name, func.avg(Case.latitude), func.avg(Case.longitude))
        .where(Case.field_name.is_not(None), Case.latitude.is_not(None))
        .group_by(Case.field_name)
    )
    with session_factory(engine)() as session:
        rows = session.execute(statement).all()
    return {name: Location(float(lat), float(lon)) for name, lat, lon in rows}


def period_start(moment: datetime, period: Period, zone: tzinfo = UTC) -> date:
    """The day, or the Monday of the week, that ``moment`` falls in, in ``zone``."""
    day = local_day(moment, zone)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    raise ValueError(f"The period must be 'day' or 'week', not {period!r}.")


def cases_by_label_over_time(
    engine: Engine, case_filter: CaseFilter | None = None, period: Period = "day"
) -> list[LabelCount]:
    """Counts of matching cases per period (of :attr:`CaseRecord.observed_at`) and label
    (all of them: the limit is ignored)."""
    if period not in PERIODS:
        raise ValueError(f"The period must be 'day' or 'week', not {period!r}.")
    statement = _filtered(select(_observed_at(), _effective_label()), case_filter or CaseFilter())
    with session_factory(engine)() as session:
        rows = session.execute(statement).all()
    # Grouped here rather than in SQL: date truncation differs between SQLite and PostgreSQL.
    zone = time_zone((case_filter or CaseFilter()).time_zone)
    counts = Counter(
        (period_start(observed_at, period, zone), label) for observed_at, label in rows
    )
    order = {label: index for index, label in enumerate(MODEL_CLASSES)}
    keys = sorted(counts, key=lambda key: (key[0], order.get(key[1], len(order)), key[1]))
    return [LabelCount(start, label, counts[start, label]) for start, label in keys]
