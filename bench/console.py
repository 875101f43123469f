"""The web console under a real school's size: every page's time and SQL queries.

A school of 1,500 students in 50 classes, 120 staff, two semesters of courses (800) and
enrolments (24,000), about 9,000 course outcomes and 4,500 多元表現, on PostgreSQL built by the
migrations. The registrar signs in through a real link (GET, then the POST with its CSRF token)
and opens the overview, every list behind its numbers (whole school and one class), the binding
page, a class's binding, a person's card, the audit log and the import page; a homeroom teacher
opens the overview too. Each page is rendered RUNS times through the Flask app (the WSGI call,
templates included; no network) and its SQL statements are counted.

Goal: p95 < 300 ms per page on this machine, and the same small number of queries whatever the
school's size (no query per row).

Run: .venv/bin/python bench/console.py [--runs 30] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, select  # noqa: E402

from storage.clock import TAIPEI, FrozenClock  # noqa: E402

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET_KEY = "bench-secret-key-0123456789abcdef"
NOW = datetime(2027, 1, 20, 10, 0, tzinfo=TAIPEI)  # late in 115-1, uploads open
GOAL_MS = 300.0
MAX_QUERIES = 20
SUBJECTS = ("國語文", "英語文", "數學", "物理", "化學", "生物", "歷史", "地理")


def seed(db: Any, scale: float) -> dict[str, Any]:
    from storage.models.line import LineAccount
    from storage.models.portfolio import CourseOutcome, Performance
    from storage.models.school import (
        Course,
        Enrolment,
        SchoolClass,
        Staff,
        StaffRole,
        Student,
        Term,
    )

    rng = random.Random(20261206)
    n_classes = max(3, int(50 * scale))
    per_class = 30
    created = NOW - timedelta(days=120)
    with db.transaction() as s:
        terms = [Term(academic_year=115, semester=n) for n in (1, 2)]
        s.add_all(terms)
        staff_rows = [
            {"staff_no": f"T{n:03d}", "name": f"老師{n:03d}", "subject": None}
            for n in range(1, 121)
        ]
        s.execute(insert(Staff), staff_rows)
        staff_ids = list(s.scalars(select(Staff.id).order_by(Staff.staff_no)))
        roles = [
            {"staff_id": staff_ids[0], "role": "註冊組"},
            {"staff_id": staff_ids[0], "role": "註冊組長"},
            {"staff_id": staff_ids[1], "role": "教學組"},
        ]
        roles += [{"staff_id": sid, "role": "任課教師"} for sid in staff_ids[2:]]
        roles += [{"staff_id": sid, "role": "導師"} for sid in staff_ids[2 : 2 + n_classes]]
        s.execute(insert(StaffRole), roles)
        s.execute(
            insert(SchoolClass),
            [
                {
                    "code": f"{1 + i // 17}{i % 17 + 1:02d}",
                    "grade": min(3, 1 + i // 17),
                    "homeroom_teacher_id": staff_ids[2 + i],
                }
                for i in range(n_classes)
            ],
        )
        class_ids = list(s.scalars(select(SchoolClass.id).order_by(SchoolClass.id)))
        grade_of = dict(s.execute(select(SchoolClass.id, SchoolClass.grade)).all())
        s.execute(
            insert(Student),
            [
                {
                    "student_no": f"S{c:03d}{seat:02d}",
                    "name": f"學生{c:03d}{seat:02d}",
                    "grade": grade_of[cid],
                    "class_id": cid,
                    "seat_no": seat,
                    "status": "在學",
                }
                for c, cid in enumerate(class_ids)
                for seat in range(1, per_class + 1)
            ],
        )
        students = list(s.execute(select(Student.id, Student.class_id)).all())
        s.flush()
        course_rows = []
        for term in terms:
            for c, cid in enumerate(class_ids):
                for k, subject in enumerate(SUBJECTS):
                    course_rows.append(
                        {
                            "term_id": term.id,
                            "code": f"{term.semester}{k}{c:03d}",
                            "subject": subject,
                            "class_id": cid,
                            "teacher_id": staff_ids[2 + (c * 8 + k) % 118],
                        }
                    )
        s.execute(insert(Course), course_rows)
        courses = list(s.execute(select(Course.id, Course.class_id, Course.term_id)).all())
        by_class: dict[tuple[int, int], list[int]] = {}
        for course_id, cid, term_id in courses:
            by_class.setdefault((cid, term_id), []).append(course_id)
        s.execute(
            insert(Enrolment),
            [
                {"student_id": sid, "course_id": course_id}
                for sid, cid in students
                for term in terms
                for course_id in by_class[(cid, term.id)]
            ],
        )
        outcomes, performances = [], []
        for sid, cid in students:
            for term in terms:
                continue_rate = 0.3 if term.semester == 2 else 1.0  # 115-2 has only begun
                for course_id in rng.sample(by_class[(cid, term.id)], 3):
                    if rng.random() > continue_rate * 0.9:
                        continue
                    at = created + timedelta(days=rng.randint(0, 110), minutes=rng.randint(0, 600))
                    status = rng.choice(
                        ("pending", "pending", "certified", "certified", "rejected")
                    )
                    outcomes.append(
                        {
                            "student_id": sid,
                            "course_id": course_id,
                            "academic_year": 115,
                            "semester": term.semester,
                            "summary": "學習成果",
                            "status": status,
                            "created_at": at,
                            "submitted_at": at,
                            "picked_at": at if rng.random() < 0.2 else None,
                        }
                    )
                if rng.random() < 0.75 * continue_rate:
                    at = created + timedelta(days=rng.randint(0, 110))
                    performances.append(
                        {
                            "student_id": sid,
                            "academic_year": 115,
                            "semester": term.semester,
                            "record_type": "competition",
                            "fields": {},
                            "summary": "競賽",
                            "status": "submitted",
                            "created_at": at,
                            "submitted_at": at,
                        }
                    )
        s.execute(insert(CourseOutcome), outcomes)
        s.execute(insert(Performance), performances)
        s.execute(
            insert(LineAccount),
            [
                {
                    "line_user_id": f"U{sid:08d}",
                    "student_id": sid,
                    "created_at": created,
                    "bound_at": created,
                    "followed": True,
                }
                for sid, _ in students
                if rng.random() < 0.8
            ],
        )
        s.execute(
            insert(LineAccount),
            [
                {
                    "line_user_id": f"Ustaff{sid:04d}",
                    "staff_id": sid,
                    "created_at": created,
                    "bound_at": created,
                    "followed": True,
                }
                for sid in staff_ids
            ],
        )
    return {
        "classes": class_ids,
        "students": [sid for sid, _ in students],
        "registrar": "T001",
        "homeroom": "T003",
        "outcomes": len(outcomes),
        "performances": len(performances),
        "courses": len(course_rows),
    }


class QueryCounter:
    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *args: Any) -> None:
        self.count += 1


def sign_in(app: Any, staff_no: str) -> Any:
    from school import console_access as access
    from storage.models.school import Staff

    svc = app.extensions["portfolio"]
    base = "https://bench.example.edu.tw"
    with svc.db.transaction() as s:
        staff_id = s.scalar(select(Staff.id).where(Staff.staff_no == staff_no))
        url = access.issue_link(s, staff_id, svc.clock.now(), base, limited=False)
    client = app.test_client()
    path = url[len(base) :]
    page = client.get(path, base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    done = client.post(
        path, data={"csrf_token": token}, base_url=base, headers={"Referer": f"{base}/console/"}
    )
    assert done.status_code == 303, done.status_code
    return client


def measure(client: Any, counter: QueryCounter, path: str, runs: int) -> tuple[list[float], int]:
    base = "https://bench.example.edu.tw"
    for _ in range(3):
        response = client.get(path, base_url=base)
        assert response.status_code == 200, (path, response.status_code)
    times, queries = [], set()
    for _ in range(runs):
        before = counter.count
        start = time.perf_counter()
        response = client.get(path, base_url=base)
        response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        queries.add(counter.count - before)
    return times, max(queries)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()

    from bot import create_app
    from runtime.config import Settings
    from storage import crypto, migrate
    from storage.db import Database

    crypto.configure(SECRET_KEY)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f}"
    )
    with (
        migrate.throwaway_postgres(PG_ADMIN, "portfolio_bench_console") as url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        db = Database(url)
        started = time.perf_counter()
        school = seed(db, args.scale)
        print(
            f"school: {len(school['students'])} students in {len(school['classes'])} classes, "
            f"120 staff, {school['courses']} courses, {school['outcomes']} course outcomes, "
            f"{school['performances']} 多元表現 "
            f"(seeded in {time.perf_counter() - started:.1f} s)"
        )
        settings = Settings(
            line_channel_secret="bench-secret-0123456789abcdef",
            line_channel_access_token="bench-token",
            secret_key=SECRET_KEY,
            database_url=url,
            line_api_base_url="http://127.0.0.1:9",
            storage_dir=Path(tmp) / "files",
            public_base_url="https://bench.example.edu.tw",
        )
        app = create_app(
            settings, db=db, queue="manual", clock=FrozenClock(NOW), sleep=lambda s: None
        )
        counter = QueryCounter(db.engine)
        registrar = sign_in(app, school["registrar"])
        homeroom = sign_in(app, school["homeroom"])
        one_class = school["classes"][0]
        pages = [("registrar", registrar, "/console/")]
        for kind in (
            "pending",
            "certified",
            "rejected",
            "performances",
            "silent",
            "picked",
            "students",
        ):
            pages.append(("registrar", registrar, f"/console/list/{kind}"))
        pages += [
            ("registrar", registrar, f"/console/list/pending?class={one_class}"),
            ("registrar", registrar, f"/console/list/pending?class={one_class}&format=xlsx"),
            ("registrar", registrar, "/console/codes"),
            ("registrar", registrar, f"/console/codes/class/{one_class}"),
            ("registrar", registrar, f"/console/people/student/{school['students'][0]}"),
            ("registrar", registrar, "/console/audit"),
            ("registrar", registrar, "/console/roster"),
            ("homeroom", homeroom, "/console/"),
            ("homeroom", homeroom, f"/console/list/silent?class={one_class}"),
        ]
        failed = []
        print(f"\n{'who':<10} {'page':<48} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7}")
        for who, client, path in pages:
            times, queries = measure(client, counter, path, args.runs)
            slow = p95(times)
            print(f"{who:<10} {path:<48} {statistics.median(times):7.1f} {slow:7.1f} {queries:7d}")
            if slow >= GOAL_MS or queries > MAX_QUERIES:
                failed.append(path)
        db.dispose()
    print(
        f"\ngoal: p95 < {GOAL_MS:.0f} ms and at most {MAX_QUERIES} queries per page: "
        + ("met" if not failed else f"NOT met for {', '.join(failed)}")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
