"""The office's operations the console and the CLI share: the calendar, exceptions for one student,
long jobs with progress (year-end export, backups), and the system page's checks."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from rules.model import COURSE_OUTCOME
from school import calendar, exceptions, jobs, outcomes, system, terms
from school import certification as cert
from storage.clock import TAIPEI
from storage.models.console_office import DONE, FAILED, ConsoleJob, StudentException
from storage.models.line import DEAD, PENDING, OutboxMessage
from storage.models.portfolio import DRAFT, CourseOutcome, FileRecord
from storage.models.schedule import Announcement, WindowChange
from tests.school import STUDENTS_101, TEACHER_WANG, School


def taipei(*args: int) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


def svc(app: Any) -> Any:
    return app.extensions["portfolio"]


def deliver(app: Any) -> None:
    from jobs import delivery

    with app.app_context():
        delivery.deliver_due(svc(app))


# --- calendar ------------------------------------------------------------------------------------


def test_a_window_change_is_checked_previewed_and_announced_once(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    clock.set(taipei(2026, 12, 1, 10, 0))
    rules = svc(app).rules
    with db.session() as s:
        preview = calendar.preview_window_change(s, rules, "upload", 115, 1, None, date(2027, 2, 8))
    # Nine students, each with one bound LINE account: nine pushes against the quota.
    assert (preview.people, preview.cost) == (9, 9)
    assert (preview.old_last, preview.last) == (date(2027, 2, 3), date(2027, 2, 8))
    assert not preview.shortened and not preview.unchanged
    with db.transaction() as s:
        calendar.apply_window_change(s, preview, clock.now(), "A001")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WindowChange)) == 1
        announcement = s.scalars(select(Announcement)).one()
        assert "2027/2/8" in announcement.body
        assert announcement.audience == {"students": True}
        rows = calendar.year_windows(s, rules, 115, clock.now())
    upload = next(r for r in rows if r.kind == "upload" and r.semester == 1)
    assert upload.last == date(2027, 2, 8) and upload.changed and upload.state == "open"


def test_a_window_across_the_next_semesters_start_is_named_as_an_overlap(
    app: Any, db: Any, school: School
) -> None:
    rules = svc(app).rules
    with db.session() as s:
        preview = calendar.preview_window_change(
            s, rules, "certification", 115, 1, None, date(2027, 2, 12)
        )
    # Allowed (uploads may close after the next semester starts), and the overlap is named.
    assert any("115-2" in note and "2027/2/11" in note for note in preview.notes)
    with db.session() as s, pytest.raises(calendar.WindowRefused) as national:
        calendar.preview_window_change(s, rules, "upload", 115, 1, None, date(2027, 1, 25))
    assert "national rule" in national.value.message
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WindowChange)) == 0


def test_next_years_calendar_is_derived_on_the_same_weekdays(app: Any) -> None:
    rules = svc(app).rules
    draft = calendar.derive_next_year(rules, 115)
    assert draft.academic_year == 116 and draft.error is None
    first = draft.semesters[0]
    assert first.start.weekday() == date(2026, 8, 31).weekday()
    assert date(2027, 8, 1) <= first.start and draft.semesters[1].end <= date(2028, 7, 31)
    assert "academic_year = 116" in draft.toml()
    # Staff adjust a date; a date the rules forbid is reported, not accepted silently.
    bad = calendar.derive_next_year(rules, 115, {1: {"closing_ceremony": date(2027, 8, 1)}})
    assert bad.error


def test_the_calendar_warns_sixty_days_before_it_runs_out(app: Any) -> None:
    rules = svc(app).rules
    end = calendar.calendar_ends(rules)
    assert end == date(2028, 7, 31)
    assert calendar.runs_out_soon(rules, taipei(2028, 5, 1, 9)) is None
    assert calendar.runs_out_soon(rules, taipei(2028, 6, 1, 9)) == end


# --- exceptions for one student --------------------------------------------------------------


def _draft(db: Any, school: School, clock: Any, uid: str, course: str) -> int:
    with db.transaction() as s:
        record = FileRecord(
            sha256="c" * 64,
            size=1000,
            mime="application/pdf",
            kind="document",
            display_name="作品.pdf",
            student_id=school.students[uid],
            created_at=clock.now(),
        )
        s.add(record)
        s.flush()
        row = CourseOutcome(
            student_id=school.students[uid],
            course_id=school.courses[course],
            academic_year=115,
            semester=1,
            summary="補交的成果",
            status=DRAFT,
            document_file_id=record.id,
            created_at=clock.now(),
        )
        s.add(row)
        s.flush()
        return row.id


def test_an_upload_exception_reopens_the_window_for_that_student_only(
    app: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    clock.set(taipei(2027, 2, 5, 10, 0))  # 115-1 upload closed on 2/3
    rules = svc(app).rules
    late = _draft(db, school, clock, STUDENTS_101[0], "101-國語文")
    other = _draft(db, school, clock, STUDENTS_101[1], "101-國語文")
    with db.transaction() as s:
        assert outcomes.submit_outcome(s, rules, late, clock.now()).reason == "window"
        granted = exceptions.grant(
            s,
            rules,
            kind="upload",
            student_no="115001",
            until=date(2027, 2, 10),
            reason="住院兩週，家長來電申請",
            now=clock.now(),
            staff_id=school.staff["A001"],
            academic_year=115,
            semester=1,
        )
        assert granted.messages == 1
    with db.transaction() as s:
        assert outcomes.submit_outcome(s, rules, late, clock.now()).ok
        assert outcomes.submit_outcome(s, rules, other, clock.now()).reason == "window"
    deliver(app)
    told = " ".join(m.get("text", "") for m in line.messages_for(STUDENTS_101[0]))
    assert "個別開放" in told and "2027/2/10" in told
    assert not line.messages_for(STUDENTS_101[1])
    # After its day it is closed again; the row stays as the record of who allowed what.
    clock.set(taipei(2027, 2, 11, 0, 1))
    with db.session() as s:
        row = s.scalars(select(StudentException)).one()
        assert row.reason.startswith("住院") and row.created_by_id == school.staff["A001"]
        assert not terms.check_window_for(
            s,
            rules,
            COURSE_OUTCOME,
            terms.TermRef(115, 1),
            school.students[STUDENTS_101[0]],
            1,
            clock.now(),
        ).open
        listed = exceptions.listing(s, clock.now(), include_past=True)
    assert listed[0].student_no == "115001" and not listed[0].active


def test_a_certification_exception_lets_the_teacher_decide_late_and_tells_them(
    app: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    from tests.test_certify import submit_item

    clock.set(taipei(2027, 1, 10, 10, 0))
    rules = svc(app).rules
    item = submit_item(db, school, clock, STUDENTS_101[2], "101-國語文", mime="application/pdf")
    clock.set(taipei(2027, 2, 12, 10, 0))  # certification closed on 2/10
    wang = school.staff["T001"]
    with db.transaction() as s:
        assert (
            cert.decide(s, item, wang, cert.APPROVE, clock.now(), rules).status
            == cert.OUTSIDE_WINDOW
        )
        granted = exceptions.grant(
            s,
            rules,
            kind="certification",
            student_no="115003",
            until=date(2027, 2, 14),
            reason="教師請假返校",
            now=clock.now(),
            staff_id=school.staff["A001"],
            academic_year=115,
            semester=1,
            outcome_id=item,
        )
        assert granted.told == ["王美玲"]
    with db.transaction() as s:
        assert cert.decide(s, item, wang, cert.APPROVE, clock.now(), rules).ok
        # The first decision stands.
        assert (
            cert.decide(s, item, wang, cert.REJECT, clock.now(), rules, reason="x").status
            == cert.ALREADY_DECIDED
        )
    deliver(app)
    told = " ".join(m.get("text", "") for m in line.messages_for(TEACHER_WANG))
    assert "個別開放" in told and "101-03" in told


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"reason": " "}, "no_reason"),
        ({"until": date(2027, 2, 1)}, "past"),
        ({"until": date(2027, 6, 1)}, "too_far"),
        ({"student_no": "999999"}, "unknown_student"),
        ({"outcome_id": 424242}, "unknown_item"),
    ],
)
def test_an_exception_needs_a_reason_a_near_day_and_a_real_student(
    app: Any, db: Any, school: School, clock: Any, changes: dict[str, Any], key: str
) -> None:
    clock.set(taipei(2027, 2, 5, 10, 0))
    args: dict[str, Any] = dict(
        kind="upload",
        student_no="115001",
        until=date(2027, 2, 10),
        reason="原因",
        now=clock.now(),
        staff_id=None,
        academic_year=115,
        semester=1,
    )
    args.update(changes)
    with db.transaction() as s, pytest.raises(exceptions.ExceptionRefused) as refused:
        exceptions.grant(s, svc(app).rules, **args)
    assert refused.value.key.endswith(key) and refused.value.message
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(StudentException)) == 0


# --- long jobs -------------------------------------------------------------------------------


def _context(app: Any, tmp_path: Path, backup_dir: Path | None = None) -> jobs.JobContext:
    s = svc(app)
    return jobs.JobContext(
        db=s.db,
        files=s.files,
        rules=s.rules,
        now=s.clock.now,
        jobs_dir=tmp_path / "jobs",
        backup_dir=backup_dir,
        console_url="https://portfolio.example.edu.tw/console/jobs",
    )


def test_an_export_job_reports_progress_and_waits_for_its_starter(
    app: Any, db: Any, school: School, clock: Any, line: Any, tmp_path: Path
) -> None:
    from tests.test_export import outcome, pdf, store, with_identity

    clock.set(taipei(2027, 7, 29, 9, 0))
    with_identity(db, school)
    for uid in STUDENTS_101[:2]:
        outcome(
            db,
            school,
            uid,
            "101-國語文",
            document=store(app, db, pdf(tag=uid.encode()), "document", school.students[uid]),
        )
    seen: list[tuple[int, int]] = []
    ctx = _context(app, tmp_path)
    with db.transaction() as s:
        job_id = jobs.start(
            s, jobs.EXPORT_COURSE_OUTCOMES, {"year": 115}, school.staff["T001"], clock.now()
        )
    real = jobs._progress

    def spy(c: Any, j: int) -> Any:
        report = real(c, j)

        def both(done: int, total: int) -> None:
            seen.append((done, total))
            report(done, total)

        return both

    jobs._progress = spy  # type: ignore[assignment]
    try:
        assert jobs.run(ctx, job_id) == DONE
    finally:
        jobs._progress = real  # type: ignore[assignment]
    assert seen[-1] == (2, 2)
    with db.session() as s:
        job = s.get(ConsoleJob, job_id)
        assert job.state == DONE and jobs.percent(job) == 100
        assert zipfile.ZipFile(job.result_path).namelist()
        assert "2 位學生" in job.message
        assert jobs.owned(s, job_id, school.staff["T001"]) is not None
        assert jobs.owned(s, job_id, school.staff["A001"]) is None  # only its starter
    deliver(app)
    told = " ".join(m.get("text", "") for m in line.messages_for(TEACHER_WANG))
    assert f"/console/jobs/{job_id}" in told and "已匯出" in told


def test_a_refused_export_lists_problems_per_student_and_writes_nothing(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    from tests.test_export import outcome

    clock.set(taipei(2027, 7, 29, 9, 0))
    outcome(db, school, STUDENTS_101[0], "101-國語文")  # no file, no national id
    with db.transaction() as s:
        job_id = jobs.start(s, jobs.EXPORT_COURSE_OUTCOMES, {"year": 115}, None, clock.now())
    assert jobs.run(_context(app, tmp_path), job_id) == FAILED
    with db.session() as s:
        job = s.get(ConsoleJob, job_id)
        assert job.result_path is None and job.detail["problems"]
        assert job.detail["problems"][0]["student_no"] == "115001"
    assert not list((tmp_path / "jobs").rglob("*.zip"))


def test_an_export_while_picking_is_open_is_blocked_like_the_cli(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    clock.set(taipei(2027, 7, 23, 10, 0))
    with db.transaction() as s:
        job_id = jobs.start(s, jobs.EXPORT_PERFORMANCES, {"year": 115}, None, clock.now())
    assert jobs.run(_context(app, tmp_path), job_id) == FAILED
    with db.session() as s:
        assert "2027/7/28" in s.get(ConsoleJob, job_id).message


def test_a_backup_job_then_a_verification_shows_in_the_list(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    ctx = _context(app, tmp_path, backups)
    with db.transaction() as s:
        made = jobs.start(s, jobs.BACKUP, {}, school.staff["A001"], clock.now())
    assert jobs.run(ctx, made) == DONE
    with db.session() as s:
        listed = system.list_backups(s, backups)
    assert len(listed) == 1 and listed[0].size > 0 and listed[0].checked == ""
    name = listed[0].name
    with db.transaction() as s:
        check = jobs.start(s, jobs.BACKUP_VERIFY, {"name": name}, school.staff["A001"], clock.now())
    assert jobs.run(ctx, check) == DONE
    with db.session() as s:
        assert system.list_backups(s, backups)[0].checked == "ok"
    # A damaged file is found by the next verification.
    victim = next(
        p
        for p in (backups / name).rglob("*")
        if p.is_file() and p.name != "SHA256SUMS" and p.name != "manifest.json"
    )
    victim.write_bytes(b"tampered")
    with db.transaction() as s:
        again = jobs.start(s, jobs.BACKUP_VERIFY, {"name": name}, None, clock.now())
    assert jobs.run(ctx, again) == FAILED
    with db.session() as s:
        assert system.list_backups(s, backups)[0].checked == "failed"
    assert system.backup_path(backups, "../etc") is None


def test_a_backup_without_a_folder_says_what_to_set(
    app: Any, db: Any, clock: Any, tmp_path: Path
) -> None:
    with db.transaction() as s:
        job_id = jobs.start(s, jobs.BACKUP, {}, None, clock.now())
    assert jobs.run(_context(app, tmp_path, None), job_id) == FAILED
    with db.session() as s:
        assert "BACKUP_DIR" in s.get(ConsoleJob, job_id).message


# --- system ---------------------------------------------------------------------------------


def test_quota_health_and_dead_letters_with_retry(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    clock.set(taipei(2026, 12, 16, 0, 0))
    now = clock.now()
    with db.transaction() as s:
        s.add(
            OutboxMessage(
                created_at=now,
                kind="push",
                recipients=["Ux"],
                purpose="p",
                messages=[{"type": "text", "text": "x"}],
                status="sent",
                sent_at=now - timedelta(days=1),
                cost=30,
            )
        )
        s.add(
            OutboxMessage(
                created_at=now,
                kind="push",
                recipients=["Uy"],
                purpose="notice",
                messages=[{"type": "text", "text": "y"}],
                status=DEAD,
                attempts=8,
                error="500",
            )
        )
    with db.session() as s:
        q = system.quota(s, svc(app).rules, now)
        letters = system.dead_letters(s)
    assert q.used == 30 and q.plan == 3000 and 55 <= q.forecast <= 65
    assert [(d.box, d.what) for d in letters] == [("outbox", "notice")]
    health = system.health(svc(app).db, svc(app).queue, svc(app).line)
    assert health.database and health.queue and health.outbox_dead == 1 and not health.ok
    with db.transaction() as s:
        assert system.retry_dead(s, "outbox", [letters[0].id], now) == [letters[0].id]
    with db.session() as s:
        assert s.get(OutboxMessage, letters[0].id).status == PENDING
        assert system.dead_letters(s) == []


def test_the_retention_dry_run_lists_who_would_be_sealed(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    from storage.models.school import Student

    with db.transaction() as s:
        student = s.scalars(select(Student).where(Student.student_no == "115001")).one()
        student.status, student.graduated_on = "畢業", date(2026, 10, 1)
    with db.session() as s:
        plan = system.retention_plan(s, svc(app).rules, clock.now())
    assert [no for no, _, _ in plan.to_seal] == ["115001"] and plan.to_delete == []
