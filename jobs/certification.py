"""Tick part for certification: chain changes, escalation, the certifier push, approval digests.

Message economy (DOMAIN §5): a push costs one message per recipient whatever it holds, so a
certifier gets at most one certification push a day, at the school's hour, only when something
new arrived since the last one, and it carries the cards themselves. Everything here is
idempotent: the push is recorded per (certifier, day), items and notes carry when they were told,
escalation marks the items it moved; running a tick twice sends nothing twice.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from catalogue import text
from flows import certify_cards, certify_news, certify_offers
from flows import messages as m
from rules.model import NotConfigured
from rules.school_rules import SchoolRules
from runtime.services import Services
from school import certification as cert
from school import certification_push, escalation, proxy_chain
from school.windows import effective_rules
from storage.clock import at_taipei, format_date, taipei_date
from storage.db import lock_named
from storage.models.certification import CertificationPush, CertifierNote
from storage.models.portfolio import PENDING, CourseOutcome
from storage.models.school import Staff
from storage.outbox import NORMAL, Outbox

log = logging.getLogger(__name__)

DIGEST_PURPOSE = "certify_digest"
APPROVALS_PURPOSE = "certify_approvals"


def run(svc: Services) -> dict[str, int]:
    now = svc.clock.now()
    with svc.db.session() as session:
        # Windows the working group moved (`portfolio windows set`) count here too.
        svc = dataclasses.replace(svc, rules=effective_rules(session, svc.rules))
    counts: dict[str, int] = {}
    with svc.db.transaction() as session:
        # Two ticks at once: the second waits here and then finds nothing left to move.
        lock_named(session, "certification-tick")
        counts["reassigned"] = len(
            proxy_chain.reresolve_pending(session, now, reason="chain changed", only_unsettled=True)
        )
        # Late items offered to the convener (rule 七: offered, not moved).
        counts["escalated"] = sum(escalation.escalate_due(session, now, svc.rules).pairs.values())
    counts["certifier_pushes"] = push_certifiers(svc, now)
    counts["approval_digests"] = digest_approvals(svc, now)
    return counts


# --- the certifier push ------------------------------------------------------------------------


def push_due(rules: SchoolRules, now: datetime) -> bool:
    """Whether certifier pushes may go out now (the daily hour has come; not in quiet hours)."""
    if rules.is_quiet(now):
        return False
    cadence = rules.cert_cadence
    if cadence.immediate or cadence.at is None:
        return True
    return now >= at_taipei(taipei_date(now), cadence.at.hour, cadence.at.minute)


def push_certifiers(svc: Services, now: datetime) -> int:
    if not push_due(svc.rules, now):
        return 0
    with svc.db.session() as session:
        staff_ids = certification_push.certifiers_with_news(session)
    sent = 0
    for staff_id in staff_ids:
        try:
            with svc.db.transaction() as session:
                if _push_one(session, svc, staff_id, now):
                    sent += 1
        except Exception:  # one certifier's bad data must not stop the others' pushes
            log.exception("certification push for staff %s failed", staff_id)
    return sent


def _open_items(
    rules: SchoolRules, items: list[CourseOutcome], now: datetime
) -> list[CourseOutcome]:
    open_items = []
    for outcome in items:
        window = cert.certification_window(rules, outcome)
        if window is not None and window.contains(now):
            open_items.append(outcome)
    return open_items


def _push_one(session: Session, svc: Services, staff_id: int, now: datetime) -> bool:
    lock_named(session, f"certification-push:{staff_id}")
    day = taipei_date(now)
    immediate = svc.rules.cert_cadence.immediate
    record = certification_push.first_push_of_day(session, staff_id, day)
    if record is not None and not immediate:
        return False
    items = _open_items(svc.rules, cert.pending_for(session, staff_id), now)
    new = [o for o in items if o.certifier_told_at is None]
    notes = certification_push.untold_notes(session, staff_id)
    if not new and not notes:
        return False
    if not notes and not immediate and _told_lately(session, svc.rules, staff_id, day):
        # New items alone wait for the cadence's next day (待認證 shows them meanwhile);
        # items moved or offered to this person are news that cannot wait.
        return False
    to = cert.line_user_of_staff(session, staff_id)
    if to is None:
        return False  # not on LINE: 待認證 shows the same list once they bind
    messages = digest_messages(session, svc, staff_id, items, len(new), notes, now)
    Outbox(session, now).push(to, messages, purpose=DIGEST_PURPOSE, priority=NORMAL)
    cert.mark_seen(items, now)
    for note in notes:
        note.told_at = now
    if record is None:
        session.add(
            CertificationPush(
                staff_id=staff_id,
                day=day,
                sent_at=now,
                pending=len(items),
                new_items=len(new),
                notes=len(notes),
            )
        )
    else:  # immediate cadence: several a day, counted on the day's row
        record.sent_at = now
        record.pending = len(items)
        record.new_items += len(new)
        record.notes += len(notes)
    session.flush()
    return True


def forecast_digests(session: Session, rules: SchoolRules, now: datetime, until: datetime) -> int:
    """Digests the rest of the month may still cost: one per certifier who has items waiting,
    on each of the cadence's days left (a ceiling: only news is pushed)."""
    days_left = (taipei_date(until) - taipei_date(now)).days
    if days_left <= 0:
        return 0
    every = 1 if rules.cert_cadence.immediate else rules.cert_cadence.every_days
    slots = -(-days_left // every)
    certifiers = session.scalar(
        select(func.count(distinct(CourseOutcome.certifier_id))).where(
            CourseOutcome.status == PENDING, CourseOutcome.certifier_id.is_not(None)
        )
    )
    return int(certifiers or 0) * slots


def _told_lately(session: Session, rules: SchoolRules, staff_id: int, day: date) -> bool:
    """Whether this certifier had a push within the cadence's last `every_days` days."""
    last = certification_push.last_push(session, staff_id)
    return last is not None and (day - last.day).days < rules.cert_cadence.every_days


def _window_end(rules: SchoolRules, academic_year: int, semester: int) -> str:
    try:
        return format_date(rules.window("certification", academic_year, semester).last_day)
    except NotConfigured:
        return ""


def _note_line(session: Session, rules: SchoolRules, note: CertifierNote) -> str:
    other = session.get(Staff, note.other_staff_id) if note.other_staff_id else None
    name = other.name if other else ""
    key = {
        cert.ESCALATED_IN: "certify.push.escalated_in",
        cert.OFFERED: "school_rules.certify.offered",
        cert.TAKEN_OVER: "school_rules.certify.taken_over",
    }.get(note.kind, "certify.push.escalated_out")
    return text(
        key, count=note.count, name=name, end=_window_end(rules, note.academic_year, note.semester)
    )


def digest_messages(
    session: Session,
    svc: Services,
    staff_id: int,
    items: list[CourseOutcome],
    new: int,
    notes: list[CertifierNote],
    now: datetime,
) -> list[dict[str, Any]]:
    """One push: what changed in a few lines, then the first page of cards."""
    lines: list[str] = []
    if items:
        ends = [w.last_day for w in (cert.certification_window(svc.rules, o) for o in items) if w]
        lines.append(
            text(
                "certify.push.header",
                count=len(items),
                new=new,
                end=format_date(min(ends)) if ends else "",
            )
        )
    else:
        lines.append(text("certify.push.notes_only"))
    lines.extend(_note_line(session, svc.rules, n) for n in notes)
    # Late items offered to a convener: one tap to take them over, or to remind the teacher.
    offers = [n for n in notes if n.kind == cert.OFFERED and n.other_staff_id]
    quick = certify_offers.offer_buttons(session, svc.settings.secret_key, offers)
    messages: list[dict[str, Any]] = [m.text("\n".join(lines), quick=quick or None)]
    if items:
        cards = certify_cards.Cards(
            session,
            svc.settings.secret_key,
            svc.settings.public_base_url,
            now,
            staff_id,
            link_ttl=certify_cards.PUSH_LINK_TTL,
        )
        page = certify_cards.make_page(items)
        messages.extend(certify_cards.page_messages(cards, items, page))
    return messages


# --- the students' approval digest ------------------------------------------------------------


def digest_approvals(svc: Services, now: datetime) -> int:
    """In daily_digest mode: one push a day to each student with approvals not yet told.

    Only approvals decided before today's send time go out, so a student hears at most once a
    day; later ones wait for tomorrow (or ride a reply sooner, for free).
    """
    rules = svc.rules
    if rules.approval_notice != "daily_digest" or rules.is_quiet(now):
        return 0
    send_at = at_taipei(taipei_date(now), rules.send_time.hour, rules.send_time.minute)
    if now < send_at:
        return 0
    with svc.db.session() as session:
        student_ids = cert.students_with_untold_approvals(session)
    sent = 0
    for student_id in student_ids:
        with svc.db.transaction() as session:
            lock_named(session, f"approval-digest:{student_id}")
            items = [
                o
                for o in cert.untold_approvals(session, student_id)
                if o.decided_at is not None and o.decided_at < send_at
            ]
            if not items:
                continue
            to = cert.line_user_of_student(session, student_id)
            if to is None:
                continue
            Outbox(session, now).push(
                to,
                [certify_news.approvals_message(items)],
                purpose=APPROVALS_PURPOSE,
                priority=NORMAL,
            )
            cert.mark_told(items, now)
            sent += 1
    return sent


def pushes_on(session: Session, day: Any) -> list[CertificationPush]:
    """The day's certification pushes (for staff reports and tests)."""
    return list(
        session.scalars(
            select(CertificationPush)
            .where(CertificationPush.day == day)
            .order_by(CertificationPush.staff_id)
        )
    )
