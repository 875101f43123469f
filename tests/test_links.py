"""Signed, expiring file links and the page that serves them only to people who may see the file."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from flows.links import (
    DEFAULT_TTL,
    LinkExpired,
    LinkInvalid,
    file_link,
    file_token,
    verify_link,
)
from storage.clock import TAIPEI
from storage.models.line import LineAccount
from storage.models.portfolio import (
    DRAFT,
    PENDING,
    SUBMITTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import Student
from tests.conftest import SECRET_KEY
from tests.test_upload import jpeg_bytes, pdf_bytes

BASE = "https://portfolio.example.edu.tw"
NOW = datetime(2026, 10, 15, 10, 0, tzinfo=TAIPEI)


# --- the token --------------------------------------------------------------------------------


def test_a_link_round_trips() -> None:
    link = file_link(SECRET_KEY, BASE, 42, ("student", 7), NOW)
    assert link.startswith(f"{BASE}/f/")
    claim = verify_link(SECRET_KEY, link.rsplit("/", 1)[1], NOW + timedelta(hours=1))
    assert (claim.file_id, claim.viewer_kind, claim.viewer_id) == (42, "student", 7)
    assert claim.expires_at == NOW + DEFAULT_TTL


def test_a_link_expires() -> None:
    token = file_token(SECRET_KEY, 42, ("staff", 3), NOW, ttl=timedelta(minutes=30))
    verify_link(SECRET_KEY, token, NOW + timedelta(minutes=29))
    with pytest.raises(LinkExpired):
        verify_link(SECRET_KEY, token, NOW + timedelta(minutes=30))


def test_a_tampered_or_foreign_link_is_refused() -> None:
    token = file_token(SECRET_KEY, 42, ("guardian", 3), NOW)
    with pytest.raises(LinkInvalid):
        verify_link("another-secret-key-0123456789", token, NOW)
    payload, rest = token.split(".", 1)
    forged = base64.urlsafe_b64encode(json.dumps([43, "g", 3, 2**40]).encode()).decode()
    with pytest.raises(LinkInvalid):
        verify_link(SECRET_KEY, forged.rstrip("=") + "." + rest, NOW)
    with pytest.raises(LinkInvalid):
        verify_link(SECRET_KEY, "not-a-token", NOW)


def test_a_link_holds_no_personal_data() -> None:
    token = file_token(SECRET_KEY, 42, ("student", 7), NOW)
    payload = token.split(".", 1)[0]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert decoded[:3] == [42, "s", 7] and isinstance(decoded[3], int)
    assert len(f"{BASE}/f/{token}") < 200  # well inside LINE's 1000-character URI limit


def test_unknown_viewer_kinds_are_a_bug() -> None:
    with pytest.raises(ValueError):
        file_token(SECRET_KEY, 1, ("stranger", 1), NOW)


# --- serving ----------------------------------------------------------------------------------


def _store(app: Any, data: bytes) -> str:
    return str(app.extensions["portfolio"].files.put_stream([data]).sha256)


def _file(session: Any, sha: str, mime: str = "application/pdf", kind: str = "document") -> int:
    record = FileRecord(
        sha256=sha, size=10, mime=mime, kind=kind, created_at=NOW, display_name="../../我的作品.pdf"
    )
    session.add(record)
    session.flush()
    return record.id


def _outcome(
    db: Any, school: Any, app: Any, status: str = PENDING, student: str = "Us10101"
) -> tuple[int, int]:
    sha = _store(app, pdf_bytes())
    with db.transaction() as s:
        file_id = _file(s, sha)
        outcome = CourseOutcome(
            student_id=school.students[student],
            course_id=school.courses["101-數學"],
            academic_year=115,
            semester=1,
            summary="作品",
            status=status,
            created_at=NOW,
            document_file_id=file_id,
            certifier_id=school.staff["T003"] if status != DRAFT else None,
        )
        s.add(outcome)
        s.flush()
        return file_id, outcome.id


def _get(app: Any, file_id: int, kind: str, viewer_id: int, now: datetime = NOW) -> Any:
    link = file_link(SECRET_KEY, BASE, file_id, (kind, viewer_id), now)
    return app.test_client().get(link.removeprefix(BASE))


def test_the_student_gets_their_pdf_as_a_download(app: Any, school: Any, db: Any) -> None:
    file_id, _ = _outcome(db, school, app)
    response = _get(app, file_id, "student", school.students["Us10101"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    # A PDF's JavaScript must never run in the school's origin: downloaded, and sandboxed.
    assert disposition.startswith("attachment") and f"portfolio-{file_id}.pdf" in disposition
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert "我的作品" not in disposition  # the name a user gave is never used
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.data == pdf_bytes()


@pytest.mark.parametrize(
    ("who", "kind", "allowed"),
    [
        ("Us10102", "student", False),  # a classmate
        ("guardian", "guardian", True),  # the student's parent
        ("T001", "staff", True),  # 101's homeroom teacher
        ("T003", "staff", True),  # the course teacher and certifier
        ("T002", "staff", False),  # another class's homeroom teacher
        ("T004", "staff", False),  # a teacher with no link to the item
        ("A001", "staff", True),  # the registrar (an office role)
    ],
)
def test_who_may_see_a_pending_item(
    app: Any, school: Any, db: Any, who: str, kind: str, allowed: bool
) -> None:
    file_id, _ = _outcome(db, school, app)
    viewer_id = {
        "student": lambda: school.students.get(who),
        "guardian": lambda: school.guardian,
        "staff": lambda: school.staff.get(who),
    }[kind]()
    response = _get(app, file_id, kind, viewer_id)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert "無法查看這個檔案" in response.get_data(as_text=True)


def test_another_parent_cannot_see_it(app: Any, school: Any, db: Any) -> None:
    file_id, _ = _outcome(db, school, app, student="Us10102")
    assert _get(app, file_id, "guardian", school.guardian).status_code == 403


def test_drafts_and_withdrawn_items_only_to_the_student(app: Any, school: Any, db: Any) -> None:
    for status in (DRAFT, WITHDRAWN):
        file_id, _ = _outcome(db, school, app, status=status)
        assert _get(app, file_id, "student", school.students["Us10101"]).status_code == 200
        assert _get(app, file_id, "staff", school.staff["T001"]).status_code == 403
        assert _get(app, file_id, "guardian", school.guardian).status_code == 403


def test_an_earlier_certifier_in_the_chain_may_still_see_it(app: Any, school: Any, db: Any) -> None:
    file_id, outcome_id = _outcome(db, school, app)
    assert _get(app, file_id, "staff", school.staff["T004"]).status_code == 403
    with db.transaction() as s:
        s.add(
            AuditEntry(
                at=NOW,
                action="reassign",
                item_kind="outcome",
                item_id=outcome_id,
                actor_staff_id=school.staff["T004"],
            )
        )
    assert _get(app, file_id, "staff", school.staff["T004"]).status_code == 200


def test_sealed_students_files_only_to_office_staff(app: Any, school: Any, db: Any) -> None:
    file_id, _ = _outcome(db, school, app)
    with db.transaction() as s:
        s.get(Student, school.students["Us10101"]).sealed_at = NOW
    assert _get(app, file_id, "student", school.students["Us10101"]).status_code == 403
    assert _get(app, file_id, "guardian", school.guardian).status_code == 403
    assert _get(app, file_id, "staff", school.staff["T001"]).status_code == 403
    assert _get(app, file_id, "staff", school.staff["A001"]).status_code == 200


def test_rights_are_checked_when_the_link_is_opened(app: Any, school: Any, db: Any) -> None:
    file_id, _ = _outcome(db, school, app)
    link = file_link(SECRET_KEY, BASE, file_id, ("guardian", school.guardian), NOW)
    with db.transaction() as s:
        from sqlalchemy import delete

        from storage.models.school import GuardianLink

        s.execute(delete(GuardianLink))
    assert app.test_client().get(link.removeprefix(BASE)).status_code == 403


def test_expired_links_get_410(app: Any, school: Any, db: Any, clock: Any) -> None:
    file_id, _ = _outcome(db, school, app)
    link = file_link(
        SECRET_KEY, BASE, file_id, ("student", school.students["Us10101"]), clock.now()
    )
    clock.advance(DEFAULT_TTL + timedelta(seconds=1))
    response = app.test_client().get(link.removeprefix(BASE))
    assert response.status_code == 410
    assert "連結已過期" in response.get_data(as_text=True)


def test_forged_links_get_403(app: Any, school: Any, db: Any) -> None:
    response = app.test_client().get("/f/abc.def.ghi")
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")


def test_missing_files_get_410(app: Any, school: Any, db: Any) -> None:
    assert _get(app, 999_999, "student", school.students["Us10101"]).status_code == 410
    with db.transaction() as s:
        file_id = _file(s, "a" * 64)
        s.add(
            CourseOutcome(
                student_id=school.students["Us10101"],
                course_id=school.courses["101-數學"],
                academic_year=115,
                semester=1,
                summary="x",
                status=PENDING,
                created_at=NOW,
                document_file_id=file_id,
            )
        )
    assert _get(app, file_id, "student", school.students["Us10101"]).status_code == 410


def test_a_file_nobody_holds_is_shown_to_nobody(app: Any, school: Any, db: Any) -> None:
    sha = _store(app, jpeg_bytes())
    with db.transaction() as s:
        file_id = _file(s, sha, mime="image/jpeg")
    assert _get(app, file_id, "student", school.students["Us10101"]).status_code == 403
    assert _get(app, file_id, "staff", school.staff["A001"]).status_code == 403


def test_performance_proof(app: Any, school: Any, db: Any) -> None:
    sha = _store(app, jpeg_bytes("獎狀"))
    with db.transaction() as s:
        file_id = _file(s, sha, mime="image/jpeg")
        performance = Performance(
            student_id=school.students["Us10101"],
            academic_year=115,
            semester=1,
            record_type="competition",
            fields={},
            summary="科展",
            status=SUBMITTED,
            created_at=NOW,
        )
        s.add(performance)
        s.flush()
        s.add(PerformanceFile(performance_id=performance.id, file_id=file_id, position=1))
    response = _get(app, file_id, "student", school.students["Us10101"])
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Disposition"].startswith("inline")  # a photo shows in place
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert _get(app, file_id, "guardian", school.guardian).status_code == 200
    assert _get(app, file_id, "staff", school.staff["T001"]).status_code == 200
    assert _get(app, file_id, "staff", school.staff["T003"]).status_code == 403


def test_links_from_my_portfolio_open(chat: Any, school: Any, db: Any, app: Any) -> None:
    from tests.test_upload import upload_one, uri_of

    upload_one(chat)
    said = chat.say("Us10101", "我的歷程")
    link = uri_of(said, "看文件")
    assert app.test_client().get(link.removeprefix(BASE)).status_code == 200
    with db.session() as s:
        account = s.query(LineAccount).filter_by(line_user_id="Us10101").one()
        assert account.student_id == school.students["Us10101"]
