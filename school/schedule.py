"""Schedule queries and commands: who a notice reaches, what was delivered, events, windows, 公告.

People are found from the database each time (never cached between ticks), so a student bound
yesterday or an item certified an hour ago changes who hears what. A person is a recipient key
("student:12", "staff:3", "guardian:4") with the LINE accounts they follow the bot from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from rules.model import SchoolRules, WindowSetting
from school.calendar_adoption import with_adopted_years
from storage.models.line import LineAccount
from storage.models.picking import PickConfirmation, ReceiptItem, ReceiptList
from storage.models.portfolio import (
    DRAFT,
    PENDING,
    SUBMITTED,
    CourseOutcome,
    Performance,
)
from storage.models.schedule import (
    COUNSELLING_TRAINING,
    PARENT_BRIEFING,
    STUDENT_TRAINING,
    TEACHER_WORKSHOP,
    TEACHING_WORKSHOP,
    WORKING_GROUP_MEETING,
    Announcement,
    EventRsvp,
    ReminderDelivery,
    SchoolEvent,
    WindowChange,
)
from storage.models.school import (
    Course,
    Guardian,
    GuardianLink,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
)

ENROLLED = "在學"
# The roster keeps grades 1-3 (高一..高三); the rules file speaks of 10-12.
RULES_GRADE_OFFSET = 9
ALL_GRADES = (10, 11, 12)
TEACHING_ROLES = ("任課教師", "導師", "課程諮詢教師", "科召集人")
HOMEROOM_ROLE = "導師"
REGISTRAR_ROLE = "註冊組"
# Who runs each rule-六 event and is reminded when none is on the calendar (seed 六 (一)-(三)).
EVENT_OFFICES: dict[str, tuple[str, ...]] = {
    STUDENT_TRAINING: ("註冊組",),
    TEACHER_WORKSHOP: ("註冊組",),
    PARENT_BRIEFING: ("輔導室", "註冊組"),
    WORKING_GROUP_MEETING: ("執行秘書",),
    TEACHING_WORKSHOP: ("教學組",),
    COUNSELLING_TRAINING: ("輔導室",),
}
# Who an event reaches when staff name no audience.
DEFAULT_EVENT_AUDIENCE: dict[str, dict[str, Any]] = {
    STUDENT_TRAINING: {"students": True},
    TEACHER_WORKSHOP: {"teachers": True},
    PARENT_BRIEFING: {"guardians": True},
    WORKING_GROUP_MEETING: {"staff_roles": ["工作小組"]},
    TEACHING_WORKSHOP: {"teachers": True},
    COUNSELLING_TRAINING: {"students": True},
}


def to_rules_grade(grade: int) -> int:
    return grade + RULES_GRADE_OFFSET if grade <= 3 else grade


def to_roster_grade(grade: int) -> int:
    return grade - RULES_GRADE_OFFSET if grade >= 10 else grade


@dataclass(frozen=True)
class Recipient:
    """A person a notice goes to, with every LINE account they follow the bot from."""

    key: str
    line_user_ids: tuple[str, ...]
    name: str
    person_id: int
    grade: int | None = None  # rules grade (10-12), students only
    class_id: int | None = None


def recipient_keys(
    student_id: int | None, staff_id: int | None, guardian_id: int | None
) -> list[str]:
    """The keys one LINE account answers to (a teacher may also be a parent)."""
    keys = []
    if student_id:
        keys.append(f"student:{student_id}")
    if staff_id:
        keys.append(f"staff:{staff_id}")
    if guardian_id:
        keys.append(f"guardian:{guardian_id}")
    return keys


def _accounts(session: Session, column: Any, ids: Collection[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return found
    rows = session.execute(
        select(column, LineAccount.line_user_id)
        .where(column.in_(list(ids)), LineAccount.followed.is_(True))
        .order_by(LineAccount.id)
    )
    for person_id, line_user_id in rows:
        found[person_id].append(line_user_id)
    return found


# --- people --------------------------------------------------------------------------------------


def students(
    session: Session,
    grades: Collection[int] | None = None,
    classes: Collection[str] | None = None,
) -> list[Recipient]:
    """Enrolled, unsealed students with a LINE account; grades are rules grades (10-12)."""
    query = (
        select(Student)
        .where(Student.status == ENROLLED, Student.sealed_at.is_(None))
        .order_by(Student.student_no)
    )
    if grades:
        query = query.where(Student.grade.in_([to_roster_grade(g) for g in grades]))
    if classes:
        query = query.join(SchoolClass, SchoolClass.id == Student.class_id).where(
            SchoolClass.code.in_(list(classes))
        )
    people = list(session.scalars(query))
    accounts = _accounts(session, LineAccount.student_id, [s.id for s in people])
    return [
        Recipient(
            f"student:{s.id}",
            tuple(accounts[s.id]),
            s.name,
            s.id,
            to_rules_grade(s.grade),
            s.class_id,
        )
        for s in people
        if accounts.get(s.id)
    ]


def staff_with_roles(session: Session, roles: Collection[str]) -> list[Recipient]:
    """Staff holding any of these roles (StaffRole.role, e.g. 註冊組), with a LINE account."""
    if not roles:
        return []
    people = list(
        session.scalars(
            select(Staff)
            .where(Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role.in_(list(roles)))))
            .order_by(Staff.staff_no)
        )
    )
    return _staff_recipients(session, people)


def _staff_recipients(session: Session, people: Sequence[Staff]) -> list[Recipient]:
    accounts = _accounts(session, LineAccount.staff_id, [p.id for p in people])
    return [
        Recipient(f"staff:{p.id}", tuple(accounts[p.id]), p.name, p.id)
        for p in people
        if accounts.get(p.id)
    ]


def staff_by_ids(session: Session, ids: Collection[int]) -> list[Recipient]:
    if not ids:
        return []
    people = list(
        session.scalars(select(Staff).where(Staff.id.in_(list(ids))).order_by(Staff.staff_no))
    )
    return _staff_recipients(session, people)


def teachers(session: Session) -> list[Recipient]:
    """Everyone who teaches: course teachers, homeroom teachers, consultants, conveners."""
    homeroom_ids = select(SchoolClass.homeroom_teacher_id).where(
        SchoolClass.homeroom_teacher_id.is_not(None)
    )
    people = list(
        session.scalars(
            select(Staff)
            .where(
                or_(
                    Staff.id.in_(
                        select(StaffRole.staff_id).where(StaffRole.role.in_(TEACHING_ROLES))
                    ),
                    Staff.id.in_(homeroom_ids),
                )
            )
            .order_by(Staff.staff_no)
        )
    )
    return _staff_recipients(session, people)


def homeroom_teachers(
    session: Session, grades: Collection[int] | None = None
) -> list[tuple[Recipient, int]]:
    """(homeroom teacher, class id) for classes in these rules grades."""
    query = select(SchoolClass).where(SchoolClass.homeroom_teacher_id.is_not(None))
    if grades:
        query = query.where(SchoolClass.grade.in_([to_roster_grade(g) for g in grades]))
    classes = list(session.scalars(query.order_by(SchoolClass.code)))
    teacher_ids = [c.homeroom_teacher_id for c in classes if c.homeroom_teacher_id is not None]
    accounts = _accounts(session, LineAccount.staff_id, teacher_ids)
    found = []
    for cls in classes:
        teacher = cls.homeroom_teacher
        assert cls.homeroom_teacher_id is not None and teacher is not None
        ids = accounts.get(cls.homeroom_teacher_id)
        if ids:
            found.append(
                (Recipient(f"staff:{teacher.id}", tuple(ids), teacher.name, teacher.id), cls.id)
            )
    return found


def guardians(
    session: Session,
    grades: Collection[int] | None = None,
    classes: Collection[str] | None = None,
) -> list[Recipient]:
    """Guardians of enrolled students in these grades or classes (each guardian once)."""
    query = (
        select(GuardianLink.guardian_id)
        .join(Student, Student.id == GuardianLink.student_id)
        .where(Student.status == ENROLLED, Student.sealed_at.is_(None))
    )
    if grades:
        query = query.where(Student.grade.in_([to_roster_grade(g) for g in grades]))
    if classes:
        query = query.join(SchoolClass, SchoolClass.id == Student.class_id).where(
            SchoolClass.code.in_(list(classes))
        )
    ids = sorted(set(session.scalars(query)))
    accounts = _accounts(session, LineAccount.guardian_id, ids)
    names: dict[int, str] = {}
    if ids:
        rows = session.execute(select(Guardian.id, Guardian.name).where(Guardian.id.in_(ids)))
        names = {gid: name for gid, name in rows}
    return [
        Recipient(f"guardian:{gid}", tuple(accounts[gid]), names.get(gid, ""), gid)
        for gid in ids
        if accounts.get(gid)
    ]


def audience_recipients(session: Session, spec: dict[str, Any]) -> list[Recipient]:
    """Everyone an event's or announcement's audience names, each LINE account once.

    spec: {"students", "guardians", "teachers": bool, "grades": [10, 11], "classes": ["101"],
    "staff_roles": ["註冊組"]}; grades and classes narrow students and guardians.
    """
    grades = spec.get("grades") or None
    classes = spec.get("classes") or None
    found: list[Recipient] = []
    if spec.get("students"):
        found += students(session, grades, classes)
    if spec.get("guardians"):
        found += guardians(session, grades, classes)
    if spec.get("teachers"):
        found += teachers(session)
    if spec.get("staff_roles"):
        found += staff_with_roles(session, spec["staff_roles"])
    return unique_recipients(found)


def unique_recipients(people: Iterable[Recipient]) -> list[Recipient]:
    """Drop repeats: the same person, or a LINE account already reached as someone else."""
    seen_keys: set[str] = set()
    seen_accounts: set[str] = set()
    out = []
    for person in people:
        if person.key in seen_keys:
            continue
        fresh = tuple(a for a in person.line_user_ids if a not in seen_accounts)
        if not fresh:
            continue
        seen_keys.add(person.key)
        seen_accounts.update(fresh)
        out.append(person if fresh == person.line_user_ids else _with_accounts(person, fresh))
    return out


def _with_accounts(person: Recipient, accounts: tuple[str, ...]) -> Recipient:
    return Recipient(
        person.key, accounts, person.name, person.person_id, person.grade, person.class_id
    )


# --- where people stand --------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """One student's items in one term: counted toward the limit, and drafts not yet sent."""

    counted: int = 0
    drafts: int = 0
    year_counted: int = 0


def course_outcome_standing(
    session: Session,
    academic_year: int,
    semester: int,
    student_ids: Collection[int],
    counted_states: Collection[str],
) -> dict[int, Standing]:
    if not student_ids:
        return {}
    rows = session.execute(
        select(CourseOutcome.student_id, CourseOutcome.status, func.count())
        .where(
            CourseOutcome.student_id.in_(list(student_ids)),
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.semester == semester,
        )
        .group_by(CourseOutcome.student_id, CourseOutcome.status)
    )
    counted: dict[int, int] = defaultdict(int)
    drafts: dict[int, int] = defaultdict(int)
    for student_id, status, n in rows:
        if status in counted_states:
            counted[student_id] += n
        if status == DRAFT:
            drafts[student_id] += n
    return {sid: Standing(counted[sid], drafts[sid]) for sid in student_ids}


def performance_standing(
    session: Session, academic_year: int, semester: int, student_ids: Collection[int]
) -> dict[int, Standing]:
    """Submitted 多元表現 this semester and this year, and drafts this semester."""
    if not student_ids:
        return {}
    rows = session.execute(
        select(Performance.student_id, Performance.semester, Performance.status, func.count())
        .where(
            Performance.student_id.in_(list(student_ids)),
            Performance.academic_year == academic_year,
        )
        .group_by(Performance.student_id, Performance.semester, Performance.status)
    )
    term: dict[int, int] = defaultdict(int)
    year: dict[int, int] = defaultdict(int)
    drafts: dict[int, int] = defaultdict(int)
    for student_id, sem, status, n in rows:
        if status == SUBMITTED:
            year[student_id] += n
            if sem == semester:
                term[student_id] += n
        elif status == DRAFT and sem == semester:
            drafts[student_id] += n
    return {sid: Standing(term[sid], drafts[sid], year[sid]) for sid in student_ids}


def pending_by_certifier(
    session: Session, academic_year: int, semester: int | None
) -> dict[int, int]:
    """Pending course outcomes per certifier (the item's certifier, else the course teacher)."""
    who = func.coalesce(CourseOutcome.certifier_id, Course.teacher_id)
    query = (
        select(who, func.count())
        .join(Course, Course.id == CourseOutcome.course_id)
        .where(CourseOutcome.status == PENDING, CourseOutcome.academic_year == academic_year)
        .group_by(who)
    )
    if semester is not None:
        query = query.where(CourseOutcome.semester == semester)
    return {staff_id: n for staff_id, n in session.execute(query) if staff_id is not None}


def classes_without_uploads(
    session: Session,
    academic_year: int,
    semester: int,
    class_ids: Collection[int],
    counted_states: Collection[str],
) -> dict[int, int]:
    """Per class: enrolled students with nothing counted this semester."""
    if not class_ids:
        return {}
    has_items = select(CourseOutcome.student_id).where(
        CourseOutcome.academic_year == academic_year,
        CourseOutcome.semester == semester,
        CourseOutcome.status.in_(list(counted_states)),
    )
    rows = session.execute(
        select(Student.class_id, func.count())
        .where(
            Student.class_id.in_(list(class_ids)),
            Student.status == ENROLLED,
            Student.sealed_at.is_(None),
            Student.id.not_in(has_items),
        )
        .group_by(Student.class_id)
    )
    return {class_id: n for class_id, n in rows if class_id is not None}


def unconfirmed_pickers(
    session: Session, academic_year: int, student_ids: Collection[int]
) -> set[int]:
    """Students who have not pressed 確認送出 for the year's picks (or reopened them)."""

    if not student_ids:
        return set()
    confirmed = set(
        session.scalars(
            select(PickConfirmation.student_id).where(
                PickConfirmation.academic_year == academic_year,
                PickConfirmation.confirmed_at.is_not(None),
                PickConfirmation.student_id.in_(list(student_ids)),
            )
        )
    )
    return set(student_ids) - confirmed


def unanswered_receipts(session: Session, academic_year: int) -> dict[int, int]:
    """Per student: received items (收訖明細) of the year not yet answered."""

    rows = session.execute(
        select(ReceiptItem.student_id, func.count())
        .join(ReceiptList, ReceiptList.id == ReceiptItem.list_id)
        .where(
            ReceiptList.academic_year == academic_year,
            ReceiptItem.answer.is_(None),
            ReceiptItem.superseded_at.is_(None),
        )
        .group_by(ReceiptItem.student_id)
    )
    return {student_id: n for student_id, n in rows}


# --- the delivery log ----------------------------------------------------------------------------


def delivered(session: Session, rule: str, period: str) -> set[str]:
    """Recipient keys already handed this (rule, period)."""
    return set(
        session.scalars(
            select(ReminderDelivery.recipient).where(
                ReminderDelivery.rule == rule, ReminderDelivery.period == period
            )
        )
    )


def record_delivery(
    session: Session,
    rule: str,
    period: str,
    recipient: str,
    due_at: datetime,
    now: datetime,
    outbox_id: int | None,
    stale_after: datetime | None = None,
) -> ReminderDelivery:
    row = ReminderDelivery(
        rule=rule,
        period=period,
        recipient=recipient,
        due_at=due_at,
        created_at=now,
        outbox_id=outbox_id,
        stale_after=stale_after,
    )
    session.add(row)
    return row


def stale_after_for_outbox(session: Session, outbox_ids: Collection[int]) -> dict[int, datetime]:
    """For held rows: when the last notice each carries stops being of use (none: never)."""
    if not outbox_ids:
        return {}
    rows = session.execute(
        select(
            ReminderDelivery.outbox_id,
            func.max(ReminderDelivery.stale_after),
            func.count() - func.count(ReminderDelivery.stale_after),
        )
        .where(ReminderDelivery.outbox_id.in_(list(outbox_ids)))
        .group_by(ReminderDelivery.outbox_id)
    )
    return {
        oid: when
        for oid, when, timeless in rows
        if oid is not None and when is not None and not timeless
    }


# --- events (rule 六) ----------------------------------------------------------------------------


def create_event(
    session: Session,
    *,
    kind: str,
    title: str,
    starts_at: datetime,
    place: str,
    audience: dict[str, Any],
    academic_year: int,
    now: datetime,
    created_by: str = "",
) -> SchoolEvent:
    event = SchoolEvent(
        kind=kind,
        title=title,
        starts_at=starts_at,
        place=place,
        audience=audience,
        academic_year=academic_year,
        created_at=now,
        created_by=created_by,
    )
    session.add(event)
    session.flush()
    return event


def event_audience(session: Session, event: SchoolEvent) -> list[Recipient]:
    return audience_recipients(session, event.audience)


def events_in_year(session: Session, academic_year: int) -> list[SchoolEvent]:
    return list(
        session.scalars(
            select(SchoolEvent)
            .where(SchoolEvent.academic_year == academic_year)
            .order_by(SchoolEvent.starts_at, SchoolEvent.id)
        )
    )


def upcoming_events(session: Session, now: datetime) -> list[SchoolEvent]:
    return list(
        session.scalars(
            select(SchoolEvent)
            .where(SchoolEvent.starts_at > now, SchoolEvent.cancelled_at.is_(None))
            .order_by(SchoolEvent.starts_at, SchoolEvent.id)
        )
    )


def has_event_between(session: Session, kind: str, first: datetime, end: datetime) -> bool:
    """Whether an event of this kind (not cancelled) starts in [first, end)."""
    return session.scalar(
        select(func.count()).where(
            SchoolEvent.kind == kind,
            SchoolEvent.cancelled_at.is_(None),
            SchoolEvent.starts_at >= first,
            SchoolEvent.starts_at < end,
        )
    ) not in (None, 0)


def has_event(session: Session, kind: str, academic_year: int) -> bool:
    return (
        session.scalar(
            select(func.count()).where(
                SchoolEvent.kind == kind,
                SchoolEvent.academic_year == academic_year,
                SchoolEvent.cancelled_at.is_(None),
            )
        )
        or 0
    ) > 0


def events_for(session: Session, keys: Collection[str], now: datetime) -> list[SchoolEvent]:
    """Upcoming events whose audience includes any of these recipient keys."""
    wanted = set(keys)
    return [
        e
        for e in upcoming_events(session, now)
        if any(r.key in wanted for r in event_audience(session, e))
    ]


def set_rsvp(
    session: Session,
    event: SchoolEvent,
    recipient: str,
    line_user_id: str,
    attending: bool,
    now: datetime,
) -> EventRsvp:
    row = session.scalars(
        select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.recipient == recipient)
    ).first()
    if row is None:
        row = EventRsvp(
            event_id=event.id,
            recipient=recipient,
            line_user_id=line_user_id,
            attending=attending,
            answered_at=now,
        )
        session.add(row)
    else:
        row.attending = attending
        row.line_user_id = line_user_id
        row.answered_at = now
    session.flush()
    return row


def rsvp_of(session: Session, event_id: int, keys: Collection[str]) -> EventRsvp | None:
    return session.scalars(
        select(EventRsvp)
        .where(EventRsvp.event_id == event_id, EventRsvp.recipient.in_(list(keys)))
        .order_by(EventRsvp.answered_at.desc())
    ).first()


@dataclass(frozen=True)
class RsvpCounts:
    invited: int
    attending: int
    declined: int

    @property
    def unanswered(self) -> int:
        return max(0, self.invited - self.attending - self.declined)


def rsvp_counts(session: Session, event: SchoolEvent) -> RsvpCounts:
    rows = dict(
        session.execute(
            select(EventRsvp.attending, func.count())
            .where(EventRsvp.event_id == event.id)
            .group_by(EventRsvp.attending)
        ).all()
    )
    return RsvpCounts(len(event_audience(session, event)), rows.get(True, 0), rows.get(False, 0))


def attendees(session: Session, event_id: int) -> list[EventRsvp]:
    return list(
        session.scalars(
            select(EventRsvp)
            .where(EventRsvp.event_id == event_id, EventRsvp.attending.is_(True))
            .order_by(EventRsvp.id)
        )
    )


def attendee_names(session: Session, event_id: int) -> list[str]:
    """The names of those who said 參加, for the office running the event."""
    names = []
    for rsvp in attendees(session, event_id):
        kind, _, person_id = rsvp.recipient.partition(":")
        model = {"student": Student, "staff": Staff, "guardian": Guardian}.get(kind)
        person = session.get(model, int(person_id)) if model is not None else None
        names.append(str(getattr(person, "name", rsvp.recipient)))
    return names


# --- windows set by the working group ------------------------------------------------------------


def window_settings(session: Session) -> list[WindowSetting]:
    rows = session.scalars(select(WindowChange).order_by(WindowChange.id))
    return [
        WindowSetting(r.kind, r.academic_year, r.semester, r.first_day, r.last_day) for r in rows
    ]


def window_changes(session: Session, academic_year: int | None = None) -> list[WindowChange]:
    query = select(WindowChange).order_by(WindowChange.id)
    if academic_year is not None:
        query = query.where(WindowChange.academic_year == academic_year)
    return list(session.scalars(query))


_effective: dict[tuple[int, tuple[WindowSetting, ...]], tuple[SchoolRules, SchoolRules]] = {}
_EFFECTIVE_CACHE_SIZE = 8


def effective_rules(session: Session, base: SchoolRules) -> SchoolRules:
    """The rules file plus the years adopted in the console and every window the working group
    set since (`portfolio windows set`)."""
    base = with_adopted_years(session, base)
    settings = tuple(window_settings(session))
    if not settings:
        return base
    key = (id(base), settings)
    cached = _effective.get(key)
    # The base is kept in the value so its id cannot be reused by another object meanwhile.
    if cached is not None and cached[0] is base:
        return cached[1]
    rules = base.with_windows(settings)
    if len(_effective) >= _EFFECTIVE_CACHE_SIZE:
        _effective.clear()
    _effective[key] = (base, rules)
    return rules


def record_window_change(
    session: Session,
    *,
    kind: str,
    academic_year: int,
    semester: int | None,
    first_day: date,
    last_day: date,
    previous: tuple[date, date],
    now: datetime,
    changed_by: str = "",
) -> WindowChange:
    change = WindowChange(
        kind=kind,
        academic_year=academic_year,
        semester=semester,
        first_day=first_day,
        last_day=last_day,
        previous_first_day=previous[0],
        previous_last_day=previous[1],
        changed_at=now,
        changed_by=changed_by,
    )
    session.add(change)
    session.flush()
    return change


# --- 公告 ----------------------------------------------------------------------------------------


def create_announcement(
    session: Session,
    *,
    source: str,
    source_id: int | None,
    audience: dict[str, Any],
    body: str,
    action: str | None,
    action_label: str | None,
    priority: str,
    now: datetime,
    until: datetime,
    created_by: str = "",
) -> Announcement:
    row = Announcement(
        source=source,
        source_id=source_id,
        audience=audience,
        body=body,
        action=action,
        action_label=action_label,
        priority=priority,
        created_at=now,
        until=until,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def open_announcements(session: Session, now: datetime) -> list[Announcement]:
    return list(
        session.scalars(
            select(Announcement)
            .where(and_(Announcement.created_at <= now, Announcement.until > now))
            .order_by(Announcement.id)
        )
    )


def recent_announcements(session: Session, limit: int = 5) -> list[Announcement]:
    return list(session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit)))
