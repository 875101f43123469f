"""A student's portfolio items: counts against the limits, drafts, files, submission, withdrawal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from rules.model import COURSE_OUTCOME, PERFORMANCE, NotConfigured, Window
from rules.school_rules import SchoolRules
from school import certification
from storage.clock import taipei_date
from storage.db import lock_named
from storage.exceptions import open_exception
from storage.identity import OFFICE_ROLES
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    DraftPage,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.records import Consultation, ConsultationFile, ConsultationStudent
from storage.models.school import (
    Course,
    Enrolment,
    GuardianLink,
    SchoolClass,
    StaffRole,
    Student,
    Term,
)

OUTCOME_DRAFT = "outcome"
PERFORMANCE_DRAFT = "performance"
CONSULTATION = "consultation"
DraftKind = Literal["outcome", "performance"]

SEMESTER = "uploads_per_semester"
YEAR = "uploads_per_year"

# DraftPage.position = group * PAGE_GROUP + index: photos of one LINE imageSet share a group
# (and keep LINE's index inside it, whatever order their events arrive in); a photo sent on its
# own starts a new group. Sets are far smaller than this.
PAGE_GROUP = 1000

# Which window each item kind is uploaded in.
UPLOAD_WINDOWS = {COURSE_OUTCOME: "upload", PERFORMANCE: "performance_upload"}

# Viewers as a signed file link names them (flows/links.py).
VIEWER_STUDENT = "student"
VIEWER_STAFF = "staff"
VIEWER_GUARDIAN = "guardian"


class ItemError(Exception):
    """A command on an item that its state does not allow; reason is a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- the term, courses and windows ------------------------------------------------------------


@dataclass(frozen=True)
class TermRef:
    academic_year: int
    semester: int

    @property
    def label(self) -> str:
        return f"{self.academic_year}-{self.semester}"


def current_term(rules: SchoolRules, now: datetime) -> TermRef | None:
    """The semester uploads go to now (during a break: the one that ended last)."""
    semester = rules.current_semester(now)
    if semester is None:
        return None
    return TermRef(semester.academic_year, semester.number)


def upload_terms(
    rules: SchoolRules, item_kind: str, grade: int | None, now: datetime
) -> list[TermRef]:
    """The semesters whose upload window for this kind is open now, earliest first.

    An item belongs to the semester of the window it is uploaded in: in the days a semester's
    window runs past the start of the next (at least two weeks after the closing ceremony),
    both are open and the student chooses."""
    found: list[TermRef] = []
    for semester in rules.semesters():
        try:
            window = rules.window(
                UPLOAD_WINDOWS[item_kind], semester.academic_year, semester.number, grade=grade
            )
        except NotConfigured:
            continue
        if window.contains(now):
            found.append(TermRef(semester.academic_year, semester.number))
    return found


def enrolled_courses(session: Session, student_id: int, term: TermRef) -> list[Course]:
    """The student's courses of one semester, in a stable order (subject, then code)."""
    return list(
        session.scalars(
            select(Course)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .join(Term, Term.id == Course.term_id)
            .where(
                Enrolment.student_id == student_id,
                Term.academic_year == term.academic_year,
                Term.semester == term.semester,
            )
            .order_by(Course.subject, Course.code, Course.id)
        )
    )


@dataclass(frozen=True)
class WindowCheck:
    """Whether now is inside an upload window; window is None when the school set none."""

    open: bool
    window: Window | None
    reason: str = ""  # "", "not_open", "closed", "not_configured"


def check_window(
    rules: SchoolRules, item_kind: str, term: TermRef, grade: int | None, now: datetime
) -> WindowCheck:
    try:
        window = rules.window(
            UPLOAD_WINDOWS[item_kind], term.academic_year, term.semester, grade=grade
        )
    except NotConfigured:
        return WindowCheck(False, None, "not_configured")
    if window.contains(now):
        return WindowCheck(True, window)
    return WindowCheck(False, window, "not_open" if now < window.start else "closed")


def check_window_for(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    term: TermRef,
    student_id: int,
    grade: int | None,
    now: datetime,
    outcome_ids: tuple[int, ...] = (),
) -> WindowCheck:
    """check_window, but open for a student the office gave an exception to (until its day)."""
    check = check_window(rules, item_kind, term, grade, now)
    if check.open:
        return check
    granted = open_exception(
        session,
        UPLOAD_WINDOWS[item_kind],
        student_id,
        term.academic_year,
        term.semester,
        now,
        outcome_ids,
    )
    if granted is None:
        return check
    return WindowCheck(True, check.window, "exception")


def certification_deadline(rules: SchoolRules, term: TermRef, grade: int | None) -> datetime | None:
    try:
        return rules.window("certification", term.academic_year, term.semester, grade=grade).end
    except NotConfigured:
        return None


# --- counting against the limits --------------------------------------------------------------


@dataclass(frozen=True)
class CountedItem:
    """One item using up a slot, as the refusal lists it."""

    id: int
    kind: str  # course_outcome | performance
    status: str
    academic_year: int
    semester: int
    title: str  # course subject, or the performance's record type key


@dataclass(frozen=True)
class Usage:
    """Slots used in one scope; limit None means the school sets no cap there."""

    scope: str
    used: int
    limit: int | None
    items: tuple[CountedItem, ...] = ()

    @property
    def full(self) -> bool:
        return self.limit is not None and self.used >= self.limit


@dataclass(frozen=True)
class Room:
    """The semester and year usage for one item kind; full_scope names the first full one."""

    item_kind: str
    semester: Usage
    year: Usage

    @property
    def full_scope(self) -> Usage | None:
        for usage in (self.semester, self.year):
            if usage.full:
                return usage
        return None


def _outcome_counts(rules: SchoolRules, status: str) -> bool:
    return rules.counts_toward_limit(status)


def _performance_counts(rules: SchoolRules, status: str) -> bool:
    # A saved 多元表現 is final (it is self-registered, nobody certifies it), so it uses a slot
    # whenever the school counts items that are waiting or done.
    if status == SUBMITTED:
        return rules.counts_toward_limit(PENDING) or rules.counts_toward_limit(CERTIFIED)
    return rules.counts_toward_limit(status)


def _outcome_rows(session: Session, student_id: int, academic_year: int) -> list[Any]:
    # Plain columns, never ORM objects: a count taken after the per-student lock must see what
    # other transactions committed, not what this session's identity map remembers.
    return list(
        session.execute(
            select(
                CourseOutcome.id,
                CourseOutcome.status,
                CourseOutcome.academic_year,
                CourseOutcome.semester,
                CourseOutcome.replaces_id,
                Course.subject,
            )
            .join(Course, Course.id == CourseOutcome.course_id)
            .where(
                CourseOutcome.student_id == student_id, CourseOutcome.academic_year == academic_year
            )
            .order_by(CourseOutcome.id)
        )
    )


def _performance_rows(session: Session, student_id: int, academic_year: int) -> list[Any]:
    return list(
        session.execute(
            select(
                Performance.id,
                Performance.status,
                Performance.academic_year,
                Performance.semester,
                Performance.record_type,
            )
            .where(
                Performance.student_id == student_id,
                Performance.academic_year == academic_year,
                Performance.entered_by_staff.is_(False),
            )
            .order_by(Performance.id)
        )
    )


# --- one definition of an item's current state and of what counts ----------------------------
#
# Every view (the student's list, the homeroom teacher's and the parent's progress, picking,
# the exports and the console) asks here. An item is counted once, in its current state: a
# rejected course outcome that the student re-uploaded is superseded by its replacement (the
# replacement carries the slot and the state), and drafts and withdrawn items are not uploads.

SUPERSEDED = "superseded"
NOT_UPLOADS = frozenset({DRAFT, WITHDRAWN})


def superseded_ids(rows: Iterable[Any]) -> set[int]:
    """Rejected items that have a live replacement (a draft or anything sent), from rows with
    .id, .status and .replaces_id."""
    return {
        r.replaces_id for r in rows if getattr(r, "replaces_id", None) and r.status != WITHDRAWN
    }


def current_state(status: str, superseded: bool) -> str:
    return SUPERSEDED if superseded else status


def is_counted(rules: SchoolRules, item_kind: str, status: str) -> bool:
    """Whether an item in this (current) state uses a slot of the upload limits."""
    if status == SUPERSEDED:
        return False
    if item_kind == PERFORMANCE:
        return _performance_counts(rules, status)
    return _outcome_counts(rules, status)


@dataclass(frozen=True)
class Tally:
    """One student's items of one kind in one scope, each once, by current state."""

    item_kind: str
    counted: int
    limit: int | None
    states: dict[str, int]

    def of(self, state: str) -> int:
        return self.states.get(state, 0)

    @property
    def pending(self) -> int:
        return self.of(PENDING)

    @property
    def certified(self) -> int:
        return self.of(CERTIFIED)

    @property
    def rejected(self) -> int:
        """Rejected and not yet re-uploaded: what the student still has to fix."""
        return self.of(REJECTED)

    @property
    def uploaded(self) -> int:
        """Items sent and still standing (pending, certified, rejected-awaiting-fix)."""
        return sum(n for s, n in self.states.items() if s not in NOT_UPLOADS)


def tallies(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    student_ids: Iterable[int],
    academic_year: int,
    semester: int | None = None,
) -> dict[int, Tally]:
    """Per student, the items of a term (semester None: the year) counted by current state."""
    ids = sorted(set(student_ids))
    model: Any = CourseOutcome if item_kind == COURSE_OUTCOME else Performance
    columns = [model.id, model.student_id, model.status, model.semester]
    if item_kind == COURSE_OUTCOME:
        columns.append(model.replaces_id)
    query = select(*columns).where(
        model.student_id.in_(ids or [0]), model.academic_year == academic_year
    )
    if item_kind == PERFORMANCE:
        query = query.where(model.entered_by_staff.is_(False))
    rows = list(session.execute(query))
    gone = superseded_ids(rows)
    scope = SEMESTER if semester is not None else YEAR
    limit = rules.limit_for(item_kind, scope)
    states: dict[int, dict[str, int]] = {i: {} for i in ids}
    counted: dict[int, int] = dict.fromkeys(ids, 0)
    for r in rows:
        if semester is not None and r.semester != semester:
            continue
        state = current_state(r.status, r.id in gone)
        if state in NOT_UPLOADS or state == SUPERSEDED:
            continue
        states[r.student_id][state] = states[r.student_id].get(state, 0) + 1
        if is_counted(rules, item_kind, state):
            counted[r.student_id] += 1
    return {i: Tally(item_kind, counted[i], limit, states[i]) for i in ids}


def tally(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    student_id: int,
    academic_year: int,
    semester: int | None = None,
) -> Tally:
    return tallies(session, rules, item_kind, [student_id], academic_year, semester)[student_id]


@dataclass(frozen=True)
class StudentProgress:
    """A homeroom row: one student's course outcomes of the semester by current state."""

    student: Student
    uploaded: int
    pending: int
    certified: int
    rejected: int
    counted: int = 0
    limit: int | None = None


def class_progress(
    session: Session, rules: SchoolRules, class_id: int, academic_year: int, semester: int
) -> list[StudentProgress]:
    """Per student of the class, this semester's course outcomes, counted as everywhere else."""
    students = list(
        session.scalars(
            select(Student)
            .where(Student.class_id == class_id, Student.status == "在學")
            .order_by(Student.seat_no, Student.student_no)
        )
    )
    found = tallies(
        session, rules, COURSE_OUTCOME, [s.id for s in students], academic_year, semester
    )
    return [
        StudentProgress(
            s,
            found[s.id].uploaded,
            found[s.id].pending,
            found[s.id].certified,
            found[s.id].rejected,
            found[s.id].counted,
            found[s.id].limit,
        )
        for s in students
    ]


def room(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    student_id: int,
    term: TermRef,
    exclude: Iterable[int] = (),
) -> Room:
    """What the student has used of the semester and year limits (exclude: items not to count,
    e.g. the draft being submitted)."""
    excluded = set(exclude)
    counted: list[CountedItem] = []
    if item_kind == COURSE_OUTCOME:
        rows = _outcome_rows(session, student_id, term.academic_year)
        # A rejected item that has a live replacement gives its slot to the replacement.
        excluded |= superseded_ids(rows)
        for r in rows:
            if r.id not in excluded and is_counted(rules, item_kind, r.status):
                counted.append(
                    CountedItem(r.id, item_kind, r.status, r.academic_year, r.semester, r.subject)
                )
    elif item_kind == PERFORMANCE:
        for r in _performance_rows(session, student_id, term.academic_year):
            if r.id not in excluded and is_counted(rules, item_kind, r.status):
                counted.append(
                    CountedItem(
                        r.id, item_kind, r.status, r.academic_year, r.semester, r.record_type
                    )
                )
    else:
        raise ValueError(f"unknown item kind {item_kind!r}")
    in_semester = tuple(c for c in counted if c.semester == term.semester)
    return Room(
        item_kind=item_kind,
        semester=Usage(
            SEMESTER, len(in_semester), rules.limit_for(item_kind, SEMESTER), in_semester
        ),
        year=Usage(YEAR, len(counted), rules.limit_for(item_kind, YEAR), tuple(counted)),
    )


def lock_student(session: Session, student_id: int) -> None:
    """Serialise every change to one student's items until the transaction ends."""
    lock_named(session, f"student-items:{student_id}")


# --- course outcome drafts --------------------------------------------------------------------


def draft_outcomes(session: Session, student_id: int) -> list[CourseOutcome]:
    return list(
        session.scalars(
            select(CourseOutcome)
            .where(CourseOutcome.student_id == student_id, CourseOutcome.status == DRAFT)
            .order_by(CourseOutcome.id)
        )
    )


def create_outcome_draft(
    session: Session,
    student_id: int,
    course: Course,
    term: TermRef,
    now: datetime,
    replaces: CourseOutcome | None = None,
) -> CourseOutcome:
    outcome = CourseOutcome(
        student_id=student_id,
        course_id=course.id,
        academic_year=term.academic_year,
        semester=term.semester,
        summary="",
        status=DRAFT,
        created_at=now,
        replaces_id=replaces.id if replaces is not None else None,
    )
    session.add(outcome)
    session.flush()
    return outcome


def own_outcome(session: Session, student_id: int, outcome_id: int) -> CourseOutcome | None:
    outcome = session.get(CourseOutcome, outcome_id)
    if outcome is None or outcome.student_id != student_id:
        return None
    return outcome


def own_performance(session: Session, student_id: int, performance_id: int) -> Performance | None:
    performance = session.get(Performance, performance_id)
    if performance is None or performance.student_id != student_id:
        return None
    return performance


def live_replacement(session: Session, rejected_id: int) -> CourseOutcome | None:
    """The item that replaces a rejected one (a draft or anything sent), if there is one."""
    return session.scalars(
        select(CourseOutcome)
        .where(CourseOutcome.replaces_id == rejected_id, CourseOutcome.status != WITHDRAWN)
        .order_by(CourseOutcome.id.desc())
    ).first()


def check_replaceable(session: Session, student_id: int, outcome_id: int) -> CourseOutcome:
    """The rejected item a student may replace now; ItemError otherwise."""
    rejected = own_outcome(session, student_id, outcome_id)
    if rejected is None:
        raise ItemError("not_found")
    if rejected.status != REJECTED:
        raise ItemError("not_rejected")
    if live_replacement(session, rejected.id) is not None:
        raise ItemError("already_replaced")
    return rejected


def discard_outcome_draft(session: Session, outcome: CourseOutcome) -> None:
    """A draft the student gave up: its pages and the row go (files stay in the store)."""
    if outcome.status != DRAFT:
        raise ItemError("not_draft")
    clear_pages(session, OUTCOME_DRAFT, outcome.id)
    session.delete(outcome)
    session.flush()


def new_file_record(
    session: Session,
    stored_sha256: str,
    size: int,
    mime: str,
    kind: str,
    student_id: int | None,
    now: datetime,
    display_name: str | None = None,
) -> FileRecord:
    record = FileRecord(
        sha256=stored_sha256,
        size=size,
        mime=mime,
        kind=kind,
        student_id=student_id,
        created_at=now,
        display_name=display_name,
    )
    session.add(record)
    session.flush()
    return record


# --- pages (photos waiting to become one PDF) -------------------------------------------------


def pages(session: Session, draft_kind: str, draft_id: int) -> list[DraftPage]:
    return list(
        session.scalars(
            select(DraftPage)
            .where(DraftPage.draft_kind == draft_kind, DraftPage.draft_id == draft_id)
            .order_by(DraftPage.position, DraftPage.id)
        )
    )


def page_count(session: Session, draft_kind: str, draft_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(DraftPage)
            .where(DraftPage.draft_kind == draft_kind, DraftPage.draft_id == draft_id)
        )
        or 0
    )


def add_page(
    session: Session,
    line_user_id: str,
    draft_kind: str,
    draft_id: int,
    record: FileRecord,
    now: datetime,
    image_set: tuple[str, int] | None = None,
) -> DraftPage:
    """Keep a photo for the draft, in the order the student meant: LINE's imageSet index inside
    a set (events of a set may arrive in any order), arrival order otherwise."""
    existing = pages(session, draft_kind, draft_id)
    group: int | None = None
    index = 0
    if image_set is not None:
        set_id, index = image_set
        for page in existing:
            if page.image_set_id == set_id:
                group = page.position // PAGE_GROUP
                break
    if group is None:
        group = max((p.position // PAGE_GROUP for p in existing), default=0) + 1
    page = DraftPage(
        line_user_id=line_user_id,
        draft_kind=draft_kind,
        draft_id=draft_id,
        file_id=record.id,
        position=group * PAGE_GROUP + max(0, min(index, PAGE_GROUP - 1)),
        image_set_id=image_set[0] if image_set else None,
        received_at=now,
    )
    session.add(page)
    session.flush()
    return page


def set_pages_received(session: Session, draft_kind: str, draft_id: int, set_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(DraftPage)
            .where(
                DraftPage.draft_kind == draft_kind,
                DraftPage.draft_id == draft_id,
                DraftPage.image_set_id == set_id,
            )
        )
        or 0
    )


def clear_pages(session: Session, draft_kind: str, draft_id: int) -> int:
    result = session.execute(
        delete(DraftPage).where(DraftPage.draft_kind == draft_kind, DraftPage.draft_id == draft_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- submitting and withdrawing course outcomes -----------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """What submitting did: ok, or why not (window, room or the item's own state)."""

    ok: bool
    reason: str = ""  # "", "window", "limit", "not_draft", "no_files", "no_summary", "replaced"
    window: WindowCheck | None = None
    room: Room | None = None
    number: int = 0  # the item's number in the semester count once sent


def _term_of(item: CourseOutcome | Performance) -> TermRef:
    return TermRef(item.academic_year, item.semester)


def submit_outcome(
    session: Session, rules: SchoolRules, outcome_id: int, now: datetime
) -> Submitted:
    """Send a draft for certification, if the window and the limits still allow it.

    Two submissions racing for the last slot: the per-student lock makes the second wait for
    the first to commit, and the count taken after the lock then sees it, so exactly one wins.
    """
    outcome = session.get(CourseOutcome, outcome_id)
    if outcome is None:
        return Submitted(False, "not_draft")
    lock_student(session, outcome.student_id)
    session.refresh(outcome)
    if outcome.status != DRAFT:
        return Submitted(False, "not_draft")
    if outcome.document_file_id is None and outcome.video_file_id is None:
        return Submitted(False, "no_files")
    if not outcome.summary.strip():
        return Submitted(False, "no_summary")
    student = session.get(Student, outcome.student_id)
    term = _term_of(outcome)
    window = check_window_for(
        session,
        rules,
        COURSE_OUTCOME,
        term,
        outcome.student_id,
        student.grade if student else None,
        now,
        tuple(i for i in (outcome.id, outcome.replaces_id) if i is not None),
    )
    if not window.open:
        return Submitted(False, "window", window=window)
    if outcome.replaces_id is not None:
        other = live_replacement(session, outcome.replaces_id)
        if other is not None and other.id != outcome.id:
            return Submitted(False, "replaced")
    usage = room(session, rules, COURSE_OUTCOME, outcome.student_id, term, exclude={outcome.id})
    if usage.full_scope is not None:
        return Submitted(False, "limit", window=window, room=usage)
    certification.submit(session, outcome, now)
    clear_pages(session, OUTCOME_DRAFT, outcome.id)
    session.flush()
    return Submitted(True, window=window, room=usage, number=usage.semester.used + 1)


def withdraw_outcome(
    session: Session, student_id: int, outcome_id: int, now: datetime
) -> CourseOutcome:
    """Take back an item before it is certified; it stops counting.

    A conditional UPDATE on the pending state (bumping certify_version, as every change of an
    item's state does): a certifier's decision racing this withdrawal makes one of them match
    nothing, so both can never take effect.
    """
    lock_student(session, student_id)
    result = session.execute(
        update(CourseOutcome)
        .where(
            CourseOutcome.id == outcome_id,
            CourseOutcome.student_id == student_id,
            CourseOutcome.status == PENDING,
        )
        .values(status=WITHDRAWN, certify_version=CourseOutcome.certify_version + 1)
        .execution_options(synchronize_session=False)
    )
    outcome = session.get(CourseOutcome, outcome_id, populate_existing=True)
    if outcome is None or outcome.student_id != student_id:
        raise ItemError("not_found")
    if getattr(result, "rowcount", 0) != 1:
        raise ItemError(outcome.status)
    session.add(
        AuditEntry(
            at=now,
            action="withdraw",
            item_kind="outcome",
            item_id=outcome.id,
            student_id=student_id,
            actor_student_id=student_id,
        )
    )
    session.flush()
    return outcome


# --- performances -----------------------------------------------------------------------------


def draft_performances(session: Session, student_id: int) -> list[Performance]:
    return list(
        session.scalars(
            select(Performance)
            .where(Performance.student_id == student_id, Performance.status == DRAFT)
            .order_by(Performance.id)
        )
    )


def create_performance_draft(
    session: Session, student_id: int, record_type: str, term: TermRef, now: datetime
) -> Performance:
    performance = Performance(
        student_id=student_id,
        academic_year=term.academic_year,
        semester=term.semester,
        record_type=record_type,
        fields={},
        summary="",
        status=DRAFT,
        created_at=now,
    )
    session.add(performance)
    session.flush()
    return performance


def add_proof(session: Session, performance: Performance, record: FileRecord) -> PerformanceFile:
    position = max((p.position for p in performance.proofs), default=0) + 1
    proof = PerformanceFile(file_id=record.id, position=position)
    performance.proofs.append(proof)
    session.flush()
    return proof


def discard_performance_draft(session: Session, performance: Performance) -> None:
    if performance.status != DRAFT:
        raise ItemError("not_draft")
    clear_pages(session, PERFORMANCE_DRAFT, performance.id)
    session.delete(performance)
    session.flush()


def submit_performance(
    session: Session, rules: SchoolRules, performance_id: int, now: datetime
) -> Submitted:
    """Save a 多元表現 for good, if the window and both limits still allow it."""
    performance = session.get(Performance, performance_id)
    if performance is None:
        return Submitted(False, "not_draft")
    lock_student(session, performance.student_id)
    session.refresh(performance)
    if performance.status != DRAFT:
        return Submitted(False, "not_draft")
    if not performance.summary.strip():
        return Submitted(False, "no_summary")
    student = session.get(Student, performance.student_id)
    term = _term_of(performance)
    window = check_window_for(
        session,
        rules,
        PERFORMANCE,
        term,
        performance.student_id,
        student.grade if student else None,
        now,
    )
    if not window.open:
        return Submitted(False, "window", window=window)
    usage = room(
        session, rules, PERFORMANCE, performance.student_id, term, exclude={performance.id}
    )
    if usage.full_scope is not None:
        return Submitted(False, "limit", window=window, room=usage)
    performance.status = SUBMITTED
    performance.submitted_at = now
    clear_pages(session, PERFORMANCE_DRAFT, performance.id)
    session.add(
        AuditEntry(
            at=now,
            action="submit",
            item_kind="performance",
            item_id=performance.id,
            student_id=performance.student_id,
            actor_student_id=performance.student_id,
        )
    )
    session.flush()
    return Submitted(True, window=window, room=usage, number=usage.semester.used + 1)


def withdraw_performance(
    session: Session, student_id: int, performance_id: int, now: datetime
) -> Performance:
    """Take back a saved 多元表現 (not once picked for the central database)."""
    lock_student(session, student_id)
    performance = session.get(
        Performance, performance_id, with_for_update=True, populate_existing=True
    )
    if performance is None or performance.student_id != student_id or performance.entered_by_staff:
        raise ItemError("not_found")
    if performance.picked_at is not None:
        raise ItemError("picked")
    if performance.status != SUBMITTED:
        raise ItemError(performance.status)
    performance.status = WITHDRAWN
    session.add(
        AuditEntry(
            at=now,
            action="withdraw",
            item_kind="performance",
            item_id=performance.id,
            student_id=student_id,
            actor_student_id=student_id,
        )
    )
    session.flush()
    return performance


# --- the student's own list -------------------------------------------------------------------


@dataclass
class Listing:
    """A student's items of one academic year (withdrawn ones left out), newest first."""

    outcomes: list[CourseOutcome] = field(default_factory=list)
    performances: list[Performance] = field(default_factory=list)


def student_items(session: Session, student_id: int, academic_year: int) -> Listing:
    outcomes = session.scalars(
        select(CourseOutcome)
        .where(
            CourseOutcome.student_id == student_id,
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.status != WITHDRAWN,
        )
        .order_by(CourseOutcome.semester.desc(), CourseOutcome.id.desc())
    )
    performances = session.scalars(
        select(Performance)
        .where(
            Performance.student_id == student_id,
            Performance.academic_year == academic_year,
            Performance.status != WITHDRAWN,
        )
        .order_by(Performance.semester.desc(), Performance.id.desc())
    )
    return Listing(list(outcomes), list(performances))


# --- who may see a stored file ----------------------------------------------------------------


def _any(session: Session, query: Any) -> bool:
    return session.scalar(query.limit(1)) is not None


def _staff_with_office(session: Session, staff_id: int) -> bool:
    return _any(
        session,
        select(StaffRole.id).where(
            StaffRole.staff_id == staff_id, StaffRole.role.in_(sorted(OFFICE_ROLES))
        ),
    )


def _is_homeroom_of(session: Session, staff_id: int, student: Student) -> bool:
    if student.class_id is None:
        return False
    return _any(
        session,
        select(SchoolClass.id).where(
            SchoolClass.id == student.class_id, SchoolClass.homeroom_teacher_id == staff_id
        ),
    )


def _is_guardian_of(session: Session, guardian_id: int, student_id: int) -> bool:
    return _any(
        session,
        select(GuardianLink.id).where(
            GuardianLink.guardian_id == guardian_id, GuardianLink.student_id == student_id
        ),
    )


def _acted_on(session: Session, staff_id: int, item_kind: str, item_id: int) -> bool:
    """Whether the audit log shows this staff member handling the item (an earlier certifier
    or proxy of its chain)."""
    return _any(
        session,
        select(AuditEntry.id).where(
            AuditEntry.item_kind == item_kind,
            AuditEntry.item_id == item_id,
            AuditEntry.actor_staff_id == staff_id,
        ),
    )


@dataclass(frozen=True)
class Holder:
    """An item that holds a file: who it belongs to and who certifies it."""

    item_kind: str  # outcome | performance
    item_id: int
    student_id: int
    status: str
    staff_ids: frozenset[int]  # course teacher, current and deciding certifier


def file_holders(session: Session, file_id: int) -> list[Holder]:
    holders: list[Holder] = []
    outcomes = session.scalars(
        select(CourseOutcome).where(
            or_(CourseOutcome.document_file_id == file_id, CourseOutcome.video_file_id == file_id)
        )
    )
    for o in outcomes:
        staff = {o.certifier_id, o.decided_by_id, o.course.teacher_id if o.course else None}
        holders.append(
            Holder(
                OUTCOME_DRAFT,
                o.id,
                o.student_id,
                o.status,
                frozenset(s for s in staff if s is not None),
            )
        )
    proofs = session.execute(
        select(Performance.id, Performance.student_id, Performance.status)
        .join(PerformanceFile, PerformanceFile.performance_id == Performance.id)
        .where(PerformanceFile.file_id == file_id)
    )
    for pid, student_id, status in proofs:
        holders.append(Holder(PERFORMANCE_DRAFT, pid, student_id, status, frozenset()))
    # A consultation's attachment: each student in it, and the consultation teacher.
    attached = session.execute(
        select(Consultation.id, Consultation.consultant_id, ConsultationStudent.student_id)
        .join(ConsultationFile, ConsultationFile.consultation_id == Consultation.id)
        .join(ConsultationStudent, ConsultationStudent.consultation_id == Consultation.id)
        .where(ConsultationFile.file_id == file_id)
    )
    for cid, consultant_id, student_id in attached:
        holders.append(Holder(CONSULTATION, cid, student_id, SUBMITTED, frozenset({consultant_id})))
    return holders


def may_view_file(session: Session, file_id: int, viewer_kind: str, viewer_id: int) -> bool:
    """Whether the viewer may still see the file, checked against the items that hold it now.

    The student, their guardians, their homeroom teacher, the item's certifiers and course
    teacher, and staff with an office role; drafts and withdrawn items only to the student;
    a sealed (graduated) student's files only to office staff.
    """
    for holder in file_holders(session, file_id):
        student = session.get(Student, holder.student_id)
        if student is None:
            continue
        private = holder.status in (DRAFT, WITHDRAWN)
        if viewer_kind == VIEWER_STAFF:
            if _staff_with_office(session, viewer_id):
                return True
            if student.sealed_at is not None or private:
                continue
            if viewer_id in holder.staff_ids or _is_homeroom_of(session, viewer_id, student):
                return True
            if _acted_on(session, viewer_id, holder.item_kind, holder.item_id):
                return True
        elif student.sealed_at is not None:
            continue
        elif viewer_kind == VIEWER_STUDENT:
            if viewer_id == student.id:
                return True
        elif (
            viewer_kind == VIEWER_GUARDIAN
            and not private
            and _is_guardian_of(session, viewer_id, student.id)
        ):
            return True
    return False


# --- supervision (附表二 五 督導): progress per course, counted as everywhere else -------------


@dataclass(frozen=True)
class CourseProgress:
    """One course's outcomes this semester: who has uploaded, and items by current state."""

    course: Course
    enrolled: int
    uploaded_students: int
    pending: int
    certified: int
    rejected: int

    @property
    def missing(self) -> int:
        return self.enrolled - self.uploaded_students


def course_progress(
    session: Session, courses: Iterable[Course], academic_year: int, semester: int
) -> list[CourseProgress]:
    listed = sorted(
        courses,
        key=lambda c: (c.subject, c.school_class.code if c.school_class else "", c.code, c.id),
    )
    ids = [c.id for c in listed]
    rows = list(
        session.execute(
            select(
                CourseOutcome.id,
                CourseOutcome.course_id,
                CourseOutcome.student_id,
                CourseOutcome.status,
                CourseOutcome.replaces_id,
            ).where(
                CourseOutcome.course_id.in_(ids or [0]),
                CourseOutcome.academic_year == academic_year,
                CourseOutcome.semester == semester,
            )
        )
    )
    gone = superseded_ids(rows)
    enrolled: dict[int, int] = dict(
        session.execute(
            select(Enrolment.course_id, func.count())
            .where(Enrolment.course_id.in_(ids or [0]))
            .group_by(Enrolment.course_id)
        ).all()
    )
    states: dict[int, dict[str, int]] = {i: {} for i in ids}
    students: dict[int, set[int]] = {i: set() for i in ids}
    for r in rows:
        state = current_state(r.status, r.id in gone)
        if state in NOT_UPLOADS or state == SUPERSEDED:
            continue
        states[r.course_id][state] = states[r.course_id].get(state, 0) + 1
        students[r.course_id].add(r.student_id)
    return [
        CourseProgress(
            c,
            enrolled.get(c.id, 0),
            len(students[c.id]),
            states[c.id].get(PENDING, 0),
            states[c.id].get(CERTIFIED, 0),
            states[c.id].get(REJECTED, 0),
        )
        for c in listed
    ]


def term_courses(session: Session, academic_year: int, semester: int) -> list[Course]:
    return list(
        session.scalars(
            select(Course)
            .join(Term, Term.id == Course.term_id)
            .where(Term.academic_year == academic_year, Term.semester == semester)
        )
    )


def convened_courses(
    session: Session, staff_id: int, academic_year: int, semester: int, now: datetime
) -> list[Course]:
    """The semester's courses whose subject this person convenes (or certifies for, named by
    the convener): the chain of rule 七 decides, as it does for certification."""
    book = certification.ChainBook(session, taipei_date(now))
    found = []
    for course in term_courses(session, academic_year, semester):
        convener = book.convener_for(course)
        if convener is not None and staff_id in convener:
            found.append(course)
    return found


def taught_courses(
    session: Session, staff_id: int, academic_year: int, semester: int
) -> list[Course]:
    return [c for c in term_courses(session, academic_year, semester) if c.teacher_id == staff_id]
