"""Year end: build the zip of the year's picked items for the central database (教學組 for 課程學習
成果, 訓育組 for 多元表現) with the same checks whichever face asks; problems are listed per student
and nothing partial is ever written."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import text
from rules.model import COURSE_OUTCOME, LAST_GRADE
from rules.school_rules import SchoolRules
from school import export, export_rows, pick_progress, picking, receipts
from storage.clock import format_date
from storage.files import FileStore
from storage.models.line import LineAccount
from storage.models.school import SchoolClass, Student
from storage.outbox import Outbox


class ExportBlocked(ValueError):
    """The export may not run yet (no window, or picking still open); message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_may_export(rules: SchoolRules, year: int, now: datetime, force: bool = False) -> None:
    window = picking.picking_window(rules, year)
    if window is None:
        raise ExportBlocked(text("picking.export.no_window", year=year))
    if picking.phase_of(window, now) != "closed" and not force:
        raise ExportBlocked(
            text("picking.export.window_open", year=year, end=format_date(window.last_day))
        )


def export_year(
    session: object,
    files: FileStore,
    rules: SchoolRules,
    kind: str,
    year: int,
    out_dir: Path,
    now: datetime,
    *,
    only_confirmed: bool = False,
    force: bool = False,
    progress: export.Progress | None = None,
) -> export.ExportResult:
    """Write the zip; raises ExportBlocked, export.NothingToExport or export.ExportRefused."""
    check_may_export(rules, year, now, force)
    write = export.export_course_outcomes if kind == COURSE_OUTCOME else export.export_performances
    # Where grade 12 picks (and is submitted) on its own, the yearly export leaves it out.
    window = picking.picking_window(rules, year, LAST_GRADE)
    split = False if window is not None and window.grade12 else None
    return write(
        session,
        files,
        year,
        out_dir,
        now,  # type: ignore[arg-type]
        only_confirmed=only_confirmed,
        progress=progress,
        grade12=split,
    )


def problem_text(problem: export_rows.Problem) -> str:
    values = dict(problem.values)
    if "slot" in values:
        values["allowed"] = text(f"picking.export.allowed.{values['slot']}")
        values["slot"] = text(f"picking.export.slot.{values['slot']}")
    return text(f"picking.export.problem.{problem.code}", ref=problem.ref or "", **values)


@dataclass(frozen=True)
class ClassPicking:
    class_id: int
    class_code: str
    students: int
    confirmed: int
    waiting: list[str]  # "座號 姓名" of those who have not pressed 確認送出


def picking_by_class(
    session: Session, year: int, class_ids: Collection[int] | None = None
) -> list[ClassPicking]:
    """Per class: how many confirmed their picks, and who has not (for the 導師 to chase)."""
    query = select(SchoolClass).order_by(SchoolClass.code)
    if class_ids is not None:
        query = query.where(SchoolClass.id.in_(list(class_ids) or [0]))
    out = []
    for cls in session.scalars(query):
        rows = pick_progress.class_progress(session, cls.id, year)
        waiting = [f"{r.seat_no or '—'} {r.name}" for r in rows if r.confirmed_at is None]
        out.append(ClassPicking(cls.id, cls.code, len(rows), len(rows) - len(waiting), waiting))
    return out


# --- the receipt list (收訖明細) ----------------------------------------------------------------


@dataclass
class ReceiptImport:
    """What importing a receipt list did (or, as a preview, would do)."""

    plan: receipts.ImportPlan
    until: datetime | None = None
    imported: bool = False
    notified: int = 0  # students reached in LINE
    unreached: list[Student] = field(default_factory=list)  # no LINE: tell them another way
    outbox_ids: list[int] = field(default_factory=list)  # the face hands these to delivery

    @property
    def error_lines(self) -> list[str]:
        out = []
        for error in self.plan.errors:
            reason = text(f"picking.receipt.error.{error.code}", **error.values)
            out.append(
                text("picking.receipt.error_line", line=error.line, reason=reason)
                if error.line
                else reason
            )
        return out


def import_receipts(
    session: Session,
    rules: SchoolRules,
    path: Path,
    year: int | None,
    now: datetime,
    *,
    dry_run: bool,
) -> ReceiptImport:
    """Check every row first (nothing is imported if any row is wrong); then record the list and
    tell each student once, in one multicast. Raises receipts.ReceiptFileError for a bad file."""
    plan = receipts.plan_import(session, path, year)
    result = ReceiptImport(plan)
    if plan.errors or not plan.rows:
        return result
    assert plan.academic_year is not None
    result.until = receipts.respond_until(rules, plan.academic_year, now)
    if dry_run:
        return result
    receipt_list = receipts.apply_import(session, rules, plan, now)
    result.imported, result.until = True, receipt_list.respond_until
    accounts = session.execute(
        select(LineAccount.line_user_id, LineAccount.student_id).where(
            LineAccount.student_id.in_(plan.students), LineAccount.followed.is_(True)
        )
    ).all()
    reached = {student_id for _, student_id in accounts}
    if accounts:
        notice = {
            "type": "text",
            "text": text(
                "picking.receipt.notice",
                year=plan.academic_year,
                until=format_date(receipt_list.respond_until),
            ),
            "quickReply": {
                "items": [
                    {
                        "type": "action",
                        "action": {
                            "type": "message",
                            "label": text("picking.receipt.button.start"),
                            "text": "收訖明細",
                        },
                    }
                ]
            },
        }
        rows = Outbox(session, now).multicast(
            [uid for uid, _ in accounts],
            [notice],
            purpose="receipt_notice",
            priority="urgent",
            not_before=rules.next_send_time(now),
        )
        result.outbox_ids = [row.id for row in rows]
    result.notified = len(reached)
    result.unreached = list(
        session.scalars(
            select(Student)
            .where(Student.id.in_(plan.students - reached))
            .order_by(Student.student_no)
        )
    )
    return result
