"""A small school for scenario tests: two classes, teachers with roles, courses, bound accounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.clock import TAIPEI
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

CREATED = datetime(2026, 9, 1, 8, 0, tzinfo=TAIPEI)

# LINE user ids, readable in tests.
STUDENTS_101 = [f"Us101{n:02d}" for n in range(1, 7)]
STUDENTS_102 = [f"Us102{n:02d}" for n in range(1, 4)]
TEACHER_WANG = "Utwang"  # 101 homeroom, teaches 國語文 to both classes
TEACHER_LIN = "Utlin"  # 102 homeroom, teaches 英語文
TEACHER_CHEN = "Utchen"  # teaches 數學, is the 數學 convener (科召集人)
REGISTRAR = "Ureg"  # 註冊組
CONSULTANT = "Ucons"  # 課程諮詢教師 advising grade 1
PARENT = "Upar"  # guardian of the first 101 student


@dataclass
class School:
    term1: int = 0
    term2: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)  # staff_no -> id
    students: dict[str, int] = field(default_factory=dict)  # LINE user id -> student id
    courses: dict[str, int] = field(default_factory=dict)  # "101-國語文" -> course id
    guardian: int = 0
    accounts: dict[str, int] = field(default_factory=dict)


def _staff(session: Any, no: str, name: str, roles: list[str], subject: str | None = None) -> Staff:
    member = Staff(staff_no=no, name=name, subject=subject)
    member.roles = [StaffRole(role=r) for r in roles]
    session.add(member)
    session.flush()
    return member


def _bind(session: Any, school: School, line_user_id: str, **person: int) -> None:
    account = LineAccount(line_user_id=line_user_id, created_at=CREATED, bound_at=CREATED, **person)
    session.add(account)
    session.flush()
    school.accounts[line_user_id] = account.id


def seed_school(db: Any, bind: bool = True) -> School:
    """Seed the school in one transaction; with bind=False nobody's LINE account is linked."""
    school = School()
    with db.transaction() as session:
        t1 = Term(academic_year=115, semester=1)
        t2 = Term(academic_year=115, semester=2)
        session.add_all([t1, t2])
        session.flush()
        school.term1, school.term2 = t1.id, t2.id

        wang = _staff(session, "T001", "王美玲", ["任課教師", "導師"], "國文")
        lin = _staff(session, "T002", "林志明", ["任課教師", "導師"], "英文")
        chen = _staff(session, "T003", "陳建宏", ["任課教師", "科召集人"], "數學")
        reg = _staff(session, "A001", "張雅婷", ["註冊組", "註冊組長"])
        cons = _staff(session, "T004", "黃淑芬", ["任課教師", "課程諮詢教師"], "自然")
        for member in (wang, lin, chen, reg, cons):
            school.staff[member.staff_no] = member.id

        c101 = SchoolClass(code="101", grade=1, homeroom_teacher_id=wang.id)
        c102 = SchoolClass(code="102", grade=1, homeroom_teacher_id=lin.id)
        session.add_all([c101, c102])
        session.flush()
        school.classes = {"101": c101.id, "102": c102.id}

        names_101 = ["李小明", "陳怡君", "張家豪", "林雅琪", "王柏翰", "黃詩涵"]
        names_102 = ["吳承恩", "劉欣怡", "蔡宗翰"]
        students: list[tuple[str, Student]] = []
        for seat, (uid, name) in enumerate(zip(STUDENTS_101, names_101, strict=True), start=1):
            students.append(
                (
                    uid,
                    Student(
                        student_no=f"1150{seat:02d}",
                        name=name,
                        grade=1,
                        class_id=c101.id,
                        seat_no=seat,
                        entry_year=115,
                    ),
                )
            )
        for seat, (uid, name) in enumerate(zip(STUDENTS_102, names_102, strict=True), start=1):
            students.append(
                (
                    uid,
                    Student(
                        student_no=f"1151{seat:02d}",
                        name=name,
                        grade=1,
                        class_id=c102.id,
                        seat_no=seat,
                        entry_year=115,
                    ),
                )
            )
        session.add_all([s for _, s in students])
        session.flush()
        school.students = {uid: s.id for uid, s in students}

        for term in (t1, t2):
            for cls in (c101, c102):
                for subject, code, teacher in (
                    ("國語文", "CHI", wang),
                    ("英語文", "ENG", lin),
                    ("數學", "MAT", chen),
                ):
                    course = Course(
                        term_id=term.id,
                        code=f"115{term.semester}{code}{cls.code}",
                        subject=subject,
                        class_id=cls.id,
                        teacher_id=teacher.id,
                    )
                    session.add(course)
                    session.flush()
                    if term is t1:
                        school.courses[f"{cls.code}-{subject}"] = course.id
                    else:
                        school.courses[f"{cls.code}-{subject}-2"] = course.id
                    for _, student in students:
                        if student.class_id == cls.id:
                            session.add(Enrolment(student_id=student.id, course_id=course.id))
        session.flush()

        parent = Guardian(name="李大華")
        session.add(parent)
        session.flush()
        session.add(
            GuardianLink(guardian_id=parent.id, student_id=students[0][1].id, relation="父")
        )
        school.guardian = parent.id

        if bind:
            for uid, student in students:
                _bind(session, school, uid, student_id=student.id)
            _bind(session, school, TEACHER_WANG, staff_id=wang.id)
            _bind(session, school, TEACHER_LIN, staff_id=lin.id)
            _bind(session, school, TEACHER_CHEN, staff_id=chen.id)
            _bind(session, school, REGISTRAR, staff_id=reg.id)
            _bind(session, school, CONSULTANT, staff_id=cons.id)
            _bind(session, school, PARENT, guardian_id=parent.id)
    return school
