"""課程學習成果 upload: course → work (photos, PDF, video/audio) → summary → confirmation → sent.

The draft is a CourseOutcome row in status draft with DraftPage rows for its photos, so it
survives a timeout: the engine offers it back ("你有一份尚未送出的草稿"). Windows and limits
come from the school's rules; what both upload flows share is in flows/submission.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from catalogue import text
from flows import intake
from flows import messages as m
from flows.cards import button, card, shorten
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.links import file_link
from flows.my_portfolio import with_card_taps
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    REUPLOAD,
    SUMMARY_LIMIT,
    UPLOAD_FLOW,
    check_summary,
    chosen_term,
    count_line,
    current_student,
    describe_files,
    limit_refusal,
    refuse_submission,
    send_failure,
    term_prompt,
    window_refusal,
)
from rules.model import COURSE_OUTCOME
from school import draft_files, file_access, item_counts, outcomes, terms
from school.items import ItemError
from school.terms import TermRef
from storage.clock import format_date
from storage.identity import STUDENT, Identity
from storage.models.portfolio import DRAFT, CourseOutcome
from storage.models.school import Course, Student

FLOW = UPLOAD_FLOW
TERM = "upload:term"
COURSE = "upload:course"
FILES = "upload:files"
SUMMARY = "upload:summary"
CONFIRM = "upload:confirm"

# Postback data (all under 300 characters; ids are validated against the student's own rows).
COURSE_PICK = "upload:course:"
COURSE_PAGE = "upload:page:"
NEXT = "upload:next"
CLEAR = "upload:clear"
KEEP_SUMMARY = "upload:keep"
SUBMIT = "upload:submit"
EDIT_SUMMARY = "upload:edit"
ADD_FILES = "upload:more"

NEXT_WORDS = frozenset({"下一步", "完成", "好了", "傳完了", "next"})
SUBMIT_WORDS = frozenset({"送出", "確認送出"})
# LINE shows at most 13 quick replies: a course list longer than that is paged, two kept for
# the page buttons.
QUICK_LIMIT = 13
PAGE_SIZE = 11


# --- the flow ---------------------------------------------------------------------------------


def _outcome(ctx: Ctx, conv: Conversation) -> CourseOutcome | None:
    draft_id = conv.data.get("draft_id")
    student = current_student(ctx)
    if not draft_id or student is None:
        return None
    outcome = outcomes.own_outcome(ctx.session, student.id, int(draft_id))
    return outcome if outcome is not None and outcome.status == DRAFT else None


def _lost(ctx: Ctx) -> str:
    ctx.reply(m.text(text("upload.draft_gone"), quick=MENU_QUICK))
    return END


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    student = current_student(ctx)
    if student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return END
    if args.get("draft_id"):
        outcome = outcomes.own_outcome(ctx.session, student.id, int(args["draft_id"]))
        if outcome is None or outcome.status != DRAFT:
            return _lost(ctx)
        conv.data["draft_id"] = outcome.id
        return _state_for(ctx, outcome)
    if args.get("replaces"):
        return _begin_replacement(ctx, conv, student, int(args["replaces"]))
    open_terms = terms.upload_terms(ctx.rules, COURSE_OUTCOME, student.grade, ctx.now)
    if len(open_terms) > 1:
        conv.data["terms"] = [[t.academic_year, t.semester] for t in open_terms]
        return TERM
    term = open_terms[0] if open_terms else terms.current_term(ctx.rules, ctx.now)
    if term is None:
        ctx.reply(m.text(text("upload.no_term")))
        return END
    return _start_term(ctx, conv, student, term)


def _term_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = current_student(ctx)
    if student is None:
        return _lost(ctx)
    term = chosen_term(conv, inp)
    if term is None:
        ctx.reply(m.text(text("school_rules.term.unknown")))
        return TERM
    return _start_term(ctx, conv, student, term)


def _start_term(ctx: Ctx, conv: Conversation, student: Student, term: TermRef) -> str:
    check = terms.check_window_for(
        ctx.session, ctx.rules, COURSE_OUTCOME, term, student.id, student.grade, ctx.now
    )
    if not check.open:
        ctx.reply(m.text(window_refusal(check, COURSE_OUTCOME)))
        return END
    usage = item_counts.room(ctx.session, ctx.rules, COURSE_OUTCOME, student.id, term)
    if usage.full_scope is not None:
        ctx.reply(m.text(limit_refusal(usage), quick=MENU_QUICK))
        return END
    courses = terms.enrolled_courses(ctx.session, student.id, term)
    if not courses:
        ctx.reply(m.text(text("upload.no_courses", term=term.label)))
        return END
    conv.data.update(
        course_ids=[c.id for c in courses], page=0, term=[term.academic_year, term.semester]
    )
    return COURSE


def _begin_replacement(ctx: Ctx, conv: Conversation, student: Student, rejected_id: int) -> str:
    try:
        rejected = outcomes.check_replaceable(ctx.session, student.id, rejected_id)
    except ItemError as exc:
        ctx.reply(m.text(text(f"upload.replace_{exc.reason}"), quick=MENU_QUICK))
        return END
    term = TermRef(rejected.academic_year, rejected.semester)
    check = terms.check_window_for(
        ctx.session,
        ctx.rules,
        COURSE_OUTCOME,
        term,
        student.id,
        student.grade,
        ctx.now,
        (rejected.id,),
    )
    if not check.open:
        ctx.reply(m.text(window_refusal(check, COURSE_OUTCOME)))
        return END
    usage = item_counts.room(
        ctx.session, ctx.rules, COURSE_OUTCOME, student.id, term, exclude={rejected.id}
    )
    if usage.full_scope is not None:
        ctx.reply(m.text(limit_refusal(usage), quick=MENU_QUICK))
        return END
    outcome = outcomes.create_outcome_draft(
        ctx.session, student.id, rejected.course, term, ctx.now, replaces=rejected
    )
    conv.data.update(draft_id=outcome.id, term=[term.academic_year, term.semester])
    ctx.reply(
        m.text(
            text(
                "upload.replacing",
                course=rejected.course.subject,
                reason=rejected.reject_reason or text("upload.no_reason"),
            )
        )
    )
    return FILES


def _state_for(ctx: Ctx, outcome: CourseOutcome) -> str:
    has_pages = draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id) > 0
    if has_pages or (outcome.document_file_id is None and outcome.video_file_id is None):
        return FILES
    if not outcome.summary:
        return SUMMARY
    return CONFIRM


def _term(conv: Conversation, outcome: CourseOutcome | None = None) -> TermRef:
    if outcome is not None:
        return TermRef(outcome.academic_year, outcome.semester)
    year, semester = conv.data["term"]
    return TermRef(int(year), int(semester))


# --- choosing the course ---


def _courses(ctx: Ctx, conv: Conversation) -> list[Course]:
    ids = [int(i) for i in conv.data.get("course_ids", [])]
    found = {c.id: c for c in (ctx.session.get(Course, i) for i in ids) if c is not None}
    return [found[i] for i in ids if i in found]


def _course_labels(courses: list[Course]) -> dict[int, str]:
    subjects = [c.subject for c in courses]
    labels = {}
    for course in courses:
        label = (
            course.subject
            if subjects.count(course.subject) == 1
            else f"{course.subject} {course.code}"
        )
        labels[course.id] = shorten(label)
    return labels


def _course_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    courses = _courses(ctx, conv)
    labels = _course_labels(courses)
    student = current_student(ctx)
    usage = (
        item_counts.room(ctx.session, ctx.rules, COURSE_OUTCOME, student.id, _term(conv))
        if student
        else None
    )
    count = count_line(usage, usage.semester.used + 1) if usage else ""
    if len(courses) <= QUICK_LIMIT:
        quick: list[Any] = [(labels[c.id], "postback", f"{COURSE_PICK}{c.id}") for c in courses]
        return [m.text(text("upload.ask_course", count=count), quick=quick)]
    pages = (len(courses) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(int(conv.data.get("page", 0)), 0), pages - 1)
    shown = courses[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    quick = [(labels[c.id], "postback", f"{COURSE_PICK}{c.id}") for c in shown]
    if page > 0:
        quick.insert(0, (text("upload.page_prev"), "postback", f"{COURSE_PAGE}{page - 1}"))
    if page < pages - 1:
        quick.append((text("upload.page_next"), "postback", f"{COURSE_PAGE}{page + 1}"))
    listing = "\n".join(f"・{labels[c.id]}" for c in shown)
    return [
        m.text(
            text(
                "upload.ask_course_paged", count=count, page=page + 1, pages=pages, listing=listing
            ),
            quick=quick,
        )
    ]


def _course_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = current_student(ctx)
    if student is None:
        return _lost(ctx)
    courses = _courses(ctx, conv)
    chosen: Course | None = None
    if inp.kind == "postback" and inp.data.startswith(COURSE_PAGE):
        try:
            conv.data["page"] = int(inp.data[len(COURSE_PAGE) :])
        except ValueError:
            pass
        return COURSE
    if inp.kind == "postback" and inp.data.startswith(COURSE_PICK):
        wanted = inp.data[len(COURSE_PICK) :]
        chosen = next((c for c in courses if str(c.id) == wanted), None)
    elif inp.kind == "text":
        labels = _course_labels(courses)
        chosen = next((c for c in courses if inp.word in (c.subject, c.code, labels[c.id])), None)
    if chosen is None:
        ctx.reply(m.text(text("upload.course_unknown")))
        return COURSE
    outcome = outcomes.create_outcome_draft(ctx.session, student.id, chosen, _term(conv), ctx.now)
    conv.data["draft_id"] = outcome.id
    return FILES


# --- receiving the work ---


def _files_quick(ctx: Ctx, outcome: CourseOutcome | None) -> list[Any]:
    quick: list[Any] = [(text("upload.button_next"), "postback", NEXT)]
    if outcome is not None and (
        outcome.document_file_id
        or outcome.video_file_id
        or draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
    ):
        quick.append((text("upload.button_clear"), "postback", CLEAR))
    quick.append(("取消", "取消"))
    return quick


def _files_status(ctx: Ctx, outcome: CourseOutcome) -> str:
    pages = draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
    document = outcome.document if pages == 0 else None
    return describe_files([document, outcome.video], pages)


def _files_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return [m.text(text("upload.draft_gone"))]
    return [
        m.text(
            text(
                "upload.ask_files",
                course=outcome.course.subject,
                status=_files_status(ctx, outcome),
            ),
            quick=_files_quick(ctx, outcome),
        )
    ]


def _files_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return _lost(ctx)
    if inp.kind in intake.CONTENT_MESSAGES:
        return _receive(ctx, conv, outcome, inp)
    if inp.data == CLEAR:
        draft_files.clear_pages(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
        outcome.document_file_id = None
        outcome.video_file_id = None
        conv.data.pop("fitted_pages", None)
        ctx.reply(m.text(text("upload.cleared")))
        return FILES
    if inp.data == NEXT or inp.word in NEXT_WORDS:
        return _files_done(ctx, conv, outcome)
    ctx.reply(m.text(text("upload.files_hint"), quick=_files_quick(ctx, outcome)))
    return STAY


def _receive(ctx: Ctx, conv: Conversation, outcome: CourseOutcome, inp: Input) -> str:
    student_id = outcome.student_id
    try:
        taken = intake.take(ctx, inp, draft_files.OUTCOME_DRAFT, outcome.id, student_id)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever broke, the student hears it, draft kept
        send_failure(ctx, exc, _files_quick(ctx, outcome))
        return STAY
    notes: list[str] = []
    if taken.slot == "page":
        conv.data.pop("fitted_pages", None)
        if conv.data.get("doc_from") == "pdf" and outcome.document_file_id is not None:
            outcome.document_file_id = None
            notes.append(text("upload.photos_replace_pdf"))
        if taken.set_total and not taken.set_complete:
            return STAY  # the rest of the set is on its way; one answer for the whole set
        ack = (
            text("upload.got_photos", n=taken.set_total or 1, total=taken.pages)
            if taken.set_total
            else text("upload.got_photo", total=taken.pages)
        )
        ctx.reply(
            m.text(
                "\n".join([ack, *notes, text("upload.more_or_next")]),
                quick=_files_quick(ctx, outcome),
            )
        )
        return STAY
    assert taken.fitted is not None
    if taken.slot == "document":
        dropped = draft_files.clear_pages(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
        if dropped:
            notes.append(text("upload.pdf_replaces_photos", n=dropped))
        elif outcome.document_file_id is not None:
            notes.append(text("upload.replaced_document"))
        outcome.document_file_id = taken.fitted.record.id
        conv.data["doc_from"] = "pdf"
        conv.data.pop("fitted_pages", None)
    else:
        if outcome.video_file_id is not None:
            notes.append(text("upload.replaced_video"))
        outcome.video_file_id = taken.fitted.record.id
    ctx.session.flush()
    ctx.reply(
        m.text(
            "\n".join([taken.fitted.message, *notes, text("upload.more_or_next")]),
            quick=_files_quick(ctx, outcome),
        )
    )
    return STAY


def _files_done(ctx: Ctx, conv: Conversation, outcome: CourseOutcome) -> str:
    pages = draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
    if pages and conv.data.get("fitted_pages") != pages:
        try:
            fitted = intake.combine_pages(
                ctx, draft_files.OUTCOME_DRAFT, outcome.id, outcome.student_id
            )
        except SQLAlchemyError:
            raise
        except Exception as exc:  # noqa: BLE001
            quick = _files_quick(ctx, outcome)
            ctx.reply(
                m.text(intake.failure_text(exc) + "\n" + text("upload.photos_kept"), quick=quick)
            )
            return STAY
        assert fitted is not None
        outcome.document_file_id = fitted.record.id
        conv.data["doc_from"] = "pages"
        conv.data["fitted_pages"] = pages
        ctx.session.flush()
        ctx.reply(m.text(fitted.message))
    if outcome.document_file_id is None and outcome.video_file_id is None:
        ctx.reply(m.text(text("upload.nothing_yet"), quick=_files_quick(ctx, outcome)))
        return STAY
    return SUMMARY


# --- the summary ---


def _summary_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    outcome = _outcome(ctx, conv)
    quick: list[Any] = [("取消", "取消")]
    if outcome is not None and outcome.summary:
        quick.insert(0, (text("upload.button_keep_summary"), "postback", KEEP_SUMMARY))
        return [
            m.text(
                text("upload.ask_summary_again", summary=outcome.summary, limit=SUMMARY_LIMIT),
                quick=quick,
            )
        ]
    return [m.text(text("upload.ask_summary", limit=SUMMARY_LIMIT), quick=quick)]


def _summary_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return _lost(ctx)
    if inp.kind == "postback":
        if inp.data == KEEP_SUMMARY and outcome.summary:
            return CONFIRM
        ctx.reply(m.text(text("upload.summary_needed")))
        return SUMMARY
    summary, problem = check_summary(inp.text)
    if summary is None:
        ctx.reply(m.text(problem or ""))
        return SUMMARY
    outcome.summary = summary
    return CONFIRM


# --- the confirmation card ---


def confirmation_card(ctx: Ctx, outcome: CourseOutcome, student: Student) -> dict[str, Any]:
    term = TermRef(outcome.academic_year, outcome.semester)
    usage = item_counts.room(
        ctx.session, ctx.rules, COURSE_OUTCOME, student.id, term, exclude={outcome.id}
    )
    deadline = terms.certification_deadline(ctx.rules, term, student.grade)
    course = outcome.course
    teacher = course.teacher.name if course.teacher else text("upload.teacher_unknown")
    rows = [
        (
            text("upload.card_course"),
            text("upload.card_course_value", course=course.subject, teacher=teacher),
        ),
        (text("upload.card_summary"), outcome.summary),
        (text("upload.card_files"), describe_files([outcome.document, outcome.video])),
        (text("upload.card_count"), count_line(usage, usage.semester.used + 1)),
        (
            text("upload.card_deadline"),
            format_date(deadline) if deadline else text("upload.deadline_unknown"),
        ),
    ]
    buttons: list[dict[str, Any]] = [
        button(
            m.postback_action(text("upload.button_submit"), SUBMIT, text("upload.button_submit")),
            primary=True,
        ),
        button(
            m.postback_action(
                text("upload.button_edit_summary"), EDIT_SUMMARY, text("upload.button_edit_summary")
            )
        ),
        button(
            m.postback_action(
                text("upload.button_more_files"), ADD_FILES, text("upload.button_more_files")
            )
        ),
    ]
    if outcome.document_file_id is not None:
        link = file_link(
            ctx, None, outcome.document_file_id, (file_access.VIEWER_STUDENT, student.id), ctx.now
        )
        buttons.append(button(m.uri_action(text("upload.button_view"), link)))
    return card(
        text("upload.card_title"), rows, buttons, alt=text("upload.card_alt", course=course.subject)
    )


def _confirm_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    outcome = _outcome(ctx, conv)
    student = current_student(ctx)
    if outcome is None or student is None:
        return [m.text(text("upload.draft_gone"))]
    # The card carries the one 送出 button; the quick reply only offers a way out.
    return [m.with_quick_reply(confirmation_card(ctx, outcome, student), [("取消", "取消")])]


def _confirm_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return _lost(ctx)
    if inp.data == EDIT_SUMMARY:
        return SUMMARY
    if inp.data == ADD_FILES:
        return FILES
    if inp.data != SUBMIT and inp.word not in SUBMIT_WORDS:
        ctx.reply(m.text(text("upload.confirm_hint")))
        return STAY
    result = outcomes.submit_outcome(ctx.session, ctx.rules, outcome.id, ctx.now)
    if result.ok:
        ctx.session.refresh(outcome)
        teacher = outcome.certifier.name if outcome.certifier else text("upload.teacher_unknown")
        assert result.room is not None
        student = outcome.student
        deadline = terms.certification_deadline(ctx.rules, _term(conv, outcome), student.grade)
        ctx.reply(
            m.text(
                text(
                    "upload.submitted",
                    course=outcome.course.subject,
                    teacher=teacher,
                    count=count_line(result.room, result.number),
                    deadline=format_date(deadline) if deadline else text("upload.deadline_unknown"),
                ),
                quick=MENU_QUICK,
            )
        )
        return END
    if result.reason == "no_files":
        return FILES
    if result.reason == "no_summary":
        return SUMMARY
    refuse_submission(ctx, result, COURSE_OUTCOME)
    return END


# --- cancelling and resuming ---


def _on_cancel(ctx: Ctx, conv: Conversation) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return "flow.cancelled"
    outcomes.discard_outcome_draft(ctx.session, outcome)
    return "upload.cancelled"


def _describe(ctx: Ctx, conv: Conversation) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return ""
    return text("upload.draft_description", course=outcome.course.subject)


UPLOAD = Flow(
    name=FLOW,
    steps={
        TERM: step(
            ("postback", "text"), _term_run, lambda ctx, conv: term_prompt(conv, COURSE_OUTCOME)
        ),
        COURSE: step(("postback", "text"), with_card_taps(_course_run), _course_prompt),
        FILES: step(
            ("image", "video", "audio", "file", "postback", "text"),
            with_card_taps(_files_run),
            _files_prompt,
        ),
        SUMMARY: step(
            ("text", "postback"),
            with_card_taps(_summary_run),
            _summary_prompt,
            unexpected_key="upload.summary_expected",
        ),
        CONFIRM: step(("postback", "text"), with_card_taps(_confirm_run), _confirm_prompt),
    },
    begin=_begin,
    on_cancel=_on_cancel,
    resumable=True,
    describe_draft=_describe,
)


# --- entry points -----------------------------------------------------------------------------


def on_upload(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.start_flow(FLOW)


def start_replacement(ctx: Ctx, outcome_id: int) -> None:
    """Start the replacement of a rejected item, its course already chosen."""
    ctx.start_flow(FLOW, replaces=outcome_id)


def resume_draft(ctx: Ctx, outcome_id: int) -> None:
    """Open a draft that has no conversation any more (e.g. after a refused submission)."""
    ctx.start_flow(FLOW, draft_id=outcome_id)


def on_reupload(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    try:
        outcome_id = int(rest)
    except ValueError:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    start_replacement(ctx, outcome_id)


def register(desk: FrontDesk) -> None:
    desk.command("upload", ("上傳", "上傳成果", "課程學習成果"), (STUDENT,))(on_upload)
    desk.postback(REUPLOAD, (STUDENT,))(on_reupload)
    desk.add_flow(UPLOAD)
