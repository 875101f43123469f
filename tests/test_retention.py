"""Rule 九: graduation, sealing (staff only, farewell), deletion after the retention period."""

from __future__ import annotations

import csv
import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from flows.links import file_link
from jobs import lifecycle as job
from school import certification as cert
from school.file_access import VIEWER_STAFF, VIEWER_STUDENT
from storage.clock import TAIPEI
from storage.identity import identify
from storage.models.lifecycle import LifecycleRun, RetentionDeletion, StudentChange
from storage.models.line import LineAccount, OutboxMessage
from storage.models.portfolio import PENDING, WITHDRAWN, AuditEntry, CourseOutcome, FileRecord
from storage.models.school import Guardian, GuardianLink, Student
from tests.conftest import SECRET_KEY
from tests.school import PARENT, REGISTRAR, School
from tests.test_lifecycle import (
    PDF,
    _consultation,
    cli,
    deliver,
    make_outcome,
    make_performance,
    ok,
    outcome_row,
    stored_file,
    svc_of,
    texts_for,
)

GRADUATION = date(2027, 6, 10)
WANG, REG = "T001", "A001"


def at(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TAIPEI)


def graduate_101(app: Any) -> str:
    return ok(app, "students", "graduate", "--class", "101", "--on", GRADUATION.isoformat())


def tick(app: Any) -> dict[str, int]:
    counts = job.run(svc_of(app))
    deliver(app)
    return counts


def sealed_at(db: Any, student_id: int) -> datetime | None:
    with db.session() as s:
        found = s.get(Student, student_id)
        return found.sealed_at if found else None


# --- marking graduates --------------------------------------------------------------------------


def test_graduate_dry_run_marking_and_cancelling(app: Any, db: Any, school: School) -> None:
    out = ok(
        app,
        "students",
        "graduate",
        "--class",
        "101",
        "--except",
        "115006",
        "--on",
        "2027-06-10",
        "--dry-run",
    )
    assert "將標記 5 位畢業（畢業日 2027/6/10）" in out and "試算" in out
    assert "101-01 115001 李小明" in out and "115006" not in out
    with db.session() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Student).where(Student.graduated_on.is_not(None))
            )
            == 0
        )
    out = ok(
        app,
        "students",
        "graduate",
        "--grade",
        "1",
        "--class",
        "101",
        "--except",
        "115006",
        "--on",
        "2027-06-10",
    )
    assert "已標記 5 位畢業" in out and "2027/6/10 當天的每日作業會封存" in out
    with db.session() as s:
        marked = s.scalars(select(Student).where(Student.graduated_on.is_not(None))).all()
        # Until the day comes they are still enrolled (reminders and classes go on).
        assert len(marked) == 5 and {m.status for m in marked} == {"在學"}
    out = ok(app, "students", "graduate", "--cancel", "--id", "115005")
    assert "已取消 115005 王柏翰 的畢業標記" in out
    nothing = ok(app, "students", "graduate", "--id", "115006", "--id", "115005")
    assert "已標記 2 位畢業" in nothing
    usage = cli(app, "students", "graduate")
    assert usage.exit_code == 1 and "--grade" in usage.stderr


def test_graduating_today_marks_the_status_at_once(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    out = ok(app, "students", "graduate", "--id", "115101")
    assert "今天的每日作業會封存" in out
    with db.session() as s:
        found = s.get(Student, school.students["Us10201"])
        assert found is not None and found.status == "畢業"
        assert found.graduated_on == date(2026, 10, 15)


# --- sealing ------------------------------------------------------------------------------------


def test_sealing_on_graduation_day_ends_the_binding_and_hides_the_data(
    app: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    uid = "Us10101"
    sid = school.students[uid]
    certified = make_outcome(app, db, school, clock, uid, "101-國語文")
    pending = make_outcome(app, db, school, clock, uid, "101-數學", status=PENDING)
    graduate_101(app)

    clock.set(at(GRADUATION - timedelta(days=1)))
    assert tick(app).get("sealed", 0) == 0
    clock.set(at(GRADUATION, 8, 0))  # before the school's send time: farewells wait for 09:00
    assert tick(app) == {}
    assert sealed_at(db, sid) is None

    clock.set(at(GRADUATION))
    counts = tick(app)
    assert counts["sealed"] == 6 and counts["deleted"] == 0
    assert sealed_at(db, sid) == clock.now()
    assert tick(app) == {}  # once a Taipei day

    said = texts_for(line, uid)
    assert "恭喜畢業" in said and "封存 2 年（到 2029/6/10）" in said
    parent = texts_for(line, PARENT)
    assert "李小明 已畢業" in parent and "服務到此結束" in parent
    office = texts_for(line, REGISTRAR)
    assert "封存畢業生 6 位" in office
    assert line.messages_for("Us10201") == []  # 102 did not graduate

    with db.session() as s:
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == uid)).one()
        assert account.student_id is None and not identify(s, account).bound  # type: ignore[union-attr]
        parent_account = s.scalars(
            select(LineAccount).where(LineAccount.line_user_id == PARENT)
        ).one()
        assert parent_account.guardian_id is None
        assert s.scalars(select(GuardianLink)).all() == []
        # The guardian row stays until deletion (staff may still need it while sealed).
        assert s.get(Guardian, school.guardian) is not None
        menus = {
            m.recipients[0]
            for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "richmenu"))
        }
        assert {uid, PARENT} <= menus
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.item_id == pending, AuditEntry.action == "withdraw")
        ).one()
        assert audit.detail == "sealed"
        # A teacher's 待認證 list no longer shows the sealed student's work.
        assert cert.pending_for(s, school.staff["T003"]) == []
        change = s.scalars(
            select(StudentChange).where(
                StudentChange.student_id == sid, StudentChange.kind == "seal"
            )
        ).one()
        assert change.detail["guardians"] == [school.guardian]
    assert outcome_row(db, pending).status == WITHDRAWN
    assert outcome_row(db, certified).status == "certified"

    # The sealed student's file: office staff may open it, a teacher and the student may not.
    document = outcome_row(db, certified).document_file_id
    assert document is not None
    client = app.test_client()

    def opens(kind: str, viewer_id: int) -> int:
        url = file_link(SECRET_KEY, "https://x", document, (kind, viewer_id), clock.now())
        return int(client.get(url.removeprefix("https://x")).status_code)

    assert opens(VIEWER_STAFF, school.staff[REG]) == 200
    assert opens(VIEWER_STAFF, school.staff[WANG]) == 403
    assert opens(VIEWER_STUDENT, sid) == 403


def test_retention_run_dry_run_lists_and_changes_nothing(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    graduate_101(app)
    clock.set(at(GRADUATION))
    out = ok(app, "retention", "run", "--dry-run")
    assert "會封存 6 位畢業生" in out and "115001 李小明（畢業日 2027/6/10）" in out
    assert "試算" in out
    assert sealed_at(db, school.students["Us10101"]) is None
    out = ok(app, "retention", "run")
    assert "已封存 6 位畢業生" in out
    assert sealed_at(db, school.students["Us10101"]) is not None
    clock.set(at(date(2029, 6, 9)))
    out = ok(app, "retention", "run", "--dry-run")
    assert "今天沒有要封存或刪除的學生" in out
    assert "另有 6 位封存中，最早於 2029/6/10 保存期滿" in out


# --- deletion -----------------------------------------------------------------------------------


def test_deletion_after_the_period_and_not_a_day_before(
    app: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    uid = "Us10101"
    sid = school.students[uid]
    shared = PDF + b"the same photo two students sent"
    certified = make_outcome(app, db, school, clock, uid, "101-國語文", content=shared)
    own = make_outcome(app, db, school, clock, uid, "101-數學")
    make_performance(app, db, school, clock, uid)
    # Another student holds the same bytes: content addressing keeps one copy for both.
    other_file = stored_file(app, db, school.students["Us10201"], shared, clock)
    alone = _consultation(db, school, clock, [uid])
    together = _consultation(db, school, clock, [uid, "Us10201"])
    files = svc_of(app).files
    with db.session() as s:
        own_sha = s.get(FileRecord, outcome_row(db, own).document_file_id).sha256  # type: ignore[union-attr]
        shared_sha = s.get(FileRecord, other_file).sha256  # type: ignore[union-attr]
        student_files = s.scalar(
            select(func.count()).select_from(FileRecord).where(FileRecord.student_id == sid)
        )
    assert student_files == 3
    graduate_101(app)
    clock.set(at(GRADUATION))
    tick(app)

    clock.set(at(date(2029, 6, 9)))  # the last day of the two years
    assert tick(app)["deleted"] == 0
    with db.session() as s:
        assert s.get(Student, sid) is not None
    out = ok(app, "retention", "run", "--dry-run")
    assert "今天沒有要封存或刪除的學生" in out

    clock.set(at(date(2029, 6, 10)))
    out = ok(app, "retention", "run", "--dry-run")
    assert "會刪除保存期滿的 6 位" in out and "115001（畢業 2027/6/10，期滿 2029/6/10）" in out
    assert "course_outcomes 2" in out
    with db.session() as s:
        assert s.get(Student, sid) is not None  # a dry run deletes nothing

    counts = tick(app)
    assert counts["deleted"] == 6
    with db.session() as s:
        assert s.get(Student, sid) is None
        assert s.get(CourseOutcome, certified) is None and s.get(CourseOutcome, own) is None
        assert (
            s.scalar(
                select(func.count()).select_from(FileRecord).where(FileRecord.sha256 == own_sha)
            )
            == 0
        )
        assert s.get(FileRecord, other_file) is not None
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.student_id == sid)
            )
            == 0
        )
        assert s.get(Guardian, school.guardian) is None
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == uid)).one()
        assert account.student_id is None
        report = s.scalars(
            select(RetentionDeletion).where(RetentionDeletion.student_no == "115001")
        ).one()
        assert report.files == 3 and report.rows["course_outcomes"] == 2
        assert report.rows["performances"] == 1 and report.rows["students"] == 1
        assert report.files_removed == 2 and report.pending_digests == []
        assert report.retention_end == date(2029, 6, 10)
        if alone is not None:
            from storage.models import records

            assert s.get(records.Consultation, alone) is None
            kept = s.get(records.Consultation, together)
            assert kept is not None and len(kept.participants) == 1
            assert report.rows["consultations"] == 1
        runs = s.scalars(select(LifecycleRun.day).where(LifecycleRun.kind == "daily")).all()
        assert date(2029, 6, 10) in runs
    assert not files.exists(own_sha)
    assert files.exists(shared_sha)  # still named by the other student's file row

    path = svc_of(app).settings.storage_dir / "reports" / "retention-deletions.csv"
    with open(path, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and rows[0]["學號"] == "115001" and rows[0]["畢業日"] == "2027-06-10"
    content = path.read_text(encoding="utf-8-sig")
    assert "李小明" not in content and "陳怡君" not in content
    assert "保存期滿刪除 6 位" in texts_for(line, REGISTRAR)
    assert tick(app) == {}


def test_the_retention_period_comes_from_the_rules(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    svc = svc_of(app)
    svc.rules = dataclasses.replace(svc.rules, retention_years=1)
    ok(app, "students", "graduate", "--id", "115001", "--on", "2027-06-10")
    clock.set(at(GRADUATION))
    tick(app)
    clock.set(at(date(2028, 6, 9)))
    tick(app)
    assert sealed_at(db, school.students["Us10101"]) is not None
    clock.set(at(date(2028, 6, 10)))
    out = ok(app, "retention", "run")
    assert "已刪除保存期滿的 1 位" in out and "刪除報告：" in out
    with db.session() as s:
        assert s.get(Student, school.students["Us10101"]) is None


def test_sealed_students_cannot_be_changed_but_can_be_exported(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Any
) -> None:
    ok(app, "students", "graduate", "--id", "115001")
    tick(app)
    assert sealed_at(db, school.students["Us10101"]) is not None
    refused = cli(app, "students", "transfer-out", "--id", "115001")
    assert refused.exit_code == 1 and "已畢業封存" in refused.output
    cancel = cli(app, "students", "graduate", "--cancel", "--id", "115001")
    assert cancel.exit_code == 1 and "已畢業封存" in cancel.output
    out = ok(app, "export", "student", "--id", "115001", "--out", str(tmp_path))
    assert "已寫出" in out


def test_deletion_on_sqlite(sqlite_db: Any, tmp_path: Any, clock: Any) -> None:
    """The generic deletion follows the same foreign keys on the embedded database."""
    from rules.reader import load_rules
    from school import deletion, graduation, sealing
    from storage.files import LocalFileStore
    from tests.school import seed_school

    school = seed_school(sqlite_db)
    store = LocalFileStore(tmp_path / "files")
    rules = load_rules()
    sid = school.students["Us10101"]
    stored = store.put_stream([PDF + b"sqlite deletion"])
    with sqlite_db.transaction() as s:
        record = FileRecord(
            sha256=stored.sha256,
            size=stored.size,
            mime="application/pdf",
            kind="document",
            student_id=sid,
            created_at=clock.now(),
        )
        s.add(record)
        s.flush()
        s.add(
            CourseOutcome(
                student_id=sid,
                course_id=school.courses["101-國語文"],
                academic_year=115,
                semester=1,
                summary="x",
                status="certified",
                document_file_id=record.id,
                created_at=clock.now(),
            )
        )
        student = s.get(Student, sid)
        assert student is not None
        graduation.graduate(s, clock.now(), [student], date(2026, 10, 15))
        sealed = sealing.seal(s, clock.now(), student)
        assert [f.line_user_id for f in sealed.farewells] == ["Us10101", PARENT]
    clock.set(at(date(2028, 10, 15)))
    with sqlite_db.transaction() as s:
        due = deletion.due_for_deletion(s, rules, clock.now())
        assert [d.id for d in due] == [sid]
        report = deletion.delete_student(s, rules, clock.now(), due[0])
        assert report.rows["course_outcomes"] == 1 and report.pending_digests == [stored.sha256]
    with sqlite_db.transaction() as s:
        assert deletion.remove_pending_bytes(s, store, clock.now()) == 1
        assert s.get(Student, sid) is None
    assert not store.exists(stored.sha256)


# --- sealing when the 收訖明細 never comes back ---------------------------------------------------


def test_graduates_are_sealed_at_the_latest_days_after_the_submission_without_receipts(
    app: Any, db: Any, line: Any, school: School, clock: Any
) -> None:
    from tests.test_reminders import SENIOR, add_offices

    add_offices(db, school)
    senior = school.students[SENIOR]
    with db.transaction() as s:
        s.add(
            CourseOutcome(
                student_id=senior,
                course_id=school.courses["101-數學"],
                academic_year=115,
                semester=1,
                summary="作品",
                status="certified",
                created_at=clock.now(),
                picked_at=datetime(2027, 5, 25, 10, 0, tzinfo=TAIPEI),
            )
        )
    rules = svc_of(app).rules
    assert rules.seal_without_receipt_days == 60  # the default file's bound
    ok(app, "students", "graduate", "--id", "113001", "--on", GRADUATION.isoformat())
    ok(app, "submission", "set", "--year", "115", "--grade12", "--date", "2027-06-15")
    last_wait = date(2027, 6, 15) + timedelta(days=59)
    clock.set(at(last_wait))
    tick(app)
    assert sealed_at(db, senior) is None  # still waiting for the 收訖明細
    assert "收訖明細" not in texts_for(line, REGISTRAR)

    clock.set(at(last_wait + timedelta(days=1)))
    counts = tick(app)
    assert counts["sealed"] == 1 and sealed_at(db, senior) == clock.now()
    office = texts_for(line, REGISTRAR)
    assert "封存畢業生 1 位" in office
    assert "收訖明細在繳交日後 60 天仍未回來，已依規定先封存：113001 高三生" in office
    assert len(line.messages_for(REGISTRAR)) == 1  # one push says both


def test_the_bound_for_sealing_without_receipts_is_the_schools(tmp_path: Any) -> None:
    import pytest

    from rules.reader import DEFAULT_RULES_PATH, RulesError, parse_rules

    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    assert "seal_without_receipt_days = 60" in text
    changed = parse_rules(
        text.replace("seal_without_receipt_days = 60", "seal_without_receipt_days = 30")
    )
    assert changed.seal_without_receipt_days == 30
    for bad in ("0", "400", '"60"'):
        with pytest.raises(RulesError, match="seal_without_receipt_days"):
            parse_rules(
                text.replace("seal_without_receipt_days = 60", f"seal_without_receipt_days = {bad}")
            )
