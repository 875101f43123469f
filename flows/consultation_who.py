"""Who a consultation was with, the record flow's first steps: group or individual, the class
(only classes the teacher advises), then the whole class, picked students or one student.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from catalogue import text
from flows import messages as m
from flows.consultation_record import (
    MAX_QUICK_CLASSES,
    _consultant,
    _draft_class,
    _kind_label,
    _only_consultants,
    _pick_students,
    _seat,
)
from flows.consultation_states import (
    CANCEL_QUICK,
    CLASS,
    CLASS_PICK,
    DATE,
    KIND,
    KIND_PICK,
    PICK,
    PICK_WORDS,
    STUDENTS,
    WHO,
    WHOLE,
    WHOLE_WORDS,
    _or_review,
)
from flows.context import Ctx
from flows.engine import END, Input
from flows.long_text import split_for_line
from flows.store import Conversation
from school import consultants, consultations, records
from storage.models.records import GROUP, INDIVIDUAL
from storage.models.school import SchoolClass


def _kind_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    quick: list[Any] = [
        (_kind_label(k), "postback", f"{KIND_PICK}{k}") for k in consultations.KINDS
    ]
    return [m.text(text("records.consult.ask_kind"), quick=quick + CANCEL_QUICK)]


def _kind_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    chosen: str | None = None
    if inp.kind == "postback" and inp.data.startswith(KIND_PICK):
        chosen = inp.data[len(KIND_PICK) :]
    elif inp.kind == "text":
        chosen = next(
            (k for k in consultations.KINDS if inp.word in (_kind_label(k), _kind_label(k)[:2])),
            None,
        )
    if chosen not in consultations.KINDS:
        ctx.reply(m.text(text("records.consult.pick_kind")))
        return KIND
    assert chosen is not None
    if conv.data.get("kind") != chosen:
        conv.data.update(kind=chosen, students=[], whole=False)
    staff = _consultant(ctx)
    classes = consultants.advised_classes(ctx.session, staff.id) if staff else []
    if len(classes) == 1:
        conv.data["class_id"] = classes[0].id
        return _after_class(conv)
    return CLASS


def _after_class(conv: Conversation) -> str:
    return WHO if conv.data.get("kind") == GROUP else STUDENTS


# --- the class --------------------------------------------------------------------------------


def _class_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    staff = _consultant(ctx)
    classes = consultants.advised_classes(ctx.session, staff.id) if staff else []
    quick: list[Any] = [
        (c.code, "postback", f"{CLASS_PICK}{c.id}") for c in classes[:MAX_QUICK_CLASSES]
    ]
    codes = "、".join(c.code for c in classes)
    example = classes[0].code if classes else "101"
    return [
        m.text(
            text("records.consult.ask_class", classes=codes, example=example),
            quick=quick + CANCEL_QUICK,
        )
    ]


def _class_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return END
    found: SchoolClass | None = None
    code = ""
    if inp.kind == "postback" and inp.data.startswith(CLASS_PICK):
        raw = inp.data[len(CLASS_PICK) :]
        found = ctx.session.get(SchoolClass, int(raw)) if raw.isdigit() else None
    elif inp.kind == "text":
        code = unicodedata.normalize("NFKC", inp.word).removesuffix("班").strip()
        found = records.class_by_code(ctx.session, code)
    if found is None:
        ctx.reply(m.text(text("records.consult.unknown_class", code=code or "?")))
        return CLASS
    if not consultants.advises_class(ctx.session, staff.id, found.id):
        ctx.reply(m.text(text("records.consult.not_advised_class", code=found.code)))
        return CLASS
    if conv.data.get("class_id") != found.id:
        conv.data.update(class_id=found.id, students=[], whole=False)
    return _after_class(conv)


# --- whole class or picked students -----------------------------------------------------------


def _who_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    school_class = _draft_class(ctx, conv)
    quick: list[Any] = [
        (text("records.consult.button_whole"), "postback", WHOLE),
        (text("records.consult.button_pick"), "postback", PICK),
    ]
    return [
        m.text(
            text("records.consult.ask_who", code=school_class.code if school_class else "?"),
            quick=quick + CANCEL_QUICK,
        )
    ]


def _who_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    school_class = _draft_class(ctx, conv)
    if school_class is None:
        return CLASS
    if inp.data == WHOLE or (inp.kind == "text" and inp.word in WHOLE_WORDS):
        students = records.class_students(ctx.session, school_class.id)
        if not students:
            ctx.reply(m.text(text("records.consult.no_students_in_class", code=school_class.code)))
            return CLASS
        conv.data.update(whole=True, students=[s.id for s in students])
        return _or_review(conv, DATE)
    if inp.data == PICK or (inp.kind == "text" and inp.word in PICK_WORDS):
        conv.data["whole"] = False
        return STUDENTS
    ctx.reply(m.text(text("records.consult.pick_who")))
    return WHO


# --- the students -----------------------------------------------------------------------------


def _students_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    school_class = _draft_class(ctx, conv)
    if school_class is None:
        return [m.text(text("records.consult.no_students_in_class", code="?"))]
    students = records.class_students(ctx.session, school_class.id)
    roster = "\n".join(
        text("records.consult.roster_line", seat=_seat(s), name=s.name) for s in students
    ) or text("records.consult.no_students_in_class", code=school_class.code)
    key = (
        "records.consult.ask_students_individual"
        if conv.data.get("kind") == INDIVIDUAL
        else "records.consult.ask_students_group"
    )
    body = split_for_line(text(key, code=school_class.code, roster=roster), max_parts=1)[0]
    return [m.text(body, quick=CANCEL_QUICK)]


def _students_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _consultant(ctx)
    school_class = _draft_class(ctx, conv)
    if staff is None or school_class is None:
        return CLASS
    students, problem = _pick_students(ctx, staff, school_class, inp.text)
    if problem is None and conv.data.get("kind") == INDIVIDUAL and len(students) != 1:
        problem = text("records.consult.one_student")
    if problem is not None:
        ctx.reply(m.text(problem))
        return STUDENTS
    conv.data.update(whole=False, students=[s.id for s in students])
    return _or_review(conv, DATE)
