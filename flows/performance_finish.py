"""The end of a 多元表現 draft: 內容簡述, the proof files, and the card that saves it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from catalogue import TEXTS, text
from flows import intake
from flows import messages as m
from flows.cards import card
from flows.context import Ctx
from flows.engine import END, STAY, Input
from flows.performance_draft import (
    CONFIRM,
    FILES,
    SUMMARY,
    draft,
    head_after_fields,
    is_edit,
    lost,
    next_state,
)
from flows.performance_fields import show_value
from flows.performance_types import TYPES, field_label
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    check_summary,
    count_line,
    describe_files,
    refuse_submission,
    send_failure,
    type_label,
)
from rules.model import PERFORMANCE
from school import draft_files, item_counts, performance_edits, performances
from school.terms import TermRef
from storage.models.portfolio import Performance

NEXT = "pf:next"
CLEAR = "pf:clear"
SAVE = "pf:save"
EDIT_SUMMARY = "pf:edit"
ADD_FILES = "pf:more"
EDIT_FIELDS = "pf:fields"

NEXT_WORDS = frozenset({"下一步", "完成", "好了", "略過", "沒有"})
SAVE_WORDS = frozenset({"儲存", "送出", "確認"})


def _term(performance: Performance) -> TermRef:
    return TermRef(performance.academic_year, performance.semester)


def summary_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    performance = draft(ctx, conv)
    current = ""
    if performance is not None and performance.summary:
        current = "\n" + text("performance.current_value", value=performance.summary)
    return [
        m.text(
            head_after_fields(performance, 1)
            + text("performance.ask_summary", limit=100)
            + current,
            quick=[("取消", "取消")],
        )
    ]


def summary_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    performance = draft(ctx, conv)
    if performance is None:
        return lost(ctx)
    if inp.kind != "text":
        ctx.reply(m.text(text("upload.summary_needed")))
        return SUMMARY
    summary, problem = check_summary(inp.text)
    if summary is None:
        ctx.reply(m.text(problem or ""))
        return SUMMARY
    performance.summary = summary
    return CONFIRM if is_edit(performance) else FILES


def _files_quick(ctx: Ctx, performance: Performance | None) -> list[Any]:
    quick: list[Any] = [(text("performance.button_files_done"), "postback", NEXT)]
    if performance is not None and (
        performance.proofs
        or draft_files.page_count(ctx.session, draft_files.PERFORMANCE_DRAFT, performance.id)
    ):
        quick.append((text("upload.button_clear"), "postback", CLEAR))
    quick.append(("取消", "取消"))
    return quick


def _files_status(ctx: Ctx, performance: Performance) -> str:
    pages = draft_files.page_count(ctx.session, draft_files.PERFORMANCE_DRAFT, performance.id)
    return describe_files([p.file for p in performance.proofs], pages)


def files_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    performance = draft(ctx, conv)
    if performance is None:
        return [m.text(text("upload.draft_gone"))]
    return [
        m.text(
            head_after_fields(performance, 2)
            + text("performance.ask_files", status=_files_status(ctx, performance)),
            quick=_files_quick(ctx, performance),
        )
    ]


def files_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    performance = draft(ctx, conv)
    if performance is None:
        return lost(ctx)
    if inp.kind in intake.CONTENT_MESSAGES:
        try:
            taken = intake.take(
                ctx, inp, draft_files.PERFORMANCE_DRAFT, performance.id, performance.student_id
            )
        except SQLAlchemyError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever broke, the student hears it
            send_failure(ctx, exc, _files_quick(ctx, performance))
            return STAY
        if taken.slot == "page":
            if taken.set_total and not taken.set_complete:
                return STAY
            ack = (
                text("upload.got_photos", n=taken.set_total or 1, total=taken.pages)
                if taken.set_total
                else text("upload.got_photo", total=taken.pages)
            )
            ctx.reply(
                m.text(
                    ack + "\n" + text("performance.more_or_next"),
                    quick=_files_quick(ctx, performance),
                )
            )
            return STAY
        assert taken.fitted is not None
        performances.add_proof(ctx.session, performance, taken.fitted.record)
        ctx.reply(
            m.text(
                taken.fitted.message + "\n" + text("performance.more_or_next"),
                quick=_files_quick(ctx, performance),
            )
        )
        return STAY
    if inp.data == CLEAR:
        draft_files.clear_pages(ctx.session, draft_files.PERFORMANCE_DRAFT, performance.id)
        performance.proofs.clear()
        ctx.session.flush()
        ctx.reply(m.text(text("upload.cleared")))
        return FILES
    if inp.data == NEXT or (inp.kind == "text" and inp.word in NEXT_WORDS):
        if draft_files.page_count(ctx.session, draft_files.PERFORMANCE_DRAFT, performance.id):
            try:
                fitted = intake.combine_pages(
                    ctx, draft_files.PERFORMANCE_DRAFT, performance.id, performance.student_id
                )
            except SQLAlchemyError:
                raise
            except Exception as exc:  # noqa: BLE001
                ctx.reply(
                    m.text(
                        intake.failure_text(exc) + "\n" + text("upload.photos_kept"),
                        quick=_files_quick(ctx, performance),
                    )
                )
                return STAY
            assert fitted is not None
            performances.add_proof(ctx.session, performance, fitted.record)
            # The photos are one proof now; more photos later make another.
            draft_files.clear_pages(ctx.session, draft_files.PERFORMANCE_DRAFT, performance.id)
            ctx.reply(m.text(fitted.message))
        return CONFIRM
    ctx.reply(m.text(text("performance.files_hint"), quick=_files_quick(ctx, performance)))
    return STAY


def confirmation_card(ctx: Ctx, performance: Performance) -> dict[str, Any]:
    usage = item_counts.room(
        ctx.session,
        ctx.rules,
        PERFORMANCE,
        performance.student_id,
        _term(performance),
        exclude={performance.id},
    )
    spec_of = {s.key: s for s in TYPES[performance.record_type].fields}
    rows = [(text("performance.card_type"), type_label(performance.record_type))]
    for key, spec in spec_of.items():
        if key in performance.fields:
            rows.append(
                (
                    field_label(performance.record_type, spec),
                    show_value(spec, performance.fields[key]),
                )
            )
    rows += [
        (text("performance.card_summary"), performance.summary),
        (text("performance.card_files"), describe_files([p.file for p in performance.proofs])),
    ]
    editing = is_edit(performance)
    if not editing:
        # An edit keeps the saved item's slot: no new number to show.
        rows.append((text("upload.card_count"), count_line(usage, usage.semester.used + 1)))
    save_label = text("performance.button_save_edit" if editing else "performance.button_save")
    buttons = [
        {
            "type": "button",
            "style": "primary",
            "height": "sm",
            "action": m.postback_action(save_label, SAVE, save_label),
        },
        {
            "type": "button",
            "style": "secondary",
            "height": "sm",
            "action": m.postback_action(
                text("upload.button_edit_summary"), EDIT_SUMMARY, text("upload.button_edit_summary")
            ),
        },
        {
            "type": "button",
            "style": "secondary",
            "height": "sm",
            "action": m.postback_action(
                text("upload.button_more_files"), ADD_FILES, text("upload.button_more_files")
            ),
        },
    ]
    if editing:
        label = text("performance.button_edit_fields")
        buttons.insert(
            1,
            {
                "type": "button",
                "style": "secondary",
                "height": "sm",
                "action": m.postback_action(label, EDIT_FIELDS, label),
            },
        )
    return card(
        text("performance.edit_card_title" if editing else "performance.card_title"),
        rows,
        buttons,
        alt=text(
            "performance.edit_card_alt" if editing else "performance.card_alt",
            type=type_label(performance.record_type),
        ),
    )


def confirm_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    performance = draft(ctx, conv)
    if performance is None:
        return [m.text(text("upload.draft_gone"))]
    # The card carries the one 送出/儲存 button; the quick reply only offers a way out.
    card_message = m.with_quick_reply(confirmation_card(ctx, performance), [("取消", "取消")])
    if is_edit(performance):
        return [m.text(text("performance.edit_intro")), card_message]
    return [card_message]


def confirm_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    performance = draft(ctx, conv)
    if performance is None:
        return lost(ctx)
    if inp.data == EDIT_SUMMARY:
        return SUMMARY
    if inp.data == ADD_FILES:
        return FILES
    editing = is_edit(performance)
    if inp.data == EDIT_FIELDS and editing:
        return next_state(performance)
    if inp.data != SAVE and not (inp.kind == "text" and inp.word in SAVE_WORDS):
        ctx.reply(m.text(text("performance.edit_hint" if editing else "performance.confirm_hint")))
        return STAY
    if editing:
        return _save_edit(ctx, performance)
    result = performances.submit_performance(ctx.session, ctx.rules, performance.id, ctx.now)
    if result.ok:
        assert result.room is not None
        ctx.reply(
            m.text(
                text(
                    "performance.saved",
                    type=type_label(performance.record_type),
                    count=count_line(result.room, result.number),
                ),
                quick=MENU_QUICK,
            )
        )
        return END
    if result.reason == "no_summary":
        return SUMMARY
    refuse_submission(ctx, result, PERFORMANCE)
    return END


def _save_edit(ctx: Ctx, performance: Performance) -> str:
    result = performance_edits.save_edit(ctx.session, ctx.rules, performance.id, ctx.now)
    title = type_label(performance.record_type)
    if result.ok:
        ctx.reply(
            m.text(text("performance.edit_saved", type=title), quick=[("我的歷程", "我的歷程")])
        )
        return END
    if result.reason == "no_summary":
        return SUMMARY
    if result.reason == "not_draft":
        ctx.reply(m.text(text("upload.already_sent"), quick=MENU_QUICK))
        return END
    # The saved item may no longer change (picked, withdrawn, its year over): the edit goes,
    # the saved item stays as it was.
    performances.discard_performance_draft(ctx.session, performance)
    ctx.reply(m.text(cannot_edit(result.reason), quick=MENU_QUICK))
    return END


def cannot_edit(reason: str) -> str:
    """Why a saved 多元表現 cannot be edited now, in the student's words."""
    key = f"performance.cannot_edit_{reason}"
    return text(key) if key in TEXTS else text("performance.cannot_edit")
