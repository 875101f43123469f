"""A year in the office, driven only through the console's HTTP interface (what people receive is
read from the local LINE platform): the calendar, a roster import and codes, an away teacher, an
exception for one student, a teacher certifying, the year-end export, the receipts, a backup."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.clock import TAIPEI
from storage.models.portfolio import CERTIFIED, CourseOutcome
from tests.school import REGISTRAR, STUDENTS_101, School
from tests.test_console_office import (
    audit_actions,
    offices,
    run_jobs,
    signed_in,
    texts_for,
    use_backup_dir,
)
from tests.test_console_roster import GOOD, confirm, students_csv, token_of, upload

__all__ = ["offices"]  # the fixture


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


def test_a_year_in_the_office(
    app: Any,
    offices: School,
    db: Any,
    line: Any,  # noqa: F811
    clock: Any,
    tmp_path: Path,
    monkeypatch: Any,
) -> None:
    from tests.test_certify import submit_item
    from tests.test_export import outcome, pdf, store, with_identity

    # September: 註冊組 imports new students and prints their codes.
    clock.set(at(2026, 9, 2, 9, 0))
    registrar = signed_in(app, "A001")
    registrar.get("/console/roster")
    upload(registrar, students_csv(GOOD))
    done = confirm(app, registrar, token_of(registrar.text()))
    assert "學生名冊匯入完成" in done.get_data(as_text=True)
    assert "學生名冊已匯入（students.csv）" in texts_for(line, REGISTRAR)
    registrar.get("/console/codes")
    slips = registrar.post("/console/codes/issue", {"role": "student", "class": "101"})
    assert slips.status_code == 200 and slips.mimetype == "application/pdf"

    # The working group's window change, announced once to the students.
    change = {"year": "115", "kind": "upload", "semester": "1", "end": "2027/02/08"}
    assert "將公告給" in registrar.post("/console/calendar/change", change).get_data(as_text=True)
    registrar.post("/console/calendar/change", {**change, "confirm": "1"})
    run_jobs(app)
    assert "2027/2/8" in texts_for(line, STUDENTS_101[0])

    # Students upload (in LINE); a teacher goes on leave and comes back.
    clock.set(at(2026, 11, 2, 9, 0))
    late = submit_item(db, offices, clock, STUDENTS_101[2], "101-國語文", mime="application/pdf")
    teaching = signed_in(app, "A002")
    teaching.post(
        "/console/certification/proxy", {"action": "away", "staff_no": "T001", "from": "2026/11/02"}
    )
    teaching.post("/console/certification/proxy", {"action": "back", "staff_no": "T001"})
    assert "國語文 101" in teaching.get("/console/certification").get_data(as_text=True)

    # February: certification has closed; one student's item gets an exception, then is certified.
    clock.set(at(2027, 2, 12, 9, 0))
    teaching = signed_in(app, "A002")  # sessions end after 8 idle hours: sign in again
    granted = teaching.post(
        "/console/exceptions",
        {
            "kind": "certification",
            "student_no": "115003",
            "term": "115-1",
            "until": "2027/02/14",
            "reason": "教師請假期間未及認證",
            "outcome_id": str(late),
        },
    )
    assert granted.status_code == 303, granted.get_data(as_text=True)
    run_jobs(app)
    assert "個別開放" in texts_for(line, "Utwang")
    teacher = signed_in(app, "T001")
    with db.session() as s:
        version = s.get(CourseOutcome, late).certify_version
    teacher.post(
        "/console/teaching/decide", {"id": str(late), "version": str(version), "verdict": "approve"}
    )
    with db.session() as s:
        assert s.get(CourseOutcome, late).status == CERTIFIED

    # July: the picked items go to the central database; the export waits for 教學組.
    clock.set(at(2027, 7, 29, 9, 0))
    teaching = signed_in(app, "A002")
    with_identity(db, offices)
    picked = [
        outcome(
            db,
            offices,
            uid,
            "101-國語文",
            document=store(app, db, pdf(tag=uid.encode()), "document", offices.students[uid]),
        )
        for uid in STUDENTS_101[:2]
    ]
    job_url = teaching.post(
        "/console/yearend/export", {"kind": "course_outcome", "year": "115"}
    ).headers["Location"]
    run_jobs(app)
    download = teaching.get(job_url + "/download")
    assert len(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) >= 3
    assert "/console/jobs/" in texts_for(line, "Uteach")

    # The receipt list comes back; each student is told once.
    clock.set(at(2027, 7, 30, 10, 0))
    teaching = signed_in(app, "A002")
    csv = "學號,項目類型,項目編號\n" + "".join(
        f"11500{n},課程學習成果,C{item}\n" for n, item in zip((1, 2), picked, strict=True)
    )
    preview = teaching.post(
        "/console/yearend/receipts",
        {"year": "115", "file": (io.BytesIO(csv.encode()), "r.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token = preview.split('name="token" value="')[1].split('"')[0]
    imported = teaching.post(
        "/console/yearend/receipts", {"year": "115", "token": token, "confirm": "1"}
    )
    assert "已匯入 2 筆" in imported.get_data(as_text=True)
    run_jobs(app)
    assert "收訖明細" in texts_for(line, STUDENTS_101[1])

    # 資媒組 backs everything up and checks the backup.
    use_backup_dir(app, monkeypatch, tmp_path / "backups")
    media = signed_in(app, "A004")
    media.post("/console/system", {"action": "backup"})
    run_jobs(app)
    page = media.get("/console/system").get_data(as_text=True)
    name = "portfolio-backup-" + page.split("portfolio-backup-")[1].split("<")[0]
    media.post("/console/system", {"action": "verify", "name": name})
    run_jobs(app)
    assert "檢查無誤" in media.get("/console/system").get_data(as_text=True)

    # Every change is in the audit log, in order.
    actions = audit_actions(db)
    for expected in (
        "window_change",
        "teacher_away",
        "teacher_back",
        "exception_grant",
        "export_start",
        "receipts_import",
        "backup",
        "backup_verify",
    ):
        assert expected in actions, (expected, actions)
    with db.session() as s:
        assert s.scalars(select(CourseOutcome).where(CourseOutcome.id.in_(picked))).all()
