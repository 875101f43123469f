"""Who a schedule row reaches: each audience's people, each with where they stand, and only those
who still have something to do."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from catalogue import text
from jobs.notice_plan import Item, Notice, row_grade, window_of
from rules.labels import AUDIENCES
from rules.model import COURSE_OUTCOME, PERFORMANCE, NotConfigured, Occurrence
from rules.school_rules import SchoolRules
from school import consultations, recipients, tallies
from school import progress as portfolio_items
from school.recipients import Recipient
from storage.clock import format_short_date
from storage.models.school import SchoolClass

log = logging.getLogger(__name__)


def safe_targets(
    session: Any, rules: SchoolRules, occurrence: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    try:
        return targets(session, rules, occurrence, now)
    except (KeyError, ValueError, NotConfigured):
        # A row the school's file got wrong (a text needing a date it lacks) must not stop the
        # other rows; it is logged on every tick until the file is fixed.
        log.exception("schedule row %s cannot be planned", occurrence.row.id)
        return []


def targets(
    session: Any, rules: SchoolRules, occurrence: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    """Who this occurrence reaches now, each with their own message; at most once per person."""
    row = occurrence.row
    found: list[tuple[Recipient, Item]] = []
    seen: set[str] = set()
    for audience in row.audience:
        for person, item in _AUDIENCE_PLANNERS.get(audience, _staff_audience(audience))(
            session, rules, occurrence, now
        ):
            if person.key not in seen:
                seen.add(person.key)
                found.append((person, item))
    return found


Planner = Callable[[Any, SchoolRules, Occurrence, datetime], list[tuple[Recipient, Item]]]


def _plan_students(
    session: Any, rules: SchoolRules, o: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    notice = Notice(rules, o)
    people = recipients.students(session, o.row.grades or None)
    flow = o.row.flow
    found: list[tuple[Recipient, Item]] = []
    if flow == "upload_course_outcome" and o.semester is not None:
        limit = rules.limit_for(COURSE_OUTCOME, "uploads_per_semester")
        standing = tallies.course_outcome_standing(
            session,
            o.academic_year,
            o.semester,
            [p.person_id for p in people],
            rules.limits.counted_states,
        )
        for person in people:
            window = window_of(rules, "upload", o, person.grade)
            s = standing[person.person_id]
            full = limit is not None and s.counted >= limit
            if window is None or now > window.end or (full and not s.drafts):
                continue
            lines = [
                text(
                    "schedule.standing.upload",
                    count=s.counted,
                    limit=limit,
                    deadline=format_short_date(window.last_day),
                )
            ]
            if s.drafts:
                lines.append(text("schedule.standing.drafts", drafts=s.drafts))
            found.append((person, notice.item(lines, grade=person.grade, stale_after=window.end)))
        return found
    if flow == "upload_performance" and o.semester is not None:
        limit = rules.limit_for(PERFORMANCE, "uploads_per_semester")
        year_limit = rules.limit_for(PERFORMANCE, "uploads_per_year")
        standing = tallies.performance_standing(
            session, o.academic_year, o.semester, [p.person_id for p in people]
        )
        for person in people:
            window = window_of(rules, "performance_upload", o, person.grade)
            s = standing[person.person_id]
            full = (limit is not None and s.counted >= limit) or (
                year_limit is not None and s.year_counted >= year_limit
            )
            if window is None or now > window.end or (full and not s.drafts):
                continue
            lines = [
                text(
                    "schedule.standing.performance",
                    count=s.counted,
                    limit=limit,
                    year_count=s.year_counted,
                    year_limit=year_limit or "—",
                    deadline=format_short_date(window.last_day),
                )
            ]
            if s.drafts:
                lines.append(text("schedule.standing.drafts", drafts=s.drafts))
            found.append((person, notice.item(lines, grade=person.grade, stale_after=window.end)))
        return found
    if flow == "pick":
        window = window_of(rules, "picking", o, row_grade(o))
        if window is None or now > window.end:
            return []
        waiting = tallies.unconfirmed_pickers(
            session, o.academic_year, [p.person_id for p in people]
        )
        line = text("schedule.standing.pick", deadline=format_short_date(window.last_day))
        return [
            (p, notice.item([line], grade=p.grade, stale_after=window.end))
            for p in people
            if p.person_id in waiting
        ]
    if flow == "confirm_receipt":
        window = window_of(rules, "receipt_confirmation", o, row_grade(o))
        if window is None or now > window.end:
            return []
        unanswered = tallies.unanswered_receipts(session, o.academic_year)
        return [
            (
                p,
                notice.item(
                    [
                        text(
                            "schedule.standing.receipt",
                            count=unanswered[p.person_id],
                            deadline=format_short_date(window.last_day),
                        )
                    ],
                    grade=p.grade,
                    stale_after=window.end,
                ),
            )
            for p in people
            if unanswered.get(p.person_id)
        ]
    return [(p, notice.item([], grade=p.grade)) for p in people]


def _plan_certifiers(
    session: Any, rules: SchoolRules, o: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    notice = Notice(rules, o)
    pending = tallies.pending_by_certifier(session, o.academic_year, o.semester)
    window = window_of(rules, "certification", o, None) if o.semester is not None else None
    if window is not None and now > window.end:
        return []
    found = []
    for person in recipients.staff_by_ids(session, pending):
        lines = []
        if window is not None:
            lines.append(
                text(
                    "schedule.standing.certify",
                    count=pending[person.person_id],
                    deadline=format_short_date(window.last_day),
                )
            )
        found.append((person, notice.item(lines, stale_after=window.end if window else None)))
    return found


def _plan_homeroom(
    session: Any, rules: SchoolRules, o: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    notice = Notice(rules, o)
    teachers = recipients.homeroom_teachers(session, o.row.grades or None)
    if o.row.flow != "class_progress" or o.semester is None:
        return [(t, notice.item([])) for t in recipients.unique_recipients(t for t, _ in teachers)]
    window = window_of(rules, "upload", o, None)
    if window is None or now > window.end:
        return []
    missing = tallies.classes_without_uploads(
        session, o.academic_year, o.semester, [c for _, c in teachers], rules.limits.counted_states
    )
    lines: dict[str, list[str]] = defaultdict(list)
    people: dict[str, Recipient] = {}
    for teacher, class_id in teachers:
        if missing.get(class_id):
            code = session.get(SchoolClass, class_id).code
            lines[teacher.key].append(
                text("schedule.standing.homeroom", cls=code, count=missing[class_id])
            )
            people[teacher.key] = teacher
    return [(people[k], notice.item(v, stale_after=window.end)) for k, v in lines.items()]


def _plan_parents(
    session: Any, rules: SchoolRules, o: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    notice = Notice(rules, o)
    return [(g, notice.item([])) for g in recipients.guardians(session, o.row.grades or None)]


def _staff_audience(audience: str) -> Planner:
    """Staff rows go to the StaffRole named by the audience (註冊組, 教學組, 課程諮詢教師 ...)."""

    def plan(
        session: Any, rules: SchoolRules, o: Occurrence, now: datetime
    ) -> list[tuple[Recipient, Item]]:
        notice = Notice(rules, o)
        role = AUDIENCES.get(audience)
        people = recipients.staff_with_roles(session, [role] if role else [])
        if o.row.flow == "group_consultation":
            return _group_consultation_items(session, notice, o, audience, people)
        return [(p, notice.item([])) for p in people]

    return plan


def _plan_conveners(
    session: Any, rules: SchoolRules, o: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    """附表二 五: each convener hears how their subject stands (students yet to upload, items
    waiting for certification), with a button to 科別進度."""
    if o.semester is None:
        return []
    notice = Notice(rules, o)
    found = []
    for person in recipients.staff_with_roles(session, [AUDIENCES["convener"]]):
        courses = portfolio_items.convened_courses(
            session, person.person_id, o.academic_year, o.semester, now
        )
        rows = portfolio_items.course_progress(session, courses, o.academic_year, o.semester)
        if not rows:
            continue
        line = text(
            "school_rules.standing.convener",
            missing=sum(r.missing for r in rows),
            courses=len(rows),
            pending=sum(r.pending for r in rows),
        )
        found.append((person, notice.item([line])))
    return found


def _plan_teachers(
    session: Any, rules: SchoolRules, o: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    """附表二 五: course teachers hear how many of their own students have not uploaded."""
    if o.semester is None:
        return []
    notice = Notice(rules, o)
    found = []
    for person in recipients.staff_with_roles(session, [AUDIENCES["teacher"]]):
        courses = portfolio_items.taught_courses(
            session, person.person_id, o.academic_year, o.semester
        )
        rows = portfolio_items.course_progress(session, courses, o.academic_year, o.semester)
        missing = sum(r.missing for r in rows)
        if not rows or missing == 0:
            continue
        line = text("school_rules.standing.teacher", missing=missing, courses=len(rows))
        found.append((person, notice.item([line])))
    return found


def _group_consultation_items(
    session: Any, notice: Notice, o: Occurrence, audience: str, people: list[Recipient]
) -> list[tuple[Recipient, Item]]:
    """附表二 四(二): the classes still without a group consultation this year, to their
    consultant (their own) and to 輔導室 (all); nobody hears when none is missing."""
    missing = consultations.classes_without_group_consultation(session, o.academic_year)
    found = []
    for person in people:
        mine = (
            missing
            if audience != "consultant"
            else [gap for gap in missing if gap.consultant.id == person.person_id]
        )
        if not mine:
            continue
        classes = "、".join(
            f"{gap.school_class.code}（{gap.consultant.name}）"
            if audience != "consultant"
            else gap.school_class.code
            for gap in mine[:20]
        )
        found.append(
            (
                person,
                notice.item(
                    [text("school_rules.standing.group", count=len(mine), classes=classes)]
                ),
            )
        )
    return found


_AUDIENCE_PLANNERS: dict[str, Planner] = {
    "student": _plan_students,
    "certifier": _plan_certifiers,
    "convener": _plan_conveners,
    "teacher": _plan_teachers,
    "homeroom": _plan_homeroom,
    "parent": _plan_parents,
}


def forecast_urgent(session: Any, rules: SchoolRules, now: datetime, until: datetime) -> int:
    """Messages the urgent rows still due this month will cost, counted from today's targets."""
    total = 0
    for occurrence in rules.due_between(now, until):
        if occurrence.row.priority != "urgent":
            continue
        for person, _ in safe_targets(session, rules, occurrence, occurrence.due):
            total += len(person.line_user_ids)
    return total
