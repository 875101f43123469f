"""年末: picking progress per class with who has not confirmed; the export zip for the central
database built as a job (教學組 課程學習成果, 訓育組 多元表現), the same checks as the CLI."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Response, redirect, request, url_for

from bot.console.core import bp, now, page, reading, record, render, require, svc, transaction, user
from bot.console.office import YEAREND_KIND_ROLES, YEAREND_ROLES, office_of
from catalogue import text
from jobs.queue import DELIVERY
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import jobs as console_jobs
from school import picking, receipts, yearend

JOB_OF = {
    COURSE_OUTCOME: console_jobs.EXPORT_COURSE_OUTCOMES,
    PERFORMANCE: console_jobs.EXPORT_PERFORMANCES,
}


def _year() -> int:
    raw = request.values.get("year", "")
    if raw.isdigit() and 100 <= int(raw) <= 999:
        return int(raw)
    return picking.picking_year(svc().rules, now())


def _kinds() -> list[str]:
    return [
        k for k, roles in YEAREND_KIND_ROLES.items() if user().has(*roles) or user().has("教務主任")
    ]


@bp.get("/yearend", endpoint="yearend")
@page("console.yearend")
def yearend_page() -> Response:
    year = _year()
    window = picking.picking_window(svc().rules, year)
    with reading() as session:
        classes = yearend.picking_by_class(session, year)
        mine = console_jobs.for_staff(
            session,
            user().staff_id,
            (console_jobs.EXPORT_COURSE_OUTCOMES, console_jobs.EXPORT_PERFORMANCES),
        )
    try:
        yearend.check_may_export(svc().rules, year, now())
        blocked = None
    except yearend.ExportBlocked as exc:
        blocked = exc.message
    return render(
        "office_yearend.html",
        year=year,
        window=window,
        phase=picking.phase_of(window, now()) if window else None,
        classes=classes,
        kinds=_kinds(),
        jobs=mine,
        blocked=blocked,
        percent=console_jobs.percent,
        kind_label=lambda k: text(f"console_office.jobs.kind.{k}"),
    )


@bp.post("/yearend/export")
@page("console.yearend_export")
def yearend_export() -> Response:
    """Start the export as a job; its page shows the progress and then the download."""
    kind = request.form.get("kind", "")
    require(kind in _kinds())  # 教學組 may not build 訓育組's file, nor the other way round
    year = _year()
    params = {"year": year, "only_confirmed": request.form.get("only_confirmed") == "1"}
    with transaction() as session:
        running = console_jobs.running(session, JOB_OF[kind], params)
        if running is not None:
            return redirect(url_for("console.job", job_id=running.id), code=303)
        job_id = console_jobs.start(session, JOB_OF[kind], params, user().staff_id, now())
        record(
            session,
            office_of(YEAREND_ROLES),
            "export_start",
            text(
                "console_office.yearend.audit",
                kind=text(f"picking.kind.{kind}"),
                year=year,
                id=job_id,
            ),
        )
    svc().queue.enqueue("jobs.console.run_console_job", job_id)
    return redirect(url_for("console.job", job_id=job_id), code=303)


# --- 收訖明細 -------------------------------------------------------------------------------------

UPLOAD_SUFFIXES = (".csv", ".xlsx")


def _uploads() -> Path:
    folder = Path(svc().settings.storage_dir) / "console-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _upload_path(token: str) -> Path | None:
    """The file a preview kept, by its random name (never a path from the form)."""
    if not token or not all(c.isalnum() or c in "-_." for c in token) or token.startswith("."):
        return None
    path = _uploads() / token
    return path if path.is_file() and path.suffix in UPLOAD_SUFFIXES else None


def _receipts_page(year: int, status: int = 200, **extra: object) -> Response:
    with reading() as session:
        report = receipts.report(session, year)
    return render(
        "office_receipts.html",
        status=status,
        year=year,
        report=report,
        done=request.args.get("done"),
        **extra,
    )


@bp.get("/yearend/receipts", endpoint="receipts")
@page("console.receipts")
def receipts_page() -> Response:
    return _receipts_page(_year())


@bp.post("/yearend/receipts")
@page("console.receipts_import")
def receipts_import() -> Response:
    """Upload → the dry run (every row checked; nothing written) → confirm → imported, each
    student told once. The file waits between the two steps under a random name."""
    year = _year()
    token = request.form.get("token", "")
    if token:
        path = _upload_path(token)
        require(path is not None)
        assert path is not None
    else:
        upload = request.files.get("file")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if upload is None or suffix not in UPLOAD_SUFFIXES:
            return _receipts_page(year, 400, error=text("console_office.receipts.bad_file"))
        token = f"{secrets.token_urlsafe(16)}{suffix}"
        path = _uploads() / token
        upload.save(path)
    confirm = request.form.get("confirm") == "1"
    try:
        with transaction() as session:
            result = yearend.import_receipts(
                session, svc().rules, path, year, now(), dry_run=not confirm
            )
            if result.imported:
                record(
                    session,
                    office_of(YEAREND_ROLES),
                    "receipts_import",
                    text("console_office.receipts.audit", year=year, items=len(result.plan.rows)),
                    after=len(result.plan.rows),
                )
    except receipts.ReceiptFileError as exc:
        path.unlink(missing_ok=True)
        return _receipts_page(year, 400, error=text("picking.receipt.file_error"), lines=exc.lines)
    if result.plan.errors or not result.plan.rows:
        path.unlink(missing_ok=True)
        return _receipts_page(
            year,
            400,
            error=text("picking.receipt.refused", count=len(result.plan.errors)),
            lines=result.error_lines,
        )
    if not confirm:
        return _receipts_page(year, preview=result, token=token)
    path.unlink(missing_ok=True)
    if result.outbox_ids:
        svc().queue.enqueue("jobs.delivery.deliver", result.outbox_ids, queue=DELIVERY)
    return _receipts_page(year, imported=result)
