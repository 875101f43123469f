"""The schedule's memory: what was delivered to whom, events and their RSVPs, windows set, 公告."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base, UtcDateTime

# An outbox row held by the budget past the time it was useful is dropped with this status.
EXPIRED = "expired"

# Event kinds (seed rule 六); the labels live in the catalogue and storage.rules.EVENT_LABELS.
STUDENT_TRAINING = "student_training"
TEACHER_WORKSHOP = "teacher_workshop"
PARENT_BRIEFING = "parent_briefing"
# Each semester (seed 三, 附表一): the working group meets; 教學組 holds a consultation and
# portfolio workshop; 輔導室 a course-selection and portfolio training.
WORKING_GROUP_MEETING = "working_group_meeting"
TEACHING_WORKSHOP = "teaching_workshop"
COUNSELLING_TRAINING = "counselling_training"
SEMESTER_EVENT_KINDS = (WORKING_GROUP_MEETING, TEACHING_WORKSHOP, COUNSELLING_TRAINING)
EVENT_KINDS = (STUDENT_TRAINING, TEACHER_WORKSHOP, PARENT_BRIEFING, *SEMESTER_EVENT_KINDS)


class ReminderDelivery(Base):
    """One (rule, period, recipient) handed to the outbox: the tick's memory, so nothing goes twice.

    rule: "row:<schedule row id>", "event_notice:<id>", "announcement:<id>", "budget_hold" ...
    period: "115-1", "115", "115@10-01", "2026-10" ... (the occurrence, stable across reruns)
    recipient: "student:12", "staff:3", "guardian:4" (a person, whichever phone they use)
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("rule", "period", "recipient"),
        Index("ix_reminder_deliveries_outbox", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    # A copy held by the monthly budget is dropped rather than sent after this instant.
    stale_after: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SchoolEvent(Base):
    """A training, workshop or parent briefing (rule 六) with its date, place and audience."""

    __tablename__ = "school_events"
    __table_args__ = (Index("ix_school_events_year_kind", "academic_year", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(60))
    academic_year: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    place: Mapped[str] = mapped_column(String(60))
    # {"students": bool, "guardians": bool, "teachers": bool, "grades": [1, 2], "classes": ["101"]}
    audience: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    rsvps: Mapped[list[EventRsvp]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class EventRsvp(Base):
    """One person's 參加 / 不克參加 for one event; the latest answer stands."""

    __tablename__ = "event_rsvps"
    __table_args__ = (UniqueConstraint("event_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("school_events.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(32))
    line_user_id: Mapped[str] = mapped_column(String(64))
    attending: Mapped[bool] = mapped_column()
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())

    event: Mapped[SchoolEvent] = relationship(back_populates="rsvps")


class WindowChange(Base):
    """A window the working group set or changed after the rules file; later rows win."""

    __tablename__ = "window_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int | None] = mapped_column(Integer)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    previous_first_day: Mapped[date] = mapped_column(Date)
    previous_last_day: Mapped[date] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_by: Mapped[str] = mapped_column(String(64), default="")


class AdoptedYear(Base):
    """A 學年度's calendar adopted in the console after the rules file was written: its
    [[years]] block, read together with the file (school.calendar_adoption)."""

    __tablename__ = "adopted_years"

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[int] = mapped_column(Integer, unique=True)
    toml: Mapped[str] = mapped_column(Text)
    adopted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    adopted_by: Mapped[str] = mapped_column(String(64), default="")


class Announcement(Base):
    """A 公告 to a group of people, sent once to each by the tick and kept as the notice log."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(24))  # window_change, ...
    source_id: Mapped[int | None] = mapped_column(Integer)
    # The same shape as SchoolEvent.audience.
    audience: Mapped[dict[str, Any]]
    body: Mapped[str] = mapped_column(Text)
    # A menu action the notice's button starts (menu:<action>), and its label.
    action: Mapped[str | None] = mapped_column(String(32))
    action_label: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    # Sent to people in the audience until then (a person bound later still hears of it).
    until: Mapped[datetime] = mapped_column(UtcDateTime())
