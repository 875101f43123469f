"""Fan-out: one reminder to 3,000 students through the real tick code and the local LINE platform.

Two reminders of the default rules run through jobs.reminders.run (plan, delivery log, outbox)
and jobs.delivery.deliver_due (the LINE seam, line-bot-sdk, HTTP to the local platform):

  1. 勾選截止提醒 (remind_pick): the same words for everyone who has not confirmed;
  2. 課程學習成果上傳截止提醒 (remind_upload_course_outcomes): each student is told where they stand
     ("本學期已上傳 2/6 件"), so identical messages are grouped per standing.

For each, LINE calls must be ⌈n/500⌉ per distinct message (multicast takes ≤ 500 ids), and the
messages counted against the quota must be one per recipient. A second tick must send nothing.

Run: .venv/bin/python bench/fanout.py [--students 3000] [--sqlite]
Needs PostgreSQL (127.0.0.1:5432) unless --sqlite.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from dev.emulator.server import EmulatorServer  # noqa: E402
from storage.clock import TAIPEI, FrozenClock  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "bench-channel-secret-0123456789abcdef"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
CLASS_SIZE = 40
MULTICAST_MAX = 500
SEND_PATHS = ("/v2/bot/message/push", "/v2/bot/message/multicast")
REMIND_PICK = datetime(2027, 7, 26, 9, 0, tzinfo=TAIPEI)  # picking.end - 2d
REMIND_UPLOAD = datetime(2027, 1, 31, 9, 0, tzinfo=TAIPEI)  # upload.end - 3d


@contextmanager
def database(use_sqlite: bool) -> Iterator[str]:
    from storage import migrate

    if use_sqlite:
        with tempfile.TemporaryDirectory(prefix="fanout-") as scratch:
            url = f"sqlite:///{scratch}/portfolio.sqlite"
            migrate.upgrade(url)
            yield url
        return
    with migrate.throwaway_postgres(PG_ADMIN, "portfolio_bench") as url:
        yield url


def seed(db: Any, students: int) -> None:
    """Classes of 40, each student bound; student i holds i % 7 course outcomes in 115-1
    (six or more: at the limit, so not reminded) and every ninth also an unsent draft."""
    from storage.models.line import LineAccount
    from storage.models.portfolio import CourseOutcome
    from storage.models.school import Course, SchoolClass, Student, Term

    created = datetime(2026, 9, 1, 8, 0, tzinfo=TAIPEI)
    with db.transaction() as session:
        term = Term(academic_year=115, semester=1)
        session.add(term)
        session.flush()
        classes = []
        for n in range(math.ceil(students / CLASS_SIZE)):
            cls = SchoolClass(code=f"{1 + n // 25}{n % 25 + 1:02d}", grade=1 + n // 25 % 3)
            classes.append(cls)
        session.add_all(classes)
        session.flush()
        courses = [
            Course(term_id=term.id, code=f"C{c.code}", subject="國語文", class_id=c.id)
            for c in classes
        ]
        session.add_all(courses)
        session.flush()
        people = [
            Student(
                student_no=f"S{i:05d}",
                name=f"學生{i}",
                grade=classes[i // CLASS_SIZE].grade,
                class_id=classes[i // CLASS_SIZE].id,
                seat_no=i % CLASS_SIZE + 1,
            )
            for i in range(students)
        ]
        session.add_all(people)
        session.flush()
        session.add_all(
            LineAccount(
                line_user_id=f"U{i:032x}", student_id=s.id, created_at=created, bound_at=created
            )
            for i, s in enumerate(people)
        )
        items = []
        for i, s in enumerate(people):
            course = courses[i // CLASS_SIZE].id
            for _ in range(i % 7):
                items.append(
                    CourseOutcome(
                        student_id=s.id,
                        course_id=course,
                        academic_year=115,
                        semester=1,
                        status="pending",
                        created_at=created,
                    )
                )
            if i % 9 == 0:
                items.append(
                    CourseOutcome(
                        student_id=s.id,
                        course_id=course,
                        academic_year=115,
                        semester=1,
                        status="draft",
                        created_at=created,
                    )
                )
        session.add_all(items)


def expected_calls(db: Any, purpose: str) -> tuple[int, int, int]:
    """(distinct messages, recipients, ⌈n/500⌉ summed over distinct messages) from the outbox."""
    from storage.models.line import OutboxMessage

    per_message: dict[str, int] = defaultdict(int)
    with db.session() as session:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == purpose)):
            per_message[json.dumps(row.messages, sort_keys=True)] += len(row.recipients)
    calls = sum(math.ceil(n / MULTICAST_MAX) for n in per_message.values())
    return len(per_message), sum(per_message.values()), calls


def run_reminder(app: Any, platform: Any, clock: FrozenClock, when: datetime, row: str) -> bool:
    from jobs import delivery, reminders

    svc = app.extensions["portfolio"]
    clock.set(when)
    requests_before = len(platform.requests)
    counted_before = platform.pushes_counted()
    started = time.perf_counter()
    counts = reminders.run(svc)
    planned = time.perf_counter() - started
    started = time.perf_counter()
    delivery.deliver_due(svc)
    sent = time.perf_counter() - started
    calls = [r for r in platform.requests[requests_before:] if r.path in SEND_PATHS]
    counted = platform.pushes_counted() - counted_before
    distinct, recipients, want = expected_calls(svc.db, f"schedule:row:{row}")

    clock.set(when.replace(minute=5))
    again = reminders.run(svc)
    delivery.deliver_due(svc)
    repeat_calls = [r for r in platform.requests[requests_before:] if r.path in SEND_PATHS]

    print(f"\n{row} at {when:%Y-%m-%d %H:%M} Taipei")
    print(f"  recipients:          {recipients:,} ({counts.get('row', 0):,} logged deliveries)")
    print(f"  distinct messages:   {distinct}")
    print(
        f"  LINE calls made:     {len(calls)} "
        f"({sum(r.path.endswith('multicast') for r in calls)} multicast, "
        f"{sum(r.path.endswith('push') for r in calls)} push); "
        f"required Σ⌈n/500⌉ = {want}"
    )
    print(f"  messages counted:    {counted:,} (one per recipient)")
    print(f"  time: plan {planned:.2f} s, deliver {sent:.2f} s, total {planned + sent:.2f} s")
    print(
        f"  second tick:         {again.get('row', 0)} new deliveries, "
        f"{len(repeat_calls) - len(calls)} more calls"
    )
    ok = (
        len(calls) == want
        and counted == recipients
        and "row" not in again
        and len(repeat_calls) == len(calls)
        and all(r.status == 200 for r in calls)
    )
    print(f"  {'OK' if ok else 'FAILED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default database")
    args = parser.parse_args()

    from bot import create_app
    from runtime.config import Settings
    from storage import crypto
    from storage.db import Database

    clock = FrozenClock(REMIND_UPLOAD)
    crypto.configure(SECRET_KEY)
    with (
        database(args.sqlite) as url,
        EmulatorServer(clock=clock) as line,
        tempfile.TemporaryDirectory(prefix="fanout-files-") as files,
    ):
        line.platform.quota = 10 * args.students
        db = Database(url)
        started = time.perf_counter()
        seed(db, args.students)
        print(
            f"seeded {args.students:,} students ({'SQLite' if args.sqlite else 'PostgreSQL'}) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        settings = Settings(
            line_channel_secret=SECRET,
            line_channel_access_token=line.channel_access_token,
            secret_key=SECRET_KEY,
            database_url=url,
            line_api_base_url=line.base_url,
            storage_dir=Path(files),
            line_monthly_quota=10 * args.students,
        )
        app = create_app(settings, db=db, queue="manual", clock=clock, sleep=lambda s: None)
        try:
            ok = run_reminder(app, line.platform, clock, REMIND_PICK, "remind_pick")
            ok &= run_reminder(
                app, line.platform, clock, REMIND_UPLOAD, "remind_upload_course_outcomes"
            )
        finally:
            app.extensions["portfolio"].line.close()
            db.dispose()
    print("\nall OK" if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
