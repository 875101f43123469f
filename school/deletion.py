"""Rule 九, deletion after the retention period: what a student leaves behind, removed row by row
and file by file, with a report of what was deleted."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    String,
    Table,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from catalogue import text
from media import sheets
from rules.school_rules import SchoolRules
from school.lifecycle import LifecycleError
from school.sealing import sealed_students
from storage.clock import format_datetime, taipei_date
from storage.db import Base, lock_named
from storage.files import FILES_LOCK, FileStore
from storage.models import records
from storage.models.lifecycle import (
    SEAL,
    RetentionDeletion,
    StudentChange,
)
from storage.models.line import LineAccount
from storage.models.portfolio import (
    AuditEntry,
    CourseOutcome,
    DraftPage,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import (
    Guardian,
    GuardianLink,
    Student,
)

DELETION_REPORT_NAME: Final = "retention-deletions.csv"


DELETION_REPORT_COLUMNS: Final = tuple(
    text(f"lifecycle.deletion_report.col.{key}")
    for key in (
        "deleted_at",
        "student_no",
        "graduated_on",
        "sealed_at",
        "retention_end",
        "rows",
        "files",
        "bytes",
        "files_removed_at",
    )
)


# Tables never emptied by the generic deletion: the student row itself (last), LINE accounts
# (the person may bind again as someone else; the link is nulled), files (checked one by one).
NOT_EMPTIED: Final = frozenset({"students", "line_accounts", "files"})


def due_for_deletion(session: Session, rules: SchoolRules, now: datetime) -> list[Student]:
    """Sealed graduates whose retention period is over: the first day after it, not a day sooner."""
    today = taipei_date(now)
    return [
        s
        for s in sealed_students(session)
        if s.graduated_on is not None and rules.retention_end(s.graduated_on) <= today
    ]


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def tables_referencing(table_name: str) -> list[tuple[Table, Column[Any], str | None]]:
    found = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name:
                found.append((table, fk.parent, (fk.ondelete or "").upper() or None))
    return found


def _delete_where(
    session: Session, table: Table, where: ColumnElement[bool], depth: int = 0
) -> int:
    """Delete rows and, first, rows that point at them without ON DELETE (children of any kind)."""
    if depth > 8:  # the schema has no chain this deep; a cycle must not recurse for ever
        raise RuntimeError(f"foreign keys into {table.name} nest too deep")
    pk = list(table.primary_key.columns)[0]
    ids = select(pk).where(where)
    for child, column, ondelete in tables_referencing(table.name):
        if child.name in NOT_EMPTIED:
            continue
        if child is table or ondelete == "SET NULL":
            session.execute(update(child).where(column.in_(ids)).values({column.name: None}))
        elif ondelete != "CASCADE":
            _delete_where(session, child, column.in_(ids), depth + 1)
    count = session.scalar(select(func.count()).select_from(table).where(where)) or 0
    if count:
        session.execute(delete(table).where(where))
    return int(count)


def _file_reference_columns() -> list[Column[Any]]:
    return [column for _, column, _ in tables_referencing("files")]


def _file_in_use(session: Session, file_id: int) -> bool:
    for column in _file_reference_columns():
        if session.scalar(select(exists().where(column == file_id))):
            return True
    return False


def _student_file_ids(session: Session, student_id: int) -> set[int]:
    ids = set(session.scalars(select(FileRecord.id).where(FileRecord.student_id == student_id)))
    for doc, video in session.execute(
        select(CourseOutcome.document_file_id, CourseOutcome.video_file_id).where(
            CourseOutcome.student_id == student_id
        )
    ):
        ids.update(x for x in (doc, video) if x is not None)
    ids.update(
        session.scalars(
            select(PerformanceFile.file_id)
            .join(Performance, Performance.id == PerformanceFile.performance_id)
            .where(Performance.student_id == student_id)
        )
    )
    # Any other table of the student's that names files (grade-12 attachments, say).
    for table, column, _ in tables_referencing("students"):
        if table.name in NOT_EMPTIED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "files":
                ids.update(
                    x
                    for x in session.scalars(select(fk.parent).where(column == student_id))
                    if x is not None
                )
    return ids


def _consultation_tables() -> tuple[Any, Any] | None:
    """The consultation tables, when the records feature has them: an individual consultation
    whose only student is deleted is about that student alone and goes too."""

    consultation = getattr(records, "Consultation", None)
    participant = getattr(records, "ConsultationStudent", None)
    if consultation is None or participant is None:
        return None
    return consultation, participant


@dataclass
class DeletionPlan:
    student_no: str
    graduated_on: date
    retention_end: date
    rows: dict[str, int]
    files: int
    bytes: int


def deletion_plan(session: Session, rules: SchoolRules, student: Student) -> DeletionPlan:
    """What deleting the student would remove (for a dry run), without removing anything."""
    assert student.graduated_on is not None
    rows: dict[str, int] = {}
    for table, column, _ in tables_referencing("students"):
        if table.name in NOT_EMPTIED:
            continue
        n = session.scalar(select(func.count()).select_from(table).where(column == student.id))
        if n:
            rows[table.name] = rows.get(table.name, 0) + int(n)
    audit = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.student_id == student.id)
    )
    if audit:
        rows[AuditEntry.__tablename__] = int(audit)
    file_ids = _student_file_ids(session, student.id)
    size = (
        session.scalar(
            select(func.coalesce(func.sum(FileRecord.size), 0)).where(
                FileRecord.id.in_(file_ids or [0])
            )
        )
        or 0
    )
    return DeletionPlan(
        student.student_no,
        student.graduated_on,
        rules.retention_end(student.graduated_on),
        rows,
        len(file_ids),
        int(size),
    )


def delete_student(
    session: Session, rules: SchoolRules, now: datetime, student: Student
) -> RetentionDeletion:
    """Delete a sealed graduate's records and file rows; the bytes go after commit
    (remove_pending_bytes). Returns the report row."""
    if student.sealed_at is None or student.graduated_on is None:
        raise LifecycleError("not_sealed", no=student.student_no)
    sid = student.id
    guardian_ids: set[int] = set()
    for detail in session.scalars(
        select(StudentChange.detail).where(
            StudentChange.student_id == sid, StudentChange.kind == SEAL
        )
    ):
        guardian_ids.update(int(g) for g in (detail or {}).get("guardians", []))
    guardian_ids.update(
        session.scalars(select(GuardianLink.guardian_id).where(GuardianLink.student_id == sid))
    )
    file_ids = _student_file_ids(session, sid)
    consultations = _consultation_tables()
    consultation_ids: list[int] = []
    if consultations is not None:
        consultation, participant = consultations
        consultation_ids = list(
            session.scalars(
                select(participant.consultation_id).where(participant.student_id == sid)
            )
        )

    rows: dict[str, int] = {}

    def note(name: str, n: int) -> None:
        if n:
            rows[name] = rows.get(name, 0) + n

    outcome_ids = list(
        session.scalars(select(CourseOutcome.id).where(CourseOutcome.student_id == sid))
    )
    performance_ids = list(
        session.scalars(select(Performance.id).where(Performance.student_id == sid))
    )
    note(
        "draft_pages",
        _delete_where(
            session,
            _table(DraftPage),
            or_(
                (DraftPage.draft_kind == "outcome") & DraftPage.draft_id.in_(outcome_ids or [0]),
                (DraftPage.draft_kind == "performance")
                & DraftPage.draft_id.in_(performance_ids or [0]),
            ),
        ),
    )
    note("audit_log", _delete_where(session, _table(AuditEntry), AuditEntry.student_id == sid))
    _delete_recipient_rows(session, f"student:{sid}", note)
    # Dependents first (reverse of the creation order), so no foreign key is left dangling.
    for table, column, _ in reversed(tables_referencing("students")):
        if table.name in NOT_EMPTIED:
            continue
        note(table.name, _delete_where(session, table, column == sid))
    session.execute(
        update(LineAccount).where(LineAccount.student_id == sid).values(student_id=None)
    )
    session.flush()
    session.execute(delete(Student).where(Student.id == sid))
    note("students", 1)

    if consultations is not None and consultation_ids:
        consultation, participant = consultations
        for cid in consultation_ids:
            left = session.scalar(
                select(func.count())
                .select_from(participant)
                .where(participant.consultation_id == cid)
            )
            if not left:
                attachment_files = _consultation_files(session, cid)
                file_ids.update(attachment_files)
                note(
                    consultation.__tablename__,
                    _delete_where(session, _table(consultation), consultation.id == cid),
                )
    for guardian_id in sorted(guardian_ids):
        linked = session.scalar(
            select(func.count())
            .select_from(GuardianLink)
            .where(GuardianLink.guardian_id == guardian_id)
        )
        if not linked:
            note("guardians", _delete_where(session, _table(Guardian), Guardian.id == guardian_id))
    session.flush()

    digests: set[str] = set()
    removed_files = 0
    removed_bytes = 0
    for file_id in sorted(file_ids):
        record = session.get(FileRecord, file_id)
        if record is None or _file_in_use(session, file_id):
            continue
        digests.add(record.sha256)
        removed_files += 1
        removed_bytes += record.size
        session.delete(record)
    session.flush()
    note("files", removed_files)
    # Content addressing: the bytes stay while any other row names the same digest.
    orphaned = sorted(
        d for d in digests if not session.scalar(select(exists().where(FileRecord.sha256 == d)))
    )
    report = RetentionDeletion(
        student_no=student.student_no,
        graduated_on=student.graduated_on,
        sealed_at=student.sealed_at,
        retention_end=rules.retention_end(student.graduated_on),
        deleted_at=now,
        rows=rows,
        files=removed_files,
        bytes=removed_bytes,
        pending_digests=orphaned,
        files_removed_at=None if orphaned else now,
        files_removed=0,
    )
    session.add(report)
    session.expunge(student)
    session.flush()
    return report


def _consultation_files(session: Session, consultation_id: int) -> set[int]:
    attachment = getattr(records, "ConsultationFile", None)
    if attachment is None:
        return set()
    return set(
        session.scalars(
            select(attachment.file_id).where(attachment.consultation_id == consultation_id)
        )
    )


def _delete_recipient_rows(
    session: Session, recipient: str, note: Callable[[str, int], None]
) -> None:
    """Rows that name the student as "student:<id>" without a foreign key (the schedule's
    delivery memory, event RSVPs): any table with a text `recipient` column."""
    for table in Base.metadata.sorted_tables:
        column = table.columns.get("recipient")
        if column is not None and isinstance(column.type, String):
            note(table.name, _delete_where(session, table, column == recipient))


def remove_pending_bytes(session: Session, files: FileStore, now: datetime) -> int:
    """Remove the bytes deleted rows left behind, once no file row names them (after commit)."""
    lock_named(session, FILES_LOCK)
    removed = 0
    for report in session.scalars(
        select(RetentionDeletion)
        .where(RetentionDeletion.files_removed_at.is_(None))
        .order_by(RetentionDeletion.id)
    ):
        count = 0
        for digest in list(report.pending_digests or []):
            if session.scalar(select(exists().where(FileRecord.sha256 == digest))):
                continue  # the same bytes were uploaded again meanwhile
            if files.delete(digest):
                count += 1
        report.files_removed = (report.files_removed or 0) + count
        report.pending_digests = []
        report.files_removed_at = now
        removed += count
    session.flush()
    return removed


def write_deletion_report(session: Session, path: Path) -> int:
    """The whole deletion report as a CSV (rewritten atomically from the table); rows written."""
    reports = list(session.scalars(select(RetentionDeletion).order_by(RetentionDeletion.id)))
    buffer = io.StringIO()
    writer = sheets.csv_writer(buffer, lineterminator="\n")
    writer.writerow(DELETION_REPORT_COLUMNS)
    for r in reports:
        writer.writerow(
            [
                format_datetime(r.deleted_at),
                r.student_no,
                r.graduated_on.isoformat(),
                format_datetime(r.sealed_at) if r.sealed_at else "",
                r.retention_end.isoformat(),
                "; ".join(f"{k}={v}" for k, v in sorted((r.rows or {}).items())),
                r.files,
                r.bytes,
                format_datetime(r.files_removed_at) if r.files_removed_at else "",
            ]
        )
    _write_atomically(path, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return len(reports)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
