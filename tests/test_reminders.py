"""The schedule runs itself: an academic year tick by tick, quiet hours, double ticks, Redis wiped.

Time is a FrozenClock moved by hand; ticks run the real tick code (jobs.reminders.run, then the
delivery job) against PostgreSQL and the local LINE platform.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from jobs import delivery, notice_plan, reminders
from jobs.tick import run_parts
from storage.clock import TAIPEI, FrozenClock, at_taipei
from storage.models.line import SENT, LineAccount, OutboxMessage
from storage.models.picking import PickConfirmation, ReceiptItem, ReceiptList
from storage.models.portfolio import DRAFT, PENDING, CourseOutcome
from storage.models.schedule import ReminderDelivery
from storage.models.school import SchoolClass, Staff, StaffRole, Student
from tests.school import CREATED, REGISTRAR, STUDENTS_101, STUDENTS_102, School

TEACHING = "Uteach"  # 教學組
ACTIVITIES = "Uact"  # 訓育組
COUNSELLING = "Ucoun"  # 輔導室
HOMEROOM_301 = "Ut301"  # homeroom teacher of the grade-12 class 301
SENIOR = "Us30101"  # a grade-12 student
ALL_STUDENTS = [*STUDENTS_101, *STUDENTS_102, SENIOR]
LATE = "Us10106"  # binds after a notice went out
RECEIPTS_IMPORTED = datetime(2027, 7, 26, 10, 0, tzinfo=TAIPEI)


def taipei(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TAIPEI)


# --- the school, a little bigger than tests/school.py --------------------------------------------


def add_offices(db: Any, school: School) -> None:
    """Offices the schedule names (教學組, 訓育組, 輔導室) and a grade-12 class, all bound."""
    with db.transaction() as session:
        people = {}
        for uid, no, name, roles in (
            (TEACHING, "A002", "教學組長", ["教學組", "教學組長"]),
            (ACTIVITIES, "A003", "訓育組長", ["訓育組"]),
            (COUNSELLING, "A004", "輔導主任", ["輔導室"]),
            (HOMEROOM_301, "T301", "高三導師", ["任課教師", "導師"]),
        ):
            member = Staff(staff_no=no, name=name)
            member.roles = [StaffRole(role=r) for r in roles]
            session.add(member)
            session.flush()
            people[uid] = member.id
            session.add(
                LineAccount(
                    line_user_id=uid, staff_id=member.id, created_at=CREATED, bound_at=CREATED
                )
            )
        c301 = SchoolClass(code="301", grade=3, homeroom_teacher_id=people[HOMEROOM_301])
        session.add(c301)
        session.flush()
        senior = Student(
            student_no="113001", name="高三生", grade=3, class_id=c301.id, seat_no=1, entry_year=113
        )
        session.add(senior)
        session.flush()
        session.add(
            LineAccount(
                line_user_id=SENIOR, student_id=senior.id, created_at=CREATED, bound_at=CREATED
            )
        )
        school.students[SENIOR] = senior.id
        school.accounts.update(people)


def add_outcome(
    session: Any,
    school: School,
    uid: str,
    course: str,
    status: str,
    semester: int = 1,
    certifier: str | None = None,
) -> None:
    session.add(
        CourseOutcome(
            student_id=school.students[uid],
            course_id=school.courses[course],
            academic_year=115,
            semester=semester,
            summary="作品",
            status=status,
            created_at=CREATED,
            submitted_at=CREATED if status == PENDING else None,
            certifier_id=school.staff[certifier] if certifier else None,
        )
    )


def seed_year(db: Any, school: School) -> None:
    """Us10101 is at the 6-item limit, Us10102 has 2, Us10103 one unsent draft; Us10101 has
    confirmed their picks; Us10102 has a receipt item to answer."""
    add_offices(db, school)
    with db.transaction() as session:
        for course, certifier in (("101-國語文", "T001"), ("101-英語文", "T002")):
            for _ in range(3):
                add_outcome(session, school, "Us10101", course, PENDING, certifier=certifier)
        for _ in range(2):
            add_outcome(session, school, "Us10102", "101-數學", PENDING, certifier="T003")
        add_outcome(session, school, "Us10103", "101-數學", DRAFT)
        session.add(
            PickConfirmation(
                student_id=school.students["Us10101"], academic_year=115, confirmed_at=CREATED
            )
        )
        receipt = ReceiptList(
            academic_year=115,
            source_name="receipt.xlsx",
            source_sha256="0" * 64,
            imported_at=RECEIPTS_IMPORTED,
            respond_until=taipei(2027, 7, 30) - timedelta(microseconds=1),
        )
        session.add(receipt)
        session.flush()
        session.add(
            ReceiptItem(
                list_id=receipt.id,
                student_id=school.students["Us10102"],
                item_kind="course_outcome",
                item_id=1,
                reference="C1",
            )
        )


def set_the_years_dates(db: Any, rules: Any) -> Any:
    """What staff set during the year: semester 1's upload window runs past the start of
    semester 2 (the windows overlap), the submission dates the agency's letters give (grade
    12's before graduation), and the 收訖明細 import opens the receipt confirmation."""
    from school import windows
    from school.submission import set_submission_date

    with db.transaction() as session:
        windows.record_window_change(
            session,
            kind="upload",
            academic_year=115,
            semester=1,
            first_day=date(2026, 8, 31),
            last_day=date(2027, 2, 20),
            previous=(date(2026, 8, 31), date(2027, 2, 3)),
            now=CREATED,
        )
        set_submission_date(session, rules, 115, date(2027, 6, 8), CREATED, grade12=True)
        set_submission_date(session, rules, 115, date(2027, 7, 30), CREATED)
        windows.record_window_change(
            session,
            kind="receipt_confirmation",
            academic_year=115,
            semester=None,
            first_day=date(2027, 7, 26),
            last_day=date(2027, 7, 29),
            previous=(date(2027, 7, 26), date(2027, 7, 29)),
            now=RECEIPTS_IMPORTED,
        )
    with db.session() as session:
        effective = windows.effective_rules(session, rules)
    assert effective.overlaps()
    return effective


# --- ticking -------------------------------------------------------------------------------------


def tick(app: Any) -> dict[str, int]:
    svc = app.extensions["portfolio"]
    counts = reminders.run(svc)
    delivery.deliver_due(svc)
    return counts


def deliveries(db: Any) -> list[ReminderDelivery]:
    with db.session() as session:
        return list(session.scalars(select(ReminderDelivery).order_by(ReminderDelivery.id)))


def who_got(db: Any, school: School) -> dict[tuple[str, str], set[str]]:
    """(rule, period) → LINE users, from the delivery log."""
    by_key = {f"student:{sid}": uid for uid, sid in school.students.items()}
    with db.session() as session:
        for account in session.scalars(select(LineAccount)):
            for key in (f"staff:{account.staff_id}", f"guardian:{account.guardian_id}"):
                by_key.setdefault(key, account.line_user_id)
    got: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in deliveries(db):
        got[(row.rule, row.period)].add(by_key[row.recipient])
    return got


def sends(line: Any) -> list[str]:
    """The LINE calls that sent something (not the quota look-ups)."""
    return [
        r.path
        for r in line.requests
        if r.path in ("/v2/bot/message/push", "/v2/bot/message/multicast")
    ]


def alt_texts(line: Any, user: str) -> list[str]:
    return [msg.get("altText") or msg.get("text", "") for msg in line.messages_for(user)]


def tick_instants(rules: Any, first: datetime, last: datetime) -> list[datetime]:
    """Every instant something falls due, plus ticks around it: before, twice at it, at night."""
    due = {o.due for o in rules.due_between(first, last)}
    for kind in rules.required_events:
        deadline = rules.event_deadline(kind, 115)
        local = deadline.astimezone(TAIPEI).date()
        due.add(at_taipei(local - timedelta(days=14), 9))
        due.add(at_taipei(local + timedelta(days=1), 9))
    for semester in rules.year(115).semesters.values():
        for kind in rules.semester_events:
            local = rules.semester_event_deadline(kind, semester).astimezone(TAIPEI).date()
            due.add(at_taipei(local - timedelta(days=14), 9))
            due.add(at_taipei(local + timedelta(days=1), 9))
    instants: set[datetime] = set()
    for when in due:
        instants.update(
            {
                when - timedelta(hours=1),
                when,
                when + timedelta(minutes=5),
                at_taipei(when.astimezone(TAIPEI).date(), 23, 30),
            }
        )
    return sorted(i for i in instants if first < i <= last)


# --- the whole year ------------------------------------------------------------------------------


STUDENTS_BELOW_LIMIT_1 = set(ALL_STUDENTS) - {"Us10101"}
# Grade 12 picks before graduation, on its own window; the others in July.
UNCONFIRMED = set(ALL_STUDENTS) - {"Us10101", SENIOR}
# Grade 12's last semester closed in May: its June and July upload notices skip the senior.
BELOW_GRADE_12 = set(ALL_STUDENTS) - {SENIOR}
EXPECTED = {
    ("row:basic_data_check", "115-1"): {REGISTRAR},
    ("row:basic_data_check", "115-2"): {REGISTRAR},
    ("row:course_codes_check", "115-1"): {REGISTRAR, TEACHING},
    ("row:course_codes_check", "115-2"): {REGISTRAR, TEACHING},
    ("row:cadre_records", "115-1"): {ACTIVITIES},
    ("row:cadre_records", "115-2"): {ACTIVITIES},
    ("row:grades_entry", "115@10-01"): {REGISTRAR},
    ("row:grades_entry", "115@04-01"): {REGISTRAR},
    ("row:autobiography_guidance", "115-2"): {SENIOR, HOMEROOM_301, COUNSELLING},
    ("row:notify_upload_course_outcomes", "115-1"): STUDENTS_BELOW_LIMIT_1,
    ("row:notify_upload_course_outcomes", "115-2"): BELOW_GRADE_12,
    ("row:notify_upload_performances", "115-1"): set(ALL_STUDENTS),
    ("row:notify_upload_performances", "115-2"): set(ALL_STUDENTS),
    ("row:homeroom_upload_progress", "115-1"): {"Utwang", "Utlin", HOMEROOM_301},
    ("row:homeroom_upload_progress", "115-2"): {"Utwang", "Utlin", HOMEROOM_301},
    ("row:remind_upload_course_outcomes", "115-1"): STUDENTS_BELOW_LIMIT_1,
    ("row:remind_upload_course_outcomes", "115-2"): BELOW_GRADE_12,
    # 附表二 五 督導: the 數學 convener, and the teachers whose students have not all uploaded.
    ("row:convener_supervision", "115-1"): {"Utchen"},
    ("row:convener_supervision", "115-2"): {"Utchen"},
    ("row:teacher_supervision", "115-1"): {"Utwang", "Utlin", "Utchen"},
    ("row:teacher_supervision", "115-2"): {"Utwang", "Utlin", "Utchen"},
    ("row:consultation_records", "115-1"): {"Ucons"},
    ("row:consultation_records", "115-2"): {"Ucons"},
    # Only certifiers with pending items; none are pending in semester 2.
    ("row:notify_certify", "115-1"): {"Utwang", "Utlin", "Utchen"},
    ("row:remind_certify", "115-1"): {"Utwang", "Utlin", "Utchen"},
    ("row:notify_pick_course_outcomes", "115"): UNCONFIRMED,
    ("row:notify_pick_performances", "115"): UNCONFIRMED,
    ("row:remind_pick", "115"): UNCONFIRMED,
    ("row:notify_pick_grade12", "115"): {SENIOR},
    ("row:remind_pick_grade12", "115"): {SENIOR},
    ("row:submit_grade12", "115"): {TEACHING, ACTIVITIES},
    ("row:submit_course_outcomes", "115"): {TEACHING},
    ("row:submit_performances", "115"): {ACTIVITIES},
    ("row:confirm_receipt", "115"): {"Us10102"},
    # Rule 六: nothing was planned all year, so the offices heard before and after each month.
    ("event_required:student_training", "115:missing"): {REGISTRAR},
    ("event_required:student_training", "115:overdue"): {REGISTRAR},
    ("event_required:teacher_workshop", "115:missing"): {REGISTRAR},
    ("event_required:teacher_workshop", "115:overdue"): {REGISTRAR},
    ("event_required:parent_briefing", "115:missing"): {REGISTRAR, COUNSELLING},
    ("event_required:parent_briefing", "115:overdue"): {REGISTRAR, COUNSELLING},
    # 附表一: each semester's workshop (教學組) and training (輔導室); the school has no
    # 執行秘書 on LINE, so the working group's meeting reminder reaches nobody.
    ("event_required:teaching_workshop", "115-1:missing"): {TEACHING},
    ("event_required:teaching_workshop", "115-1:overdue"): {TEACHING},
    ("event_required:teaching_workshop", "115-2:missing"): {TEACHING},
    ("event_required:teaching_workshop", "115-2:overdue"): {TEACHING},
    ("event_required:counselling_training", "115-1:missing"): {COUNSELLING},
    ("event_required:counselling_training", "115-1:overdue"): {COUNSELLING},
    ("event_required:counselling_training", "115-2:missing"): {COUNSELLING},
    ("event_required:counselling_training", "115-2:overdue"): {COUNSELLING},
}


def test_a_whole_academic_year_tick_by_tick(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    rules = set_the_years_dates(db, app.extensions["portfolio"].rules)
    first, last = taipei(2026, 8, 1), taipei(2027, 7, 31, 23, 59)
    for instant in tick_instants(rules, first, last):
        clock.set(instant)
        tick(app)

    got = who_got(db, school)
    assert dict(got) == EXPECTED

    # On time: each was handed over exactly when due (the ticks ran at the due instants) ...
    due_at = {
        (f"row:{o.row.id}", notice_plan.period_of(o)): o.due for o in rules.due_between(first, last)
    }
    for row in deliveries(db):
        if row.rule.startswith("row:"):
            assert row.created_at == due_at[(row.rule, row.period)], row.rule
        assert row.created_at == row.due_at or row.rule.startswith("event_required")
    # ... and nothing reached a phone in the quiet hours.
    with db.session() as session:
        sent = list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == SENT)))
    assert sent and all(not rules.is_quiet(r.sent_at) for r in sent)
    assert all(r.sent_as in ("push", "multicast") for r in sent)

    # Where each student stands, in their own words.
    us10102 = alt_texts(line, "Us10102")
    # Semester 1's window ran into semester 2's days (overlap): its notices followed it.
    assert any("本學期已上傳 2/6 件，截止 2/20。" in t for t in us10102)
    us10103 = alt_texts(line, "Us10103")
    assert any("本學期已上傳 0/6 件" in t and "1 件草稿" in t for t in us10103)
    assert not any("本學期已上傳 6/6" in t for t in alt_texts(line, "Us10101"))
    chen = alt_texts(line, "Utchen")
    assert any("目前有 2 件等您認證，截止 3/1。" in t for t in chen)
    assert any("1 筆收訖明細" in t for t in us10102)
    assert any("101 班還有 4 位同學" in t for t in alt_texts(line, "Utwang"))

    # Quota is charged once per person per tick: what one person is due together is one push.
    pushes = {(row.recipient, row.created_at) for row in deliveries(db)}
    assert line.pushes_counted() == len(pushes) < sum(len(v) for v in EXPECTED.values())


def test_a_persons_notices_due_together_travel_in_one_push(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    clock.set(taipei(2026, 9, 3, 9, 0))
    counts = tick(app)
    assert counts["row"] == 3  # basic data + course codes for 註冊組, course codes for 教學組
    registrar = line.messages_for(REGISTRAR)
    assert [m["kind"] for m in registrar] == ["push", "push"]  # one request, two cards
    assert len({d.request_id for d in line.deliveries if d.to == REGISTRAR}) == 1
    assert line.pushes_counted() == 2  # one per person, not one per notice
    footer = registrar[0]["contents"]["footer"]["contents"][0]["action"]
    assert footer["type"] == "postback" and footer["data"] == "menu:todo"


def test_identical_notices_share_one_multicast(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    clock.set(taipei(2027, 7, 22, 9, 0))  # picking starts: two notices to the unconfirmed
    tick(app)
    assert sends(line) == ["/v2/bot/message/multicast"]
    assert line.pushes_counted() == len(UNCONFIRMED)
    message = line.messages_for("Us10102")[0]
    button = message["contents"]["footer"]["contents"][0]["action"]
    assert button["data"] == "menu:pick"
    assert "確認送出" in message["altText"]
    assert line.messages_for("Us10101") == []  # confirmed already


def test_a_double_tick_sends_nothing_twice(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    clock.set(taipei(2027, 1, 13, 9, 0))
    first = tick(app)
    assert first["row"] == 2 * len(STUDENTS_BELOW_LIMIT_1) + 1  # two notices each, + Us10101
    counted = line.pushes_counted()
    second = tick(app)
    assert "row" not in second
    clock.advance(hours=2)
    assert "row" not in tick(app)
    assert line.pushes_counted() == counted


def test_quiet_hours_hold_what_is_due_until_morning(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    # The worker was down all day on 9/3; it comes back at 23:30, inside the quiet hours.
    clock.set(taipei(2026, 9, 3, 23, 30))
    assert tick(app) == {"quiet": 1}
    clock.set(taipei(2026, 9, 4, 6, 59))
    assert tick(app) == {"quiet": 1}
    assert line.pushes_counted() == 0
    clock.set(taipei(2026, 9, 4, 7, 0))
    counts = tick(app)
    assert counts["row"] == 3
    assert {d.at for d in line.deliveries} == {taipei(2026, 9, 4, 7, 0)}


def test_missed_ticks_catch_up_within_the_horizon_only(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    clock.set(taipei(2026, 9, 3, 9, 0) + notice_plan.CATCH_UP - timedelta(minutes=1))
    assert tick(app)["row"] == 3
    # Grades (10/1) caught up a day late is useful; four days late, a newer tick has moved on.
    clock.set(taipei(2026, 10, 1, 9, 0) + notice_plan.CATCH_UP + timedelta(hours=1))
    assert "row" not in tick(app)


def test_a_student_bound_after_the_notice_still_gets_it(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    with db.transaction() as session:
        late = session.scalars(select(LineAccount).where(LineAccount.line_user_id == LATE)).one()
        late.student_id = None
    clock.set(taipei(2027, 1, 13, 9, 0))
    tick(app)
    assert line.messages_for(LATE) == []
    with db.transaction() as session:
        late = session.scalars(select(LineAccount).where(LineAccount.line_user_id == LATE)).one()
        late.student_id = school.students[LATE]
    clock.advance(hours=3)
    tick(app)
    assert len(line.messages_for(LATE)) == 2
    clock.advance(hours=3)
    tick(app)
    assert len(line.messages_for(LATE)) == 2


def test_the_upload_reminder_passes_over_students_at_the_limit(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    clock.set(taipei(2027, 1, 31, 9, 0))  # the last call, 3 days before uploads close
    tick(app)
    assert line.messages_for("Us10101") == []
    [last_call] = line.messages_for("Us10104")
    assert "2/3 截止" in last_call["altText"] and "0/6" in last_call["altText"]
    with db.session() as session:
        row = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.purpose == "schedule:row:remind_upload_course_outcomes"
            )
        ).first()
    assert row is not None and row.priority == "urgent"


def test_the_tick_recomputes_from_the_database_after_redis_is_wiped(
    db: Any,
    line: Any,
    _emulator: Any,
    clock: FrozenClock,
    tmp_path: Any,
    redis_url: str,
    school: School,
) -> None:
    """Ticks go through rq on the real Redis; wiping Redis loses queued ticks, never notices."""
    from redis import Redis
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from bot import create_app
    from jobs.queue import DEFAULT
    from runtime.queue import RqJobQueue
    from tests.conftest import make_settings

    seed_year(db, school)
    queue = RqJobQueue(redis_url)
    settings = make_settings(db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token)
    app = create_app(settings, db=db, queue=queue, clock=clock, sleep=lambda s: None)
    redis = Redis.from_url(redis_url)

    def work() -> None:
        worker = SimpleWorker([queue.queue(DEFAULT)], connection=redis, serializer=JSONSerializer)
        with app.app_context():
            worker.work(burst=True)

    try:
        clock.set(taipei(2026, 9, 3, 9, 0))
        queue.enqueue("jobs.tick.tick")
        redis.flushdb()  # Redis lost before a worker ran the tick
        clock.set(taipei(2026, 9, 3, 9, 5))
        queue.enqueue("jobs.tick.tick")
        work()
        assert len(line.messages_for(REGISTRAR)) == 2
        assert len(line.messages_for(TEACHING)) == 1
        redis.flushdb()
        clock.set(taipei(2026, 9, 3, 9, 10))
        queue.enqueue("jobs.tick.tick")
        queue.enqueue("jobs.tick.tick")
        work()
        assert len(line.messages_for(REGISTRAR)) == 2
        assert len(deliveries(db)) == 3
    finally:
        app.extensions["portfolio"].line.close()
        redis.close()


def test_the_tick_runs_through_rqs_tick_entry_point(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    clock.set(taipei(2026, 10, 1, 9, 0))
    results = run_parts(app.extensions["portfolio"])
    assert results["jobs.reminders"]["row"] == 1
    assert results["delivery"]["sent"] >= 1
    assert len(line.messages_for(REGISTRAR)) == 1


def test_cron_table_registers_the_tick_with_rqs_scheduler(redis_url: str) -> None:
    """jobs/cron.py as `rq cron jobs.cron` loads it; the jobs it enqueues are readable as JSON."""
    from redis import Redis
    from rq import Queue
    from rq.cron import CronScheduler
    from rq.job import Job
    from rq.serializers import JSONSerializer

    redis = Redis.from_url(redis_url)
    try:
        scheduler = CronScheduler(connection=redis)
        scheduler.load_config_from_file("jobs.cron")
        jobs = {j.name: j for j in scheduler.get_jobs()}
        assert set(jobs) == {"sweep", "tick"}
        assert jobs["tick"].func_name == "jobs.tick.tick"
        assert jobs["tick"].interval == 300 and jobs["tick"].queue_name == "default"
        assert jobs["sweep"].func_name == "jobs.inbox.sweep"
        # Interval jobs run at once on start-up, then every interval: enqueue without sleeping.
        enqueued = scheduler.enqueue_jobs()
        assert {j.name for j in enqueued} == {"sweep", "tick"}
        assert scheduler.enqueue_jobs() == []  # not due again until the interval passes
        queue = Queue("default", connection=redis, serializer=JSONSerializer)
        names = {
            Job.fetch(i, connection=redis, serializer=JSONSerializer).func_name
            for i in queue.job_ids
        }
        assert names == {"jobs.tick.tick", "jobs.inbox.sweep"}
    finally:
        redis.close()


def test_default_rules_name_only_flows_the_bot_can_start() -> None:
    from catalogue import TEXTS
    from rules.reader import DEFAULT_RULES_PATH, check_rules_file

    rules = check_rules_file(
        DEFAULT_RULES_PATH, known_text_keys=TEXTS.keys(), known_flows=notice_plan.FLOW_ACTIONS
    )
    for row in rules.schedule:
        assert row.flow is None or notice_plan.button_for(row.flow) is not None


@pytest.mark.parametrize("day", [date(2026, 9, 3), date(2027, 2, 14)])
def test_period_keys_are_stable(day: date) -> None:
    from rules.reader import load_rules

    rules = load_rules(None)
    due = rules.due_between(at_taipei(day), at_taipei(day + timedelta(days=1)))
    assert {notice_plan.period_of(o) for o in due} == {"115-1" if day.month == 9 else "115-2"}


def test_a_row_the_file_got_wrong_does_not_stop_the_others(
    db: Any,
    line: Any,
    _emulator: Any,
    clock: FrozenClock,
    tmp_path: Any,
    school: School,
    caplog: Any,
) -> None:
    from bot import create_app
    from rules.reader import DEFAULT_RULES_PATH, parse_rules
    from tests.conftest import make_settings

    row = (
        '\n[[schedule]]\nid = "{id}"\nwhat = "測試"\naudience = "registrar"\n'
        'when = "on 08-10"\ntext = "{text}"\n'
    )
    toml = (
        DEFAULT_RULES_PATH.read_text(encoding="utf-8")
        # In the summer break there is no semester, so no upload deadline to name.
        + row.format(id="broken", text="rules.notice.upload_course_outcomes")
        + row.format(id="fine", text="rules.notice.grades_entry")
    )
    rules = parse_rules(toml, "school.toml")
    settings = make_settings(db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token)
    app = create_app(
        settings, db=db, queue="manual", clock=clock, sleep=lambda s: None, rules=rules
    )
    try:
        clock.set(taipei(2026, 8, 10, 9, 0))
        counts = tick(app)
    finally:
        app.extensions["portfolio"].line.close()
    assert counts["row"] == 1
    assert "學業成績" in line.messages_for(REGISTRAR)[0]["altText"]
    assert "schedule row broken cannot be planned" in caplog.text
