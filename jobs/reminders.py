"""Tick part: the 附表二 schedule, event notices and 公告 go out on time, once, to the right people.

Each tick works out from the database and the rules what is due now: schedule rows whose instant
has passed (catching up on any missed within CATCH_UP), event notices, day-before reminders,
RSVP counts, the rule-六 check, and announcements. Every (rule, period, recipient) handed to the
outbox is written to the delivery log in the same transaction, and anything already there is
skipped, so a second tick, or a tick after Redis was wiped, sends nothing twice and misses nothing.

Nothing is pushed in quiet hours: the tick plans nothing then, and what was due waits for the first
tick after them. What one person is due in one tick travels in one push (a push is charged per
recipient whatever it holds), and people due identical pushes share a multicast (≤ 500 ids a call).
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from catalogue import TEXTS, text
from flows import messages as m
from flows.events import event_notice, kind_label, when_text
from jobs import budget
from rules.model import (
    AUDIENCES,
    COURSE_OUTCOME,
    LAST_GRADE,
    PERFORMANCE,
    NotConfigured,
    Occurrence,
    SchoolRules,
    Window,
)
from runtime.services import Services
from school import consultations, schedule
from school import items as portfolio_items
from school.schedule import Recipient
from storage.clock import TAIPEI, academic_year_of, at_taipei, format_date, format_short_date
from storage.db import lock_named
from storage.models.schedule import SchoolEvent
from storage.models.school import SchoolClass
from storage.outbox import Outbox

log = logging.getLogger(__name__)

# How far back a tick looks for occurrences it has not delivered (an outage over a long weekend).
CATCH_UP = timedelta(days=3)
# A notice not tied to a window is no use held back longer than this.
STALE_AFTER = timedelta(days=14)
# Rule 六: the responsible office hears this long before the month's end if nothing is planned.
EVENT_MISSING_LEAD = timedelta(days=14)
EVENT_REMINDER_DAYS_BEFORE = 1
TICK_LOCK = "schedule-tick"
PERIOD_ANY = "-"

# What the button under a notice starts: the front desk's menu action for each flow a schedule
# row names. `portfolio rules check` refuses rows naming a flow missing here.
FLOW_ACTIONS: dict[str, str] = {
    "upload_course_outcome": "upload",
    "upload_performance": "performance",
    "class_progress": "class_progress",
    "record_consultation": "consult",
    "certify": "certify",
    "pick": "pick",
    "confirm_receipt": "confirm_receipt",
    "write_autobiography": "write_autobiography",
    "export_picks": "export_picks",
    "subject_progress": "subject_progress",
    "group_consultation": "group_consultation",
    # Office work done outside the bot (the registrar's system, the national platform): the
    # button opens the office's 待辦 list instead.
    "check_basic_data": "todo",
    "check_courses": "todo",
    "enter_cadres": "todo",
}
PRIORITY_RANK = {"urgent": 0, "normal": 1, "low": 2}


@dataclass
class Item:
    """One notice for one person; the person's items of one tick are sent together."""

    rule: str
    period: str
    due: datetime
    priority: str
    messages: list[dict[str, Any]]
    stale_after: datetime | None


@dataclass
class Plan:
    """Everything due this tick, per person, then grouped into as few LINE calls as possible."""

    people: dict[str, Recipient] = field(default_factory=dict)
    items: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))

    def add(self, person: Recipient, item: Item) -> None:
        self.people.setdefault(person.key, person)
        self.items[person.key].append(item)

    def __len__(self) -> int:
        return sum(len(v) for v in self.items.values())

    def send(self, session: Any, outbox: Outbox, now: datetime) -> Counter[str]:
        counts: Counter[str] = Counter()
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for key, items in self.items.items():
            items.sort(key=lambda i: (i.due, i.rule))
            messages = [msg for item in items for msg in item.messages]
            priority = min((i.priority for i in items), key=PRIORITY_RANK.__getitem__)
            groups[(json.dumps(messages, ensure_ascii=False, sort_keys=True), priority)].append(key)
        for (payload, priority), keys in groups.items():
            messages = json.loads(payload)
            first = self.items[keys[0]][0]
            accounts = [a for k in keys for a in self.people[k].line_user_ids]
            rows = outbox.multicast(
                accounts, messages, purpose=_purpose(first.rule), priority=priority
            )
            row_of: dict[str, int] = {}
            for row in rows:
                for account in row.recipients:
                    row_of.setdefault(account, row.id)
            for key in keys:
                person = self.people[key]
                for item in self.items[key]:
                    schedule.record_delivery(
                        session,
                        item.rule,
                        item.period,
                        key,
                        item.due,
                        now,
                        row_of.get(person.line_user_ids[0]),
                        item.stale_after,
                    )
                    counts[item.rule.split(":")[0]] += 1
            counts["line_calls"] += len(rows)
        counts["people"] = len(self.items)
        return counts


def _purpose(rule: str) -> str:
    return f"schedule:{rule}"[:48]


# --- the tick ------------------------------------------------------------------------------------


def run(svc: Services) -> dict[str, int]:
    """Plan and record everything due now; the tick delivers the outbox afterwards."""
    now = svc.clock.now()
    counts: Counter[str] = Counter()
    quota = budget.quota_limit(svc, svc.rules)  # HTTP to LINE: before the lock, not under it
    with svc.db.transaction() as session:
        lock_named(session, TICK_LOCK)
        rules = schedule.effective_rules(session, svc.rules)
        outbox = Outbox(session, now)
        if rules.is_quiet(now):
            counts["quiet"] = 1
        else:
            plan = Plan()
            plan_schedule(session, rules, now, plan)
            plan_events(session, rules, now, plan)
            plan_required_events(session, rules, now, plan)
            plan_semester_events(session, rules, now, plan)
            plan_announcements(session, now, plan)
            counts.update(plan.send(session, outbox, now))
        reserve = forecast_urgent(session, rules, now, budget.month_bounds(now)[1])
        enforced = budget.enforce(svc, session, rules, outbox, now, reserve, quota)
        counts.update(enforced.as_counts())
    return dict(counts)


def enforce_budget(svc: Services) -> dict[str, int]:
    """A tick part on its own, run last: hold low-priority pushes any part queued while the
    month's forecast is over budget."""
    now = svc.clock.now()
    quota = budget.quota_limit(svc, svc.rules)
    with svc.db.transaction() as session:
        rules = schedule.effective_rules(session, svc.rules)
        outbox = Outbox(session, now)
        reserve = forecast_urgent(session, rules, now, budget.month_bounds(now)[1])
        return budget.enforce(svc, session, rules, outbox, now, reserve, quota).as_counts()


# --- the 附表二 rows -----------------------------------------------------------------------------


def period_of(occurrence: Occurrence) -> str:
    """The occurrence's identity: it stays the same if a window change moves its date."""
    if occurrence.row.when.scope == "dates":
        return f"{occurrence.academic_year}@{occurrence.due.astimezone(TAIPEI):%m-%d}"
    if occurrence.semester is not None:
        return f"{occurrence.academic_year}-{occurrence.semester}"
    return str(occurrence.academic_year)


def plan_schedule(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    for occurrence in rules.due_between(now - CATCH_UP, now):
        rule, period = f"row:{occurrence.row.id}", period_of(occurrence)
        done = schedule.delivered(session, rule, period)
        for person, item in safe_targets(session, rules, occurrence, now):
            if person.key not in done:
                plan.add(person, item)


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


class _Notice:
    """Builds one occurrence's items: the rules text, the person's standing, the button."""

    def __init__(self, rules: SchoolRules, occurrence: Occurrence) -> None:
        self.rules = rules
        self.occurrence = occurrence
        self._values: dict[int | None, dict[str, str]] = {}

    def values(self, grade: int | None) -> dict[str, str]:
        if grade is None:
            grade = _row_grade(self.occurrence)
        if grade not in self._values:
            o = self.occurrence
            self._values[grade] = self.rules.notice_values(o.academic_year, o.semester, grade=grade)
        return self._values[grade]

    def item(
        self, lines: list[str], *, grade: int | None = None, stale_after: datetime | None = None
    ) -> Item:
        o = self.occurrence
        body = text(o.row.text_key, **self.values(grade))
        return Item(
            rule=f"row:{o.row.id}",
            period=period_of(o),
            due=o.due,
            priority=o.row.priority,
            messages=[notice_message(body, lines, o.row.flow)],
            stale_after=stale_after if stale_after is not None else o.due + STALE_AFTER,
        )


def notice_message(body: str, lines: list[str], flow: str | None) -> dict[str, Any]:
    """A notice card: the text, where the person stands (bold), and a button into the flow."""
    contents: list[dict[str, Any]] = [{"type": "text", "text": body, "wrap": True}]
    contents += [{"type": "text", "text": line, "wrap": True, "weight": "bold"} for line in lines]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": contents},
    }
    button = button_for(flow)
    if button is not None:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "contents": [{"type": "button", "style": "primary", "height": "sm", "action": button}],
        }
    alt = "\n".join([body, *lines])
    return m.flex(alt[:400], bubble)


def button_for(flow: str | None) -> dict[str, Any] | None:
    if flow is None or flow not in FLOW_ACTIONS:
        return None
    action = FLOW_ACTIONS[flow]
    key = "schedule.button.todo" if action == "todo" else f"rules.button.{flow}"
    label = TEXTS[key] if key in TEXTS else text("schedule.button.open")
    return m.postback_action(label, f"menu:{action}", label)


def _row_grade(o: Occurrence) -> int | None:
    """Grade 12 for a row that only concerns grade 12 (its windows are grade 12's own)."""
    return LAST_GRADE if o.row.grades == (LAST_GRADE,) else None


def _window(rules: SchoolRules, kind: str, o: Occurrence, grade: int | None) -> Window | None:
    try:
        return rules.window(kind, o.academic_year, o.semester, grade=grade)
    except (NotConfigured, ValueError):
        return None


def _plan_students(
    session: Any, rules: SchoolRules, o: Occurrence, now: datetime
) -> list[tuple[Recipient, Item]]:
    notice = _Notice(rules, o)
    people = schedule.students(session, o.row.grades or None)
    flow = o.row.flow
    found: list[tuple[Recipient, Item]] = []
    if flow == "upload_course_outcome" and o.semester is not None:
        limit = rules.limit_for(COURSE_OUTCOME, "uploads_per_semester")
        standing = schedule.course_outcome_standing(
            session,
            o.academic_year,
            o.semester,
            [p.person_id for p in people],
            rules.limits.counted_states,
        )
        for person in people:
            window = _window(rules, "upload", o, person.grade)
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
        standing = schedule.performance_standing(
            session, o.academic_year, o.semester, [p.person_id for p in people]
        )
        for person in people:
            window = _window(rules, "performance_upload", o, person.grade)
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
        window = _window(rules, "picking", o, _row_grade(o))
        if window is None or now > window.end:
            return []
        waiting = schedule.unconfirmed_pickers(
            session, o.academic_year, [p.person_id for p in people]
        )
        line = text("schedule.standing.pick", deadline=format_short_date(window.last_day))
        return [
            (p, notice.item([line], grade=p.grade, stale_after=window.end))
            for p in people
            if p.person_id in waiting
        ]
    if flow == "confirm_receipt":
        window = _window(rules, "receipt_confirmation", o, _row_grade(o))
        if window is None or now > window.end:
            return []
        unanswered = schedule.unanswered_receipts(session, o.academic_year)
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
    notice = _Notice(rules, o)
    pending = schedule.pending_by_certifier(session, o.academic_year, o.semester)
    window = _window(rules, "certification", o, None) if o.semester is not None else None
    if window is not None and now > window.end:
        return []
    found = []
    for person in schedule.staff_by_ids(session, pending):
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
    notice = _Notice(rules, o)
    teachers = schedule.homeroom_teachers(session, o.row.grades or None)
    if o.row.flow != "class_progress" or o.semester is None:
        return [(t, notice.item([])) for t in schedule.unique_recipients(t for t, _ in teachers)]
    window = _window(rules, "upload", o, None)
    if window is None or now > window.end:
        return []
    missing = schedule.classes_without_uploads(
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
    notice = _Notice(rules, o)
    return [(g, notice.item([])) for g in schedule.guardians(session, o.row.grades or None)]


def _staff_audience(audience: str) -> Planner:
    """Staff rows go to the StaffRole named by the audience (註冊組, 教學組, 課程諮詢教師 ...)."""

    def plan(
        session: Any, rules: SchoolRules, o: Occurrence, now: datetime
    ) -> list[tuple[Recipient, Item]]:
        notice = _Notice(rules, o)
        role = AUDIENCES.get(audience)
        people = schedule.staff_with_roles(session, [role] if role else [])
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
    notice = _Notice(rules, o)
    found = []
    for person in schedule.staff_with_roles(session, [AUDIENCES["convener"]]):
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
    notice = _Notice(rules, o)
    found = []
    for person in schedule.staff_with_roles(session, [AUDIENCES["teacher"]]):
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
    session: Any, notice: _Notice, o: Occurrence, audience: str, people: list[Recipient]
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


# --- events (rule 六) ----------------------------------------------------------------------------


def plan_events(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    for event in schedule.upcoming_events(session, now):
        period = str(event.academic_year)
        rule = f"event_notice:{event.id}"
        done = schedule.delivered(session, rule, period)
        notice = [event_notice(event)]
        for person in schedule.event_audience(session, event):
            if person.key not in done:
                plan.add(
                    person, Item(rule, period, event.created_at, "normal", notice, event.starts_at)
                )
        local_start = event.starts_at.astimezone(TAIPEI)
        day_before = (local_start - timedelta(days=EVENT_REMINDER_DAYS_BEFORE)).date()
        remind_at = at_taipei(day_before, rules.send_time.hour, rules.send_time.minute)
        if now < remind_at or now - remind_at > CATCH_UP:
            continue
        values = {"title": event.title, "when": when_text(event.starts_at), "place": event.place}
        if remind_at >= event.created_at:
            rule = f"event_reminder:{event.id}"
            done = schedule.delivered(session, rule, period)
            message = [m.text(text("schedule.event.reminder", **values))]
            for rsvp in schedule.attendees(session, event.id):
                if rsvp.recipient not in done:
                    person = Recipient(rsvp.recipient, (rsvp.line_user_id,), "", 0)
                    plan.add(
                        person, Item(rule, period, remind_at, "normal", message, event.starts_at)
                    )
        _plan_counts(session, event, remind_at, plan)


def _plan_counts(session: Any, event: SchoolEvent, due: datetime, plan: Plan) -> None:
    """The offices running the event get the RSVP counts with the day-before reminders."""
    rule, period = f"event_counts:{event.id}", str(event.academic_year)
    done = schedule.delivered(session, rule, period)
    counts = schedule.rsvp_counts(session, event)
    message = [
        m.text(
            text(
                "schedule.event.counts",
                kind=kind_label(event.kind),
                title=event.title,
                when=when_text(event.starts_at),
                yes=counts.attending,
                no=counts.declined,
                unanswered=counts.unanswered,
                invited=counts.invited,
            )
        )
    ]
    for person in schedule.staff_with_roles(session, schedule.EVENT_OFFICES[event.kind]):
        if person.key not in done:
            plan.add(person, Item(rule, period, due, "normal", message, event.starts_at))


def plan_required_events(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    """Rule 六: a heads-up before the configured month ends, and again after, if none is planned."""
    this_year = academic_year_of(now.astimezone(TAIPEI).date())
    for year in (this_year - 1, this_year):
        if year not in rules.years:
            continue
        for kind in rules.required_events:
            deadline = rules.event_deadline(kind, year)
            send = rules.send_time
            checkpoints = (
                (
                    "missing",
                    at_taipei(
                        (deadline - EVENT_MISSING_LEAD).astimezone(TAIPEI).date(),
                        send.hour,
                        send.minute,
                    ),
                ),
                (
                    "overdue",
                    at_taipei(
                        deadline.astimezone(TAIPEI).date() + timedelta(days=1),
                        send.hour,
                        send.minute,
                    ),
                ),
            )
            for name, due in checkpoints:
                if not (due <= now <= due + CATCH_UP) or schedule.has_event(session, kind, year):
                    continue
                rule, period = f"event_required:{kind}", f"{year}:{name}"
                done = schedule.delivered(session, rule, period)
                for role in schedule.EVENT_OFFICES[kind]:
                    body = text(
                        f"schedule.event.{name}",
                        office=role,
                        year=year,
                        kind=kind_label(kind),
                        deadline=format_date(deadline),
                    )
                    for person in schedule.staff_with_roles(session, [role]):
                        if person.key not in done:
                            done.add(person.key)
                            plan.add(
                                person,
                                Item(
                                    rule,
                                    period,
                                    due,
                                    "normal",
                                    [notice_message(body, [], None)],
                                    due + STALE_AFTER,
                                ),
                            )


def plan_semester_events(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    """Each semester's events (the working group's meeting, 教學組's workshop, 輔導室's
    training): a heads-up to the office before the deadline, and again after, if the semester
    has none on the calendar."""
    today = now.astimezone(TAIPEI).date()
    send = rules.send_time
    for semester in rules.semesters():
        if not semester.start <= today <= semester.end:
            continue
        first, end = at_taipei(semester.start), at_taipei(semester.end + timedelta(days=1))
        for kind in rules.semester_events:
            deadline = rules.semester_event_deadline(kind, semester)
            day = deadline.astimezone(TAIPEI).date()
            checkpoints = (
                ("missing", at_taipei(day - EVENT_MISSING_LEAD, send.hour, send.minute)),
                ("overdue", at_taipei(day + timedelta(days=1), send.hour, send.minute)),
            )
            for name, due in checkpoints:
                if not (due <= now <= due + CATCH_UP) or schedule.has_event_between(
                    session, kind, first, end
                ):
                    continue
                rule, period = f"event_required:{kind}", f"{semester.label}:{name}"
                done = schedule.delivered(session, rule, period)
                for role in schedule.EVENT_OFFICES[kind]:
                    body = text(
                        f"school_rules.event.{name}",
                        office=role,
                        term=semester.label,
                        kind=kind_label(kind),
                        deadline=format_date(deadline),
                    )
                    for person in schedule.staff_with_roles(session, [role]):
                        if person.key not in done:
                            done.add(person.key)
                            plan.add(
                                person,
                                Item(
                                    rule,
                                    period,
                                    due,
                                    "normal",
                                    [notice_message(body, [], None)],
                                    due + STALE_AFTER,
                                ),
                            )


# --- 公告 ----------------------------------------------------------------------------------------


def plan_announcements(session: Any, now: datetime, plan: Plan) -> None:
    for announcement in schedule.open_announcements(session, now):
        rule = f"announcement:{announcement.id}"
        done = schedule.delivered(session, rule, PERIOD_ANY)
        message = announcement_message(
            announcement.body, announcement.action, announcement.action_label
        )
        for person in schedule.audience_recipients(session, announcement.audience):
            if person.key not in done:
                plan.add(
                    person,
                    Item(
                        rule,
                        PERIOD_ANY,
                        announcement.created_at,
                        announcement.priority,
                        [message],
                        announcement.until,
                    ),
                )


def announcement_message(body: str, action: str | None, label: str | None) -> dict[str, Any]:
    contents = [{"type": "text", "text": body, "wrap": True}]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": contents},
    }
    if action:
        label = label or text("schedule.button.open")
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "height": "sm",
                    "action": m.postback_action(label, f"menu:{action}", label),
                }
            ],
        }
    return m.flex(body[:400], bubble)
