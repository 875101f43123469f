"""Tick part for rule 九 and backups: seal and delete once a Taipei day; the nightly backup.

Once a day, at the school's send time (never in quiet hours), graduates whose day has come are
sealed (their LINE binding ends with a farewell) and sealed graduates whose retention period is
over are deleted, each student in a transaction of their own so one bad row never holds up the
rest. A LifecycleRun row per (kind, Taipei day) makes running the tick again a no-op.

When the backup directory is set (BACKUP_DIR, read into Settings), the first tick at or after the
backup hour (Taipei, default 02:00) each day claims the night and enqueues nightly_backup, which
writes a backup there and keeps the newest few (default 14).
A failed backup is told to the platform-management contact (rule 七).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import text
from flows import messages as m
from rules.school_rules import SchoolRules
from runtime.services import Services, services
from school import backup, deletion, management, sealing, windows
from school.binding_end import Farewell
from storage import inbox as inbox_store
from storage import outbox as outbox_store
from storage.clock import at_taipei, format_date, taipei_date
from storage.db import lock_named
from storage.models.console_office import DONE, FAILED
from storage.models.lifecycle import BACKUP, DAILY, LifecycleRun, RetentionDeletion
from storage.models.school import Student
from storage.outbox import NORMAL, Outbox

log = logging.getLogger(__name__)

REPORTS_DIR = "reports"

FAREWELL_PURPOSE = "lifecycle_farewell"
NOTICE_PURPOSE = "management_notice"


ROLLOVER = "rollover"
# Graduates named in the office's notice of sealing without receipts (the rest are counted).
NAMES_SHOWN = 20


def run(svc: Services) -> dict[str, int]:
    now = svc.clock.now()
    counts: dict[str, int] = {}
    counts.update(run_daily(svc, now))
    counts.update(schedule_backup(svc, now))
    counts.update(warn_rollover(svc, now))
    return counts


def warn_rollover(svc: Services, now: datetime) -> dict[str, int]:
    """Once, 60 days before the rules file's calendar runs out: tell 註冊組 to add the next
    學年度 (after that day nothing in the schedule falls due any more)."""
    with svc.db.session() as session:
        # A year adopted in the console's 期程 page counts: the calendar no longer runs out.
        rules = windows.effective_rules(session, svc.rules)
    if not rules.rollover_due(now) or not daily_due(rules, now):
        return {}
    end = rules.calendar_end
    run_id = _claim(svc, ROLLOVER, end, now, {"calendar_end": end.isoformat()})
    if run_id is None:
        return {}
    with svc.db.transaction() as session:
        notify_management(
            session,
            rules,
            now,
            text("school_rules.rollover.notice", end=format_date(end), year=max(rules.years) + 1),
        )
        run_row = session.get(LifecycleRun, run_id)
        if run_row is not None:
            run_row.finished_at = now
    return {"rollover_warned": 1}


# --- saying goodbye and telling the office ------------------------------------------------------


def say_farewells(
    session: Session,
    rules: SchoolRules,
    now: datetime,
    farewells: list[Farewell],
    kind: str,
    graduated_on: date | None = None,
) -> int:
    """One push per account whose binding ended, and its rich menu unlinked.

    kind: "transfer_out" or "graduate"; guardians get their own words either way.
    """
    outbox = Outbox(session, now)
    values: dict[str, Any] = {"years": rules.retention_years}
    if graduated_on is not None:
        values["until"] = format_date(rules.retention_end(graduated_on))
    for farewell in farewells:
        key = "lifecycle.farewell.guardian" if farewell.guardian else f"lifecycle.farewell.{kind}"
        body = text(key, name=farewell.student_name, **values)
        outbox.push(
            farewell.line_user_id,
            [m.text(body)],
            purpose=FAREWELL_PURPOSE,
            priority=NORMAL,
            not_before=rules.next_send_time(now),
        )
        outbox.link_menu(farewell.line_user_id, None)
    return len(farewells)


def notify_management(
    session: Session, rules: SchoolRules, now: datetime, body: str, *, backup: bool = False
) -> str | None:
    """Push a staff notice to the platform-management contact of rule 七 (backup news: to the
    IT media section first, 附表二 二); their LINE user id, or None when nobody in the chain is
    on LINE (the notice is logged instead)."""
    chain = (
        management.backup_chain(session, now)
        if backup
        else management.management_chain(session, now)
    )
    recipients = management.management_recipients(session, now, chain)
    if not recipients:
        log.warning("no platform-management contact on LINE for: %s", body.splitlines()[0])
        return None
    staff, to = recipients[0]
    head = chain[0] if chain else None
    if head is not None and head.staff.id != staff.id:
        body = text("lifecycle.notice.as_proxy", role=head.role, name=head.staff.name) + "\n" + body
    Outbox(session, now).push(
        to,
        [m.text(body)],
        purpose=NOTICE_PURPOSE,
        priority=NORMAL,
        not_before=rules.next_send_time(now),
    )
    return to


# --- rule 九: the daily pass --------------------------------------------------------------------


@dataclass
class RetentionOutcome:
    sealed: list[sealing.Sealed] = field(default_factory=list)
    deleted: list[RetentionDeletion] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # 學號 and name of graduates sealed although their 收訖明細 never came back.
    without_receipt: list[str] = field(default_factory=list)
    bytes_removed: int = 0
    report: Path | None = None


def report_path(svc: Services) -> Path:
    return Path(svc.settings.storage_dir) / REPORTS_DIR / deletion.DELETION_REPORT_NAME


def retention_pass(
    svc: Services, now: datetime, progress: Callable[[int, int], None] | None = None
) -> RetentionOutcome:
    """Seal who is due, delete who has expired: one transaction per student. progress(done,
    total) is told after each student (the console's bar)."""
    outcome = RetentionOutcome()
    with svc.db.session() as session:
        # Rule 九 waits for the graduates' last picking, submission and receipt confirmation.
        effective = windows.effective_rules(session, svc.rules)
        due = sealing.due_for_sealing(session, now, effective)
        to_seal = [s.id for s in due]
        overdue = {
            s.id
            for s in due
            if sealing.sealing_state(session, effective, s, now) == sealing.RECEIPT_OVERDUE
        }
        to_delete = [s.id for s in deletion.due_for_deletion(session, svc.rules, now)]
    total = len(to_seal) + len(to_delete)
    tell = progress or (lambda done, total: None)
    for n, student_id in enumerate(to_seal):
        tell(n, total)
        try:
            with svc.db.transaction() as session:
                # The CLI and the tick may both be at it: one student is sealed once.
                lock_named(session, f"lifecycle-student:{student_id}")
                student = session.get(Student, student_id)
                if student is None or student.sealed_at is not None:
                    continue
                sealed = sealing.seal(session, now, student)
                say_farewells(
                    session, svc.rules, now, sealed.farewells, "graduate", student.graduated_on
                )
                outcome.sealed.append(sealed)
                if student_id in overdue:
                    outcome.without_receipt.append(f"{sealed.student_no} {sealed.name}")
        except Exception:  # one student's bad data must not stop the others
            log.exception("sealing student %s failed", student_id)
            outcome.failed.append(str(student_id))
    for n, student_id in enumerate(to_delete, start=len(to_seal)):
        tell(n, total)
        try:
            with svc.db.transaction() as session:
                lock_named(session, f"lifecycle-student:{student_id}")
                student = session.get(Student, student_id)
                if student is None:
                    continue
                outcome.deleted.append(deletion.delete_student(session, svc.rules, now, student))
        except Exception:
            log.exception("deleting student %s failed", student_id)
            outcome.failed.append(str(student_id))
    finish_deletions(svc, now, outcome)
    tell(total, total)
    return outcome


def retention_job(
    svc: Services, params: dict[str, Any], progress: Callable[[int, int], None]
) -> tuple[str, str, dict[str, Any]]:
    """The daily pass started from the console (school.jobs runs it as the "retention" kind):
    the same sealing and deletion, with a progress bar and the result for its starter."""
    outcome = retention_pass(svc, svc.clock.now(), progress)
    message = text(
        "console_office.retention.done",
        sealed=len(outcome.sealed),
        deleted=len(outcome.deleted),
        failed=len(outcome.failed),
    )
    if outcome.sealed:
        names = "、".join(f"{s.student_no} {s.name}" for s in outcome.sealed[:60])
        message += text("console_office.retention.sealed", names=names)
    if outcome.deleted:
        numbers = "、".join(d.student_no for d in outcome.deleted[:60])
        message += text("console_office.retention.deleted", numbers=numbers)
    detail = {
        "sealed": len(outcome.sealed),
        "deleted": len(outcome.deleted),
        "failed": len(outcome.failed),
        "bytes_removed": outcome.bytes_removed,
    }
    return (FAILED if outcome.failed else DONE), message, detail


def finish_deletions(svc: Services, now: datetime, outcome: RetentionOutcome | None = None) -> int:
    """After the rows are committed: remove the bytes nothing names any more, rewrite the CSV."""
    with svc.db.transaction() as session:
        removed = deletion.remove_pending_bytes(session, svc.files, now)
    path = report_path(svc)
    with svc.db.session() as session:
        has_reports = session.scalars(select(RetentionDeletion.id)).first() is not None
        if has_reports or path.exists():
            deletion.write_deletion_report(session, path)
    if outcome is not None:
        outcome.bytes_removed = removed
        outcome.report = path if has_reports else None
    return removed


def daily_due(rules: SchoolRules, now: datetime) -> bool:
    """At or after the school's send time, outside quiet hours (farewells are pushes)."""
    at = at_taipei(taipei_date(now), rules.send_time.hour, rules.send_time.minute)
    return now >= at and not rules.is_quiet(now)


def _claim(
    svc: Services, kind: str, day: date, now: datetime, detail: dict[str, Any]
) -> int | None:
    with svc.db.transaction() as session:
        lock_named(session, f"lifecycle-{kind}")
        if (
            session.scalars(
                select(LifecycleRun.id).where(LifecycleRun.kind == kind, LifecycleRun.day == day)
            ).first()
            is not None
        ):
            return None
        run_row = LifecycleRun(kind=kind, day=day, started_at=now, detail=detail)
        session.add(run_row)
        session.flush()
        return run_row.id


def run_daily(svc: Services, now: datetime) -> dict[str, int]:
    if not daily_due(svc.rules, now):
        return {}
    run_id = _claim(svc, DAILY, taipei_date(now), now, {})
    if run_id is None:
        return {}
    outcome = retention_pass(svc, now)
    with svc.db.transaction() as session:
        # Message logs hold what people wrote and were told: kept for a while, not for ever.
        purged = outbox_store.purge_sent(session, now) + inbox_store.purge_handled(session, now)
    counts = {
        "sealed": len(outcome.sealed),
        "deleted": len(outcome.deleted),
        "failed": len(outcome.failed),
        "bytes_removed": outcome.bytes_removed,
        "logs_purged": purged,
    }
    with svc.db.transaction() as session:
        run_row = session.get(LifecycleRun, run_id)
        assert run_row is not None
        run_row.finished_at = svc.clock.now()
        run_row.detail = counts
        if outcome.sealed or outcome.deleted or outcome.failed:
            body = text(
                "lifecycle.notice.daily",
                date=format_date(now),
                sealed=len(outcome.sealed),
                deleted=len(outcome.deleted),
                failed=len(outcome.failed),
            )
            if outcome.without_receipt:
                # Said in the same push: the office learns the 收訖明細 never came back.
                body += "\n" + text(
                    "lifecycle.notice.sealed_without_receipt",
                    days=svc.rules.seal_without_receipt_days,
                    count=len(outcome.without_receipt),
                    students="、".join(outcome.without_receipt[:NAMES_SHOWN]),
                    more=(
                        text("lifecycle.notice.and_more", n=len(outcome.without_receipt))
                        if len(outcome.without_receipt) > NAMES_SHOWN
                        else ""
                    ),
                )
            notify_management(session, svc.rules, now, body)
    return counts


# --- the nightly backup -------------------------------------------------------------------------


def schedule_backup(svc: Services, now: datetime) -> dict[str, int]:
    target = svc.settings.backup_dir
    if target is None:
        return {}
    hour = svc.settings.backup_hour
    today = taipei_date(now)
    if now < at_taipei(today, hour):
        return {}
    run_id = _claim(svc, BACKUP, today, now, {"dir": str(target)})
    if run_id is None:
        return {}
    # A backup takes minutes; its own job keeps the tick (and message delivery) quick.
    svc.queue.enqueue("jobs.lifecycle.nightly_backup", run_id)
    return {"backup_enqueued": 1}


def nightly_backup(run_id: int) -> None:
    """rq entry point: the backup claimed by schedule_backup."""
    run_backup(services(), run_id)


def run_backup(svc: Services, run_id: int) -> backup.BackupResult | None:
    target = svc.settings.backup_dir
    result: backup.BackupResult | None = None
    error: str | None = None
    pruned: list[Path] = []
    try:
        if target is None:
            raise backup.BackupError("BACKUP_DIR is no longer set")
        result = backup.create_backup(svc.db, svc.files, target, svc.clock.now())
        pruned = backup.prune(target, svc.settings.backup_keep)
    except Exception as exc:  # recorded and told to the office; the next night tries again
        log.exception("nightly backup failed")
        error = str(exc) or type(exc).__name__
    now = svc.clock.now()
    with svc.db.transaction() as session:
        run_row = session.get(LifecycleRun, run_id)
        if run_row is not None:
            run_row.finished_at = now
            run_row.error = error[:500] if error else None
            if result is not None:
                run_row.detail = {
                    "path": str(result.path),
                    "files": result.files,
                    "bytes": result.bytes,
                    "linked": result.linked,
                    "missing": len(result.missing),
                    "pruned": len(pruned),
                }
        if error is not None:
            notify_management(
                session,
                svc.rules,
                now,
                text("lifecycle.notice.backup_failed", error=error[:300]),
                backup=True,
            )
        elif result is not None and result.missing:
            notify_management(
                session,
                svc.rules,
                now,
                text("lifecycle.notice.backup_missing", count=len(result.missing)),
                backup=True,
            )
    return result
