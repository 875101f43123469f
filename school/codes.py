"""Binding codes as an operation: whom to issue for, issue them, and the printable slips.

The console (綁定碼) and the CLI (`portfolio codes issue`) both call issue_codes() and render its
slips with slips_pdf() / slips_csv(): one A4 PDF with cut lines, each slip with the person's name,
class and seat, the code, and a QR code that adds the school's LINE account as a friend.
"""

from __future__ import annotations

import glob
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from catalogue import text
from media import sheets
from school.dates import show_date
from storage import binding
from storage.clock import at_taipei, taipei
from storage.models.line import LineAccount
from storage.models.school import Guardian, GuardianLink, SchoolClass, Staff, Student

ROLES = binding.ROLES
MAX_VALID_DAYS = 365


class CodesError(ValueError):
    """Nobody to issue for, or a bad choice; key is a catalogue key, values fill it."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def __str__(self) -> str:
        return text(self.key, **self.values)


@dataclass(frozen=True)
class Slip:
    role: str
    number: str
    name: str
    class_code: str
    seat: str
    guardian: str
    code: str
    expires_at: datetime

    @property
    def expires(self) -> str:
        return show_date(taipei(self.expires_at).date())


def choose_people(
    session: Session,
    role: str,
    *,
    class_code: str | None = None,
    grade: int | None = None,
    person: str | None = None,
    person_id: int | None = None,
) -> tuple[list[Student], list[Staff]]:
    """Who gets a code: staff by number; students (or their guardians) by class, grade or 學號."""
    if role not in ROLES:
        raise CodesError("console.codes.error.role")
    if role == binding.STAFF:
        if class_code or grade:
            raise CodesError("console.codes.error.staff_scope")
        query = select(Staff).order_by(Staff.staff_no)
        if person:
            query = query.where(Staff.staff_no == person)
        if person_id is not None:
            query = query.where(Staff.id == person_id)
        staff = list(session.scalars(query))
        if not staff:
            raise CodesError("cli.codes.nobody")
        return [], staff
    query = (
        select(Student)
        .join(SchoolClass, Student.class_id == SchoolClass.id, isouter=True)
        .where(Student.sealed_at.is_(None))
        .order_by(SchoolClass.code, Student.seat_no)
    )
    if class_code:
        if session.scalar(select(SchoolClass.id).where(SchoolClass.code == class_code)) is None:
            raise CodesError("cli.codes.unknown_class", code=class_code)
        query = query.where(SchoolClass.code == class_code)
    if grade:
        query = query.where(Student.grade == grade)
    if person:
        query = query.where(Student.student_no == person)
    if person_id is not None:
        query = query.where(Student.id == person_id)
    students = list(session.scalars(query))
    if not students:
        raise CodesError("cli.codes.nobody")
    return students, []


def valid_days(now: datetime, until: date | None, days: int | None) -> int:
    """Days from now to the last valid day (a date, as staff write it), or the days given."""
    if until is not None:
        days = (at_taipei(until + timedelta(days=1)) - now).days
    days = binding.DEFAULT_VALID_DAYS if days is None else days
    if not 1 <= days <= MAX_VALID_DAYS:
        raise CodesError("console.codes.error.days", most=MAX_VALID_DAYS)
    return days


def issue_codes(
    session: Session,
    role: str,
    now: datetime,
    students: Sequence[Student],
    staff: Sequence[Staff],
    days: int,
) -> list[Slip]:
    """New codes (earlier unused codes of the same people stop working) as slips to print."""
    issued = binding.issue(
        session, role, now, students=list(students), staff=list(staff), valid_days=days
    )
    return [_slip(code) for code in issued]


def _slip(code: binding.IssuedCode) -> Slip:
    student, member = code.student, code.staff
    return Slip(
        role=code.role,
        number=student.student_no if student else (member.staff_no if member else ""),
        name=student.name if student else (member.name if member else ""),
        class_code=student.school_class.code if student and student.school_class else "",
        seat=str(student.seat_no or "") if student else "",
        guardian=(code.guardian.name if code.guardian else "") if code.role == "guardian" else "",
        code=code.code,
        expires_at=code.expires_at,
    )


# --- binding state per class -----------------------------------------------------------------


@dataclass(frozen=True)
class ClassBinding:
    class_id: int
    code: str
    students: int
    bound: int
    guardians_bound: int

    @property
    def not_bound(self) -> int:
        return self.students - self.bound


def binding_by_class(session: Session) -> list[ClassBinding]:
    """Per class: students, how many bound their LINE, how many have a guardian bound."""
    active = Student.sealed_at.is_(None)
    student_bound = exists().where(LineAccount.student_id == Student.id)
    guardian_bound = exists().where(
        GuardianLink.student_id == Student.id, LineAccount.guardian_id == GuardianLink.guardian_id
    )
    query = (
        select(
            SchoolClass.id,
            SchoolClass.code,
            func.count(Student.id),
            func.count(Student.id).filter(student_bound),
            func.count(Student.id).filter(guardian_bound),
        )
        .join(Student, (Student.class_id == SchoolClass.id) & active, isouter=True)
        .group_by(SchoolClass.id, SchoolClass.code)
        .order_by(SchoolClass.code)
    )
    return [ClassBinding(cid, code, n, b, g) for cid, code, n, b, g in session.execute(query)]


@dataclass(frozen=True)
class Unbound:
    student_id: int
    student_no: str
    name: str
    seat: int | None
    student_bound: bool
    guardian_bound: bool


def class_members_binding(session: Session, class_id: int) -> list[Unbound]:
    """Everyone of one class with whether they (and a guardian) are bound (one query)."""
    student_bound = exists().where(LineAccount.student_id == Student.id)
    guardian_bound = exists().where(
        GuardianLink.student_id == Student.id, LineAccount.guardian_id == GuardianLink.guardian_id
    )
    query = (
        select(
            Student.id,
            Student.student_no,
            Student.name,
            Student.seat_no,
            student_bound,
            guardian_bound,
        )
        .where(Student.class_id == class_id, Student.sealed_at.is_(None))
        .order_by(Student.seat_no)
    )
    return [Unbound(*row) for row in session.execute(query)]


def guardians_of(session: Session, student_id: int) -> list[Guardian]:
    return list(
        session.scalars(
            select(Guardian)
            .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
            .where(GuardianLink.student_id == student_id)
        )
    )


# --- printing --------------------------------------------------------------------------------

CSV_COLUMNS = ("role", "number", "name", "class", "seat", "guardian", "code", "expires")


def slips_csv(slips: Sequence[Slip]) -> str:
    buffer = io.StringIO()
    writer = sheets.csv_writer(buffer)
    writer.writerow([text(f"cli.codes.csv.{c}") for c in CSV_COLUMNS])
    for s in slips:
        writer.writerow(
            [
                text(f"cli.codes.role.{s.role}"),
                s.number,
                s.name,
                s.class_code,
                s.seat,
                s.guardian,
                s.code,
                s.expires,
            ]
        )
    return buffer.getvalue()


def friend_url(basic_id: str) -> str:
    """LINE's add-friend link for an official account's basic ID (e.g. @123abcde)."""
    return f"https://line.me/R/ti/p/{'@' + basic_id.lstrip('@')}"


_FONT_ROOTS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
# TrueType outlines only: reportlab embeds these (CFF fonts such as Noto CJK it cannot).
_FONT_FILES = (
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
    "msjh.ttc",
    "uming.ttc",
)


@cache
def slip_font(font_path: Path | None = None) -> str:
    """A registered font that draws Traditional Chinese: the given file or a TrueType face found
    on the machine (embedded), else the PDF standard CNS font that every reader supplies."""
    candidates = [str(font_path) if font_path else ""]
    for name in _FONT_FILES:
        for root in _FONT_ROOTS:
            candidates += sorted(glob.glob(f"{os.path.expanduser(root)}/**/{name}", recursive=True))
    for path in filter(None, candidates):
        try:
            pdfmetrics.registerFont(TTFont("SlipCJK", path, subfontIndex=0))
            return "SlipCJK"
        except Exception:  # noqa: BLE001 - a font reportlab cannot read: try the next
            continue
    pdfmetrics.registerFont(UnicodeCIDFont("MSung-Light"))
    return "MSung-Light"


SLIP_W, SLIP_H = 95 * mm, 54 * mm
COLUMNS, ROWS = 2, 5
MARGIN_X = (A4[0] - COLUMNS * SLIP_W) / 2
MARGIN_Y = (A4[1] - ROWS * SLIP_H) / 2


def slips_pdf(
    slips: Sequence[Slip], basic_id: str | None, title: str = "", font_path: Path | None = None
) -> bytes:
    """One A4 PDF, ten slips a page, dashed cut lines between them."""
    font = slip_font(font_path)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title or text("cli.codes.slip.title", role=""))
    per_page = COLUMNS * ROWS
    for start in range(0, len(slips), per_page):
        _cut_lines(canvas)
        for index, slip in enumerate(slips[start : start + per_page]):
            row, col = divmod(index, COLUMNS)
            x = MARGIN_X + col * SLIP_W
            y = A4[1] - MARGIN_Y - (row + 1) * SLIP_H
            _draw_slip(canvas, font, slip, x, y, basic_id)
        canvas.showPage()
    if not slips:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _cut_lines(canvas: Canvas) -> None:
    canvas.saveState()
    canvas.setDash(3, 3)
    canvas.setStrokeGray(0.55)
    canvas.setLineWidth(0.5)
    for col in range(COLUMNS + 1):
        x = MARGIN_X + col * SLIP_W
        canvas.line(x, MARGIN_Y - 4 * mm, x, A4[1] - MARGIN_Y + 4 * mm)
    for row in range(ROWS + 1):
        y = MARGIN_Y + row * SLIP_H
        canvas.line(MARGIN_X - 4 * mm, y, A4[0] - MARGIN_X + 4 * mm, y)
    canvas.restoreState()


def _wrap(canvas: Canvas, font: str, size: float, words: str, width: float) -> list[str]:
    lines, line = [], ""
    for ch in words:
        if canvas.stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line else lines


def _draw_slip(
    canvas: Canvas, font: str, slip: Slip, x: float, y: float, basic_id: str | None
) -> None:
    pad = 5 * mm
    qr_size = 30 * mm if basic_id else 0
    text_width = SLIP_W - 2 * pad - (qr_size + 3 * mm if basic_id else 0)
    top = y + SLIP_H - pad
    who = slip.name
    if slip.role == "guardian":
        who = text(
            "cli.codes.slip.guardian",
            guardian=slip.guardian or text("cli.codes.role.guardian"),
            child=slip.name,
        )
    canvas.setFont(font, 14)
    canvas.drawString(x + pad, top - 12, who[:24])
    where = (
        text("cli.codes.slip.where", cls=slip.class_code, seat=slip.seat)
        if slip.class_code
        else slip.number
    )
    canvas.setFont(font, 10)
    canvas.drawString(x + pad, top - 27, where)
    canvas.setFont("Courier-Bold", 20)
    canvas.drawString(x + pad, top - 52, slip.code)
    how = text("cli.codes.slip.how", role=text(f"cli.codes.role.{slip.role}"), expires=slip.expires)
    canvas.setFont(font, 7.5)
    for n, line in enumerate(_wrap(canvas, font, 7.5, how, text_width)[:5]):
        canvas.drawString(x + pad, top - 68 - n * 10, line)
    if basic_id:
        widget = QrCodeWidget(friend_url(basic_id), barLevel="M")
        bx0, by0, bx1, by1 = widget.getBounds()
        drawing = Drawing(
            qr_size, qr_size, transform=[qr_size / (bx1 - bx0), 0, 0, qr_size / (by1 - by0), 0, 0]
        )
        drawing.add(widget)
        qx, qy = x + SLIP_W - pad - qr_size, top - qr_size - 2 * mm
        renderPDF.draw(drawing, canvas, qx, qy)
        canvas.setFont(font, 7)
        canvas.drawCentredString(qx + qr_size / 2, qy - 8, text("console.codes.slip.scan"))
