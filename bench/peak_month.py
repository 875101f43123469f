"""The peak month's LINE bill: all of January for a school of 1,500 students, through the real code.

bench/semester_quota.py counts certification pushes only. Here the whole periodic tick runs
(jobs.tick.run_parts: the reminders the school's rules require — upload notices and last calls,
certification notices, homeroom progress, events —, certification pushes, records, lifecycle and
the monthly budget), five times a day from 2027-01-01 to 2027-01-31, with the same school,
submissions and teacher behaviour as semester_quota (its seed, its plan, its teachers working
through their cards), a homeroom teacher for every class, plus two announcements and one
training for grade 1 (the seed school has no guardians, so notices to parents are not in these
figures). Approval
notices ride on replies (the rules' default). LINE is the local platform; every push and
multicast goes through line-bot-sdk over HTTP.

Printed: messages LINE counts (a multicast to n people is n messages) by kind against the
6,000-message plan; whether the budget held any required reminder; reminders that did not
reach the people they are for.

Run: .venv/bin/python bench/peak_month.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import semester_quota as sq  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from dev.emulator.server import EmulatorServer  # noqa: E402
from storage.clock import FrozenClock, at_taipei  # noqa: E402

PLAN = 6000
FIRST_DAY = date(2027, 1, 1)
LAST_DAY = date(2027, 1, 31)


def add_school_news(db: Any, now: datetime) -> None:
    """What the office adds in a January: two announcements, one training for grade 1."""
    from storage.models.schedule import Announcement, SchoolEvent

    everyone = {"students": True, "teachers": True, "guardians": True}
    with db.transaction() as s:
        s.add(
            Announcement(
                created_at=now,
                created_by="office",
                source="office",
                source_id=None,
                audience=everyone,
                body="期末學習歷程上傳截止前，請確認檔案都已送出。",
                action=None,
                action_label=None,
                priority="normal",
                until=now + timedelta(days=10),
            )
        )
        later = now + timedelta(days=16)
        s.add(
            Announcement(
                created_at=later,
                created_by="office",
                source="office",
                source_id=None,
                audience={"students": True},
                body="寒假期間系統照常開放。",
                action=None,
                action_label=None,
                priority="low",
                until=later + timedelta(days=7),
            )
        )
        s.add(
            SchoolEvent(
                kind="student_training",
                title="高一學習歷程上傳說明",
                academic_year=115,
                starts_at=now + timedelta(days=6, hours=5),
                place="大禮堂",
                audience={"students": True, "grades": [1]},
                created_at=now,
                created_by="office",
            )
        )


def add_homerooms(db: Any) -> int:
    """Every class gets a homeroom teacher (導師) from the staff, who hears of the class's
    progress as the rules say."""
    from storage.models.school import SchoolClass, Staff, StaffRole

    with db.transaction() as s:
        staff = list(s.scalars(select(Staff).order_by(Staff.id)))
        classes = list(s.scalars(select(SchoolClass).order_by(SchoolClass.id)))
        for k, cls in enumerate(classes):
            teacher = staff[k % len(staff)]
            cls.homeroom_teacher_id = teacher.id
            s.add(StaffRole(staff_id=teacher.id, role="導師"))
        return len(classes)


def run(args: argparse.Namespace) -> bool:
    from bot import create_app
    from jobs import tick
    from rules.reader import DEFAULT_RULES_PATH, parse_rules
    from runtime.config import Settings
    from storage import crypto
    from storage.db import Database
    from storage.models.line import DEAD, HELD, PENDING, SENT, OutboxMessage
    from storage.models.schedule import EXPIRED

    rng = random.Random(sq.SEED)
    students = round(sq.STUDENTS * args.scale)
    teachers = max(len(sq.SUBJECTS), round(sq.TEACHERS * args.scale))
    total = round(sq.SUBMISSIONS * args.scale)
    # The school is on the 6,000-message plan: the rules' monthly budget says so.
    rules = parse_rules(
        DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
            "monthly_quota = 3000", f"monthly_quota = {PLAN}"
        )
    )
    start = at_taipei(FIRST_DAY, 0, 0)
    end = at_taipei(LAST_DAY + timedelta(days=1), 0, 0)
    clock = FrozenClock(start)
    crypto.configure(sq.SECRET_KEY)
    with (
        sq.database(False) as url,
        EmulatorServer(clock=clock) as line,
        tempfile.TemporaryDirectory(prefix="peak-month-files-") as files,
    ):
        platform = line.platform
        platform.quota = PLAN  # the plan's limit, as LINE would report it
        db = Database(url)
        school = sq.seed(db, students, teachers)
        homerooms = add_homerooms(db)
        plan = [p for p in sq.plan_submissions(rng, school, total) if p[0] < end]
        add_school_news(db, at_taipei(FIRST_DAY + timedelta(days=3), 9, 0))
        settings = Settings(
            line_channel_secret=sq.CHANNEL_SECRET,
            line_channel_access_token=line.channel_access_token,
            secret_key=sq.SECRET_KEY,
            database_url=url,
            line_api_base_url=line.base_url,
            storage_dir=Path(files),
            public_base_url="https://portfolio.example.edu.tw",
            line_timeout_seconds=5.0,
            line_monthly_quota=PLAN,
        )
        app = create_app(
            settings, db=db, queue="manual", clock=clock, sleep=lambda s: None, rules=rules
        )
        svc = app.extensions["portfolio"]
        logging.getLogger().setLevel(logging.WARNING)  # a month of webhook lines otherwise
        chat = sq.Person(app, platform, clock)
        stats = sq.Stats()
        pending_plan = [(w, s, c, None) for w, s, c in plan]
        redo: list[tuple[datetime, int, int, int | None]] = []
        pushed_today: set[str] = set()
        last_push: dict[str, list[dict[str, Any]]] = {}
        started = time.perf_counter()
        day, previous, redo_checked = FIRST_DAY, clock.now(), clock.now()
        while day <= LAST_DAY:
            pushed_today.clear()
            for hour in sq.SLOTS:
                now = at_taipei(day, hour)
                clock.set(now)
                due = [p for p in pending_plan + redo if previous < p[0] <= now]
                pending_plan = [p for p in pending_plan if p[0] > now]
                redo = [p for p in redo if p[0] > now]
                sq.submit(db, due, stats)
                seen_before = len(platform.deliveries)
                with app.app_context():
                    tick.run_parts(svc)
                for d in platform.deliveries[seen_before:]:
                    if d.kind == "push" and d.to in school.teacher_uids:
                        if d.to not in pushed_today:
                            last_push[d.to] = []
                        pushed_today.add(d.to)
                        last_push[d.to].append(d.message)
                if hour == 12:
                    for staff_id in sq.teachers_with_pending(db):
                        if rng.random() < sq.SELF_SERVE_SHARE:
                            uid = school.uid_of_staff[staff_id]
                            sq.work_through(chat, uid, chat.say(uid, "待認證"), rng, stats)
                if hour == 19:
                    for uid in sorted(pushed_today):
                        if rng.random() < sq.WORK_THE_PUSH_SHARE:
                            sq.work_through(chat, uid, last_push[uid], rng, stats)
                if hour == 21:
                    for student in sq.students_with_news(db):
                        if rng.random() < sq.STUDENT_TALKS_SHARE:
                            chat.say(school.student_uid[student], "說明")
                    for rejected, student, course in sq.rejected_to_redo(db, redo_checked, now):
                        when = now + timedelta(hours=rng.randint(10, 72))
                        redo.append((when, student, course, rejected))
                    redo_checked = now
                previous = now
            day += timedelta(days=1)
        elapsed = time.perf_counter() - started

        with db.session() as s:
            sent = s.execute(
                select(
                    OutboxMessage.purpose,
                    OutboxMessage.priority,
                    func.sum(OutboxMessage.cost),
                    func.count(),
                )
                .where(
                    OutboxMessage.status == SENT,
                    OutboxMessage.sent_at >= start,
                    OutboxMessage.sent_at < end,
                )
                .group_by(OutboxMessage.purpose, OutboxMessage.priority)
            ).all()
            unsent = s.execute(
                select(
                    OutboxMessage.purpose,
                    OutboxMessage.priority,
                    OutboxMessage.status,
                    func.count(),
                )
                .where(OutboxMessage.status.in_((HELD, PENDING, DEAD, EXPIRED)))
                .group_by(OutboxMessage.purpose, OutboxMessage.priority, OutboxMessage.status)
            ).all()
        total_cost = sum(int(cost or 0) for _, _, cost, _ in sent)
        by_kind: Counter[str] = Counter()
        for purpose, priority, cost, _ in sent:
            by_kind[f"{purpose} ({priority})"] += int(cost or 0)
        print(
            f"\npeak month {FIRST_DAY} .. {LAST_DAY}: {students:,} students, {teachers} "
            f"teachers ({homerooms} of them homeroom teachers), {stats.submissions:,} submissions;"
            f" simulated in {elapsed:.0f} s"
        )
        print("messages LINE counts (per recipient), by kind (priority):")
        for kind, cost in sorted(by_kind.items(), key=lambda kv: -kv[1]):
            if cost:
                print(f"  {kind:<44} {cost:>7,}")
        print(
            f"  {'total':<44} {total_cost:>7,}   plan {PLAN:,}   "
            f"(LINE's own count: {platform.pushes_counted():,})"
        )
        required_held = [(p, pr, st, n) for p, pr, st, n in unsent if pr != "low"]
        print("not sent at the end of the month (purpose, priority, status, rows):")
        for row in unsent:
            print(f"  {row[0]:<28} {row[1]:<8} {row[2]:<8} {row[3]:>6}")
        if not unsent:
            print("  none")
        ok_total = total_cost <= PLAN
        ok_required = not [r for r in required_held if r[2] in (HELD, DEAD, EXPIRED)]
        print(f"\n{'met' if ok_total else 'NOT met'}: total {total_cost:,} <= {PLAN:,}")
        stuck = sum(r[3] for r in required_held if r[2] != PENDING)
        # (expired: held by the budget until it was of no use, then dropped)
        print(
            f"{'met' if ok_required else 'NOT met'}: the budget held no required reminder "
            f"(required rows held or dead: {stuck})"
        )
        svc.line.close()
        db.dispose()
        return ok_total and ok_required


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the school (students, teachers, submissions)",
    )
    return 0 if run(parser.parse_args()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
