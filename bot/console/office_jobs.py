"""A job started in the console: its progress bar while it runs, then its result for the person
who started it (and only them): the download, what an import wrote, or the problems to fix."""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_file, url_for

from bot.console.core import bp, page, reading, render, require, user
from catalogue import text
from school import jobs as console_jobs
from storage.models.console_office import DONE, QUEUED, RUNNING

# While a job runs its page reloads itself this often (a meta refresh: no script needed).
REFRESH_SECONDS = 2
# Where an import's result sends the person back to (its history, or to upload again).
BACK = {
    console_jobs.IMPORT_ROSTER: ("console.roster_page", "console.nav.roster"),
    console_jobs.IMPORT_RECORDS: ("console.records", "console_office.nav.records"),
}
# What a job's result file is, by its ending (exports are zips; some are one spreadsheet).
RESULT_TYPES = {
    ".zip": "application/zip",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/jobs/<int:job_id>")
@page("console.job")
def job(job_id: int) -> Response:
    with reading() as session:
        found = console_jobs.owned(session, job_id, user().staff_id)
        require(found is not None)
        assert found is not None
        working = found.state in (QUEUED, RUNNING)
        back = BACK.get(found.kind)
        response = render(
            "office_job.html",
            job=found,
            percent=console_jobs.percent(found),
            working=working,
            refresh=REFRESH_SECONDS if working else None,
            what=text(f"console_office.jobs.kind.{found.kind}"),
            downloadable=found.state == DONE and bool(found.result_path),
            imported=(found.detail or {}).get("import"),
            back_url=url_for(back[0]) if back else None,
            back_label=text("console_office.jobs.back", page=text(back[1])) if back else "",
        )
    return response


@bp.get("/jobs/<int:job_id>/download")
@page("console.job_download")
def job_download(job_id: int) -> Response:
    with reading() as session:
        found = console_jobs.owned(session, job_id, user().staff_id)
        require(found is not None and found.state == DONE and bool(found.result_path))
        assert found is not None and found.result_path
        path, name = Path(found.result_path), found.result_name or "export.zip"
    require(path.is_file())
    mimetype = RESULT_TYPES.get(path.suffix.lower(), "application/octet-stream")
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
