"""`portfolio demo` (what `make run` starts without LINE credentials): a demo school on the local
LINE platform, the bot serving it, and instructions for chatting with it from a terminal."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from werkzeug.serving import make_server

from bot import create_app, richmenu_sync
from catalogue import text
from dev.emulator import events as ev
from dev.emulator.platform import Platform
from dev.emulator.server import EmulatorServer
from runtime.config import environment
from storage import migrate
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

DEMO_SECRET = "demo-channel-secret-000000000000"
DEMO_TOKEN = "demo-access-token"
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


def demo_env(port: int, emulator_url: str) -> dict[str, str]:
    """The demo school's settings: the bot, the staff commands and the chat all use these."""
    return {
        "LINE_CHANNEL_SECRET": DEMO_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": DEMO_TOKEN,
        "LINE_API_BASE_URL": emulator_url,
        "SECRET_KEY": "demo-secret-key-not-for-production",
        "PORTFOLIO_DEMO": "1",
        "DATABASE_URL": f"sqlite:///{(DEMO_DIR / 'demo.sqlite').resolve()}",
        "STORAGE_DIR": str((DEMO_DIR / "demo-files").resolve()),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        # The one setting the demo takes from this machine: where its CJK font is.
        "PORTFOLIO_CJK_FONT": environment().get("PORTFOLIO_CJK_FONT", ""),
    }


def write_env_file(env: dict[str, str]) -> Path:
    """instance/demo.env, so that `portfolio --env-file instance/demo.env …` reaches the demo."""
    path = DEMO_DIR / "demo.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    return path


def link_demo_menus(api: Any, menus: dict[str, str]) -> None:
    """Each demo person sees their role's rich menu (`portfolio chat` shows it as choices)."""
    people = [(no, "student") for no, *_ in STUDENTS]
    people += [
        (no, "homeroom" if "導師" in roles else "teacher" if "任課教師" in roles else "staff")
        for no, _, roles, _ in STAFF
    ]
    people.append(("parent", "guardian"))
    for who, role in people:
        api.link_rich_menu_id_to_user(ev.user_id_for(who), menus[role])


def reset_demo() -> None:
    """Forget the demo school (its database and files); the virtualenv stays."""
    (DEMO_DIR / "demo.sqlite").unlink(missing_ok=True)
    shutil.rmtree(DEMO_DIR / "demo-files", ignore_errors=True)


@click.command("demo", help=text("cli.added.demo.help"))
@click.option(
    "--port",
    default=BOT_PORT,
    show_default=True,
    type=int,
    envvar="PORT",
    help=text("cli.demo.opt.port"),
)
@click.option(
    "--emulator-port",
    default=EMULATOR_PORT,
    show_default=True,
    type=int,
    help=text("cli.demo.opt.emulator_port"),
)
@click.option("--reset", is_flag=True, help=text("cli.demo.opt.reset"))
def demo_command(port: int, emulator_port: int, reset: bool) -> None:
    logging.basicConfig(level=logging.WARNING)
    DEMO_DIR.mkdir(exist_ok=True)
    if reset:
        reset_demo()
    emulator = EmulatorServer(
        Platform(channel_access_token=DEMO_TOKEN, quota=1000), port=emulator_port
    ).start()
    env = demo_env(port, emulator.base_url)
    migrate.upgrade(env["DATABASE_URL"])
    app = create_app(env)
    svc = app.extensions["portfolio"]
    fresh = seed_demo(svc.db, svc.clock.now())
    env_file = write_env_file(env)
    try:
        menus = richmenu_sync.sync_rich_menus(svc.line.api, svc.line.blob, svc.settings.cjk_font)
        link_demo_menus(svc.line.api, menus)
    except Exception as exc:  # noqa: BLE001 - a demo without menu images still works by keywords
        click.echo(text("cli.demo.no_menus", error=exc))
    server = make_server("127.0.0.1", port, app, threaded=True)
    click.echo(text("cli.demo.title") + (text("cli.demo.seeded") if fresh else ""))
    click.echo(text("cli.demo.bot", url=f"http://127.0.0.1:{port}/callback"))
    click.echo(text("cli.demo.platform", url=emulator.base_url))
    click.echo(text("cli.demo.chat_intro"))
    click.echo(text("cli.demo.chat_line", who="115001", note=text("cli.demo.who.student")))
    click.echo(text("cli.demo.chat_line", who="T001", note=text("cli.demo.who.teacher")))
    click.echo(text("cli.demo.chat_line", who="parent", note=text("cli.demo.who.parent")))
    click.echo(text("cli.demo.chat_line", who="A001", note=text("cli.demo.who.registrar")))
    click.echo(text("cli.demo.staff_line", env_file=env_file))
    click.echo(text("cli.demo.stop"))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        emulator.stop()
