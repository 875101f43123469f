"""Editing a saved 多元表現 from 我的歷程, through the webhook: what the student sees and what is
stored, the caps, cancelling, timeouts and the items that may no longer change."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from flows.line_limits import check_messages
from storage.clock import TAIPEI
from storage.models.conversation import ConversationRow
from storage.models.portfolio import DRAFT, SUBMITTED, AuditEntry, Performance
from tests.support import Chat
from tests.test_my_portfolio import bubbles, labels
from tests.test_performance import choose, make_performances, performances
from tests.test_upload import STUDENT, pdf_bytes, postback_of, send_file


def save_works(chat: Chat) -> None:
    """A 作品成果紀錄 with one PDF, saved through the conversation."""
    choose(chat, "works")
    chat.say(STUDENT, "校刊封面設計")
    chat.say(STUDENT, "2026/9/1")
    chat.say(STUDENT, "設計校刊封面")
    send_file(chat, STUDENT, pdf_bytes(), "封面.pdf", "application/pdf")
    said = chat.say(STUDENT, "下一步")
    said = chat.tap(STUDENT, postback_of(said, "儲存"))
    assert "已儲存「作品成果紀錄」" in Chat.texts(said)


def open_edit(chat: Chat, label: str = "修改") -> list[dict[str, Any]]:
    said = chat.say(STUDENT, "我的歷程")
    [card] = [c for c in bubbles(said) if c["body"]["contents"][2]["text"] == "已登錄"]
    return chat.tap(STUDENT, postback_of([card], label))


def stored(db: Any, student_id: int) -> list[Performance]:
    return performances(db, student_id)


def test_a_saved_performance_is_edited_in_place(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    save_works(chat)
    [before] = stored(db, sid)
    proof_file = before.proofs[0].file_id

    said = open_edit(chat)
    assert check_messages(said) == []
    words = Chat.texts(said)
    assert "修改多元表現" in words and "原本的紀錄都不會變" in words
    assert "校刊封面設計" in words and "封面.pdf" in words
    said = chat.tap(STUDENT, postback_of(said, "修改欄位"))
    assert "目前填的是：校刊封面設計" in Chat.texts(said)
    said = chat.say(STUDENT, "校刊封面與插畫設計")
    assert "目前填的是：2026/9/1" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "不變"))  # the date stays
    said = chat.tap(STUDENT, postback_of(said, "修改簡述"))
    assert "目前填的是：設計校刊封面" in Chat.texts(said)
    said = chat.say(STUDENT, "設計校刊封面，並畫了三張插畫")
    assert "校刊封面與插畫設計" in Chat.texts(said)

    # Until it is saved, the saved item is as it was and still the only one that counts.
    [saved] = [p for p in stored(db, sid) if p.status == SUBMITTED]
    assert saved.fields["title"] == "校刊封面設計"

    said = chat.tap(STUDENT, postback_of(said, "儲存修改"))
    assert "已儲存「作品成果紀錄」的修改，件數不變" in Chat.texts(said)
    [after] = stored(db, sid)
    assert after.id == before.id and after.status == SUBMITTED
    assert after.fields == {"title": "校刊封面與插畫設計", "date": "2026-09-01"}
    assert after.summary == "設計校刊封面，並畫了三張插畫"
    assert [p.file_id for p in after.proofs] == [proof_file]
    with db.session() as s:
        [entry] = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "edit", AuditEntry.item_id == after.id)
        )
        assert json.loads(entry.detail or "")["fields"]["title"] == "校刊封面設計"
        assert entry.actor_student_id == sid
    said = chat.say(STUDENT, "我的歷程")
    assert "多元表現：本學期 1/10 件、本學年 1/20 件" in Chat.texts(said)


def test_editing_at_the_cap_keeps_one_slot(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    make_performances(db, sid, 10)
    with db.transaction() as s:
        for p in s.scalars(select(Performance).where(Performance.student_id == sid)):
            p.fields = {
                "name": "淨灘",
                "organisation": "臺南市環保局",
                "start": "2026-09-05",
                "end": "2026-09-05",
                "hours": 2,
            }
    said = chat.say(STUDENT, "我的歷程")
    said = chat.tap(STUDENT, postback_of(bubbles(said)[:1], "修改"))
    said = chat.tap(STUDENT, postback_of(said, "修改簡述"))
    said = chat.say(STUDENT, "到安平海灘淨灘兩小時")
    said = chat.tap(STUDENT, postback_of(said, "儲存修改"))
    assert "件數不變" in Chat.texts(said)
    found = stored(db, sid)
    assert len(found) == 10 and all(p.status == SUBMITTED for p in found)
    assert sorted(p.summary for p in found).count("到安平海灘淨灘兩小時") == 1
    said = chat.say(STUDENT, "多元表現")  # adding one is still refused
    assert "多元表現每學期至多 10 件" in Chat.texts(said)


def test_cancel_keeps_the_saved_item(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    save_works(chat)
    said = open_edit(chat)
    said = chat.tap(STUDENT, postback_of(said, "修改簡述"))
    chat.say(STUDENT, "改掉的簡述")
    said = chat.say(STUDENT, "取消")
    assert "已取消修改，原本的紀錄不變" in Chat.texts(said)
    [kept] = stored(db, sid)
    assert kept.status == SUBMITTED and kept.summary == "設計校刊封面"
    assert len(kept.proofs) == 1


def test_an_edit_left_open_comes_back_as_an_edit(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    sid = school.students[STUDENT]
    save_works(chat)
    said = open_edit(chat)
    chat.tap(STUDENT, postback_of(said, "修改簡述"))
    clock.advance(hours=2)
    said = chat.say(STUDENT, "嗨")
    assert "（修改多元表現：作品成果紀錄）" in Chat.texts(said)
    said = chat.say(STUDENT, "捨棄草稿")
    assert "草稿已捨棄" in Chat.texts(said)
    [kept] = stored(db, sid)
    assert kept.status == SUBMITTED and kept.summary == "設計校刊封面"


def test_an_open_edit_is_continued_from_the_card(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    save_works(chat)
    said = open_edit(chat)
    chat.tap(STUDENT, postback_of(said, "修改簡述"))
    chat.say(STUDENT, "新的簡述")
    # The conversation is gone (its state row expired): the draft copy is not.
    with db.transaction() as s:
        s.execute(delete(ConversationRow))
    said = chat.say(STUDENT, "我的歷程")
    cards = bubbles(said)
    assert len(cards) == 1 and labels(cards[0])[-2:] == ["繼續修改", "撤回"]
    said = chat.tap(STUDENT, postback_of(cards, "繼續修改"))
    assert "新的簡述" in Chat.texts(said)
    said = chat.tap(STUDENT, postback_of(said, "儲存修改"))
    assert "件數不變" in Chat.texts(said)
    [after] = stored(db, sid)
    assert after.summary == "新的簡述"


def test_continuing_the_edit_already_open_shows_where_it_stands(
    chat: Chat, school: Any, db: Any
) -> None:
    save_works(chat)
    said = open_edit(chat)
    said = chat.tap(STUDENT, postback_of(said, "修改簡述"))
    # Mid-edit, the student opens 我的歷程 and taps 繼續修改 on the item being edited.
    said = chat.say(STUDENT, "我的歷程")
    [card] = bubbles(said)
    said = chat.tap(STUDENT, postback_of([card], "繼續修改"))
    words = Chat.texts(said)
    assert "另一份草稿" not in words
    assert "內容簡述" in words  # the step the edit was on, asked again
    said = chat.say(STUDENT, "改過的簡述")
    said = chat.tap(STUDENT, postback_of(said, "儲存修改"))
    [after] = stored(db, school.students[STUDENT])
    assert after.summary == "改過的簡述"


def test_picked_or_past_items_are_not_edited(chat: Chat, school: Any, db: Any, clock: Any) -> None:
    sid = school.students[STUDENT]
    save_works(chat)
    said = open_edit(chat)
    with db.transaction() as s:
        saved = s.scalars(
            select(Performance).where(Performance.student_id == sid, Performance.edits_id.is_(None))
        ).one()
        saved.picked_at = datetime(2026, 10, 1, tzinfo=TAIPEI)
        saved_id = saved.id
    said = chat.tap(STUDENT, postback_of(said, "儲存修改"))
    assert "已勾選提交中央資料庫，不能再修改；原本的紀錄不變" in Chat.texts(said)
    assert [p.status for p in stored(db, sid)] == [SUBMITTED]  # the edit copy went
    said = chat.say(STUDENT, "我的歷程")
    assert "修改" not in labels(bubbles(said)[0])
    said = chat.tap(STUDENT, f"myp:edit:p:{saved_id}")  # an old card
    assert "不能再修改" in Chat.texts(said)

    with db.transaction() as s:
        s.get(Performance, saved_id).picked_at = None  # type: ignore[union-attr]
    clock.set(datetime(2027, 8, 5, 10, 0, tzinfo=TAIPEI))  # 學年度 116
    said = chat.tap(STUDENT, f"myp:edit:p:{saved_id}")
    assert "這件所屬的學年已經結束" in Chat.texts(said)
    assert [p.status for p in stored(db, sid)] == [SUBMITTED]


def test_withdrawing_drops_an_open_edit(chat: Chat, school: Any, db: Any) -> None:
    sid = school.students[STUDENT]
    save_works(chat)
    said = open_edit(chat)
    assert any(p.status == DRAFT for p in stored(db, sid))
    said = chat.say(STUDENT, "我的歷程")
    said = chat.tap(STUDENT, postback_of(bubbles(said), "撤回"))
    said = chat.tap(STUDENT, postback_of(said, "確定撤回"))
    assert "已撤回" in Chat.texts(said)
    assert [p.status for p in stored(db, sid)] == ["withdrawn"]
