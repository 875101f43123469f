"""我的學習歷程 through the webhook: counts, statuses, file links, withdrawal, replacement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from flows.line_limits import check_messages
from storage.clock import TAIPEI
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    Performance,
)
from tests.support import Chat
from tests.test_performance import make_performances
from tests.test_upload import (
    OTHER,
    STUDENT,
    jpeg_bytes,
    make_items,
    outcomes,
    postback_of,
    send_photos,
    upload_one,
    uri_of,
)


def bubbles(said: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for message in said:
        if message.get("type") == "flex" and message["contents"]["type"] == "carousel":
            return list(message["contents"]["contents"])
    return []


def labels(bubble: dict[str, Any]) -> list[str]:
    footer = bubble.get("footer", {}).get("contents", [])
    return [b["action"]["label"] for b in footer]


def test_counts_and_statuses(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    upload_one(chat)  # pending, with a document
    make_items(db, sid, school.courses["101-國語文"], [CERTIFIED])
    [rejected] = make_items(db, sid, school.courses["101-英語文"], [REJECTED])
    make_items(db, sid, school.courses["101-數學"], [DRAFT, WITHDRAWN])
    make_performances(db, sid, 2)
    said = chat.say(STUDENT, "我的歷程")
    assert check_messages(said) == []
    words = Chat.texts(said)
    assert "115 學年度第 1 學期" in words
    assert "課程學習成果：本學期 2/6 件" in words  # pending + certified
    assert "多元表現：本學期 2/10 件、本學年 2/20 件" in words
    cards = bubbles(said)
    assert len(cards) == 6  # the withdrawn item is not shown
    statuses = [c["body"]["contents"][2]["text"] for c in cards]
    # What needs the student comes first: the draft, then the rejection.
    assert statuses[0] == "草稿" and statuses[1] == "退回：檔案看不清楚"
    assert "待認證（陳建宏老師）" in statuses and "已認證" in statuses
    assert statuses.count("已登錄") == 2
    by_status = dict(zip(statuses, cards, strict=True))
    assert labels(by_status["草稿"]) == ["繼續填寫"]
    assert labels(by_status["退回：檔案看不清楚"]) == ["重新上傳"]
    assert postback_of([by_status["退回：檔案看不清楚"]], "重新上傳") == f"reupload:{rejected}"
    assert labels(by_status["待認證（陳建宏老師）"]) == ["看文件", "撤回"]
    assert labels(by_status["已認證"]) == []  # no file in this made-up item; nothing to do
    assert labels(by_status["已登錄"]) == ["修改", "撤回"]


def test_the_menu_tap_and_the_other_keyword(chat: Chat, school: Any) -> None:
    for how in (
        lambda: chat.tap(STUDENT, "menu:portfolio"),
        lambda: chat.say(STUDENT, "我的學習歷程"),
    ):
        said = how()
        assert "目前還沒有任何項目" in Chat.texts(said)


def test_withdraw_a_pending_item_with_confirmation(chat: Chat, school: Any, db: Any) -> None:
    upload_one(chat)
    said = chat.say(STUDENT, "我的歷程")
    said = chat.tap(STUDENT, postback_of(said, "撤回"))
    assert check_messages(said) == []
    assert "確定要撤回「數學」這件課程學習成果嗎" in Chat.texts(said)
    [item] = outcomes(db, school.students[STUDENT])
    assert item.status == PENDING  # nothing happens before the student confirms
    said = chat.tap(STUDENT, postback_of(said, "確定撤回"))
    assert "已撤回「數學」。現在本學期 0/6 件" in Chat.texts(said)
    [item] = outcomes(db, school.students[STUDENT])
    assert item.status == WITHDRAWN
    with db.session() as s:
        assert s.scalars(
            select(AuditEntry.action).where(AuditEntry.item_id == item.id).order_by(AuditEntry.id)
        ).all() == ["submit", "withdraw"]


def test_changing_ones_mind_keeps_the_item(chat: Chat, school: Any, db: Any) -> None:
    upload_one(chat)
    said = chat.say(STUDENT, "我的歷程")
    said = chat.tap(STUDENT, postback_of(said, "撤回"))
    said = chat.tap(STUDENT, postback_of(said, "先不要"))
    assert "維持原樣" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT])[0].status == PENDING


def test_a_certified_item_cannot_be_withdrawn(chat: Chat, school: Any, db: Any) -> None:
    upload_one(chat)
    said = chat.say(STUDENT, "我的歷程")
    sure = postback_of(chat.tap(STUDENT, postback_of(said, "撤回")), "確定撤回")
    with db.transaction() as s:
        s.scalars(select(CourseOutcome)).one().status = CERTIFIED  # certified meanwhile
    said = chat.tap(STUDENT, sure)
    assert "已經認證了，不能撤回" in Chat.texts(said)
    assert outcomes(db, school.students[STUDENT])[0].status == CERTIFIED


def test_other_refusals_to_withdraw(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    [rejected, draft, withdrawn] = make_items(
        db, sid, school.courses["101-數學"], [REJECTED, DRAFT, WITHDRAWN]
    )
    [theirs] = make_items(db, school.students[OTHER], school.courses["101-數學"], [PENDING])
    for item_id, expected in (
        (rejected, "已經被退回"),
        (draft, "還是草稿"),
        (withdrawn, "已經撤回過了"),
        (theirs, "找不到這個項目"),
        (987654, "找不到這個項目"),
    ):
        said = chat.tap(STUDENT, f"myp:withdraw!:o:{item_id}")
        assert expected in Chat.texts(said), expected
    said = chat.tap(STUDENT, f"myp:withdraw:o:{theirs}")
    assert "找不到這個項目" in Chat.texts(said)
    assert outcomes(db, school.students[OTHER])[0].status == PENDING
    said = chat.tap(STUDENT, "myp:withdraw:x:1")
    assert "按鈕已經失效" in Chat.texts(said)


def test_withdraw_a_performance(chat: Chat, school: Any, db: Any) -> None:
    make_performances(db, school.students[STUDENT], 1)
    said = chat.say(STUDENT, "我的歷程")
    said = chat.tap(STUDENT, postback_of(said, "撤回"))
    assert "服務學習紀錄" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "確定撤回"))
    assert "已撤回「服務學習紀錄」。現在本學期 0/10 件、本學年 0/20 件" in Chat.texts(said)
    with db.session() as s:
        assert s.scalars(select(Performance.status)).one() == WITHDRAWN


def test_a_picked_performance_cannot_be_withdrawn(chat: Chat, school: Any, db: Any) -> None:
    make_performances(db, school.students[STUDENT], 1)
    with db.transaction() as s:
        performance = s.scalars(select(Performance)).one()
        performance.picked_at = datetime(2026, 10, 1, tzinfo=TAIPEI)
        performance_id = performance.id
    said = chat.say(STUDENT, "我的歷程")
    assert labels(bubbles(said)[0]) == []
    said = chat.tap(STUDENT, f"myp:withdraw!:p:{performance_id}")
    assert "已經勾選提交" in Chat.texts(said)
    with db.session() as s:
        assert s.get(Performance, performance_id).status == SUBMITTED


def test_replace_after_rejection_from_the_card(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    [rejected] = make_items(db, sid, school.courses["101-英語文"], [REJECTED])
    said = chat.say(STUDENT, "我的歷程")
    said = chat.tap(STUDENT, postback_of(said, "重新上傳"))
    assert "請傳「英語文」的作品" in Chat.texts(said)
    send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    chat.tap(STUDENT, "upload:next")
    chat.say(STUDENT, "補上清楚的照片")
    chat.tap(STUDENT, "upload:submit")
    said = chat.say(STUDENT, "我的歷程")
    statuses = [c["body"]["contents"][2]["text"] for c in bubbles(said)]
    assert "退回（已重新上傳）" in statuses
    replaced = next(
        c for c in bubbles(said) if c["body"]["contents"][2]["text"] == "退回（已重新上傳）"
    )
    assert "重新上傳" not in labels(replaced)
    assert outcomes(db, sid)[-1].replaces_id == rejected


def test_continue_a_draft_from_the_card(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    [draft] = make_items(db, sid, school.courses["101-數學"], [DRAFT])
    said = chat.say(STUDENT, "我的歷程")
    said = chat.tap(STUDENT, postback_of(said, "繼續填寫"))
    assert "請傳「數學」的作品" in Chat.texts(said)
    send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    chat.tap(STUDENT, "upload:next")
    said = chat.say(STUDENT, "新的簡述")
    chat.tap(STUDENT, postback_of(said, "送出"))
    assert outcomes(db, sid)[0].id == draft and outcomes(db, sid)[0].status == PENDING


def test_continue_someone_elses_draft_is_refused(chat: Chat, school: Any, db: Any) -> None:
    [theirs] = make_items(db, school.students[OTHER], school.courses["101-數學"], [DRAFT])
    said = chat.tap(STUDENT, f"myp:resume:o:{theirs}")
    assert "找不到這份草稿" in Chat.texts(said)
    said = chat.tap(STUDENT, "myp:resume:p:424242")
    assert "找不到這份草稿" in Chat.texts(said)


def test_many_items_are_paged(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    make_items(db, sid, school.courses["101-數學"], [PENDING] * 6)
    make_performances(db, sid, 10)
    said = chat.say(STUDENT, "我的歷程")
    assert check_messages(said) == []
    assert len(bubbles(said)) == 10 and "第 1/2 頁" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "下一頁"))
    assert len(bubbles(said)) == 6 and "第 2/2 頁" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "上一頁"))
    assert len(bubbles(said)) == 10


def test_view_links_are_signed_and_personal(
    chat: Chat, school: Any, db: Any, app: Any, clock: Any
) -> None:
    upload_one(chat)
    said = chat.say(STUDENT, "我的歷程")
    link = uri_of(said, "看文件")
    path = link.removeprefix("https://portfolio.example.edu.tw")
    assert "數學" not in link and str(school.students[STUDENT]) not in path.split("/")[-1][:3]
    response = app.test_client().get(path)
    assert response.status_code == 200
    # A PDF is downloaded, never rendered in the school's origin (its scripts could run there).
    assert response.headers["Content-Disposition"].startswith("attachment")
    clock.advance(hours=25)
    assert app.test_client().get(path).status_code == 410


def test_only_students_have_a_portfolio_here(chat: Chat, school: Any) -> None:
    said = chat.say("Utwang", "我的歷程")
    assert "不適用於目前的身分" in Chat.texts(said)
    said = chat.tap("Utwang", "myp:page:0")
    assert "不適用於目前的身分" in Chat.texts(said)


def test_rejected_reason_is_shown_in_full_status(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    [rejected] = make_items(db, sid, school.courses["101-英語文"], [REJECTED])
    with db.transaction() as s:
        s.get(CourseOutcome, rejected).reject_reason = "這份作業是別科的，請改上傳英語文作品"
    said = chat.say(STUDENT, "我的歷程")
    assert "退回：這份作業是別科的，請改上傳英語文作品" in Chat.texts(said)


def test_card_taps_work_while_a_draft_is_open(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    [pending] = make_items(db, sid, school.courses["101-國語文"], [PENDING])
    [rejected] = make_items(db, sid, school.courses["101-英語文"], [REJECTED])
    said = chat.say(STUDENT, "我的歷程")
    withdraw = postback_of(said, "撤回")
    chat.say(STUDENT, "上傳")
    chat.say(STUDENT, "數學")  # a draft is open at the files step now
    said = chat.tap(STUDENT, withdraw)
    said = chat.tap(STUDENT, postback_of(said, "確定撤回"))
    assert "已撤回「國語文」" in Chat.texts(said)
    with db.session() as s:
        assert s.get(CourseOutcome, pending).status == WITHDRAWN
    said = chat.tap(STUDENT, f"reupload:{rejected}")
    assert "請先把它送出" in Chat.texts(said)
    said = send_photos(chat, STUDENT, [jpeg_bytes()], together=False)
    assert "收到照片了" in Chat.texts(said)  # still in the same draft


def test_card_taps_work_inside_the_performance_flow(chat: Chat, school: Any, db: Any) -> None:
    make_performances(db, school.students[STUDENT], 1)
    chat.say(STUDENT, "多元表現")
    chat.tap(STUDENT, "pf:type:works")
    said = chat.tap(STUDENT, "myp:page:0")
    assert len(bubbles(said)) == 2  # the saved one and this draft
    said = chat.say(STUDENT, "我的作品")
    assert "完成日期" in Chat.texts(said)
