"""rq entry point for long operations started in the web console (school/jobs.py)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from jobs.lifecycle import retention_job
from jobs.queue import DELIVERY
from runtime.services import Services, services
from school import jobs as console_jobs
from storage.staged_uploads import FOLDER as STAGED_IMPORTS


def context(svc: Services) -> console_jobs.JobContext:
    return console_jobs.JobContext(
        db=svc.db,
        files=svc.files,
        rules=svc.rules,
        now=svc.clock.now,
        jobs_dir=Path(svc.settings.storage_dir) / "console-jobs",
        backup_dir=svc.settings.backup_dir,
        console_url=f"{(svc.settings.public_base_url or '').rstrip('/')}/console/jobs",
        runners={console_jobs.RETENTION: partial(retention_job, svc)},
        imports_dir=Path(svc.settings.storage_dir) / STAGED_IMPORTS,
    )


def run_console_job(job_id: int) -> None:
    svc = services()
    console_jobs.run(context(svc), job_id)
    # The person is told in LINE that the result waits for them.
    svc.queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
