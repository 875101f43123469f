"""多元表現 through the webhook: each record type's fields, their checks, limits and windows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from catalogue import TEXTS
from flows import performance as pf
from flows import performance_fields as pf_fields
from flows import performance_finish as pf_finish
from flows import performance_types as pf_types
from flows.line_limits import check_messages
from storage.clock import TAIPEI
from storage.models.portfolio import DRAFT, SUBMITTED, Performance
from tests.support import Chat
from tests.test_upload import (
    STUDENT,
    assert_fits_line,
    jpeg_bytes,
    pdf_bytes,
    postback_of,
    quick_items,
    send_file,
    send_photos,
    set_window,
)


def performances(db: Any, student_id: int) -> list[Performance]:
    with db.session() as s:
        found = list(
            s.scalars(
                select(Performance)
                .where(Performance.student_id == student_id)
                .order_by(Performance.id)
            )
        )
        for item in found:
            for proof in item.proofs:
                _ = proof.file
        return found


def answer(chat: Chat, spec: pf_types.FieldSpec, user: str = STUDENT) -> list[dict[str, Any]]:
    """A valid answer for any field, given the way a student would give it."""
    if spec.kind == "date":
        day = "2026-09-30" if spec.not_before else "2026-09-01"
        return chat.tap(user, pf_fields.DATE_PICKED, {"date": day})
    if spec.kind == "number":
        value = max(spec.minimum, min(spec.maximum, Decimal(2)))
        return chat.say(user, str(value))
    if spec.kind == "choice":
        return chat.say(user, spec.choices[0])
    if spec.kind == "year":
        return chat.say(user, "115")
    if spec.kind == "semester":
        return chat.say(user, "1")
    return chat.say(user, f"測試{spec.key}"[: spec.max_length])


def choose(chat: Chat, record_type: str, user: str = STUDENT) -> list[dict[str, Any]]:
    said = chat.say(user, "多元表現")
    return chat.tap(user, postback_of(said, pf.type_label(record_type)))


def make_performances(
    db: Any, student_id: int, count: int, semester: int = 1, status: str = SUBMITTED
) -> None:
    with db.transaction() as s:
        for _ in range(count):
            s.add(
                Performance(
                    student_id=student_id,
                    academic_year=115,
                    semester=semester,
                    record_type="service",
                    fields={},
                    summary="淨灘",
                    status=status,
                    created_at=datetime(2026, 9, 5, tzinfo=TAIPEI),
                )
            )


# --- the declared types -----------------------------------------------------------------------


def test_every_record_type_of_the_central_database_is_declared() -> None:
    assert [t.key for t in pf_types.RECORD_TYPES] == [
        "cadre",
        "competition",
        "certificate",
        "service",
        "flexible",
        "group_activity",
        "workplace",
        "works",
        "university_course",
        "other",
    ]
    for record_type in pf_types.RECORD_TYPES:
        assert f"performance.type.{record_type.key}" in TEXTS
        assert len(pf.type_label(record_type.key)) <= 20  # a quick-reply label
        for spec in record_type.fields:
            assert pf_types.field_label(record_type.key, spec)
            assert spec.kind in ("text", "date", "number", "choice", "year", "semester")
            if spec.kind == "choice":
                assert 0 < len(spec.choices) <= 11 and all(len(c) <= 20 for c in spec.choices)
            if spec.not_before:
                assert spec.not_before in [f.key for f in record_type.fields]


@pytest.mark.parametrize("record_type", [t.key for t in pf_types.RECORD_TYPES])
def test_each_type_walks_its_own_fields_to_saved(
    chat: Chat, school: Any, db: Any, record_type: str
) -> None:
    said = choose(chat, record_type)
    # The counter counts every step: the fields, then 內容簡述 and the files.
    steps = len(pf_types.TYPES[record_type].fields) + 2
    for n, spec in enumerate(pf_types.TYPES[record_type].fields, start=1):
        assert_fits_line(said)
        assert pf_types.field_label(record_type, spec) in Chat.texts(said)
        assert f"（{n}/{steps}）" in Chat.texts(said)
        if spec.kind == "date":
            actions = [
                a for m in said if m.get("type") == "template" for a in m["template"]["actions"]
            ]
            assert actions[0]["type"] == "datetimepicker" and actions[0]["mode"] == "date"
        said = answer(chat, spec)
    assert "內容簡述" in Chat.texts(said) and f"（{steps - 1}/{steps}）" in Chat.texts(said)
    said = chat.say(STUDENT, "做了什麼、學到什麼")
    assert f"（{steps}/{steps}）" in Chat.texts(said)
    said = chat.tap(STUDENT, pf_finish.NEXT)
    assert_fits_line(said)
    assert pf.type_label(record_type) in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "儲存"))
    assert "已儲存" in Chat.texts(said)
    [saved] = performances(db, school.students[STUDENT])
    assert saved.status == SUBMITTED and saved.record_type == record_type
    assert set(saved.fields) == {spec.key for spec in pf_types.TYPES[record_type].fields}


def test_competition_with_proof_photos(chat: Chat, school: Any, db: Any) -> None:
    said = chat.say(STUDENT, "多元表現")
    assert_fits_line(said)
    assert len(quick_items(said)) == 10
    assert "本學期第 1/10 件、本學年第 1/20 件" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "競賽參與紀錄"))
    assert "競賽名稱" in Chat.texts(said)
    chat.say(STUDENT, "全國高中數學科展")
    said = chat.say(STUDENT, "數學組")
    assert [a["label"] for a in quick_items(said)][:5] == [
        "校級",
        "縣市級",
        "區域（跨縣市）級",
        "全國",
        "國際",
    ]
    chat.say(STUDENT, "全國")
    said = chat.say(STUDENT, "佳作")
    assert "結果公布日期" in Chat.texts(said)
    chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-09-20"})
    said = chat.say(STUDENT, "團體")
    assert "內容簡述" in Chat.texts(said)
    said = chat.say(STUDENT, "三人一組研究碎形，獲全國佳作")
    assert "證明文件" in Chat.texts(said)
    said = send_photos(chat, STUDENT, [jpeg_bytes("獎狀正面"), jpeg_bytes("獎狀背面")])
    assert "收到 2 張照片" in Chat.texts(said)
    said = send_file(chat, STUDENT, pdf_bytes(), "成果報告.pdf", "application/pdf")
    assert "收到了" in Chat.texts(said)
    said = chat.tap(STUDENT, pf_finish.NEXT)
    words = Chat.texts(said)
    assert check_messages(said) == []
    assert "2 張照片依傳送順序合成一份 PDF" in words
    assert "全國高中數學科展" in words and "2026/9/20" in words
    assert "本學期第 1/10 件、本學年第 1/20 件" in words
    said = chat.tap(STUDENT, postback_of(said, "儲存"))
    assert "已儲存「競賽參與紀錄」" in Chat.texts(said)
    [saved] = performances(db, school.students[STUDENT])
    assert saved.fields == {
        "name": "全國高中數學科展",
        "item": "數學組",
        "level": "全國",
        "award": "佳作",
        "result_date": "2026-09-20",
        "team": "團體",
    }
    assert saved.summary == "三人一組研究碎形，獲全國佳作"
    assert [p.file.mime for p in saved.proofs] == ["application/pdf", "application/pdf"]
    assert saved.proofs[1].file.display_name is None  # the combined photos
    assert saved.proofs[0].file.display_name == "成果報告.pdf"


def test_proof_is_optional(chat: Chat, school: Any, db: Any) -> None:
    choose(chat, "works")
    chat.say(STUDENT, "校刊封面設計")
    chat.say(STUDENT, "2026/9/1")  # typed dates work as well as the picker
    chat.say(STUDENT, "設計校刊封面")
    said = chat.say(STUDENT, "略過")
    assert "確認儲存" in Chat.texts(said) and "還沒有檔案" in Chat.texts(said)
    chat.tap(STUDENT, pf_finish.SAVE)
    [saved] = performances(db, school.students[STUDENT])
    assert saved.fields == {"title": "校刊封面設計", "date": "2026-09-01"}
    assert saved.proofs == []


# --- checks on fields -------------------------------------------------------------------------


def test_dates_are_checked(chat: Chat, school: Any) -> None:
    choose(chat, "service")
    chat.say(STUDENT, "淨灘")
    said = chat.say(STUDENT, "海洋保育協會")
    assert "開始日期" in Chat.texts(said)
    said = chat.say(STUDENT, "下禮拜")
    assert "看不懂這個開始日期" in Chat.texts(said)
    said = chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2027-01-01"})
    assert "不在合理範圍內" in Chat.texts(said)  # a service cannot have started in the future
    said = chat.say(STUDENT, "115/9/10")  # the Minguo year
    assert "結束日期" in Chat.texts(said)
    said = chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-09-01"})
    assert "不能早於開始日期 2026/9/10" in Chat.texts(said)
    said = chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-02-30"})
    assert "看不懂" in Chat.texts(said)
    said = chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-09-12"})
    assert "服務時數" in Chat.texts(said)


def test_numbers_are_checked(chat: Chat, school: Any) -> None:
    choose(chat, "flexible")
    chat.say(STUDENT, "自主學習")
    chat.say(STUDENT, "程式設計自學")
    chat.say(STUDENT, "本校")
    said = chat.say(STUDENT, "九十")
    assert "學年度的數字" in Chat.texts(said)
    chat.say(STUDENT, "115")
    said = chat.say(STUDENT, "第三學期")
    assert "請點下方按鈕選擇學期" in Chat.texts(said)
    said = chat.say(STUDENT, "1")
    assert "每週節數" in Chat.texts(said)
    said = chat.say(STUDENT, "兩節")
    assert "要填數字" in Chat.texts(said)
    said = chat.say(STUDENT, "2.5")
    assert "要填整數" in Chat.texts(said)
    said = chat.say(STUDENT, "41")
    assert "要在 1 到 40 之間" in Chat.texts(said)
    said = chat.say(STUDENT, "2")
    assert "週數" in Chat.texts(said)


def test_decimal_hours_and_their_precision(chat: Chat, school: Any, db: Any) -> None:
    choose(chat, "service")
    chat.say(STUDENT, "淨灘")
    chat.say(STUDENT, "海洋保育協會")
    chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-09-10"})
    chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-09-10"})
    said = chat.say(STUDENT, "1.25")
    assert "小數點後一位" in Chat.texts(said)
    said = chat.say(STUDENT, "1.5")
    assert "內容簡述" in Chat.texts(said)
    [draft] = performances(db, school.students[STUDENT])
    assert draft.fields["hours"] == 1.5


def test_choices_and_text_length_are_checked(chat: Chat, school: Any) -> None:
    choose(chat, "cadre")
    said = chat.say(STUDENT, "   ")
    assert "不能空白" in Chat.texts(said)
    said = chat.say(STUDENT, "字" * 51)
    assert "最多 50 字，你寫了 51 字" in Chat.texts(said)
    chat.say(STUDENT, "101 班")
    chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-09-01"})
    said = chat.tap(STUDENT, pf_fields.SKIP)
    assert "擔任職務" in Chat.texts(said)  # the end date is optional: a cadre may still serve
    chat.say(STUDENT, "班長")
    said = chat.say(STUDENT, "超級幹部")
    assert "請點下方按鈕選擇幹部等級" in Chat.texts(said)
    said = chat.say(STUDENT, "班級幹部")
    assert "內容簡述" in Chat.texts(said)


def test_required_fields_cannot_be_skipped_but_no_is_an_answer(
    chat: Chat, school: Any, db: Any
) -> None:
    choose(chat, "competition")
    said = chat.tap(STUDENT, pf_fields.SKIP)
    assert "一定要填" in Chat.texts(said)
    chat.say(STUDENT, "英文演講比賽")
    chat.say(STUDENT, "高中組")
    chat.say(STUDENT, "校級")
    said = chat.say(STUDENT, "無")  # no award is a fair answer to a required field
    assert "結果公布日期" in Chat.texts(said)
    [draft] = performances(db, school.students[STUDENT])
    assert draft.fields["award"] == "無"


def test_optional_fields_can_be_skipped(chat: Chat, school: Any, db: Any) -> None:
    choose(chat, "certificate")
    chat.say(STUDENT, "全民英檢中級")
    said = chat.say(STUDENT, "略過")  # score
    assert "分項結果" in Chat.texts(said)
    chat.tap(STUDENT, pf_fields.SKIP)
    said = chat.tap(STUDENT, pf_fields.DATE_PICKED, {"date": "2026-06-01"})
    assert "證照字號" in Chat.texts(said)
    [draft] = performances(db, school.students[STUDENT])
    assert draft.fields == {
        "code": "全民英檢中級",
        "score": None,
        "sub_scores": None,
        "obtained": "2026-06-01",
    }


def test_back_goes_one_field_at_a_time(chat: Chat, school: Any, db: Any) -> None:
    choose(chat, "works")
    chat.say(STUDENT, "第一版名稱")
    said = chat.say(STUDENT, "上一步")
    assert "作品名稱" in Chat.texts(said) and "第一版名稱" in Chat.texts(said)
    chat.say(STUDENT, "第二版名稱")
    said = chat.say(STUDENT, "上一步")
    said = chat.say(STUDENT, "上一步")
    assert "要登錄哪一種多元表現" in Chat.texts(said)
    said = chat.tap(STUDENT, f"{pf.TYPE_PICK}service")
    assert "服務名稱" in Chat.texts(said)
    [draft] = performances(db, school.students[STUDENT])
    assert draft.record_type == "service" and draft.fields == {}


def test_unknown_type_is_asked_again(chat: Chat, school: Any) -> None:
    chat.say(STUDENT, "多元表現")
    said = chat.say(STUDENT, "社團表演")
    assert "選一種多元表現的類型" in Chat.texts(said)
    said = chat.tap(STUDENT, f"{pf.TYPE_PICK}nonsense")
    assert "選一種多元表現的類型" in Chat.texts(said)
    said = chat.say(STUDENT, "作品成果紀錄")
    assert "作品名稱" in Chat.texts(said)


# --- limits, windows, drafts ------------------------------------------------------------------


def test_semester_limit_refuses_with_the_items(chat: Chat, school: Any, db: Any) -> None:
    make_performances(db, school.students[STUDENT], 10)
    make_performances(db, school.students[STUDENT], 3, status=DRAFT)
    said = chat.say(STUDENT, "多元表現")
    words = Chat.texts(said)
    assert "多元表現每學期至多 10 件" in words
    assert words.count("服務學習紀錄（115-1，已登錄）") == 10
    assert "撤回一件" in words


def test_year_limit_refuses(chat: Chat, school: Any, db: Any, clock: Any) -> None:
    make_performances(db, school.students[STUDENT], 10, semester=1)
    make_performances(db, school.students[STUDENT], 10, semester=2)
    clock.set(datetime(2027, 3, 1, 10, 0, tzinfo=TAIPEI))
    said = chat.say(STUDENT, "多元表現")
    assert "每學期至多 10 件" in Chat.texts(said)


def test_year_limit_from_the_rules(chat: Chat, school: Any, db: Any, clock: Any) -> None:
    from dataclasses import replace

    svc = chat.svc
    svc.rules = replace(
        svc.rules,
        limits=replace(
            svc.rules.limits, performance=replace(svc.rules.limits.performance, uploads_per_year=12)
        ),
    )
    make_performances(db, school.students[STUDENT], 10, semester=1)
    make_performances(db, school.students[STUDENT], 1, semester=2)
    clock.set(datetime(2027, 3, 1, 10, 0, tzinfo=TAIPEI))
    said = chat.say(STUDENT, "多元表現")
    assert "本學期第 2/10 件、本學年第 12/12 件" in Chat.texts(said)
    make_performances(db, school.students[STUDENT], 1, semester=2)
    chat.say(STUDENT, "取消")
    said = chat.say(STUDENT, "多元表現")
    assert "多元表現每學年至多 12 件" in Chat.texts(said)
    assert "115-1" in Chat.texts(said) and "115-2" in Chat.texts(said)


def test_outside_the_performance_window(chat: Chat, school: Any) -> None:
    set_window(chat, "performance_upload", last=date(2026, 10, 1))
    said = chat.say(STUDENT, "多元表現")
    assert "多元表現上傳期間是 2026/8/1 至 2026/10/1" in Chat.texts(said)


def test_limit_reached_while_drafting(chat: Chat, school: Any, db: Any) -> None:
    choose(chat, "works")
    chat.say(STUDENT, "作品")
    chat.say(STUDENT, "2026/9/1")
    chat.say(STUDENT, "簡述")
    chat.tap(STUDENT, pf_finish.NEXT)
    make_performances(db, school.students[STUDENT], 10)
    said = chat.tap(STUDENT, pf_finish.SAVE)
    assert "每學期至多 10 件" in Chat.texts(said) and "草稿已保留" in Chat.texts(said)
    assert performances(db, school.students[STUDENT])[0].status == DRAFT


def test_window_closed_while_drafting(chat: Chat, school: Any, db: Any) -> None:
    choose(chat, "works")
    chat.say(STUDENT, "作品")
    chat.say(STUDENT, "2026/9/1")
    chat.say(STUDENT, "簡述")
    chat.tap(STUDENT, pf_finish.NEXT)
    set_window(chat, "performance_upload", last=date(2026, 10, 14))
    said = chat.say(STUDENT, "儲存")
    assert "已經截止" in Chat.texts(said)
    assert performances(db, school.students[STUDENT])[0].status == DRAFT


def test_cancel_deletes_the_draft_and_timeout_offers_it(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    choose(chat, "works")
    chat.say(STUDENT, "作品")
    clock.advance(hours=2)
    said = chat.say(STUDENT, "嗨")
    assert "尚未送出的草稿（多元表現：作品成果紀錄）" in Chat.texts(said)
    said = chat.say(STUDENT, "繼續草稿")
    assert "完成日期" in Chat.texts(said)
    said = chat.say(STUDENT, "取消")
    assert "草稿已刪除" in Chat.texts(said)
    assert performances(db, school.students[STUDENT]) == []


def test_summary_is_required_and_short(chat: Chat, school: Any) -> None:
    choose(chat, "works")
    chat.say(STUDENT, "作品")
    chat.say(STUDENT, "2026/9/1")
    said = chat.say(STUDENT, "x" * 101)
    assert "最多 100 字" in Chat.texts(said)
    said = send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    assert "需要的是文字簡述" in Chat.texts(said)


def test_parents_cannot_register_performances(chat: Chat, school: Any) -> None:
    said = chat.say("Upar", "多元表現")
    assert "不適用於目前的身分" in Chat.texts(said)


def test_menu_tap_starts_it(chat: Chat, school: Any) -> None:
    said = chat.tap(STUDENT, "menu:performance")
    assert "要登錄哪一種多元表現" in Chat.texts(said)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-10-01", date(2026, 10, 1)),
        ("2026/10/1", date(2026, 10, 1)),
        ("115/10/1", date(2026, 10, 1)),
        ("115年10月1日", date(2026, 10, 1)),
        ("民國 115/10/1", date(2026, 10, 1)),
        ("２０２６／１０／０１", date(2026, 10, 1)),
        ("10/1", None),
        ("2026/13/1", None),
        ("明天", None),
    ],
)
def test_typed_dates(typed: str, expected: date | None) -> None:
    assert pf_fields.parse_date(typed) == expected
