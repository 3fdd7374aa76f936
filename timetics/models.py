"""The data model (SPEC §3). Datetimes are aware and UTC; local times are minutes after midnight."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import UTCDateTime, utcnow
from .extensions import db

MINUTES_PER_DAY = 24 * 60
# Zoom's Get a user ``type`` of a Basic (free) user, and how long Zoom lets such a user's
# meetings run (Zoom support: "40-minute limit on meetings", every meeting since July 2022).
ZOOM_BASIC = 1
ZOOM_BASIC_LIMIT_MINUTES = 40
DEFAULT_REMINDERS = "24h, 1h"


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the values ("staff"), not the names, in a plain VARCHAR with a CHECK.
    return Enum(
        cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=True,
        length=20,
        name=cls.__name__.lower(),
    )


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"


class MeetingKind(enum.StrEnum):
    ONE_TO_ONE = "one_to_one"
    ONE_TO_MANY = "one_to_many"


class Location(enum.StrEnum):
    ZOOM = "zoom"
    NONE = "none"


class GuestJoin(enum.StrEnum):
    """How the guests of a one-to-many Zoom meeting type join (SPEC 7, "How guests join")."""

    SHARED = "shared"  # One shared meeting link
    REGISTRATION = "registration"  # Zoom meeting with registration: a link per guest
    WEBINAR = "webinar"  # Zoom webinar: a link per guest


class BookingStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Approval(enum.StrEnum):
    """Where a booking stands with the host's approval (a type that requires it)."""

    NONE = "none"  # confirmed at once: the type needs no approval
    REQUESTED = "requested"  # holds its slot, waits for Accept or Decline
    ACCEPTED = "accepted"
    DECLINED = "declined"  # by the host, or by itself when nobody answered in time


class ZoomState(enum.StrEnum):
    NONE = "none"
    PENDING = "pending"
    CREATED = "created"
    FAILED = "failed"
    DELETE_PENDING = "delete_pending"
    DELETED = "deleted"
    DELETED_IN_ZOOM = "deleted_in_zoom"  # the host deleted it in Zoom: a new one is needed


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a password)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: the unique constraint is then case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.STAFF)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The language of their staff pages and emails (timetics/i18n.py); None reads English.
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login cookie's user id: raising it (on a password change) ends every session.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    availability_rules: Mapped[list[AvailabilityRule]] = relationship(
        back_populates="user", cascade="all, delete-orphan",
        order_by="AvailabilityRule.weekday, AvailabilityRule.start_minute",
    )
    date_overrides: Mapped[list[DateOverride]] = relationship(
        back_populates="user", cascade="all, delete-orphan",
        order_by="DateOverride.day, DateOverride.start_minute",
    )
    zoom_connection: Mapped[ZoomConnection | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def zoom_status(self) -> str:
        """``connected``, ``reconnect_needed`` or ``not_connected``: the one reading of a
        host's Zoom state that every page shows."""
        connection = self.zoom_connection
        if connection is None:
            return "not_connected"
        return "reconnect_needed" if connection.reconnect_needed else "connected"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class PasswordToken(db.Model):
    """A single-use link to set a password: an invitation or a reset. Only the hash is kept."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[TokenPurpose] = mapped_column(_enum(TokenPurpose))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordToken {self.id} {self.purpose} user={self.user_id}>"


class ZoomSettings(db.Model):
    """The admin's Zoom app (one row). Secrets are Fernet-encrypted."""

    __tablename__ = "zoom_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200), default="")
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    secret_token_encrypted: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_configured(self) -> bool:
        return bool(self.client_id and self.client_secret_encrypted)

    def __repr__(self) -> str:
        return f"<ZoomSettings client_id={self.client_id!r}>"


class SiteSettings(db.Model):
    """Settings an admin changes in the app (one row); a NULL column falls back to the
    configuration's value."""

    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Space-separated origins that may frame the booking pages (EMBED_ALLOWED_ORIGINS).
    embed_allowed_origins: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<SiteSettings embed_allowed_origins={self.embed_allowed_origins!r}>"


class ZoomConnection(db.Model):
    """A staff member's authorisation of the Zoom app. Deleting it deletes all their Zoom data."""

    __tablename__ = "zoom_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # One connection per Zoom user: a second authorisation would kill the first one's tokens.
    zoom_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    zoom_account_id: Mapped[str] = mapped_column(String(64), default="")
    zoom_email: Mapped[str] = mapped_column(String(254), default="")
    zoom_display_name: Mapped[str] = mapped_column(String(200), default="")
    scopes: Mapped[str] = mapped_column(Text, default="")
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Bumped on every token change: a compare-and-swap guard for concurrent refreshes.
    version: Mapped[int] = mapped_column(default=1)
    # Set while one worker refreshes (its lease); the others wait for its new token.
    refresh_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reconnect_needed: Mapped[bool] = mapped_column(default=False)
    reconnect_email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # When Zoom last issued the token pair (connect or refresh): the keep-alive refreshes a
    # pair that has been idle for ZOOM_KEEPALIVE_DAYS (None: as old as the connection).
    tokens_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The host's plan: Get a user's ``type`` (1 Basic, 2 Licensed, 99 None), and Get user
    # settings' ``feature`` object as Zoom sent it ({"webinar": true, "meeting_capacity": 100,
    # …}); None when unknown, and then ``zoom_plan_problem`` says why (a scope, by name).
    zoom_user_type: Mapped[int | None] = mapped_column()
    zoom_features: Mapped[dict | None] = mapped_column(JSON)
    zoom_plan_problem: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="zoom_connection")

    @property
    def is_basic(self) -> bool:
        """A Zoom Basic (free) user, whose meetings Zoom ends after 40 minutes."""
        return self.zoom_user_type == ZOOM_BASIC

    def feature(self, name: str) -> bool | int | str | None:
        """One of the host's Zoom feature flags (``webinar``, ``meeting_capacity``…), or None
        when it is unknown."""
        return (self.zoom_features or {}).get(name)

    def __repr__(self) -> str:
        return f"<ZoomConnection user={self.user_id} zoom={self.zoom_user_id}>"


class MeetingType(db.Model):
    __tablename__ = "meeting_types"
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_range"),
        CheckConstraint(
            "(kind = 'one_to_one' AND capacity = 1) OR "
            "(kind = 'one_to_many' AND capacity BETWEEN 2 AND 500)",
            name="capacity_fits_kind",
        ),
        CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0 AND min_notice_minutes >= 0",
            name="non_negative_margins",
        ),
        CheckConstraint("window_days BETWEEN 1 AND 730", name="window_range"),
        CheckConstraint("zoom_join_before_minutes IN (0, 5, 10, 15)",
                        name="zoom_join_before_choice"),
        CheckConstraint("zoom_auto_recording IN ('none', 'local', 'cloud')",
                        name="zoom_auto_recording_choice"),
        CheckConstraint("bookings_per_day >= 1 AND bookings_per_week >= 1",
                        name="positive_booking_limits"),
        CheckConstraint("extra_guests_allowed BETWEEN 0 AND 20", name="extra_guests_range"),
        CheckConstraint("zoom_guest_join IN ('shared', 'registration', 'webinar')",
                        name="zoom_guest_join_choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=30)
    kind: Mapped[MeetingKind] = mapped_column(_enum(MeetingKind), default=MeetingKind.ONE_TO_ONE)
    capacity: Mapped[int] = mapped_column(default=1)
    location: Mapped[Location] = mapped_column(_enum(Location), default=Location.ZOOM)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_minutes: Mapped[int] = mapped_column(default=60)
    window_days: Mapped[int] = mapped_column(default=60)
    step_minutes: Mapped[int | None] = mapped_column()  # None: the duration
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Zoom options, sent with every create and update (timetics/zoom/api.py meeting_payload).
    zoom_waiting_room: Mapped[bool] = mapped_column(default=False, server_default=false())
    zoom_passcode: Mapped[bool] = mapped_column(default=True, server_default=true())
    zoom_join_before_minutes: Mapped[int | None] = mapped_column()  # None: wait for the host
    zoom_mute_on_entry: Mapped[bool] = mapped_column(default=False, server_default=false())
    zoom_auto_recording: Mapped[str] = mapped_column(String(5), default="none",
                                                     server_default="none")
    zoom_alternative_hosts: Mapped[str] = mapped_column(Text, default="", server_default="")
    # How guests join (one-to-many with location Zoom only): a GuestJoin value.
    zoom_guest_join: Mapped[str] = mapped_column(String(12), default=GuestJoin.SHARED.value,
                                                 server_default=GuestJoin.SHARED.value)
    # How long before the start each guest is reminded, as typed ("24h, 1h"); "" for none.
    reminder_offsets: Mapped[str] = mapped_column(String(200), default=DEFAULT_REMINDERS)
    remind_host: Mapped[bool] = mapped_column(default=False)
    # At most this many bookings per local day / week (Monday-Sunday) of the host; None: no
    # limit (booking/availability.py free_slots).
    bookings_per_day: Mapped[int | None] = mapped_column()
    bookings_per_week: Mapped[int | None] = mapped_column()
    # How many more addresses a guest may bring; they get the emails, only the guest manages.
    extra_guests_allowed: Mapped[int] = mapped_column(default=0, server_default="0")
    # A booking is a request that holds its slot until the host accepts it (booking/approval.py).
    requires_approval: Mapped[bool] = mapped_column(default=False, server_default=false())

    host: Mapped[User] = relationship()
    questions: Mapped[list[BookingQuestion]] = relationship(
        back_populates="meeting_type", order_by="BookingQuestion.position",
        cascade="all, delete-orphan")

    @property
    def is_group(self) -> bool:
        return self.kind == MeetingKind.ONE_TO_MANY

    @property
    def cut_short_by_zoom(self) -> bool:
        return zoom_cuts_short(self.host, self.duration_minutes, self.location)

    def __repr__(self) -> str:
        return f"<MeetingType {self.id} {self.slug}>"


def zoom_cuts_short(host: User | None, duration_minutes: int | None,
                    location: Location | str | None) -> bool:
    """A Zoom meeting longer than the host's Basic Zoom account lets a meeting run: Zoom
    ends it after 40 minutes."""
    connection = host.zoom_connection if host is not None else None
    return (location == Location.ZOOM and connection is not None and connection.is_basic
            and (duration_minutes or 0) > ZOOM_BASIC_LIMIT_MINUTES)


class AvailabilityRule(db.Model):
    """A weekly working interval, in the user's own zone."""

    __tablename__ = "availability_rules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            f"start_minute >= 0 AND end_minute <= {MINUTES_PER_DAY} AND start_minute < end_minute",
            name="ordered_minutes",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column()  # 0 = Monday
    start_minute: Mapped[int] = mapped_column()
    end_minute: Mapped[int] = mapped_column()  # exclusive; 1440 = midnight at the end of the day

    user: Mapped[User] = relationship(back_populates="availability_rules")

    def __repr__(self) -> str:
        minutes = f"{self.start_minute}-{self.end_minute}"
        return f"<AvailabilityRule user={self.user_id} day={self.weekday} {minutes}>"


class DateOverride(db.Model):
    """Other hours for one date; a row without minutes means the whole day off."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            f"(start_minute >= 0 AND end_minute <= {MINUTES_PER_DAY} "
            "AND start_minute < end_minute)",
            name="day_off_or_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column()
    end_minute: Mapped[int | None] = mapped_column()

    user: Mapped[User] = relationship(back_populates="date_overrides")

    @property
    def is_day_off(self) -> bool:
        return self.start_minute is None

    def __repr__(self) -> str:
        minutes = f"{self.start_minute}-{self.end_minute}"
        return f"<DateOverride user={self.user_id} {self.day} {minutes}>"


class Booking(db.Model):
    """One occurrence of a meeting type. A group booking holds several attendees."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ordered_times"),
        # The database's own guard against double booking: one live booking per host and start.
        Index(
            "uq_bookings_host_start_confirmed",
            "host_id",
            "start_at",
            unique=True,
            sqlite_where=text("status = 'confirmed'"),
            postgresql_where=text("status = 'confirmed'"),
        ),
        Index("ix_bookings_host_id_start_at", "host_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    meeting_type_id: Mapped[int] = mapped_column(ForeignKey("meeting_types.id"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=1)
    status: Mapped[BookingStatus] = mapped_column(
        _enum(BookingStatus), default=BookingStatus.CONFIRMED
    )
    # iCalendar SEQUENCE: raised on every reschedule so calendars replace the old copy.
    sequence: Mapped[int] = mapped_column(default=0)
    # A Zoom meeting id is a 64-bit integer; a string keeps it exact everywhere.
    zoom_meeting_id: Mapped[str | None] = mapped_column(String(32))
    zoom_join_url: Mapped[str | None] = mapped_column(Text)
    # How its guests join (a GuestJoin value), fixed when its meeting is planned: with
    # "registration" or "webinar", zoom_meeting_id is a meeting with registration or a webinar,
    # zoom_join_url stays None and each attendee has a link of their own.
    zoom_guest_join: Mapped[str | None] = mapped_column(String(12))
    zoom_passcode: Mapped[str | None] = mapped_column(String(32))
    # What Zoom's answer says the meeting has (None: not known yet), which may not be what
    # the meeting type asked for.
    zoom_waiting_room: Mapped[bool | None] = mapped_column()
    zoom_join_before_host: Mapped[bool | None] = mapped_column()
    zoom_jbh_time: Mapped[int | None] = mapped_column()
    # Telephone dial-in as Zoom's answer gave it: {"numbers": settings.global_dial_in_numbers
    # (each country, country_name, city, number, type), "phone_passcode": the numeric one};
    # None when the meeting has no dial-in.
    zoom_dial_in: Mapped[dict | None] = mapped_column(JSON)
    zoom_state: Mapped[ZoomState] = mapped_column(_enum(ZoomState), default=ZoomState.NONE)
    zoom_error: Mapped[str | None] = mapped_column(Text)
    # Zoom's start time when the host moved the meeting in Zoom (None: Zoom has the booking's),
    # and when Zoom last told us where the meeting stands: an older event changes nothing.
    zoom_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    zoom_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A request keeps status "confirmed" so that it holds its slot everywhere a booking does
    # (free slots, limits, the unique index); ``approval`` says it still waits for the host,
    # until ``approval_due_at``, when it is declined by itself.
    approval: Mapped[Approval] = mapped_column(_enum(Approval), default=Approval.NONE,
                                               server_default=Approval.NONE.value)
    approval_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting_type: Mapped[MeetingType] = relationship()
    host: Mapped[User] = relationship()
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", order_by="Attendee.id"
    )

    @property
    def awaiting_approval(self) -> bool:
        return self.approval == Approval.REQUESTED and self.status == BookingStatus.CONFIRMED

    @property
    def shown_status(self) -> str:
        """What pages, the API and webhooks call the booking's state: ``pending`` while it
        waits for the host's approval, else its status."""
        return "pending" if self.awaiting_approval else self.status.value

    @property
    def zoom_time_differs(self) -> bool:
        """The host moved the meeting in Zoom to another time than the booking's."""
        return self.zoom_start_at is not None and self.zoom_start_at != self.start_at

    @property
    def zoom_joining_notes(self) -> list[str]:
        """What Zoom applied that guests notice, in the words every page and email uses."""
        notes = []
        if self.zoom_waiting_room:
            notes.append("The host will let you in from the waiting room.")
        if self.zoom_join_before_host:
            notes.append(f"You can join up to {self.zoom_jbh_time} minutes early."
                         if self.zoom_jbh_time else "You can join before the host, at any time.")
        return notes

    @property
    def links_per_guest(self) -> bool:
        return self.zoom_guest_join in (GuestJoin.REGISTRATION, GuestJoin.WEBINAR)

    @property
    def registrant_count(self) -> int:
        """Guests and their extra guests who are Zoom registrants now (a link per guest)."""
        return sum(1 for a in self.attendees if a.status == BookingStatus.CONFIRMED
                   for person in (a, *a.extra_guests) if person.zoom_registrant_id)

    def join_url_for(self, guest: Attendee | ExtraGuest | None) -> str | None:
        """The Zoom link ``guest`` (a guest or an extra guest; None: the host) may be given:
        their own registrant link where each guest has one, never another's; else the shared
        one."""
        if not self.links_per_guest:
            return self.zoom_join_url
        if guest is None or guest.status != BookingStatus.CONFIRMED \
                or self.zoom_state != ZoomState.CREATED:  # e.g. deleted in Zoom: links dead
            return None
        return guest.zoom_join_url

    def __repr__(self) -> str:
        return f"<Booking {self.reference} {self.start_at:%Y-%m-%dT%H:%MZ} {self.status}>"


class Attendee(db.Model):
    __tablename__ = "attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(64))
    # The language they booked in: every later email to them is written in it (i18n.py).
    language: Mapped[str | None] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[BookingStatus] = mapped_column(
        _enum(BookingStatus), default=BookingStatus.CONFIRMED
    )
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the name, email, notes, answers and extra guests were erased (booking/guest_data.py).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The guest as a Zoom registrant (Add a meeting/webinar registrant's ``registrant_id`` and
    # ``join_url``, that guest's own link) where the booking gives each guest a link.
    zoom_registrant_id: Mapped[str | None] = mapped_column(String(64))
    zoom_join_url: Mapped[str | None] = mapped_column(Text)

    booking: Mapped[Booking] = relationship(back_populates="attendees")
    answers: Mapped[list[Answer]] = relationship(order_by="Answer.position",
                                                 cascade="all, delete-orphan")
    extra_guests: Mapped[list[ExtraGuest]] = relationship(order_by="ExtraGuest.id",
                                                          cascade="all, delete-orphan",
                                                          back_populates="attendee")

    def __repr__(self) -> str:
        return f"<Attendee {self.id} {self.email} booking={self.booking_id}>"


class ExtraGuest(db.Model):
    """Someone the guest brings: told of the booking and every change, and takes a place in
    a group; only the guest (the attendee) manages the booking."""

    __tablename__ = "extra_guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # Where each guest has a link of their own, so has each extra guest: a registrant of
    # their own (as Attendee.zoom_registrant_id), whose place follows the guest's.
    zoom_registrant_id: Mapped[str | None] = mapped_column(String(64))
    zoom_join_url: Mapped[str | None] = mapped_column(Text)

    attendee: Mapped[Attendee] = relationship(back_populates="extra_guests")

    @property
    def status(self) -> BookingStatus:
        """An extra guest's place is the guest's: it stands and goes with theirs."""
        return self.attendee.status

    def __repr__(self) -> str:
        return f"<ExtraGuest {self.id} attendee={self.attendee_id}>"


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"  # one of ``options``
    CHECKBOX = "checkbox"  # yes / no


class BookingQuestion(db.Model):
    """A question a meeting type asks on its booking form, at ``position`` among the others."""

    __tablename__ = "booking_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_type_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_types.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind))
    options: Mapped[str] = mapped_column(Text, default="")  # a choice's options, one a line
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    meeting_type: Mapped[MeetingType] = relationship(back_populates="questions")

    @property
    def option_list(self) -> list[str]:
        return [line for line in self.options.splitlines() if line]

    def __repr__(self) -> str:
        return f"<BookingQuestion {self.id} {self.kind} type={self.meeting_type_id}>"


class Answer(db.Model):
    """A guest's answer, with the question's label as it was asked: removing or rewording a
    question keeps what guests already answered."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking_questions.id", ondelete="SET NULL"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)  # a checkbox's answer is "Yes" or "No"
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Answer {self.id} attendee={self.attendee_id} question={self.question_id}>"


class Job(db.Model):
    """Deferred work (the outbox), written in the same transaction as the change that needs it."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "done_at", "failed_at", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped[Booking | None] = relationship()

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} attempts={self.attempts}>"


class ProcessedWebhook(db.Model):
    """A signed Zoom event we acted on, kept while its signature is fresh enough to be replayed."""

    __tablename__ = "processed_webhooks"

    signature: Mapped[str] = mapped_column(String(80), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return f"<ProcessedWebhook {self.signature[:12]} until {self.expires_at}>"


class CalendarSource(enum.StrEnum):
    CALDAV = "caldav"
    FEED = "feed"


class CalendarAccount(db.Model):
    """Where a staff member's calendars come from: a CalDAV account (server URL, username,
    app password, encrypted) or one iCal feed (its secret URL, encrypted: it is a password)."""

    __tablename__ = "calendar_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[CalendarSource] = mapped_column(_enum(CalendarSource))
    # What the pages show: the server URL, or the feed's host (its path is the secret).
    label: Mapped[str] = mapped_column(String(300))
    url_encrypted: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(254), default="")
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    calendars: Mapped[list[Calendar]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="Calendar.name")

    def __repr__(self) -> str:
        return f"<CalendarAccount {self.id} {self.source} user={self.user_id}>"


class Calendar(db.Model):
    """One calendar of an account: whether its events block slots, whether bookings are
    written into it, and how its last sync went."""

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_accounts.id", ondelete="CASCADE"), index=True)
    # The account's owner again: the slot query finds a host's busy times without a join.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)  # the collection's URL ("" for a feed: the account's)
    name: Mapped[str] = mapped_column(String(200))
    check_conflicts: Mapped[bool] = mapped_column(default=True)
    add_bookings: Mapped[bool] = mapped_column(default=False)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[CalendarAccount] = relationship(back_populates="calendars")

    @property
    def failing(self) -> bool:
        return self.last_error is not None

    def __repr__(self) -> str:
        return f"<Calendar {self.id} {self.name!r} user={self.user_id}>"


class BusyTime(db.Model):
    """A stretch of a calendar's time taken by an event, as of the last good sync. Stored in
    pieces of at most a day, so the slot query reads a narrow index range."""

    __tablename__ = "busy_times"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ordered_times"),
        Index("ix_busy_times_user_id_start_at", "user_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("calendars.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<BusyTime calendar={self.calendar_id} {self.start_at:%Y-%m-%dT%H:%MZ}>"


class ApiScope(enum.StrEnum):
    READ = "read"
    READ_WRITE = "read write"


class ApiToken(db.Model):
    """A personal token for the REST API (``Authorization: Bearer``). Only its hash is kept:
    the token is shown once, when it is made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[ApiScope] = mapped_column(_enum(ApiScope), default=ApiScope.READ)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def can_write(self) -> bool:
        return self.scope == ApiScope.READ_WRITE

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} user={self.user_id} {self.scope}>"


class IdempotentRequest(db.Model):
    """An API write sent with an ``Idempotency-Key``, and its answer, replayed for 24 hours."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (Index("uq_idempotent_requests_user_key", "user_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    # What was asked (method, path, body): the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column()  # None while the first request runs
    response_body: Mapped[dict | None] = mapped_column(JSON)
    response_location: Mapped[str | None] = mapped_column(String(300))  # a 201's Location
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<IdempotentRequest {self.id} user={self.user_id} {self.status_code}>"


class WebhookEndpoint(db.Model):
    """Where outgoing webhooks go (Settings > Webhooks): a URL, the events it wants, and the
    secret that signs each delivery (Fernet-encrypted; shown once, when the endpoint is made)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list] = mapped_column(JSON, default=list)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a delivery gave up (after the outbox's retries); cleared by the next success.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    # Removed with the endpoint by the database (ON DELETE CASCADE), not loaded to be deleted.
    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True)

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookDelivery(db.Model):
    """One attempt to deliver one event to one endpoint: the endpoint's delivery log."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column()
    status_code: Mapped[int | None] = mapped_column()  # None: no answer
    duration_ms: Mapped[int] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")

    @property
    def ok(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event_type} {self.status_code}>"
