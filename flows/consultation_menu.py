"""The 諮詢紀錄 menu: a consultant's own records and their advised students' course choices, a
student's records, and the commands and buttons that open them (the record itself is written in
flows/consultation.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalogue import text
from flows import messages as m
from flows.cards import postback_button, shorten
from flows.consultation import CONSULTATION_FLOW
from flows.consultation_record import (
    CONTENT_PREVIEW,
    MAX_LINKED_FILES,
    MAX_QUICK_CLASSES,
    PEOPLE,
    STAFF_PEOPLE,
    _consultant,
    _kind_label,
    _names,
    _only_consultants,
    _seat,
    _student,
    _time_range,
)
from flows.consultation_states import FLOW
from flows.context import Ctx
from flows.engine import Input
from flows.frontdesk import FrontDesk
from flows.links import file_link
from flows.long_text import split_for_line
from school import consultants, consultations, course_choices, file_access, records, terms
from storage.clock import academic_year_of, format_date, taipei_date
from storage.identity import Identity
from storage.models.records import Consultation
from storage.models.school import SchoolClass, Staff, Student

# Postbacks outside the flow.
PREFIX = "cons:"


NEW = "new"


LIST = "list:"


EDIT_RECORD = "edit:"


COURSES = "courses"


MINE = "mine:"


PER_PAGE = 10


def _page_quick(prefix: str, page: int, pages: int) -> list[Any]:
    quick: list[Any] = []
    if page > 0:
        quick.append((text("records.page_prev"), "postback", f"{prefix}{page - 1}"))
    if page < pages - 1:
        quick.append((text("records.page_next"), "postback", f"{prefix}{page + 1}"))
    return quick


def _attachment_links(ctx: Ctx, record: Consultation, viewer: tuple[str, int]) -> list[str]:
    """Signed, expiring links to the attachments, for someone allowed to see them."""
    return [file_link(ctx, None, a.file_id, viewer, ctx.now) for a in record.attachments]


def _record_bubble(
    record: Consultation, editable: bool, links: list[str] | None = None
) -> dict[str, Any]:
    students = [p.student for p in record.participants]
    lines: list[dict[str, Any]] = [
        {"type": "text", "text": _kind_label(record.kind), "size": "xs", "color": "#888888"},
        {
            "type": "text",
            "weight": "bold",
            "size": "md",
            "wrap": True,
            "text": f"{format_date(record.starts_at)} "
            f"{_time_range(record.starts_at, record.ends_at)}",
        },
        {"type": "text", "text": _names(students, record.school_class), "size": "sm", "wrap": True},
        {
            "type": "text",
            "text": text("records.consult.place_line", place=record.place),
            "size": "sm",
            "wrap": True,
            "color": "#555555",
        },
        {
            "type": "text",
            "text": shorten(record.content, CONTENT_PREVIEW),
            "size": "sm",
            "wrap": True,
            "margin": "md",
        },
    ]
    if record.attachments:
        lines.append(
            {
                "type": "text",
                "size": "xs",
                "color": "#888888",
                "margin": "sm",
                "text": text("records.consult.files_count", n=len(record.attachments)),
            }
        )
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "contents": lines},
    }
    buttons = [
        {
            "type": "button",
            "style": "link",
            "height": "sm",
            "action": m.uri_action(text("records.consult.button_file", n=n), url),
        }
        for n, url in enumerate((links or [])[:MAX_LINKED_FILES], start=1)
    ]
    if editable:
        buttons.append(
            postback_button(
                text("records.consult.button_edit"), f"{PREFIX}{EDIT_RECORD}{record.id}"
            )
        )
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "contents": buttons}
    return bubble


def show_own_records(ctx: Ctx, staff: Staff, page: int) -> None:
    found, total = consultations.consultations_by(
        ctx.session, staff.id, offset=page * PER_PAGE, limit=PER_PAGE
    )
    if total == 0:
        ctx.reply(
            m.text(text("records.consult.list_empty"), quick=[("新增諮詢紀錄", "新增諮詢紀錄")])
        )
        return
    pages = (total + PER_PAGE - 1) // PER_PAGE
    if not found:
        page = pages - 1
        found, _ = consultations.consultations_by(
            ctx.session, staff.id, offset=page * PER_PAGE, limit=PER_PAGE
        )
    carousel = m.flex(
        text("records.consult.list_alt", n=total),
        m.carousel(
            [
                _record_bubble(
                    r,
                    editable=True,
                    links=_attachment_links(ctx, r, (file_access.VIEWER_STAFF, staff.id)),
                )
                for r in found
            ]
        ),
    )
    quick = _page_quick(f"{PREFIX}{LIST}", page, pages) + [("新增諮詢紀錄", "新增諮詢紀錄")]
    ctx.reply(
        m.text(text("records.consult.list_head", total=total, page=page + 1, pages=pages)),
        m.with_quick_reply(carousel, quick),
    )


def show_student_records(ctx: Ctx, student: Student, page: int) -> None:
    found, total = consultations.consultations_of_student(
        ctx.session, student.id, offset=page * PER_PAGE, limit=PER_PAGE
    )
    if total == 0:
        ctx.reply(m.text(text("records.consult.student_empty")))
        return
    pages = (total + PER_PAGE - 1) // PER_PAGE
    entries = []
    for record in found:
        links = _attachment_links(ctx, record, (file_access.VIEWER_STUDENT, student.id))
        files = (
            text("records.consult.student_files", n=len(links), links="\n".join(links))
            if links
            else ""
        )
        entries.append(
            text(
                "records.consult.student_item",
                date=format_date(record.starts_at),
                time=_time_range(record.starts_at, record.ends_at),
                kind=_kind_label(record.kind),
                teacher=record.consultant.name,
                place=record.place,
                content=record.content,
                files=files,
            )
        )
    head = text("records.consult.student_head", total=total, page=page + 1, pages=pages)
    body = split_for_line(head + "\n\n" + "\n\n".join(entries), max_parts=1)[0]
    quick = _page_quick(f"{PREFIX}{MINE}", page, pages)
    ctx.reply(m.text(body, quick=quick or None))


def _menu(ctx: Ctx, staff: Staff) -> None:
    classes = consultants.advised_classes(ctx.session, staff.id)
    if not classes:
        ctx.reply(m.text(text("records.consult.no_classes")))
        return
    _, total = consultations.consultations_by(ctx.session, staff.id, limit=1)
    quick: list[Any] = [
        (text("records.consult.button_new"), "postback", f"{PREFIX}{NEW}"),
        (text("records.consult.button_list"), "postback", f"{PREFIX}{LIST}0"),
        (text("records.consult.button_courses"), "postback", f"{PREFIX}{COURSES}"),
    ]
    codes = shorten("、".join(c.code for c in classes), 200)
    body = text("records.consult.menu", name=staff.name, classes=codes, count=total)
    # 附表二 四(二): a group consultation with each advised class at least once a year.
    year = academic_year_of(taipei_date(ctx.now))
    missing = consultations.classes_without_group_consultation(ctx.session, year, staff.id)
    if missing:
        body += "\n" + text(
            "school_rules.group.missing_mine",
            year=year,
            classes="、".join(gap.school_class.code for gap in missing),
        )
    ctx.reply(m.text(body, quick=quick))


def on_group_progress(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """輔導室: which advised classes have had no group consultation this academic year."""
    year = academic_year_of(taipei_date(ctx.now))
    missing = consultations.classes_without_group_consultation(ctx.session, year)
    if not missing:
        ctx.reply(m.text(text("school_rules.group.all_done", year=year)))
        return
    lines = [text("school_rules.group.head", year=year, count=len(missing))]
    lines += [
        text("school_rules.group.line", cls=gap.school_class.code, name=gap.consultant.name)
        for gap in missing[:40]
    ]
    ctx.reply(m.text("\n".join(lines)))


def _pick_class_for_courses(ctx: Ctx, staff: Staff) -> None:
    classes = consultants.advised_classes(ctx.session, staff.id)
    if not classes:
        ctx.reply(m.text(text("records.consult.no_classes")))
        return
    if len(classes) == 1:
        show_course_choices(ctx, staff, classes[0].id)
        return
    quick: list[Any] = [
        (c.code, "postback", f"{PREFIX}{COURSES}:{c.id}") for c in classes[:MAX_QUICK_CLASSES]
    ]
    ctx.reply(m.text(text("records.courses.pick_class"), quick=quick))


def show_course_choices(ctx: Ctx, staff: Staff, class_id: int) -> None:
    school_class = ctx.session.get(SchoolClass, class_id)
    if school_class is None or not consultants.advises_class(ctx.session, staff.id, class_id):
        ctx.reply(
            m.text(
                text(
                    "records.consult.not_advised_class",
                    code=school_class.code if school_class else "?",
                )
            )
        )
        return
    term = terms.current_term(ctx.rules, ctx.now)
    year = term.academic_year if term else consultations.term_of(ctx.rules, ctx.now).academic_year
    students = records.class_students(ctx.session, class_id)
    choices = course_choices.course_choices(ctx.session, class_id, year)
    if not choices:
        ctx.reply(m.text(text("records.courses.empty", code=school_class.code, year=year)))
        return
    lines = [text("records.courses.head", code=school_class.code, year=year, n=len(students))]
    for term_choices in choices:
        lines.append("")
        lines.append(
            text(
                "records.courses.term",
                year=term_choices.academic_year,
                semester=term_choices.semester,
            )
        )
        lines.append(
            text(
                "records.courses.common",
                subjects="、".join(term_choices.common) or text("records.courses.none"),
            )
        )
        if not term_choices.others:
            lines.append(text("records.courses.all_same"))
            continue
        lines.append(text("records.courses.others_head"))
        for student in students:
            extra = term_choices.others.get(student.id)
            if extra:
                lines.append(
                    text(
                        "records.courses.other_line",
                        seat=_seat(student),
                        name=student.name,
                        subjects="、".join(extra),
                    )
                )
    parts = split_for_line("\n".join(lines), max_parts=4)
    ctx.reply(*[m.text(p) for p in parts])


def on_consult(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """The 諮詢紀錄 tile and keyword: the consultant's menu, or a student's own records."""
    staff = _consultant(ctx)
    if staff is not None:
        _menu(ctx, staff)
        return
    student = _student(ctx)
    if student is not None:
        show_student_records(ctx, student, 0)
        return
    _only_consultants(ctx)


def on_new(ctx: Ctx, ident: Identity, inp: Input) -> None:
    if _consultant(ctx) is None:
        _only_consultants(ctx)
        return
    ctx.start_flow(FLOW)


def on_list(ctx: Ctx, ident: Identity, inp: Input) -> None:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return
    show_own_records(ctx, staff, 0)


def on_courses(ctx: Ctx, ident: Identity, inp: Input) -> None:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return
    _pick_class_for_courses(ctx, staff)


def _number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def _new(ctx: Ctx, ident: Identity, inp: Input, staff: Staff, arg: str) -> bool:
    on_new(ctx, ident, inp)
    return True


def _list(ctx: Ctx, ident: Identity, inp: Input, staff: Staff, arg: str) -> bool:
    show_own_records(ctx, staff, _number(arg) or 0)
    return True


def _edit(ctx: Ctx, ident: Identity, inp: Input, staff: Staff, arg: str) -> bool:
    record_id = _number(arg)
    if not record_id:
        return False
    ctx.start_flow(FLOW, consultation_id=record_id)
    return True


def _courses(ctx: Ctx, ident: Identity, inp: Input, staff: Staff, arg: str) -> bool:
    _pick_class_for_courses(ctx, staff)
    return True


def _course_class(ctx: Ctx, ident: Identity, inp: Input, staff: Staff, arg: str) -> bool:
    class_id = _number(arg)
    if not class_id:
        return False
    show_course_choices(ctx, staff, class_id)
    return True


StaffButton = Callable[[Ctx, Identity, Input, Staff, str], bool]

# A consultant's buttons, after PREFIX: (data, whole data or a prefix, what it opens). The first
# that matches gets the rest of the data; False means the data is not ours (a stale button).
STAFF_BUTTONS: tuple[tuple[str, bool, StaffButton], ...] = (
    (NEW, True, _new),
    (LIST, False, _list),
    (EDIT_RECORD, False, _edit),
    (COURSES, True, _courses),
    (f"{COURSES}:", False, _course_class),
)


def on_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    if rest.startswith(MINE):
        student = _student(ctx)
        if student is None:
            ctx.reply(m.text(text("desk.not_for_you")))
            return
        show_student_records(ctx, student, _number(rest[len(MINE) :]) or 0)
        return
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return
    for data, whole, run in STAFF_BUTTONS:
        if rest == data if whole else rest.startswith(data):
            if run(ctx, ident, inp, staff, rest[len(data) :]):
                return
            break
    ctx.reply(m.text(text("desk.stale_button")))


def register(desk: FrontDesk) -> None:
    desk.command("consult", ("諮詢紀錄", "課程諮詢"), PEOPLE)(on_consult)
    desk.command("consult_new", ("新增諮詢紀錄",), STAFF_PEOPLE)(on_new)
    desk.command("consult_list", ("我的諮詢紀錄",), STAFF_PEOPLE)(on_list)
    desk.command("consult_courses", ("學生選課",), STAFF_PEOPLE)(on_courses)
    desk.command("group_consultation", ("團體諮詢",), STAFF_PEOPLE)(on_group_progress)
    desk.postback(PREFIX, PEOPLE)(on_postback)
    desk.add_flow(CONSULTATION_FLOW)
