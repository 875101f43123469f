"""Course outcome upload through the webhook and the local LINE platform: every path and refusal."""

from __future__ import annotations

import io
import os
import struct
import threading
from datetime import timedelta
from typing import Any

import img2pdf
from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy import text as text_sql

from dev.emulator import events as ev
from flows.line_limits import check_messages
from rules.reader import load_rules
from school import draft_files, item_counts, terms
from school import outcomes as outcome_store
from storage.clock import TAIPEI
from storage.models.conversation import ConversationRow
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    DraftPage,
    FileRecord,
)
from storage.models.school import Course, Enrolment, Term
from tests.support import Chat

STUDENT = "Us10101"
OTHER = "Us10102"

# --- content a phone sends --------------------------------------------------------------------


def jpeg_bytes(label: str = "page", size: tuple[int, int] = (800, 600), quality: int = 85) -> bytes:
    """A small photo with its label written on it (so pages can be told apart)."""
    image = Image.new("RGB", size, (240, 236, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, size[0] - 20, size[1] - 20), outline=(30, 30, 30), width=4)
    draw.text((60, 60), label, fill=(10, 10, 10))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def noisy_jpeg(size: tuple[int, int], seed: int = 1) -> bytes:
    """A photo that does not compress (sensor noise everywhere)."""
    rng = __import__("random").Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def pdf_bytes(pages: int = 1) -> bytes:
    return img2pdf.convert(*[jpeg_bytes(f"pdf page {n}") for n in range(pages)])


def mp4_bytes(size: int = 60_000) -> bytes:
    header = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 0x200) + b"isomiso2avc1mp41"
    filler = os.urandom(max(0, size - len(header) - 8))
    return header + struct.pack(">I4s", len(filler) + 8, b"mdat") + filler


def mp3_bytes(frames: int = 20) -> bytes:
    return (b"\xff\xfb\x90\x64" + bytes(413)) * frames


_ids = iter(range(10**17, 10**18))


def new_id() -> str:
    return str(next(_ids))


def send_photos(
    chat: Chat,
    user: str,
    photos: list[bytes],
    together: bool = True,
    order: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Photos as LINE sends them: one event each; together = one imageSet (in one body,
    in `order` if given, since LINE does not promise order)."""
    set_id = new_id()
    made = []
    for index, data in enumerate(photos, start=1):
        message_id = new_id()
        chat.platform.register_content(message_id, data, "image/jpeg")
        image_set = (set_id, index, len(photos)) if together else None
        chat.clock.advance(timedelta(milliseconds=5))
        made.append(ev.image_event(user, message_id, image_set=image_set, platform=chat.platform))
    if order is not None:
        made = [made[i] for i in order]
    if together:
        chat.post(made)
    else:
        for event in made:
            chat.post([event])
    return chat.new_messages(user)


def send_file(
    chat: Chat, user: str, data: bytes, name: str, content_type: str, preparing_polls: int = 0
) -> list[dict[str, Any]]:
    message_id = new_id()
    chat.platform.register_content(message_id, data, content_type, preparing_polls=preparing_polls)
    chat.clock.advance(timedelta(milliseconds=5))
    chat.post([ev.file_event(user, message_id, name, len(data), platform=chat.platform)])
    return chat.new_messages(user)


def send_video(
    chat: Chat, user: str, data: bytes, preparing_polls: int = 0
) -> list[dict[str, Any]]:
    message_id = new_id()
    chat.platform.register_content(message_id, data, "video/mp4", preparing_polls=preparing_polls)
    chat.clock.advance(timedelta(milliseconds=5))
    chat.post([ev.video_event(user, message_id, platform=chat.platform)])
    return chat.new_messages(user)


def quick_items(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for message in reversed(messages):
        if "quickReply" in message:
            return [item["action"] for item in message["quickReply"]["items"]]
    return []


def postback_of(messages: list[dict[str, Any]], label: str) -> str:
    """The postback data behind a button or quick reply a person sees as `label`."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "postback" and node.get("label") == label:
                found.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    assert found, f"no button {label!r} in {Chat.texts(messages)}"
    return found[0]


def uri_of(messages: list[dict[str, Any]], label: str) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "uri" and node.get("label") == label:
                found.append(node["uri"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    assert found, f"no link {label!r}"
    return found[0]


def assert_fits_line(messages: list[dict[str, Any]]) -> None:
    assert messages, "nothing was said"
    assert check_messages(messages) == []


def outcomes(db: Any, student_id: int) -> list[CourseOutcome]:
    with db.session() as s:
        return list(
            s.scalars(
                select(CourseOutcome)
                .where(CourseOutcome.student_id == student_id)
                .order_by(CourseOutcome.id)
            )
        )


def start_upload(chat: Chat, user: str = STUDENT, course: str = "數學") -> list[dict[str, Any]]:
    said = chat.say(user, "上傳")
    assert "哪一科" in Chat.texts(said), Chat.texts(said)
    return chat.tap(user, postback_of(said, course))


def to_confirmation(
    chat: Chat,
    user: str = STUDENT,
    course: str = "數學",
    summary: str = "用函數圖形解釋手機資費方案",
) -> list[dict[str, Any]]:
    start_upload(chat, user, course)
    send_photos(chat, user, [jpeg_bytes("p1"), jpeg_bytes("p2")])
    chat.tap(user, "upload:next")
    return chat.say(user, summary)


def upload_one(chat: Chat, user: str = STUDENT, course: str = "數學") -> list[dict[str, Any]]:
    said = to_confirmation(chat, user, course)
    return chat.tap(user, postback_of(said, "送出"))


def make_items(
    db: Any, student_id: int, course_id: int, statuses: list[str], semester: int = 1
) -> list[int]:
    """Items already in the database, as if uploaded earlier."""
    from datetime import datetime

    ids = []
    with db.transaction() as s:
        for status in statuses:
            outcome = CourseOutcome(
                student_id=student_id,
                course_id=course_id,
                academic_year=115,
                semester=semester,
                summary="舊作品",
                status=status,
                created_at=datetime(2026, 9, 10, tzinfo=TAIPEI),
            )
            if status == REJECTED:
                outcome.reject_reason = "檔案看不清楚"
            s.add(outcome)
            s.flush()
            ids.append(outcome.id)
    return ids


# --- the whole path ---------------------------------------------------------------------------


def test_photos_summary_confirm_submit(chat: Chat, school: Any, db: Any, app: Any) -> None:
    said = chat.say(STUDENT, "上傳")
    assert_fits_line(said)
    labels = [a["label"] for a in quick_items(said)]
    assert labels == ["國語文", "數學", "英語文"]
    assert "本學期第 1/6 件" in Chat.texts(said)

    said = chat.tap(STUDENT, postback_of(said, "數學"))
    assert "請傳「數學」的作品" in Chat.texts(said)
    [draft] = outcomes(db, school.students[STUDENT])
    assert draft.status == DRAFT and draft.course_id == school.courses["101-數學"]

    said = send_photos(chat, STUDENT, [jpeg_bytes(f"page {n}") for n in range(3)])
    assert len(said) == 1, "one answer for the whole set of photos"
    assert "收到 3 張照片" in Chat.texts(said)

    said = chat.tap(STUDENT, "upload:next")
    assert "3 張照片依傳送順序合成一份 PDF" in Chat.texts(said)
    assert "簡述" in Chat.texts(said)

    said = chat.say(STUDENT, "用函數圖形比較三家電信資費，找出最划算的方案。")
    assert_fits_line(said)
    words = Chat.texts(said)
    assert "數學（陳建宏老師）" in words
    assert "用函數圖形比較三家電信資費" in words
    assert "本學期第 1/6 件" in words
    assert "2027/2/11" in words  # the certification window's last day

    said = chat.tap(STUDENT, postback_of(said, "送出"))
    assert "已送出「數學」課程學習成果" in Chat.texts(said)
    assert "陳建宏老師" in Chat.texts(said)
    [sent] = outcomes(db, school.students[STUDENT])
    assert sent.status == PENDING and sent.submitted_at is not None
    assert sent.certifier_id == school.staff["T003"]
    with db.session() as s:
        document = s.get(FileRecord, sent.document_file_id)
        assert document.mime == "application/pdf" and document.size <= 4 * 1024 * 1024
        assert s.scalar(select(func.count()).select_from(DraftPage)) == 0
        assert s.get(ConversationRow, STUDENT) is None
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "submit")
            )
            == 1
        )
    pdf = app.extensions["portfolio"].files.path(document.sha256)
    assert len(PdfReader(pdf).pages) == 3


def test_the_confirmation_offers_submit_once(chat: Chat, school: Any) -> None:
    said = to_confirmation(chat)
    assert [a["label"] for a in quick_items(said)] == ["取消"]
    assert postback_of(said, "送出")  # on the card, once


def test_photos_out_of_order_keep_their_set_order(
    chat: Chat, school: Any, db: Any, app: Any
) -> None:
    start_upload(chat)
    photos = [jpeg_bytes(f"p{n}", size=(600 + 100 * n, 500)) for n in range(3)]
    send_photos(chat, STUDENT, photos, order=[2, 0, 1])
    send_photos(chat, STUDENT, [jpeg_bytes("single", size=(1000, 500))], together=False)
    chat.tap(STUDENT, "upload:next")
    [draft] = outcomes(db, school.students[STUDENT])
    with db.session() as s:
        document = s.get(FileRecord, draft.document_file_id)
    reader = PdfReader(app.extensions["portfolio"].files.path(document.sha256))
    widths = []
    for page in reader.pages:
        [picture] = page.images
        widths.append(picture.image.width)
    assert widths == [600, 700, 800, 1000]


def test_pdf_and_video_both_kept(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat, course="英語文")
    said = send_file(chat, STUDENT, pdf_bytes(2), "../../etc/報告.pdf", "application/pdf")
    assert "收到了" in Chat.texts(said)
    said = send_video(chat, STUDENT, mp4_bytes(), preparing_polls=2)
    assert "收到了" in Chat.texts(said)
    chat.tap(STUDENT, "upload:next")
    said = chat.say(STUDENT, "英文短劇錄影與劇本")
    assert "報告.pdf" in Chat.texts(said)
    chat.tap(STUDENT, "upload:submit")
    [sent] = outcomes(db, school.students[STUDENT])
    assert sent.status == PENDING and sent.document_file_id and sent.video_file_id
    with db.session() as s:
        assert s.get(FileRecord, sent.document_file_id).display_name == "報告.pdf"
        assert s.get(FileRecord, sent.video_file_id).mime == "video/mp4"


def test_audio_is_accepted(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    said = send_file(chat, STUDENT, mp3_bytes(), "voice.mp3", "audio/mpeg")
    assert "收到了" in Chat.texts(said)
    [draft] = outcomes(db, school.students[STUDENT])
    with db.session() as s:
        assert s.get(FileRecord, draft.video_file_id).mime == "audio/mpeg"


def test_two_messages_in_one_body_are_handled_in_order(chat: Chat, school: Any, db: Any) -> None:
    first = ev.text_event(STUDENT, "上傳", platform=chat.platform)
    chat.clock.advance(timedelta(milliseconds=5))
    second = ev.text_event(STUDENT, "數學", platform=chat.platform)
    chat.post([first, second])
    said = chat.new_messages(STUDENT)
    words = Chat.texts(said)
    assert words.index("哪一科") < words.index("請傳「數學」的作品")
    [draft] = outcomes(db, school.students[STUDENT])
    assert draft.status == DRAFT


def test_menu_tap_starts_the_upload(chat: Chat, school: Any) -> None:
    said = chat.tap(STUDENT, "menu:upload")
    assert "哪一科" in Chat.texts(said)


def test_more_than_thirteen_courses_are_paged(chat: Chat, school: Any, db: Any) -> None:
    with db.transaction() as s:
        for n in range(12):
            course = Course(
                term_id=school.term1,
                code=f"115EL{n:02d}",
                subject=f"選修{n:02d}",
                class_id=school.classes["101"],
                teacher_id=school.staff["T004"],
            )
            s.add(course)
            s.flush()
            s.add(Enrolment(student_id=school.students[STUDENT], course_id=course.id))
    said = chat.say(STUDENT, "上傳")
    assert_fits_line(said)
    labels = [a["label"] for a in quick_items(said)]
    assert len(labels) == 12 and labels[-1] == "下一頁"
    assert "第 1/2 頁" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "下一頁"))
    labels = [a["label"] for a in quick_items(said)]
    assert labels[0] == "上一頁" and "第 2/2 頁" in Chat.texts(said)
    assert "選修10" in labels
    said = chat.tap(STUDENT, postback_of(said, "選修10"))
    assert "請傳「選修10」的作品" in Chat.texts(said)


def test_course_typed_by_name_and_unknown_course(chat: Chat, school: Any) -> None:
    chat.say(STUDENT, "上傳")
    said = chat.say(STUDENT, "體育")
    assert "找不到這個科目" in Chat.texts(said)
    said = chat.tap(STUDENT, "upload:course:999999")  # a course that is not the student's
    assert "找不到這個科目" in Chat.texts(said)
    said = chat.say(STUDENT, "國語文")
    assert "請傳「國語文」的作品" in Chat.texts(said)


# --- refusals ---------------------------------------------------------------------------------


def test_outside_the_window_is_refused_with_its_dates(chat: Chat, school: Any, clock: Any) -> None:
    from datetime import datetime

    clock.set(datetime(2027, 2, 5, 10, 0, tzinfo=TAIPEI))  # upload ended 2/3, 115-1 still latest
    said = chat.say(STUDENT, "上傳")
    assert "2026/8/31 至 2027/2/3" in Chat.texts(said)
    assert "截止" in Chat.texts(said)


def test_before_the_window_opens_is_refused(chat: Chat, school: Any) -> None:
    from datetime import date

    set_window(chat, "upload", first=date(2026, 11, 1))
    said = chat.say(STUDENT, "上傳")
    assert "2026/11/1 至 2027/2/3" in Chat.texts(said)
    assert "還沒開始" in Chat.texts(said)


def test_at_the_semester_limit_told_which_items_count(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    make_items(db, sid, school.courses["101-數學"], [PENDING] * 4 + [CERTIFIED] * 2 + [REJECTED])
    said = chat.say(STUDENT, "上傳")
    words = Chat.texts(said)
    assert "每學期至多 6 件" in words
    assert words.count("數學（115-1") == 6
    assert "退回" not in words  # a rejected item does not use a slot
    assert "撤回一件「待認證」" in words
    assert outcomes(db, sid)[-1].status == REJECTED  # nothing new was created


def test_at_the_limit_with_all_certified(chat: Chat, school: Any, db: Any) -> None:
    make_items(db, school.students[STUDENT], school.courses["101-數學"], [CERTIFIED] * 6)
    said = chat.say(STUDENT, "上傳")
    assert "都已認證，不能撤回" in Chat.texts(said)


def test_limit_comes_from_the_rules(chat: Chat, school: Any, db: Any) -> None:
    from dataclasses import replace

    svc = chat.svc
    limits = replace(
        svc.rules.limits,
        course_outcome=replace(svc.rules.limits.course_outcome, uploads_per_semester=2),
    )
    svc.rules = replace(svc.rules, limits=limits)
    make_items(db, school.students[STUDENT], school.courses["101-數學"], [PENDING])
    said = chat.say(STUDENT, "上傳")
    assert "本學期第 2/2 件" in Chat.texts(said)
    make_items(db, school.students[STUDENT], school.courses["101-數學"], [PENDING])
    said = chat.say(STUDENT, "取消")
    said = chat.say(STUDENT, "上傳")
    assert "每學期至多 2 件" in Chat.texts(said)


def test_drafts_count_when_the_rules_say_so(chat: Chat, school: Any, db: Any) -> None:
    from dataclasses import replace

    svc = chat.svc
    svc.rules = replace(
        svc.rules,
        limits=replace(
            svc.rules.limits, counted_states=frozenset({"draft", "pending", "certified"})
        ),
    )
    make_items(db, school.students[STUDENT], school.courses["101-數學"], [PENDING] * 5 + [DRAFT])
    said = chat.say(STUDENT, "上傳")
    assert "每學期至多 6 件" in Chat.texts(said)
    assert "草稿" in Chat.texts(said)


def test_unsupported_file_is_refused_and_the_draft_kept(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes("kept")], together=False)
    said = send_file(
        chat,
        STUDENT,
        b"PK\x03\x04 this is a word document",
        "作業.docx",
        "application/octet-stream",
    )
    words = Chat.texts(said)
    # The refusal names what the file is and what is accepted.
    assert "這個檔案是 zip" in words and "目前只接受" in words and "PDF" in words
    assert "已收到的檔案都還在" in words and "草稿已保留" not in words
    [draft] = outcomes(db, school.students[STUDENT])
    assert items_pages(db, draft.id) == 1


def items_pages(db: Any, draft_id: int) -> int:
    with db.session() as s:
        return draft_files.page_count(s, draft_files.OUTCOME_DRAFT, draft_id)


def test_file_name_never_decides_the_type(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    said = send_file(chat, STUDENT, b"#!/bin/sh\nrm -rf /\n", "homework.pdf", "application/pdf")
    assert "認不出這個檔案的格式" in Chat.texts(said)
    said = send_file(chat, STUDENT, jpeg_bytes("named like a pdf"), "scan.pdf", "application/pdf")
    assert "收到照片了" in Chat.texts(said)


def test_content_gone_from_line_is_explained(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    message_id = new_id()  # never registered: LINE answers 404
    chat.post([ev.image_event(STUDENT, message_id, platform=chat.platform)])
    said = chat.new_messages(STUDENT)
    assert "LINE 已經刪除這個檔案" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT])[0].status == DRAFT


def test_content_never_ready_is_explained(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    said = send_video(chat, STUDENT, mp4_bytes(), preparing_polls=1000)
    assert "LINE 還在處理這個檔案" in Chat.texts(said)


def test_document_that_cannot_fit_says_size_and_what_to_do(
    chat: Chat, school: Any, db: Any
) -> None:
    start_upload(chat)
    # Noise does not compress: 20 of these stay over 4 MB even at the smallest readable size.
    photos = [noisy_jpeg((1000, 750), seed=n) for n in range(20)]
    send_photos(chat, STUDENT, photos)
    said = chat.tap(STUDENT, "upload:next")
    words = Chat.texts(said)
    assert "超過 4 MB 上限" in words and "MB" in words
    assert "照片都還保留著" in words
    [draft] = outcomes(db, school.students[STUDENT])
    assert draft.document_file_id is None and items_pages(db, draft.id) == 20


def test_large_video_without_a_converter_is_explained(
    chat: Chat, school: Any, db: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("media.av.bundled_ffmpeg", lambda: None)  # nor the packaged one
    start_upload(chat)
    said = send_video(chat, STUDENT, mp4_bytes(11 * 1024 * 1024))
    words = Chat.texts(said)
    assert "超過 10 MB 上限" in words and "沒有壓縮工具" in words
    assert outcomes(db, school.students[STUDENT])[0].video_file_id is None


def test_mov_without_a_converter_is_explained(chat: Chat, school: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("media.av.bundled_ffmpeg", lambda: None)  # nor the packaged one
    start_upload(chat)
    mov = struct.pack(">I4s4sI", 20, b"ftyp", b"qt  ", 0) + b"qt  " + os.urandom(4000)
    said = send_video(chat, STUDENT, mov)
    assert "mov 檔要轉成 mp4" in Chat.texts(said)


def test_next_without_files_is_refused(chat: Chat, school: Any) -> None:
    start_upload(chat)
    said = chat.tap(STUDENT, "upload:next")
    assert "還沒收到作品" in Chat.texts(said)


def test_summary_rules(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    chat.tap(STUDENT, "upload:next")
    said = chat.say(STUDENT, "   ")
    assert "簡述不能空白" in Chat.texts(said)
    said = chat.say(STUDENT, "字" * 101)
    assert "最多 100 字，你寫了 101 字" in Chat.texts(said)
    said = send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    assert "需要的是文字簡述" in Chat.texts(said)
    said = chat.say(STUDENT, "學" * 100)  # exactly 100 Chinese characters is fine
    assert "確認送出" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT])[0].summary == "學" * 100


def test_confirmation_can_go_back_and_edit(chat: Chat, school: Any, db: Any) -> None:
    said = to_confirmation(chat)
    said = chat.tap(STUDENT, postback_of(said, "修改簡述"))
    assert "目前的簡述" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "沿用"))
    assert "確認送出" in Chat.texts(said)
    said = chat.say(STUDENT, "上一步")
    assert "簡述" in Chat.texts(said)
    said = chat.say(STUDENT, "新的簡述")
    assert "新的簡述" in Chat.texts(said)
    said = chat.say(STUDENT, "隨便說說")
    assert "請按「送出」" in Chat.texts(said)


def test_confirmation_card_links_to_the_document(chat: Chat, school: Any, app: Any) -> None:
    said = to_confirmation(chat)
    link = uri_of(said, "看看文件")
    assert link.startswith("https://portfolio.example.edu.tw/f/")
    response = app.test_client().get(link.removeprefix("https://portfolio.example.edu.tw"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"


def test_cancel_discards_the_draft(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    said = chat.say(STUDENT, "取消")
    assert "草稿已刪除" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT]) == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DraftPage)) == 0


# --- drafts survive -------------------------------------------------------------------------


def test_draft_survives_a_timeout_and_is_offered_back(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes("a"), jpeg_bytes("b")])
    clock.advance(hours=3)
    said = chat.say(STUDENT, "你好")
    assert "你有一份尚未送出的草稿（數學 課程學習成果）" in Chat.texts(said)
    said = chat.say(STUDENT, "繼續草稿")
    assert "照片 2 張" in Chat.texts(said)
    said = chat.tap(STUDENT, "upload:next")
    assert "2 張照片" in Chat.texts(said)


def test_starting_again_offers_the_draft_and_discarding_deletes_it(
    chat: Chat, school: Any, db: Any
) -> None:
    start_upload(chat)
    said = chat.say(STUDENT, "上傳")
    assert "尚未送出的草稿" in Chat.texts(said)
    said = chat.say(STUDENT, "捨棄草稿")
    assert "草稿已捨棄" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT]) == []


def set_window(chat: Chat, kind: str, first: Any = None, last: Any = None) -> None:
    """Move one of 115-1's windows, as the working group might during the semester."""
    from dataclasses import replace

    svc = chat.svc
    rules = svc.rules
    semester = rules.semester(115, 1)
    window = semester.windows[kind]
    moved = replace(window, first_day=first or window.first_day, last_day=last or window.last_day)
    semester = replace(semester, windows={**semester.windows, kind: moved})
    year = replace(rules.years[115], semesters={**rules.years[115].semesters, 1: semester})
    svc.rules = replace(rules, years={**rules.years, 115: year})


def test_refused_submission_keeps_the_draft(chat: Chat, school: Any, db: Any) -> None:
    from datetime import date

    to_confirmation(chat)
    set_window(chat, "upload", last=date(2026, 10, 14))  # closed early, while drafting
    said = chat.tap(STUDENT, "upload:submit")
    assert "2026/8/31 至 2026/10/14" in Chat.texts(said)
    assert "已經截止" in Chat.texts(said) and "草稿已保留" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT])[0].status == DRAFT


def test_limit_reached_while_drafting_is_refused_at_submission(
    chat: Chat, school: Any, db: Any
) -> None:
    to_confirmation(chat)
    make_items(db, school.students[STUDENT], school.courses["101-國語文"], [PENDING] * 6)
    said = chat.tap(STUDENT, "upload:submit")
    assert "每學期至多 6 件" in Chat.texts(said) and "草稿已保留" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT])[0].status == DRAFT


def test_double_tap_on_submit_sends_once(chat: Chat, school: Any, db: Any) -> None:
    said = to_confirmation(chat)
    data = postback_of(said, "送出")
    chat.post(
        [
            ev.postback_event(STUDENT, data, platform=chat.platform),
            ev.postback_event(STUDENT, data, platform=chat.platform),
        ]
    )
    assert [o.status for o in outcomes(db, school.students[STUDENT])] == [PENDING]


# --- replacing a rejected item --------------------------------------------------------------


def test_replacement_after_rejection(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    make_items(db, sid, school.courses["101-數學"], [PENDING] * 5)
    [rejected] = make_items(db, sid, school.courses["101-英語文"], [REJECTED])
    said = chat.tap(STUDENT, f"reupload:{rejected}")
    assert "重新上傳「英語文」" in Chat.texts(said) and "檔案看不清楚" in Chat.texts(said)
    assert "請傳「英語文」的作品" in Chat.texts(said)
    send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    chat.tap(STUDENT, "upload:next")
    said = chat.say(STUDENT, "重拍清楚的版本")
    assert "本學期第 6/6 件" in Chat.texts(said)
    chat.tap(STUDENT, "upload:submit")
    new = outcomes(db, sid)[-1]
    assert new.replaces_id == rejected and new.status == PENDING


def test_replacement_is_refused_when_other_items_fill_the_semester(
    chat: Chat, school: Any, db: Any
) -> None:
    sid = school.students[STUDENT]
    [rejected] = make_items(db, sid, school.courses["101-英語文"], [REJECTED])
    make_items(db, sid, school.courses["101-數學"], [PENDING] * 6)
    said = chat.tap(STUDENT, f"reupload:{rejected}")
    assert "每學期至多 6 件" in Chat.texts(said)
    assert len(outcomes(db, sid)) == 7


def test_replacement_takes_the_rejected_slot_when_rejected_items_count(
    chat: Chat, school: Any, db: Any
) -> None:
    from dataclasses import replace

    svc = chat.svc
    svc.rules = replace(
        svc.rules,
        limits=replace(
            svc.rules.limits, counted_states=frozenset({"pending", "certified", "rejected"})
        ),
    )
    sid = school.students[STUDENT]
    make_items(db, sid, school.courses["101-數學"], [PENDING] * 5)
    [rejected] = make_items(db, sid, school.courses["101-英語文"], [REJECTED])
    said = chat.say(STUDENT, "上傳")
    assert "每學期至多 6 件" in Chat.texts(said)  # full: the rejection counts here
    chat.tap(STUDENT, f"reupload:{rejected}")
    send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    chat.tap(STUDENT, "upload:next")
    said = chat.say(STUDENT, "重拍清楚的版本")
    assert "本學期第 6/6 件" in Chat.texts(said)
    said = chat.tap(STUDENT, "upload:submit")
    assert "已送出" in Chat.texts(said)
    new = outcomes(db, sid)[-1]
    assert new.replaces_id == rejected and new.status == PENDING
    assert new.course_id == school.courses["101-英語文"]


def test_replacement_refusals(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    [pending] = make_items(db, sid, school.courses["101-數學"], [PENDING])
    said = chat.tap(STUDENT, f"reupload:{pending}")
    assert "沒有被退回" in Chat.texts(said)
    [theirs] = make_items(db, school.students[OTHER], school.courses["101-數學"], [REJECTED])
    said = chat.tap(STUDENT, f"reupload:{theirs}")
    assert "找不到這件成果" in Chat.texts(said)
    [rejected] = make_items(db, sid, school.courses["101-數學"], [REJECTED])
    chat.tap(STUDENT, f"reupload:{rejected}")
    chat.say(STUDENT, "取消")
    said = chat.tap(STUDENT, f"reupload:{rejected}")
    assert "重新上傳「數學」" in Chat.texts(said)
    send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    chat.tap(STUDENT, "upload:next")
    chat.say(STUDENT, "新版")
    chat.tap(STUDENT, "upload:submit")
    said = chat.tap(STUDENT, f"reupload:{rejected}")
    assert "已經重新上傳過了" in Chat.texts(said)
    said = chat.tap(STUDENT, "reupload:abc")
    assert "按鈕已經失效" in Chat.texts(said)


# --- who may upload -----------------------------------------------------------------------------


def test_teachers_and_parents_cannot_upload(chat: Chat, school: Any) -> None:
    for user in ("Utchen", "Upar"):
        said = chat.say(user, "上傳")
        assert "不適用於目前的身分" in Chat.texts(said)


def test_file_without_a_flow_is_not_lost_silently(chat: Chat, school: Any) -> None:
    said = send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    assert "請先從選單點「上傳」" in Chat.texts(said)


# --- the race for the last slot ---------------------------------------------------------------


def test_two_submissions_racing_for_the_last_slot_exactly_one_wins(
    db: Any, school: Any, clock: Any
) -> None:
    rules = load_rules(None)
    sid = school.students[STUDENT]
    make_items(db, sid, school.courses["101-國語文"], [PENDING] * 5)
    drafts = make_items(db, sid, school.courses["101-數學"], [DRAFT, DRAFT])
    with db.transaction() as s:
        file = FileRecord(
            sha256="0" * 64, size=1, mime="application/pdf", kind="document", created_at=clock.now()
        )
        s.add(file)
        s.flush()
        for draft_id in drafts:
            s.get(CourseOutcome, draft_id).document_file_id = file.id
    first_holds_lock = threading.Event()
    let_first_commit = threading.Event()
    results: dict[int, Any] = {}

    def first() -> None:
        with db.transaction() as s:
            results[0] = outcome_store.submit_outcome(s, rules, drafts[0], clock.now())
            first_holds_lock.set()
            let_first_commit.wait(10)

    def second() -> None:
        first_holds_lock.wait(10)
        with db.transaction() as s:
            results[1] = outcome_store.submit_outcome(s, rules, drafts[1], clock.now())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_holds_lock.wait(10)
    # Let the first commit only once the second is queued behind the per-student lock (or,
    # were there no lock, has already finished): PostgreSQL shows who waits for what.
    waiting = threading.Event()
    for _ in range(500):
        with db.session() as s:
            queued = s.scalar(
                text_sql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                )
            )
        if queued or not threads[1].is_alive():
            break
        waiting.wait(0.01)
    let_first_commit.set()
    for thread in threads:
        thread.join(20)
    assert results[0].ok is True
    assert results[1].ok is False and results[1].reason == "limit"
    statuses = sorted(o.status for o in outcomes(db, sid))
    assert statuses.count(PENDING) == 6 and statuses.count(DRAFT) == 1


def test_withdrawn_items_do_not_count(db: Any, school: Any) -> None:
    rules = load_rules(None)
    sid = school.students[STUDENT]
    make_items(db, sid, school.courses["101-數學"], [PENDING] * 5 + [WITHDRAWN] * 3)
    with db.session() as s:
        usage = item_counts.room(s, rules, "course_outcome", sid, terms.TermRef(115, 1))
    assert usage.semester.used == 5 and not usage.semester.full
    assert usage.year.limit is None


def test_second_semester_counts_separately(db: Any, school: Any) -> None:
    rules = load_rules(None)
    sid = school.students[STUDENT]
    make_items(db, sid, school.courses["101-數學"], [PENDING] * 6)
    with db.session() as s:
        usage = item_counts.room(s, rules, "course_outcome", sid, terms.TermRef(115, 2))
        assert usage.semester.used == 0 and usage.year.used == 6
        term2 = s.get(Term, school.term2)
        assert term2.semester == 2


def test_summary_counts_characters_not_bytes() -> None:
    from flows.submission import check_summary

    assert check_summary("學" * 100)[0] == "學" * 100
    assert check_summary("學" * 101)[0] is None
    assert check_summary(" 好 ")[0] == "好"


def test_no_enrolment_this_semester_is_explained(chat: Chat, school: Any, db: Any) -> None:
    from sqlalchemy import delete

    with db.transaction() as s:
        s.execute(delete(Enrolment).where(Enrolment.student_id == school.students[STUDENT]))
    said = chat.say(STUDENT, "上傳")
    assert "找不到你 115-1 學期的修課資料" in Chat.texts(said)


def test_before_any_semester_is_explained(chat: Chat, school: Any, clock: Any) -> None:
    from datetime import datetime

    clock.set(datetime(2026, 8, 10, 10, 0, tzinfo=TAIPEI))  # the rules start with 115-1 on 8/31
    said = chat.say(STUDENT, "上傳")
    assert "現在不在任何學期內" in Chat.texts(said)


def test_a_semester_without_an_upload_window_is_explained(chat: Chat, school: Any) -> None:
    from dataclasses import replace

    svc = chat.svc
    rules = svc.rules
    semester = rules.semester(115, 1)
    windows = {k: w for k, w in semester.windows.items() if k != "upload"}
    year = replace(
        rules.years[115],
        semesters={**rules.years[115].semesters, 1: replace(semester, windows=windows)},
    )
    svc.rules = replace(rules, years={**rules.years, 115: year})
    said = chat.say(STUDENT, "上傳")
    assert "還沒有公布本學期的課程學習成果上傳期間" in Chat.texts(said)


def test_every_text_these_flows_say_is_in_the_catalogue() -> None:
    import re
    from pathlib import Path

    from catalogue import TEXTS

    root = Path(__file__).resolve().parents[1]
    used: set[str] = set()
    for name in (
        "flows/upload.py",
        "flows/upload_states.py",
        "flows/upload_course.py",
        "flows/upload_files.py",
        "flows/upload_confirm.py",
        "flows/performance.py",
        "flows/performance_draft.py",
        "flows/performance_fields.py",
        "flows/performance_finish.py",
        "flows/performance_types.py",
        "flows/my_portfolio.py",
        "flows/intake.py",
        "bot/files_view.py",
    ):
        used |= set(re.findall(r'(?<![\w.])text\(\s*"([a-z_.]*[a-z_])"', (root / name).read_text()))
    assert used and sorted(k for k in used if k not in TEXTS) == []
    for kind in ("course_outcome", "performance"):
        assert f"upload.item_name.{kind}" in TEXTS and f"upload.window_name.{kind}" in TEXTS
    for status in ("draft", "pending", "certified", "rejected", "submitted", "withdrawn"):
        assert f"upload.status.{status}" in TEXTS
    for page in ("expired", "forbidden", "gone"):
        assert f"link.{page}.title" in TEXTS and f"link.{page}.body" in TEXTS
