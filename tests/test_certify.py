"""One-tap certification via the webhook: cards, 通過, 退回, pages, races, forgeries."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dev.emulator import events as ev
from flows import certify_cards, links, postback_refs
from flows.line_limits import check_messages
from rules.reader import load_rules
from school import certification as cert
from school import certification_office, proxy_chain
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    FileRecord,
)
from tests.conftest import SECRET_KEY
from tests.school import TEACHER_CHEN, TEACHER_LIN, TEACHER_WANG, School

# --- helpers shared by the certification tests ------------------------------------------------


def submit_item(
    db: Any,
    school: School,
    clock: Any,
    student: str,
    course: str,
    summary: str | None = None,
    mime: str | None = None,
    video: bool = False,
    semester: int = 1,
) -> int:
    """A pending course outcome, made directly with the models and sent through submit()."""
    with db.transaction() as s:
        student_id = school.students[student]
        outcome = CourseOutcome(
            student_id=student_id,
            course_id=school.courses[course],
            academic_year=115,
            semester=semester,
            summary=summary if summary is not None else f"{course} 的學習成果",
            status=DRAFT,
            created_at=clock.now(),
        )
        if mime is not None:
            record = FileRecord(
                sha256="a" * 64,
                size=120_000,
                mime=mime,
                kind="document",
                display_name="作品.pdf",
                student_id=student_id,
                created_at=clock.now(),
            )
            s.add(record)
            s.flush()
            outcome.document_file_id = record.id
        if video:
            clip = FileRecord(
                sha256="b" * 64,
                size=5_000_000,
                mime="video/mp4",
                kind="av",
                display_name="影片.mp4",
                student_id=student_id,
                created_at=clock.now(),
            )
            s.add(clip)
            s.flush()
            outcome.video_file_id = clip.id
        s.add(outcome)
        s.flush()
        cert.submit(s, outcome, clock.now())
        return outcome.id


def tick(chat: Any) -> dict[str, int]:
    """The certification part of the periodic tick, then delivery, as the worker runs them."""
    from jobs import certification as job
    from jobs import delivery

    with chat.app.app_context():
        counts = job.run(chat.svc)
        delivery.deliver_due(chat.svc)
    return counts


def outcome(db: Any, outcome_id: int) -> CourseOutcome:
    with db.session() as s:
        row = s.get(CourseOutcome, outcome_id)
        assert row is not None
        s.expunge(row)
        return row


def bubbles(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for message in messages:
        if message.get("type") != "flex":
            continue
        contents = message["contents"]
        found.extend(contents["contents"] if contents["type"] == "carousel" else [contents])
    return found


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def bubble_of(messages: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for bubble in bubbles(messages):
        if any(n.get("type") == "text" and name in n.get("text", "") for n in _walk(bubble)):
            return bubble
    raise AssertionError(f"no card for {name}")


def data_of(node: Any, label: str) -> str:
    """The postback data of the (first) action labelled `label` anywhere in node."""
    for n in _walk(node):
        if n.get("type") == "postback" and n.get("label") == label:
            return str(n["data"])
    raise AssertionError(f"no action {label}")


def texts(messages: list[dict[str, Any]]) -> str:
    from tests.support import Chat

    return Chat.texts(messages)


def assert_fits(messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 5):
        assert check_messages(messages[start : start + 5]) == []


# --- the list ------------------------------------------------------------------------------------


def test_keyword_shows_cards_grouped_by_course_as_a_free_reply(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    a = submit_item(db, school, clock, "Us10201", "102-數學", "函數圖形的觀察報告")
    b = submit_item(db, school, clock, "Us10101", "101-數學", "機率實驗紀錄")
    submit_item(db, school, clock, "Us10103", "101-數學", "三角函數")
    submit_item(db, school, clock, "Us10102", "101-國語文")  # 王美玲's, not shown to 陳建宏
    got = chat.say(TEACHER_CHEN, "待認證")
    assert [msg["kind"] for msg in got] == ["reply", "reply"]
    assert_fits(got)
    said = texts(got)
    assert "待認證共 3 件" in said and "數學・101 2 件" in said and "數學・102 1 件" in said
    assert "這裡是第" not in said  # everything fits on one page: no 「第 1–3 件」
    cards = bubbles(got)
    assert len(cards) == 3
    # Grouped by course: 101 (seats 1, 3) before 102.
    first = texts([{"type": "flex", "altText": "", "contents": cards[0]}])
    assert "101-01 李小明" in first and "數學・101" in first and "機率實驗紀錄" in first
    assert "102-01 吳承恩" in texts([{"type": "flex", "altText": "", "contents": cards[2]}])
    for card in cards:
        labels = [n.get("label") for n in _walk(card) if n.get("type") == "postback"]
        assert labels == ["退回", "通過"]
    assert line.pushes_counted() == 0
    # Seen in the list, so the afternoon push will not announce them again.
    assert outcome(db, a).certifier_told_at is not None
    assert outcome(db, b).certifier_told_at is not None


def test_menu_tap_shows_the_same_list(chat: Any, db: Any, school: School, clock: Any) -> None:
    submit_item(db, school, clock, "Us10101", "101-數學")
    got = chat.tap(TEACHER_CHEN, "menu:certify")
    assert len(bubbles(got)) == 1


def test_nothing_pending_says_when_news_will_come(chat: Any, school: School) -> None:
    said = texts(chat.say(TEACHER_CHEN, "待認證"))
    assert "目前沒有待認證" in said and "16:00" in said


def test_students_and_parents_cannot_open_the_list(chat: Any, school: School) -> None:
    assert "不適用於目前的身分" in texts(chat.say("Us10101", "待認證"))
    assert "不適用於目前的身分" in texts(chat.say("Upar", "待認證"))


# --- approving ----------------------------------------------------------------------------------


def test_approve_is_one_tap_and_the_student_is_not_pushed(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    item = submit_item(db, school, clock, "Us10102", "101-數學")
    submit_item(db, school, clock, "Us10103", "101-數學")
    cards = chat.say(TEACHER_CHEN, "待認證")
    got = chat.tap(TEACHER_CHEN, data_of(bubble_of(cards, "陳怡君"), "通過"))
    assert texts(got) == "已通過：101-02 陳怡君「數學」。還有 1 件待認證。"
    assert got[0]["kind"] == "reply"
    row = outcome(db, item)
    assert row.status == CERTIFIED
    assert row.decided_by_id == school.staff["T003"]
    assert row.decided_capacity == proxy_chain.TEACHER
    assert row.decision_told_at is None
    with db.session() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.item_id == item).order_by(AuditEntry.id)
        ).all()
    assert actions == ["submit", "certify"]
    assert line.pushes_counted() == 0
    assert line.messages_for("Us10102") == []


def test_approval_reaches_the_student_in_their_next_reply_once(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    submit_item(db, school, clock, "Us10102", "101-數學")
    submit_item(db, school, clock, "Us10102", "101-英語文")
    chat.tap(TEACHER_CHEN, data_of(chat.say(TEACHER_CHEN, "待認證"), "通過"))
    chat.tap(TEACHER_LIN, data_of(chat.say(TEACHER_LIN, "待認證"), "通過"))
    got = chat.say("Us10102", "說明")
    assert all(msg["kind"] == "reply" for msg in got)
    assert "已通過認證：「數學」、「英語文」" in texts(got)
    assert "已通過認證" not in texts(chat.say("Us10102", "說明"))
    assert line.pushes_counted() == 0


def test_tapping_again_says_who_decided_and_when(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    submit_item(db, school, clock, "Us10102", "101-數學")
    approve = data_of(chat.say(TEACHER_CHEN, "待認證"), "通過")
    chat.tap(TEACHER_CHEN, approve)
    clock.advance(hours=2)
    said = texts(chat.tap(TEACHER_CHEN, approve))
    assert said == "這件已由 陳建宏（任課教師）於 2026/10/15 10:00 通過，不需再處理。"


# --- rejecting ----------------------------------------------------------------------------------


def test_reject_asks_a_reason_and_pushes_the_student_with_a_reupload_button(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    item = submit_item(db, school, clock, "Us10104", "101-數學")
    got = chat.tap(TEACHER_CHEN, data_of(chat.say(TEACHER_CHEN, "待認證"), "退回"))
    ask = got[-1]
    assert "要退回 101-04 林雅琪「數學」嗎" in ask["text"]
    quick = [i["action"]["label"] for i in ask["quickReply"]["items"]]
    assert quick == ["非本人作品", "科目不符", "檔案無法開啟", "內容不完整", "取消"]
    assert outcome(db, item).status == PENDING
    got = chat.say(TEACHER_CHEN, "科目不符")
    assert "已退回：101-04 林雅琪「數學」（科目不符）" in texts(got)
    row = outcome(db, item)
    assert (row.status, row.reject_reason) == (REJECTED, "科目不符")
    assert row.decided_capacity == proxy_chain.TEACHER
    assert row.decision_told_at is not None
    pushed = chat.new_messages("Us10104")
    assert [msg["kind"] for msg in pushed] == ["push"]
    assert_fits(pushed)
    assert "原因：科目不符" in texts(pushed) and "陳建宏老師" in texts(pushed)
    assert data_of(pushed, "重新上傳") == f"reupload:{item}"
    assert line.pushes_counted() == 1


def test_reject_with_free_text_and_a_too_long_reason(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10104", "101-數學")
    chat.tap(TEACHER_CHEN, data_of(chat.say(TEACHER_CHEN, "待認證"), "退回"))
    assert "100 字以內" in texts(chat.say(TEACHER_CHEN, "太" * 101))
    assert outcome(db, item).status == PENDING
    chat.say(TEACHER_CHEN, "照片模糊，請重拍第二頁")
    assert outcome(db, item).reject_reason == "照片模糊，請重拍第二頁"


def test_cancelling_the_reason_keeps_the_item_pending(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    item = submit_item(db, school, clock, "Us10104", "101-數學")
    chat.tap(TEACHER_CHEN, data_of(chat.say(TEACHER_CHEN, "待認證"), "退回"))
    assert "已取消" in texts(chat.say(TEACHER_CHEN, "取消"))
    assert outcome(db, item).status == PENDING
    assert line.pushes_counted() == 0


def test_tapping_another_card_instead_of_a_reason_drops_the_rejection(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    first = submit_item(db, school, clock, "Us10104", "101-數學")
    second = submit_item(db, school, clock, "Us10105", "101-數學")
    cards = chat.say(TEACHER_CHEN, "待認證")
    chat.tap(TEACHER_CHEN, data_of(bubble_of(cards, "林雅琪"), "退回"))
    said = texts(chat.tap(TEACHER_CHEN, data_of(bubble_of(cards, "王柏翰"), "通過")))
    assert "已取消退回" in said and "已通過：101-05 王柏翰" in said
    assert outcome(db, first).status == PENDING
    assert outcome(db, second).status == CERTIFIED


# --- pages --------------------------------------------------------------------------------------


def _many(db: Any, school: School, clock: Any, n: int) -> list[int]:
    students = [f"Us101{k:02d}" for k in range(1, 7)] + [f"Us102{k:02d}" for k in range(1, 4)]
    ids = []
    for i in range(n):
        uid = students[i % len(students)]
        ids.append(submit_item(db, school, clock, uid, f"{uid[2:5]}-數學", f"作品 {i}"))
    return ids


def test_twelve_bubbles_a_page_then_next_page(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    _many(db, school, clock, 15)
    got = chat.say(TEACHER_CHEN, "待認證")
    assert_fits(got)
    cards = bubbles(got)
    assert len(cards) == 12
    assert "還有 4 件待認證" in texts([{"type": "flex", "altText": "", "contents": cards[-1]}])
    assert "第 1–11 件" in texts(got)
    got = chat.tap(TEACHER_CHEN, data_of(cards[-1], "下一頁"))
    assert len(bubbles(got)) == 4
    assert "第 12–15 件" in texts(got)


def test_next_page_still_works_after_items_on_the_first_were_approved(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    _many(db, school, clock, 15)
    first = chat.say(TEACHER_CHEN, "待認證")
    cards = bubbles(first)
    for card in cards[:3]:
        chat.tap(TEACHER_CHEN, data_of(card, "通過"))
    got = chat.tap(TEACHER_CHEN, data_of(cards[-1], "下一頁"))
    assert len(bubbles(got)) == 4
    assert "第 9–12 件" in texts(got)


def test_whole_page_after_a_confirmation(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    ids = _many(db, school, clock, 14)
    got = chat.say(TEACHER_CHEN, "待認證")
    quick = {i["action"]["label"]: i["action"]["data"] for i in got[-1]["quickReply"]["items"]}
    assert set(quick) == {"全部通過本頁", "下一頁"}
    confirm = chat.tap(TEACHER_CHEN, quick["全部通過本頁"])
    assert "確定要通過本頁 11 件嗎" in texts(confirm)
    assert "好的，沒有變更" in texts(chat.tap(TEACHER_CHEN, data_of(confirm, "先不要")))
    assert all(outcome(db, i).status == PENDING for i in ids)
    yes = data_of(confirm, "確定通過")
    assert texts(chat.tap(TEACHER_CHEN, yes)) == "已通過 11 件，還有 3 件待認證。"
    assert sum(outcome(db, i).status == CERTIFIED for i in ids) == 11
    # Replaying the confirmation changes nothing more.
    said = texts(chat.tap(TEACHER_CHEN, yes))
    assert "已通過 0 件" in said and "11 件已由他人處理" in said
    assert line.pushes_counted() == 0


# --- authority and forgeries --------------------------------------------------------------------


def test_crafted_and_copied_postbacks_act_on_nothing(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    mine = submit_item(db, school, clock, "Us10101", "101-數學")
    theirs = submit_item(db, school, clock, "Us10101", "101-國語文")
    approve = data_of(chat.say(TEACHER_CHEN, "待認證"), "通過")
    body, mac = approve.removeprefix("cert:ok:").split(".")
    # Another item's id with the old MAC.
    forged_body = postback_refs._b64(postback_refs._varints([1, theirs]))
    for data in (
        f"cert:ok:{forged_body}.{mac}",
        f"cert:ok:{body}.{mac[:-2]}AA",
        f"cert:ok:{body}",
        "cert:ok:",
        f"cert:no:{body}.{mac}",  # an approve reference used as a reject
        f"cert:pageok:{body}.{mac}",
        "cert:whatever:1",
    ):
        assert "無法辨識" in texts(chat.tap(TEACHER_CHEN, data)), data
    # A genuine reference for 王美玲's item, tapped by 陳建宏: not his to decide.
    genuine = (
        certify_cards.PREFIX
        + "ok:"
        + postback_refs.make(
            SECRET_KEY, certify_cards.REF_APPROVE, [theirs], outcome(db, theirs).certify_version
        )
    )
    said = texts(chat.tap(TEACHER_CHEN, genuine))
    assert said == "這件目前由 王美玲（任課教師）負責認證，您不需要處理。"
    assert outcome(db, mine).status == PENDING
    assert outcome(db, theirs).status == PENDING


def test_reject_tap_by_someone_else_starts_nothing(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    reject = data_of(chat.say(TEACHER_CHEN, "待認證"), "退回")
    assert "負責認證" in texts(chat.tap(TEACHER_WANG, reject))
    assert "我不太懂" in texts(chat.say(TEACHER_WANG, "非本人作品"))
    assert outcome(db, item).status == PENDING


def test_a_student_tapping_certification_data_is_refused(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    approve = data_of(chat.say(TEACHER_CHEN, "待認證"), "通過")
    assert "不適用於目前的身分" in texts(chat.tap("Us10101", approve))
    assert outcome(db, item).status == PENDING


def test_withdrawn_item_cannot_be_decided(chat: Any, db: Any, school: School, clock: Any) -> None:
    from school import outcomes

    item = submit_item(db, school, clock, "Us10101", "101-數學")
    approve = data_of(chat.say(TEACHER_CHEN, "待認證"), "通過")
    with db.transaction() as s:
        outcomes.withdraw_outcome(s, school.students["Us10101"], item, clock.now())
    assert texts(chat.tap(TEACHER_CHEN, approve)) == "學生已撤回這件作品，不需要認證了。"
    assert outcome(db, item).status == WITHDRAWN


def test_an_outdated_card_is_replaced_by_a_fresh_one(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    approve = data_of(chat.say(TEACHER_CHEN, "待認證"), "通過")
    # The item went to someone else and came back: the old card's version is gone.
    with db.transaction() as s:
        away, _ = certification_office.set_away(
            s, school.staff["T003"], "leave", clock.now().date(), None, clock.now()
        )
        certification_office.set_convener(s, "數學", school.staff["T002"], None, clock.now())
    assert outcome(db, item).certifier_id == school.staff["T002"]
    with db.transaction() as s:
        certification_office.set_back(s, school.staff["T003"], clock.now() + timedelta(days=1))
    assert outcome(db, item).certifier_id == school.staff["T003"]
    got = chat.tap(TEACHER_CHEN, approve)
    assert "這張卡片已經過期" in texts(got)
    assert outcome(db, item).status == PENDING
    chat.tap(TEACHER_CHEN, data_of(got, "通過"))
    assert outcome(db, item).status == CERTIFIED


def test_decisions_outside_the_window_are_refused_with_the_dates(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    cards = chat.say(TEACHER_CHEN, "待認證")
    clock.advance(
        days=120
    )  # 2027-02-12: the 115-1 certification window closed on 2/11 (2/10 is a holiday)
    said = texts(chat.tap(TEACHER_CHEN, data_of(cards, "通過")))
    assert said == (
        "115-1 學期的認證期間是 2026/8/31 至 2027/2/11，已經截止了。如需補認證，請洽教務處註冊組。"
    )
    assert "2027/2/11" in texts(chat.tap(TEACHER_CHEN, data_of(cards, "退回")))
    assert outcome(db, item).status == PENDING


# --- races --------------------------------------------------------------------------------------


def test_a_late_tap_by_the_former_certifier_is_told_who_decided(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-國語文")
    wang_card = data_of(chat.say(TEACHER_WANG, "待認證"), "通過")
    # 王美玲 goes on leave; 林志明 takes over the course and decides first.
    with db.transaction() as s:
        certification_office.set_successor(
            s, school.courses["101-國語文"], school.staff["T002"], clock.now()
        )
        certification_office.set_away(
            s, school.staff["T001"], "leave", clock.now().date(), None, clock.now()
        )
    lin_card = data_of(chat.say(TEACHER_LIN, "待認證"), "通過")
    # Both tap "at once": one webhook body, two users.
    chat.post(
        [
            ev.postback_event(TEACHER_LIN, lin_card, platform=chat.platform),
            ev.postback_event(TEACHER_WANG, wang_card, platform=chat.platform),
        ]
    )
    assert "已通過" in texts(chat.new_messages(TEACHER_LIN))
    late = texts(chat.new_messages(TEACHER_WANG))
    assert late == "這件已由 林志明（接任教師）於 2026/10/15 10:00 通過，不需再處理。"
    row = outcome(db, item)
    assert (row.status, row.decided_by_id, row.decided_capacity) == (
        CERTIFIED,
        school.staff["T002"],
        proxy_chain.SUCCESSOR,
    )
    with db.session() as s:
        decisions = s.scalars(
            select(AuditEntry).where(
                AuditEntry.item_id == item, AuditEntry.action.in_(["certify", "reject"])
            )
        ).all()
    assert len(decisions) == 1


@pytest.mark.parametrize("verdicts", [("approve", "reject"), ("approve", "approve")])
def test_two_taps_racing_in_two_transactions_leave_exactly_one_decision(
    db: Any, school: School, clock: Any, verdicts: tuple[str, str]
) -> None:
    rules = load_rules()
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    chen = school.staff["T003"]
    barrier = threading.Barrier(2)
    results: dict[int, cert.Decision] = {}

    def tap(n: int, verdict: str) -> None:
        with db.transaction() as s:
            s.get(CourseOutcome, item)  # both have read the item as pending
            barrier.wait(5)
            results[n] = cert.decide(
                s,
                item,
                chen,
                verdict,
                clock.now(),
                rules,
                reason="非本人作品" if verdict == "reject" else None,
            )

    threads = [threading.Thread(target=tap, args=(n, v)) for n, v in enumerate(verdicts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(r.status for r in results.values()) == [cert.ALREADY_DECIDED, cert.DECIDED]
    winner = next(r for r in results.values() if r.ok)
    loser = next(r for r in results.values() if not r.ok)
    assert loser.outcome is not None and loser.outcome.decided_by_id == chen
    assert winner.outcome is not None
    assert loser.outcome.status == winner.outcome.status == outcome(db, item).status
    with db.session() as s:
        decided = s.scalars(
            select(AuditEntry).where(
                AuditEntry.item_id == item, AuditEntry.action.in_(["certify", "reject"])
            )
        ).all()
    assert len(decided) == 1


def test_concurrent_taps_block_on_the_row_not_on_a_check_then_write(
    db: Any, school: School, clock: Any
) -> None:
    """While one transaction holds its decision uncommitted, the other waits, then loses."""
    rules = load_rules()
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    chen = school.staff["T003"]
    holding = threading.Event()
    release = threading.Event()
    late: list[cert.Decision] = []

    def slow_winner() -> None:
        with db.transaction() as s:
            assert cert.decide(s, item, chen, cert.APPROVE, clock.now(), rules).ok
            holding.set()
            release.wait(5)

    def late_tapper() -> None:
        holding.wait(5)
        with db.transaction() as s:
            late.append(
                cert.decide(s, item, chen, cert.REJECT, clock.now(), rules, reason="內容不完整")
            )

    winner = threading.Thread(target=slow_winner)
    loser = threading.Thread(target=late_tapper)
    winner.start()
    loser.start()
    holding.wait(5)
    loser.join(0.3)
    assert loser.is_alive(), "the second decision must wait for the first transaction"
    release.set()
    winner.join(5)
    loser.join(5)
    assert late[0].status == cert.ALREADY_DECIDED
    assert outcome(db, item).status == CERTIFIED


# --- what the cards hold ------------------------------------------------------------------------


def test_cards_carry_a_photo_preview_and_signed_expiring_file_links(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學", mime="image/jpeg", video=True)
    card = bubbles(chat.say(TEACHER_CHEN, "待認證"))[0]
    hero = card["hero"]
    assert hero["url"].startswith("https://portfolio.example.edu.tw/f/")
    uris = [n["uri"] for n in _walk(card) if n.get("type") == "uri"]
    labels = [n["label"] for n in _walk(card) if n.get("type") == "uri"]
    assert "開啟文件" in labels and "開啟影片" in labels
    row = outcome(db, item)
    claims = [links.verify_link(SECRET_KEY, u.rsplit("/", 1)[1], clock.now()) for u in uris]
    assert {c.file_id for c in claims} == {row.document_file_id, row.video_file_id}
    assert {(c.viewer_kind, c.viewer_id) for c in claims} == {("staff", school.staff["T003"])}
    with pytest.raises(links.LinkExpired):
        links.verify_link(SECRET_KEY, uris[0].rsplit("/", 1)[1], clock.now() + timedelta(days=2))


def test_a_card_without_files_still_works(chat: Any, db: Any, school: School, clock: Any) -> None:
    submit_item(db, school, clock, "Us10101", "101-數學")
    card = bubbles(chat.say(TEACHER_CHEN, "待認證"))[0]
    assert "hero" not in card
    assert not [n for n in _walk(card) if n.get("type") == "uri"]


def test_the_largest_possible_page_fits_line_limits(db: Any, school: School, clock: Any) -> None:
    """Twelve cards with the longest summaries, both files and escalation notes: ≤ 50 KB."""
    for n in range(14):
        submit_item(
            db,
            school,
            clock,
            f"Us101{n % 6 + 1:02d}",
            "101-數學",
            summary="長" * 100 + "😀" * 20,
            mime="image/png",
            video=True,
        )
    with db.transaction() as s:
        chen = school.staff["T003"]
        items = cert.pending_for(s, chen)
        for o in items:
            o.escalated_at = clock.now()
        cards = certify_cards.Cards(
            s,
            SECRET_KEY,
            "https://portfolio.example.edu.tw",
            clock.now(),
            chen,
            link_ttl=certify_cards.PUSH_LINK_TTL,
        )
        page = certify_cards.make_page(items)
        messages = [
            certify_cards.list_intro(items, page),
            *certify_cards.page_messages(cards, items, page),
        ]
    assert len(bubbles(messages)) == 12
    assert check_messages(messages) == []


# --- signed references ----------------------------------------------------------------------


def test_references_round_trip_and_fit_in_a_postback() -> None:
    ref = postback_refs.make(SECRET_KEY, "cert-page", [2**31 + n for n in range(12)], 2**20)
    data = f"cert:pageok:{ref}"
    assert len(data) <= 300
    read = postback_refs.read(SECRET_KEY, "cert-page", ref)
    assert read is not None and read.ids == tuple(2**31 + n for n in range(12))
    assert read.version == 2**20
    assert postback_refs.read(SECRET_KEY, "cert-approve", ref) is None  # bound to its action
    assert postback_refs.read("another-secret-key-0123456789abc", "cert-page", ref) is None
    for broken in ("", ".", "abc", ref + "x", "!" + ref, ref.replace(".", "..")):
        assert postback_refs.read(SECRET_KEY, "cert-page", broken) is None
    with pytest.raises(postback_refs.RefError):
        postback_refs.make(SECRET_KEY, "cert-page", [])
