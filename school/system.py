"""The system page's operations (資媒組/圖書館 and the management proxy chain): backups (list,
run, verify), health of database/queue/LINE, this month's message quota, dead letters with retry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from rules.school_rules import SchoolRules
from school import backup, deletion, sealing
from storage import inbox as inbox_store
from storage import outbox as outbox_store
from storage.clock import TAIPEI, UTC
from storage.db import Database
from storage.models.console_office import DONE, FAILED, ConsoleJob
from storage.models.line import DEAD, PENDING, OutboxMessage


@dataclass(frozen=True)
class BackupInfo:
    name: str
    created_at: datetime | None
    size: int  # bytes (files shared with earlier backups are counted in each)
    files: int
    checked: str  # "ok", "failed" or "" (never verified)
    checked_at: datetime | None


def _size(path: Path) -> tuple[int, int]:
    total = count = 0
    for p in path.rglob("*"):
        if p.is_file():
            total += p.stat().st_size
            count += 1
    return total, count


def list_backups(session: Session, backup_dir: Path | None) -> list[BackupInfo]:
    """The complete backups in the folder, newest first, with the last verification of each."""
    if backup_dir is None or not backup_dir.is_dir():
        return []
    verified: dict[str, tuple[str, datetime | None]] = {}
    for job in session.scalars(
        select(ConsoleJob)
        .where(ConsoleJob.kind == "backup_verify", ConsoleJob.state.in_((DONE, FAILED)))
        .order_by(ConsoleJob.id)
    ):
        verified[str(job.params.get("name"))] = (
            "ok" if job.state == DONE else "failed",
            job.finished_at,
        )
    out = []
    for path in backup._earlier_backups(backup_dir):
        try:
            manifest = json.loads((path / backup.MANIFEST).read_text("utf-8"))
        except (OSError, ValueError):
            manifest = {}
        size, count = _size(path)
        state, at = verified.get(path.name, ("", None))
        try:
            created = datetime.fromisoformat(str(manifest.get("created_at")))
        except ValueError:
            created = None
        out.append(BackupInfo(path.name, created, size, count, state, at))
    return out


def backup_path(backup_dir: Path | None, name: str) -> Path | None:
    """The backup of that name inside the folder; None for anything else (no path tricks)."""
    if backup_dir is None or not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = backup_dir / name
    return path if path in backup._earlier_backups(backup_dir) else None


def verify(backup_dir: Path | None, name: str) -> backup.Verification:
    path = backup_path(backup_dir, name)
    if path is None:
        return backup.Verification(Path(name), ["unknown backup"])
    return backup.verify_backup(path)


@dataclass(frozen=True)
class Health:
    database: bool
    queue: bool
    line: bool
    inbox_dead: int
    outbox_dead: int
    outbox_pending: int

    @property
    def ok(self) -> bool:
        return (
            self.database
            and self.queue
            and self.line
            and not self.inbox_dead
            and not self.outbox_dead
        )


def health(db: Database, queue: Any, line: Any) -> Health:
    """Each part answered or not; never raises (the page shows what is down)."""
    database = True
    counts = {"inbox": 0, "outbox": 0, "pending": 0}
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
            counts["inbox"] = len(inbox_store.dead_letters(session))
            counts["outbox"] = len(outbox_store.dead(session))
            counts["pending"] = len(
                list(
                    session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == PENDING))
                )
            )
    except Exception:  # noqa: BLE001 - any failure means "down" on this page
        database = False
    try:
        queue_ok = bool(queue.ping())
    except Exception:  # noqa: BLE001
        queue_ok = False
    try:
        line_ok = line.quota() != (None, None)
    except Exception:  # noqa: BLE001
        line_ok = False
    return Health(database, queue_ok, line_ok, counts["inbox"], counts["outbox"], counts["pending"])


@dataclass(frozen=True)
class Quota:
    plan: int  # the school's monthly plan (rules)
    used: int  # pushes sent this month, counted per recipient
    line_limit: int | None  # what LINE itself says, when it answers
    line_used: int | None
    forecast: int  # used, extended to the whole month at this month's pace

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.used / self.plan)) if self.plan else 0


def quota(session: Session, rules: SchoolRules, now: datetime, line: Any | None = None) -> Quota:
    local = now.astimezone(TAIPEI)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    used = outbox_store.sent_cost_between(session, start.astimezone(UTC), now)
    elapsed = max((now - start).total_seconds(), 1.0)
    forecast = round(used * (nxt - start).total_seconds() / elapsed)
    line_limit = line_used = None
    if line is not None:
        try:
            line_limit, line_used = line.quota()
        except Exception:  # noqa: BLE001 - LINE unreachable: the local count still stands
            pass
    return Quota(rules.monthly_quota, used, line_limit, line_used, forecast)


@dataclass(frozen=True)
class DeadLetter:
    box: str  # "inbox" or "outbox"
    id: int
    at: datetime
    what: str  # event type or message purpose (never its text: it may name a person)
    attempts: int
    error: str


def dead_letters(session: Session) -> list[DeadLetter]:
    out = [
        DeadLetter(
            "inbox", e.id, e.received_at, e.event_type, e.attempts, (e.last_error or "")[:200]
        )
        for e in inbox_store.dead_letters(session)
    ]
    out += [
        DeadLetter("outbox", o.id, o.created_at, o.purpose, o.attempts, (o.error or "")[:200])
        for o in outbox_store.dead(session)
    ]
    return out


def retry_dead(session: Session, box: str, ids: list[int], now: datetime) -> list[int]:
    """Put dead letters back in line; returns the ids revived (the face enqueues the work)."""
    if box == "inbox":
        return inbox_store.retry_dead(session, ids, now)
    revived = []
    for row in session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == DEAD, OutboxMessage.id.in_(ids))
    ):
        row.status, row.attempts, row.next_attempt_at, row.error = PENDING, 0, now, None
        revived.append(row.id)
    return revived


@dataclass(frozen=True)
class RetentionPlan:
    """Rule 九's dry run: who would be sealed and whose sealed portfolio would be deleted."""

    to_seal: list[tuple[str, str, date | None]]  # 學號, name, graduated on
    to_delete: list[tuple[str, date, date, int, int]]  # 學號, graduated, end, files, bytes
    kept: int  # sealed portfolios kept for now
    next_end: date | None  # the first of them to come due

    @property
    def due(self) -> bool:
        return bool(self.to_seal or self.to_delete)

    @property
    def fingerprint(self) -> str:
        """Stands for who is in the plan, so a run confirms the very plan staff looked at."""
        numbers = [f"s:{row[0]}" for row in self.to_seal] + [
            f"d:{row[0]}" for row in self.to_delete
        ]
        return hashlib.sha256("\n".join(sorted(numbers)).encode()).hexdigest()[:16]


def retention_plan(session: Session, rules: SchoolRules, now: datetime) -> RetentionPlan:

    to_seal = [
        (s.student_no, s.name, s.graduated_on) for s in sealing.due_for_sealing(session, now, rules)
    ]
    due = deletion.due_for_deletion(session, rules, now)
    to_delete = []
    for s in due:
        plan = deletion.deletion_plan(session, rules, s)
        to_delete.append(
            (plan.student_no, plan.graduated_on, plan.retention_end, plan.files, plan.bytes)
        )
    due_ids = {s.id for s in due}
    later = [s for s in sealing.sealed_students(session) if s.id not in due_ids]
    ends = [rules.retention_end(s.graduated_on) for s in later if s.graduated_on]
    return RetentionPlan(to_seal, to_delete, len(later), min(ends) if ends else None)
