"""`portfolio demo` (what `make run` starts without LINE credentials): a demo school on the local
LINE platform, the bot serving it, and instructions for chatting with it from a terminal."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from sqlalchemy import select

from dev.chat import DEMO_SECRET, DEMO_TOKEN
from dev.emulator import events as ev

DEMO_DIR = Path("instance")
BOT_PORT = 8000
EMULATOR_PORT = 8090

# (學號, 姓名, 班級, 座號)
STUDENTS = [
    ("115001", "李小明", "101", 1),
    ("115002", "陳怡君", "101", 2),
    ("115003", "張家豪", "101", 3),
    ("115101", "吳承恩", "102", 1),
    ("115102", "劉欣怡", "102", 2),
]
# (編號, 姓名, 角色, 科別)
STAFF = [
    ("T001", "王美玲", ["任課教師", "導師"], "國文"),
    ("T002", "林志明", ["任課教師", "導師"], "英文"),
    ("T003", "陳建宏", ["任課教師", "科召集人", "課程諮詢教師"], "數學"),
    ("A001", "張雅婷", ["註冊組", "註冊組長"], None),
]


def seed_demo(db: object, now: object) -> bool:
    """Seed the demo school once; returns False when it was already there."""
    from storage.models.line import LineAccount
    from storage.models.school import (
        Course,
        Enrolment,
        Guardian,
        GuardianLink,
        SchoolClass,
        Staff,
        StaffRole,
        Student,
        Term,
    )

    with db.transaction() as session:  # type: ignore[attr-defined]
        if session.scalars(select(Student)).first() is not None:
            return False
        staff = {}
        for no, name, roles, subject in STAFF:
            member = Staff(staff_no=no, name=name, subject=subject)
            member.roles = [StaffRole(role=r) for r in roles]
            session.add(member)
            staff[no] = member
        session.flush()
        classes = {
            "101": SchoolClass(code="101", grade=1, homeroom_teacher_id=staff["T001"].id),
            "102": SchoolClass(code="102", grade=1, homeroom_teacher_id=staff["T002"].id),
        }
        session.add_all(classes.values())
        terms = [Term(academic_year=115, semester=1), Term(academic_year=115, semester=2)]
        session.add_all(terms)
        session.flush()
        students = []
        for no, name, cls, seat in STUDENTS:
            student = Student(
                student_no=no,
                name=name,
                grade=1,
                class_id=classes[cls].id,
                seat_no=seat,
                entry_year=115,
            )
            session.add(student)
            students.append(student)
        session.flush()
        for term in terms:
            for cls in classes.values():
                for subject, code, teacher in (
                    ("國語文", "CHI", "T001"),
                    ("英語文", "ENG", "T002"),
                    ("數學", "MAT", "T003"),
                ):
                    course = Course(
                        term_id=term.id,
                        code=f"115{term.semester}{code}{cls.code}",
                        subject=subject,
                        class_id=cls.id,
                        teacher_id=staff[teacher].id,
                    )
                    session.add(course)
                    session.flush()
                    for student in students:
                        if student.class_id == cls.id:
                            session.add(Enrolment(student_id=student.id, course_id=course.id))
        parent = Guardian(name="李大華")
        session.add(parent)
        session.flush()
        session.add(GuardianLink(guardian_id=parent.id, student_id=students[0].id, relation="父"))
        for student in students:
            session.add(
                LineAccount(
                    line_user_id=ev.user_id_for(student.student_no),
                    student_id=student.id,
                    created_at=now,
                    bound_at=now,
                )
            )
        for no, member in staff.items():
            session.add(
                LineAccount(
                    line_user_id=ev.user_id_for(no),
                    staff_id=member.id,
                    created_at=now,
                    bound_at=now,
                )
            )
        session.add(
            LineAccount(
                line_user_id=ev.user_id_for("parent"),
                guardian_id=parent.id,
                created_at=now,
                bound_at=now,
            )
        )
    return True


@click.command("demo")
@click.option("--port", default=BOT_PORT, show_default=True, type=int, help="Port for the bot.")
@click.option("--emulator-port", default=EMULATOR_PORT, show_default=True, type=int)
def demo_command(port: int, emulator_port: int) -> None:
    """Run the bot with a demo school against the local LINE platform (no LINE account needed)."""
    from werkzeug.serving import make_server

    from bot import create_app
    from dev.emulator.platform import Platform
    from dev.emulator.server import EmulatorServer
    from runtime.config import environment
    from storage import migrate

    logging.basicConfig(level=logging.WARNING)
    DEMO_DIR.mkdir(exist_ok=True)
    emulator = EmulatorServer(
        Platform(channel_access_token=DEMO_TOKEN, quota=1000), port=emulator_port
    ).start()
    db_url = f"sqlite:///{(DEMO_DIR / 'demo.sqlite').resolve()}"
    env = {
        "LINE_CHANNEL_SECRET": DEMO_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": DEMO_TOKEN,
        "LINE_API_BASE_URL": emulator.base_url,
        "SECRET_KEY": "demo-secret-key-not-for-production",
        "PORTFOLIO_DEMO": "1",
        "DATABASE_URL": db_url,
        "STORAGE_DIR": str((DEMO_DIR / "demo-files").resolve()),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # The one setting the demo takes from this machine: where its CJK font is.
        "PORTFOLIO_CJK_FONT": environment().get("PORTFOLIO_CJK_FONT", ""),
    }
    migrate.upgrade(db_url)
    app = create_app(env)
    svc = app.extensions["portfolio"]
    fresh = seed_demo(svc.db, svc.clock.now())
    try:
        from bot import richmenu

        richmenu.sync_rich_menus(svc.line.api, svc.line.blob, svc.settings.cjk_font)
    except Exception as exc:  # a demo without menu images still works by keywords
        click.echo(f"(rich menus not synced: {exc})")
    server = make_server("127.0.0.1", port, app, threaded=True)
    click.echo("學習歷程檔案 LINE bot — demo school" + (" (seeded)" if fresh else ""))
    click.echo(f"  bot:                 http://127.0.0.1:{port}/callback")
    click.echo(f"  local LINE platform: {emulator.base_url}")
    click.echo("Chat with it from another terminal, e.g.:")
    click.echo("  .venv/bin/portfolio chat --as 115001   # student 李小明 (101)")
    click.echo("  .venv/bin/portfolio chat --as T001     # teacher 王美玲 (homeroom 101)")
    click.echo("  .venv/bin/portfolio chat --as parent   # 李小明's parent")
    click.echo("  .venv/bin/portfolio chat --as A001     # registrar")
    click.echo("Ctrl-C stops the demo.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        emulator.stop()
