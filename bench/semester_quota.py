"""End of semester on a LINE budget: pushes counted by this design next to the naive one.

A school of 1,500 students and 120 teachers; about 6,000 course outcomes are sent in the last
three weeks before uploads close (2027-01-14 .. 2027-02-03, busier towards the end), 5% are
rejected and re-uploaded, and certification runs on to the window's end (2027-02-10), with
escalation three days before. Everything goes through the real code: submissions through
school.certification.submit, every teacher tap and student message through the signed webhook
(the Flask app, the inbox job, the flows), the periodic tick through jobs.certification.run and
jobs.delivery.deliver_due (line-bot-sdk over HTTP to the local LINE platform, bot/emulator).

Behaviour, drawn with a fixed seed:
  - at noon a quarter of the teachers with pending items open 待認證 themselves (a free reply);
  - the tick pushes each teacher at most once a day (16:00), only when something new arrived;
  - in the evening 85% of the teachers pushed that day work through the cards: 退回 with a
    reason for the 5%, then 通過 one by one, or 全部通過本頁 (confirmed) for a page of three or
    more, 下一頁 until done;
  - at night 15% of the students with unseen approvals talk to the bot (and hear them free).
The tick runs five times a day (08, 12, 16, 19, 21 h) instead of every five minutes: what it
sends depends on the time of day and the database, not on how often it runs (running it twice
sends nothing twice; the tests show that).

Naive design: one push to the teacher per submission and one to the student per decision.
Goal: pushes ≤ 1/4 of the naive count, and no teacher more than one certification push a day.

Run: .venv/bin/python bench/semester_quota.py [--scale 1.0] [--postgres]
                                               [--cadence 16:00|immediate]
                                               [--approval-notice next_reply|daily_digest]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from dev.emulator.server import EmulatorServer  # noqa: E402
from storage.clock import TAIPEI, FrozenClock, at_taipei, taipei_date  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHANNEL_SECRET = "bench-channel-secret-0123456789abcdef"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
SEED = 20270203

STUDENTS = 1500
TEACHERS = 120
SUBMISSIONS = 6000
SUBJECTS = ("國語文", "英語文", "數學", "物理", "化學", "生物", "地理", "歷史", "公民", "藝術")
CLASSES = 40
FIRST_UPLOAD_DAY = date(2027, 1, 14)
UPLOAD_DAYS = 21  # .. 2027-02-03, the last upload day of 115-1
LAST_DAY = date(2027, 2, 10)  # the last certification day of 115-1
SLOTS = (8, 12, 16, 19, 21)
REJECT_SHARE = 0.05
SELF_SERVE_SHARE = 0.25
WORK_THE_PUSH_SHARE = 0.85
STUDENT_TALKS_SHARE = 0.15
PAGE_APPROVE_FROM = 3
REASONS = ("非本人作品", "科目不符", "檔案無法開啟", "內容不完整")


# --- set-up ------------------------------------------------------------------------------------


@contextmanager
def database(use_postgres: bool) -> Iterator[str]:
    from storage import migrate

    if not use_postgres:
        # In memory where the system offers it: the figures are message counts, not disk speed.
        shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
        with tempfile.TemporaryDirectory(prefix="semester-quota-", dir=shm) as scratch:
            url = f"sqlite:///{scratch}/portfolio.sqlite"
            migrate.upgrade(url)
            yield url
        return
    with migrate.throwaway_postgres(PG_ADMIN, "portfolio_bench") as url:
        yield url


class School:
    def __init__(self) -> None:
        self.student_ids: list[int] = []
        self.student_uid: dict[int, str] = {}
        self.student_class: dict[int, int] = {}
        self.teacher_uids: set[str] = set()
        self.uid_of_staff: dict[int, str] = {}
        self.class_courses: dict[int, list[int]] = {}


def seed(db: Any, students: int, teachers: int) -> School:
    """Classes of ~37, ten subjects each, teachers spread over the subjects (the first teacher
    of each subject is its 科召集人); everyone bound to LINE."""
    from storage.models.line import LineAccount
    from storage.models.school import Course, SchoolClass, Staff, StaffRole, Student, Term

    created = datetime(2026, 9, 1, 8, 0, tzinfo=TAIPEI)
    school = School()
    with db.transaction() as s:
        term = Term(academic_year=115, semester=1)
        s.add(term)
        staff: list[Staff] = []
        for n in range(teachers):
            subject = SUBJECTS[n % len(SUBJECTS)]
            member = Staff(staff_no=f"T{n:04d}", name=f"老師{n}", subject=subject)
            member.roles = [StaffRole(role="任課教師")]
            if n < len(SUBJECTS):
                member.roles.append(StaffRole(role="科召集人"))
            staff.append(member)
        s.add_all(staff)
        s.flush()
        by_subject: dict[str, list[Staff]] = defaultdict(list)
        for member in staff:
            by_subject[member.subject or ""].append(member)
        n_classes = max(1, round(CLASSES * students / STUDENTS))
        classes = [
            SchoolClass(code=f"{1 + k // 14}{k % 14 + 1:02d}", grade=1 + k // 14 % 3)
            for k in range(n_classes)
        ]
        s.add_all(classes)
        s.flush()
        for k, cls in enumerate(classes):
            ids = []
            for subject in SUBJECTS:
                pool = by_subject[subject]
                course = Course(
                    term_id=term.id,
                    code=f"115{cls.code}{SUBJECTS.index(subject):02d}",
                    subject=subject,
                    class_id=cls.id,
                    teacher_id=pool[k % len(pool)].id,
                )
                s.add(course)
                s.flush()
                ids.append(course.id)
            school.class_courses[cls.id] = ids
        people = []
        for i in range(students):
            cls = classes[i % n_classes]
            people.append(
                Student(
                    student_no=f"S{i:05d}",
                    name=f"學生{i}",
                    grade=cls.grade,
                    class_id=cls.id,
                    seat_no=i // n_classes + 1,
                )
            )
        s.add_all(people)
        s.flush()
        for i, person in enumerate(people):
            uid = f"Ubs{i:05d}"
            s.add(
                LineAccount(
                    line_user_id=uid, student_id=person.id, created_at=created, bound_at=created
                )
            )
            school.student_ids.append(person.id)
            school.student_uid[person.id] = uid
            school.student_class[person.id] = person.class_id or 0
        for member in staff:
            uid = f"Ubt{member.id:04d}"
            s.add(
                LineAccount(
                    line_user_id=uid, staff_id=member.id, created_at=created, bound_at=created
                )
            )
            school.teacher_uids.add(uid)
            school.uid_of_staff[member.id] = uid
    return school


def plan_submissions(
    rng: random.Random, school: School, total: int
) -> list[tuple[datetime, int, int]]:
    """(when, student, course): ~4 per student over three weeks, busier towards the end."""
    weights = [1 + 2 * d / UPLOAD_DAYS for d in range(UPLOAD_DAYS)]
    plan = []
    per_student = Counter[int]()
    for _ in range(total):
        student = rng.choice(school.student_ids)
        if per_student[student] >= 6:  # the school's limit
            continue
        per_student[student] += 1
        day = FIRST_UPLOAD_DAY + timedelta(days=rng.choices(range(UPLOAD_DAYS), weights)[0])
        when = at_taipei(day, rng.randint(7, 21), rng.randint(0, 59))
        course = rng.choice(school.class_courses[school.student_class[student]])
        plan.append((when, student, course))
    return sorted(plan)


# --- what people do -----------------------------------------------------------------------------


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _action(node: Any, label: str) -> str | None:
    for n in _walk(node):
        if n.get("type") == "postback" and n.get("label") == label:
            return str(n["data"])
    return None


def _cards(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """Item cards, the 下一頁 data and the 全部通過本頁 data of a list or push."""
    cards: list[dict[str, Any]] = []
    next_page = page = None
    for message in messages:
        if message.get("type") != "flex":
            continue
        contents = message["contents"]
        for bubble in contents["contents"] if contents["type"] == "carousel" else [contents]:
            if _action(bubble, "通過"):
                cards.append(bubble)
            elif _action(bubble, "下一頁"):
                next_page = _action(bubble, "下一頁")
        for item in (message.get("quickReply") or {}).get("items", []):
            if item["action"].get("label") == "全部通過本頁":
                page = item["action"]["data"]
    return cards, next_page, page


class Person:
    """Talks to the bot as tests/support.Chat does (signed webhook body, the queued jobs run at
    once), but reads only the deliveries that arrived since its last look: the emulator's
    messages_for() copies a user's whole history, which costs more than the bot at this scale."""

    def __init__(self, app: Any, platform: Any, clock: FrozenClock) -> None:
        self.client = app.test_client()
        self.svc = app.extensions["portfolio"]
        self.platform = platform
        self.clock = clock

    def _post(self, event: dict[str, Any], user: str) -> list[dict[str, Any]]:
        from dev.emulator import events as ev

        self.clock.advance(timedelta(milliseconds=5))
        seen = len(self.platform.deliveries)
        body = ev.body([event])
        response = self.client.post(
            "/callback",
            data=body,
            headers={
                "X-Line-Signature": ev.sign(body, CHANNEL_SECRET),
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 200
        self.svc.queue.run_all()
        return [
            {**d.message, "kind": d.kind} for d in self.platform.deliveries[seen:] if d.to == user
        ]

    def say(self, user: str, words: str) -> list[dict[str, Any]]:
        from dev.emulator import events as ev

        return self._post(ev.text_event(user, words, platform=self.platform), user)

    def tap(self, user: str, data: str | None) -> list[dict[str, Any]]:
        from dev.emulator import events as ev

        assert data is not None
        return self._post(ev.postback_event(user, data, platform=self.platform), user)


class Stats:
    def __init__(self) -> None:
        self.submissions = 0
        self.replacements = 0
        self.approved = 0
        self.rejected = 0
        self.events = 0
        self.student_events = 0


def work_through(
    chat: Any, uid: str, messages: list[dict[str, Any]], rng: random.Random, stats: Stats
) -> None:
    """A teacher deciding every card of a list (or push), page by page."""
    for _ in range(100):
        cards, next_page, page = _cards(messages)
        keep = []
        for card in cards:
            if rng.random() < REJECT_SHARE:
                chat.tap(uid, _action(card, "退回"))
                chat.say(uid, rng.choice(REASONS))
                stats.events += 2
                stats.rejected += 1
            else:
                keep.append(card)
        if len(keep) >= PAGE_APPROVE_FROM and page:
            confirm = chat.tap(uid, page)
            answer = chat.tap(uid, _action(confirm, "確定通過"))
            stats.events += 2
            stats.approved += sum(int(w) for w in _numbers(answer, "已通過 ", " 件"))
        else:
            for card in keep:
                said = chat.tap(uid, _action(card, "通過"))
                stats.events += 1
                if said and "已通過：" in said[0].get("text", ""):
                    stats.approved += 1
        if not next_page:
            return
        messages = chat.tap(uid, next_page)
        stats.events += 1


def _numbers(messages: list[dict[str, Any]], before: str, after: str) -> list[str]:
    found = []
    for message in messages:
        body = message.get("text", "")
        if before in body:
            found.append(body.split(before, 1)[1].split(after, 1)[0])
    return found


# --- the simulation ------------------------------------------------------------------------------


def submit(db: Any, due: list[tuple[datetime, int, int, int | None]], stats: Stats) -> None:
    from school import certification as cert
    from storage.models.portfolio import CourseOutcome

    with db.transaction() as s:
        for when, student, course, replaces in due:
            outcome = CourseOutcome(
                student_id=student,
                course_id=course,
                academic_year=115,
                semester=1,
                summary="課程學習成果：實驗紀錄與心得",
                status="draft",
                created_at=when,
                replaces_id=replaces,
            )
            s.add(outcome)
            s.flush()
            cert.submit(s, outcome, when)
            stats.submissions += 1
            stats.replacements += replaces is not None


def rejected_to_redo(db: Any, since: datetime, until: datetime) -> list[tuple[int, int, int]]:
    from storage.models.portfolio import REJECTED, CourseOutcome

    with db.session() as s:
        return list(
            s.execute(
                select(CourseOutcome.id, CourseOutcome.student_id, CourseOutcome.course_id).where(
                    CourseOutcome.status == REJECTED,
                    CourseOutcome.decided_at >= since,
                    CourseOutcome.decided_at < until,
                )
            ).all()
        )


def teachers_with_pending(db: Any) -> list[int]:
    from storage.models.portfolio import PENDING, CourseOutcome

    with db.session() as s:
        return sorted(
            i
            for i in s.scalars(
                select(CourseOutcome.certifier_id).where(CourseOutcome.status == PENDING).distinct()
            )
            if i is not None
        )


def students_with_news(db: Any) -> list[int]:
    from school import certification as cert

    with db.session() as s:
        return cert.students_with_untold_approvals(s)


def run(args: argparse.Namespace) -> bool:
    from bot import create_app
    from jobs import certification as job
    from jobs import delivery
    from rules.reader import DEFAULT_RULES_PATH, parse_rules
    from runtime.config import Settings
    from storage import crypto
    from storage.db import Database
    from storage.models.line import OutboxMessage
    from storage.models.portfolio import PENDING, REJECTED, CourseOutcome

    rng = random.Random(SEED)
    students = round(STUDENTS * args.scale)
    teachers = max(len(SUBJECTS), round(TEACHERS * args.scale))
    total = round(SUBMISSIONS * args.scale)
    rules_text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    rules_text = rules_text.replace('push = "16:00"', f'push = "{args.cadence}"')
    rules_text = rules_text.replace(
        'approval_notice = "next_reply"', f'approval_notice = "{args.approval_notice}"'
    )
    rules = parse_rules(rules_text)

    clock = FrozenClock(at_taipei(FIRST_UPLOAD_DAY, 0, 0))
    crypto.configure(SECRET_KEY)
    with (
        database(args.postgres) as url,
        EmulatorServer(clock=clock) as line,
        tempfile.TemporaryDirectory(prefix="semester-quota-files-") as files,
    ):
        platform = line.platform
        platform.quota = 1_000_000
        db = Database(url)
        started = time.perf_counter()
        school = seed(db, students, teachers)
        plan = plan_submissions(rng, school, total)
        print(
            f"school: {students:,} students, {teachers} teachers, "
            f"{len(school.class_courses)} classes × {len(SUBJECTS)} courses; "
            f"{len(plan):,} first submissions planned "
            f"({'PostgreSQL' if args.postgres else 'SQLite'}; seeded in "
            f"{time.perf_counter() - started:.1f} s)"
        )
        print(f"rules: certification push {args.cadence}, approvals {args.approval_notice}")
        settings = Settings(
            line_channel_secret=CHANNEL_SECRET,
            line_channel_access_token=line.channel_access_token,
            secret_key=SECRET_KEY,
            database_url=url,
            line_api_base_url=line.base_url,
            storage_dir=Path(files),
            public_base_url="https://portfolio.example.edu.tw",
            line_timeout_seconds=5.0,
        )
        app = create_app(
            settings, db=db, queue="manual", clock=clock, sleep=lambda s: None, rules=rules
        )
        chat = Person(app, platform, clock)
        svc = app.extensions["portfolio"]
        stats = Stats()
        redo: list[tuple[datetime, int, int, int | None]] = []
        pending_plan: list[tuple[datetime, int, int, int | None]] = [
            (w, s, c, None) for w, s, c in plan
        ]
        pushed_today: set[str] = set()
        last_push: dict[str, list[dict[str, Any]]] = {}
        started = time.perf_counter()

        def tick() -> None:
            with app.app_context():
                job.run(svc)
                delivery.deliver_due(svc)

        day = FIRST_UPLOAD_DAY
        previous = redo_checked = clock.now()
        while day <= LAST_DAY:
            pushed_today.clear()
            for hour in SLOTS:
                now = at_taipei(day, hour)
                clock.set(now)
                due = [p for p in pending_plan + redo if previous < p[0] <= now]
                pending_plan = [p for p in pending_plan if p[0] > now]
                redo = [p for p in redo if p[0] > now]
                submit(db, due, stats)
                seen_before = len(platform.deliveries)
                tick()
                for d in platform.deliveries[seen_before:]:
                    if d.kind == "push" and d.to in school.teacher_uids:
                        if d.to not in pushed_today:
                            last_push[d.to] = []
                        pushed_today.add(d.to)
                        last_push[d.to].append(d.message)
                if hour == 12:
                    for staff_id in teachers_with_pending(db):
                        if rng.random() < SELF_SERVE_SHARE:
                            uid = school.uid_of_staff[staff_id]
                            work_through(chat, uid, chat.say(uid, "待認證"), rng, stats)
                            stats.events += 1
                if hour == 19:
                    for uid in sorted(pushed_today):
                        if rng.random() < WORK_THE_PUSH_SHARE:
                            work_through(chat, uid, last_push[uid], rng, stats)
                if hour == 21:
                    for student in students_with_news(db):
                        if rng.random() < STUDENT_TALKS_SHARE:
                            chat.say(school.student_uid[student], "說明")
                            stats.student_events += 1
                    # Rejected students re-upload within three days, while uploads are open.
                    for rejected, student, course in rejected_to_redo(db, redo_checked, now):
                        when = now + timedelta(hours=rng.randint(10, 72))
                        if taipei_date(when) < FIRST_UPLOAD_DAY + timedelta(days=UPLOAD_DAYS):
                            redo.append((when, student, course, rejected))
                    redo_checked = now
                previous = now
            day += timedelta(days=1)
        elapsed = time.perf_counter() - started

        # --- the figures ---
        teacher_days: dict[tuple[str, date], set[str]] = defaultdict(set)
        for d in platform.deliveries:
            if d.kind == "push" and d.to in school.teacher_uids:
                teacher_days[(d.to, taipei_date(d.at))].add(d.request_id)
        per_day = Counter(len(ids) for ids in teacher_days.values())
        most = max((len(ids) for ids in teacher_days.values()), default=0)
        with db.session() as s:
            by_purpose = dict(
                s.execute(
                    select(OutboxMessage.purpose, func.sum(OutboxMessage.cost))
                    .where(OutboxMessage.cost > 0)
                    .group_by(OutboxMessage.purpose)
                ).all()
            )
            decided = (
                s.scalar(
                    select(func.count())
                    .select_from(CourseOutcome)
                    .where(CourseOutcome.decided_at.is_not(None))
                )
                or 0
            )
            rejected = (
                s.scalar(
                    select(func.count())
                    .select_from(CourseOutcome)
                    .where(CourseOutcome.status == REJECTED)
                )
                or 0
            )
            still_pending = (
                s.scalar(
                    select(func.count())
                    .select_from(CourseOutcome)
                    .where(CourseOutcome.status == PENDING)
                )
                or 0
            )
            escalated = (
                s.scalar(
                    select(func.count())
                    .select_from(CourseOutcome)
                    .where(CourseOutcome.escalated_at.is_not(None))
                )
                or 0
            )
            told = (
                s.scalar(
                    select(func.count())
                    .select_from(CourseOutcome)
                    .where(
                        CourseOutcome.status == "certified",
                        CourseOutcome.decision_told_at.is_not(None),
                    )
                )
                or 0
            )
        counted = platform.pushes_counted()
        naive = stats.submissions + decided
        certified = decided - rejected
        print(
            f"\nsimulated {FIRST_UPLOAD_DAY} .. {LAST_DAY} in {elapsed:.0f} s "
            f"({stats.events:,} teacher and {stats.student_events:,} student webhook events)"
        )
        print(
            f"  submissions:           {stats.submissions:,} "
            f"(of which {stats.replacements:,} re-uploads after a rejection)"
        )
        print(
            f"  decisions:             {decided:,} ({rejected:,} rejected, "
            f"{rejected / max(decided, 1):.1%}); still pending at the end: "
            f"{still_pending:,}; escalated: {escalated:,}"
        )
        how = (
            "in a free reply"
            if args.approval_notice == "next_reply"
            else "in a free reply or the daily digest"
        )
        print(f"  approvals the students have heard of ({how}): {told:,} of {certified:,}")
        print("\npush messages counted by LINE (per recipient)")
        for purpose, cost in sorted(by_purpose.items()):
            print(f"  {purpose:<24} {int(cost):>7,}")
        print(f"  {'total (this design)':<24} {counted:>7,}")
        print(
            f"  {'naive design':<24} {naive:>7,}  "
            f"(one per submission to the teacher + one per decision to the student)"
        )
        ratio = counted / max(naive, 1)
        print(f"  ratio                    {ratio:.3f}  (goal ≤ 0.250)")
        print(
            f"\ncertification pushes per teacher per day: {dict(sorted(per_day.items()))} "
            f"(teacher-days with a push: {len(teacher_days):,}; most in one day: {most})"
        )
        goal_days = most <= 1 or args.cadence == "immediate"
        ok = ratio <= 0.25 and goal_days
        print(
            f"\n{'OK' if ok else 'GOAL MISSED'}: {counted:,} ≤ {naive / 4:,.0f} "
            f"and no teacher more than one certification push a day"
            + (" (not a goal under immediate cadence)" if args.cadence == "immediate" else "")
        )
        svc.line.close()
        db.dispose()
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the school (students, teachers, submissions)",
    )
    parser.add_argument("--postgres", action="store_true", help="the test PostgreSQL server")
    parser.add_argument("--cadence", default="16:00", help='"HH:MM" or "immediate"')
    parser.add_argument(
        "--approval-notice", default="next_reply", choices=("next_reply", "daily_digest")
    )
    return 0 if run(parser.parse_args()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
