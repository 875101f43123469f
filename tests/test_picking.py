"""Picking (勾選): the chat flow end to end, caps under racing taps, the window, 勾選進度."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from flows.picking_cards import item_data
from rules.model import COURSE_OUTCOME, PERFORMANCE
from rules.reader import load_rules
from school import pick_candidates, picking
from storage.clock import TAIPEI, at_taipei
from storage.models.picking import PickConfirmation
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    CourseOutcome,
    Performance,
)
from tests.conftest import SECRET_KEY
from tests.support import Chat

# 學年度 115's picking window (default.toml): 2027-07-22 .. 2027-07-28, Taipei.
IN_WINDOW = datetime(2027, 7, 23, 10, 0, tzinfo=TAIPEI)
AFTER_WINDOW = datetime(2027, 7, 29, 9, 0, tzinfo=TAIPEI)
CREATED = datetime(2026, 10, 1, 9, 0, tzinfo=TAIPEI)
STUDENT = "Us10101"
OTHER = "Us10102"


# --- helpers ------------------------------------------------------------------------------------


def add_outcome(
    db: Any,
    school: Any,
    uid: str,
    course: str,
    status: str = CERTIFIED,
    summary: str = "探究報告",
    semester: int = 1,
    picked: bool = False,
    reason: str | None = None,
) -> int:
    with db.transaction() as s:
        outcome = CourseOutcome(
            student_id=school.students[uid],
            course_id=school.courses[course],
            academic_year=115,
            semester=semester,
            summary=summary,
            status=status,
            created_at=CREATED,
            reject_reason=reason,
            picked_at=CREATED if picked else None,
        )
        s.add(outcome)
        s.flush()
        return outcome.id


def add_performance(
    db: Any,
    school: Any,
    uid: str,
    status: str = SUBMITTED,
    record_type: str = "competition",
    name: str = "全國科展",
    picked: bool = False,
) -> int:
    with db.transaction() as s:
        perf = Performance(
            student_id=school.students[uid],
            academic_year=115,
            semester=1,
            record_type=record_type,
            fields={
                "name": name,
                "item": "物理科",
                "level": "全國",
                "award": "佳作",
                "result_date": "2026-11-20",
                "team": "個人",
            },
            summary="研究水火箭的飛行軌跡",
            status=status,
            created_at=CREATED,
            picked_at=CREATED if picked else None,
        )
        s.add(perf)
        s.flush()
        return perf.id


def postbacks(messages: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "postback" and isinstance(node.get("data"), str):
                found.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(messages)
    return found


def picked_refs(db: Any, school: Any, uid: str) -> set[str]:
    with db.session() as s:
        sid = school.students[uid]
        outcomes = s.scalars(
            select(CourseOutcome.id).where(
                CourseOutcome.student_id == sid, CourseOutcome.picked_at.is_not(None)
            )
        ).all()
        perfs = s.scalars(
            select(Performance.id).where(
                Performance.student_id == sid, Performance.picked_at.is_not(None)
            )
        ).all()
    return {f"C{i}" for i in outcomes} | {f"P{i}" for i in perfs}


def confirmation(db: Any, school: Any, uid: str) -> PickConfirmation | None:
    with db.session() as s:
        return s.scalars(
            select(PickConfirmation).where(PickConfirmation.student_id == school.students[uid])
        ).first()


# --- the flow through the webhook ---------------------------------------------------------------


def test_picking_end_to_end(chat: Chat, school: Any, db: Any, clock: Any) -> None:
    sid = school.students[STUDENT]
    math = add_outcome(db, school, STUDENT, "101-數學", summary="三角函數的探究")
    add_outcome(db, school, STUDENT, "101-國語文", summary="讀書心得")
    english = add_outcome(db, school, STUDENT, "101-英語文-2", semester=2, summary="英文簡報")
    pending = add_outcome(db, school, STUDENT, "101-數學-2", status=PENDING, semester=2)
    rejected = add_outcome(
        db, school, STUDENT, "101-國語文-2", status=REJECTED, semester=2, reason="檔案不是本人作品"
    )
    fair = add_performance(db, school, STUDENT)
    draft = add_performance(db, school, STUDENT, status=DRAFT, name="草稿競賽")
    clock.set(IN_WINDOW)

    first = chat.say(STUDENT, "勾選")
    said = Chat.texts(first)
    assert "115 學年度勾選（2027/7/28 截止）" in said
    assert "課程學習成果已勾選 0/6 件，多元表現已勾選 0/10 件" in said
    # Uncertified and rejected items are shown with why, and have no buttons.
    assert "待認證：任課教師認證通過後才能勾選。" in said
    assert "已退回（檔案不是本人作品）：重新上傳並通過認證後才能勾選。" in said
    assert "還沒送出：送出後才能勾選。" in said
    data = postbacks(first)
    pick_math = item_data(SECRET_KEY, sid, "add", f"C{math}")
    assert pick_math in data
    # An unticked card offers 勾選 only: no 取消 for something not ticked.
    assert item_data(SECRET_KEY, sid, "del", f"C{math}") not in data
    assert not any(f"C{pending}:" in d or f"C{rejected}:" in d or f"P{draft}:" in d for d in data)
    assert all(len(d) <= 300 for d in data)

    reply = Chat.texts(chat.tap(STUDENT, pick_math))
    assert "已勾選「數學」" in reply and "課程學習成果已勾選 1/6 件" in reply
    ticked = postbacks(chat.say(STUDENT, "勾選"))
    assert item_data(SECRET_KEY, sid, "del", f"C{math}") in ticked and pick_math not in ticked
    reply = Chat.texts(chat.tap(STUDENT, item_data(SECRET_KEY, sid, "del", f"C{math}")))
    assert "已取消勾選「數學」" in reply and "0/6" in reply
    for ref in (f"C{math}", f"C{english}", f"P{fair}"):
        chat.tap(STUDENT, item_data(SECRET_KEY, sid, "add", ref))
    assert picked_refs(db, school, STUDENT) == {f"C{math}", f"C{english}", f"P{fair}"}

    # A card that may not be picked cannot be picked by a hand-made (even signed) postback.
    reply = Chat.texts(chat.tap(STUDENT, item_data(SECRET_KEY, sid, "add", f"C{pending}")))
    assert "還在等任課教師認證" in reply
    assert f"C{pending}" not in picked_refs(db, school, STUDENT)

    summary = Chat.texts(chat.tap(STUDENT, "pk:sum"))
    assert "【課程學習成果 2/6 件】" in summary and "【多元表現 1/10 件】" in summary
    assert "1. 課程學習成果：數學" in summary and "2. 課程學習成果：英語文" in summary
    assert "1. 競賽：全國科展" in summary
    assert "國語文" not in summary and "草稿競賽" not in summary

    done = Chat.texts(chat.tap(STUDENT, "pk:ok:115"))
    assert "已確認送出，共 3 件" in done
    conf = confirmation(db, school, STUDENT)
    assert conf is not None and conf.confirmed_at is not None
    assert sorted(conf.confirmed_refs) == sorted([f"C{math}", f"C{english}", f"P{fair}"])

    # Confirmed picks are locked until reopened.
    locked = Chat.texts(chat.tap(STUDENT, item_data(SECRET_KEY, sid, "del", f"C{math}")))
    assert "你已經確認送出了" in locked
    assert f"C{math}" in picked_refs(db, school, STUDENT)
    again = chat.say(STUDENT, "勾選")
    assert "確認送出。截止（2027/7/28）前如要修改" in Chat.texts(again)
    assert "pk:reopen:115" in postbacks(again)


def test_cards_from_the_menu_and_pages(chat: Chat, school: Any, db: Any, clock: Any) -> None:
    for n in range(10):
        add_outcome(db, school, STUDENT, "101-數學", summary=f"作品 {n}")
    clock.set(IN_WINDOW)
    first = chat.tap(STUDENT, "menu:pick")
    assert "第 1/2 頁" in Chat.texts(first)
    flex = next(msg for msg in first if msg["type"] == "flex")
    assert len(flex["contents"]["contents"]) == 8
    assert "pk:page:2" in postbacks(first)
    second = chat.tap(STUDENT, "pk:page:2")
    assert "第 2/2 頁" in Chat.texts(second)
    flex = next(msg for msg in second if msg["type"] == "flex")
    assert len(flex["contents"]["contents"]) == 2
    # Typed words work inside the flow too.
    assert "第 1/2 頁" in Chat.texts(chat.say(STUDENT, "上一頁"))


def test_cap_cannot_be_passed(chat: Chat, school: Any, db: Any, clock: Any) -> None:
    sid = school.students[STUDENT]
    ids = [add_outcome(db, school, STUDENT, "101-數學", summary=f"作品 {n}") for n in range(7)]
    clock.set(IN_WINDOW)
    chat.say(STUDENT, "勾選")
    for item_id in ids[:6]:
        chat.tap(STUDENT, item_data(SECRET_KEY, sid, "add", f"C{item_id}"))
    reply = Chat.texts(chat.tap(STUDENT, item_data(SECRET_KEY, sid, "add", f"C{ids[6]}")))
    assert "課程學習成果每學年至多勾選 6 件，已經勾滿了" in reply
    assert len(picked_refs(db, school, STUDENT)) == 6


def test_forged_and_foreign_postbacks_change_nothing(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    mine = add_outcome(db, school, STUDENT, "101-數學")
    theirs = add_outcome(db, school, OTHER, "101-數學")
    clock.set(IN_WINDOW)
    me, them = school.students[STUDENT], school.students[OTHER]

    # No signature, a made-up one, or one made for another student.
    for data in (
        f"pk:add:C{theirs}",
        f"pk:add:C{theirs}:AAAAAAAAAAAAAAAA",
        item_data(SECRET_KEY, them, "add", f"C{theirs}"),
        item_data("another-secret", me, "add", f"C{mine}"),
    ):
        assert "這個按鈕無法使用" in Chat.texts(chat.tap(STUDENT, data))
    # Correctly signed for me, but the item is someone else's: the server checks ownership.
    reply = Chat.texts(chat.tap(STUDENT, item_data(SECRET_KEY, me, "add", f"C{theirs}")))
    assert "找不到這個項目" in reply
    assert picked_refs(db, school, OTHER) == set()
    assert picked_refs(db, school, STUDENT) == set()
    # Parents and teachers cannot use the buttons at all.
    assert "不適用" in Chat.texts(chat.tap("Upar", item_data(SECRET_KEY, me, "add", f"C{mine}")))


def test_picks_survive_a_timeout_and_old_cards_still_work(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    sid = school.students[STUDENT]
    a = add_outcome(db, school, STUDENT, "101-數學")
    b = add_outcome(db, school, STUDENT, "101-國語文")
    clock.set(IN_WINDOW)
    cards = chat.say(STUDENT, "勾選")
    chat.tap(STUDENT, item_data(SECRET_KEY, sid, "add", f"C{a}"))
    clock.advance(hours=3)  # the conversation (30 minutes) is long gone
    pick_b = item_data(SECRET_KEY, sid, "add", f"C{b}")
    assert pick_b in postbacks(cards)
    reply = Chat.texts(chat.tap(STUDENT, pick_b))
    assert "已勾選「國語文」" in reply and "2/6" in reply
    assert picked_refs(db, school, STUDENT) == {f"C{a}", f"C{b}"}
    # 取消 ends the conversation, never the picks.
    chat.say(STUDENT, "勾選")
    assert "已取消" in Chat.texts(chat.say(STUDENT, "取消"))
    assert picked_refs(db, school, STUDENT) == {f"C{a}", f"C{b}"}
    # The summary button works without a conversation, too.
    assert "【課程學習成果 2/6 件】" in Chat.texts(chat.tap(STUDENT, "pk:sum"))


def test_reopen_before_and_final_after_the_window(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    sid = school.students[STUDENT]
    a = add_outcome(db, school, STUDENT, "101-數學")
    b = add_outcome(db, school, STUDENT, "101-國語文")
    clock.set(IN_WINDOW)
    chat.tap(STUDENT, item_data(SECRET_KEY, sid, "add", f"C{a}"))
    chat.tap(STUDENT, "pk:ok:115")
    reopened = chat.tap(STUDENT, "pk:reopen:115")
    assert "已重新開啟" in Chat.texts(reopened)
    assert confirmation(db, school, STUDENT).confirmed_at is None  # type: ignore[union-attr]
    chat.tap(STUDENT, item_data(SECRET_KEY, sid, "del", f"C{a}"))
    chat.tap(STUDENT, item_data(SECRET_KEY, sid, "add", f"C{b}"))
    assert "共 1 件" in Chat.texts(chat.tap(STUDENT, "pk:ok:115"))

    clock.set(AFTER_WINDOW)
    for data in (
        "pk:reopen:115",
        item_data(SECRET_KEY, sid, "del", f"C{b}"),
        item_data(SECRET_KEY, sid, "add", f"C{a}"),
    ):
        assert "勾選已於 2027/7/28 截止" in Chat.texts(chat.tap(STUDENT, data))
    assert picked_refs(db, school, STUDENT) == {f"C{b}"}
    final = Chat.texts(chat.say(STUDENT, "勾選"))
    assert "115 學年度勾選已於 2027/7/28 截止，以下是提交的項目（已無法修改）" in final
    assert "國語文" in final and "數學" not in final
    assert confirmation(db, school, STUDENT).confirmed_at is not None  # type: ignore[union-attr]


def test_unconfirmed_picks_are_final_after_the_window(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    add_outcome(db, school, STUDENT, "101-數學", picked=True)
    clock.set(AFTER_WINDOW)
    final = Chat.texts(chat.say(STUDENT, "勾選"))
    assert "數學" in final and "你沒有按「確認送出」" in final


def test_before_the_window_says_when(chat: Chat, school: Any, db: Any) -> None:
    add_outcome(db, school, STUDENT, "101-數學")
    said = Chat.texts(chat.say(STUDENT, "勾選"))  # the default clock: 2026-10-15
    assert "勾選期間是 2027/7/22 至 2027/7/28，現在還沒開始" in said


def test_homeroom_sees_who_has_not_confirmed(chat: Chat, school: Any, db: Any, clock: Any) -> None:
    add_outcome(db, school, "Us10101", "101-數學", picked=True)
    add_outcome(db, school, "Us10102", "101-數學")
    add_outcome(db, school, "Us10103", "101-數學", picked=True)
    clock.set(IN_WINDOW)
    chat.tap("Us10103", "pk:ok:115")
    report = Chat.texts(chat.say("Utwang", "勾選進度"))
    assert "101 班 115 學年度勾選進度（2027/7/22～2027/7/28）" in report
    assert "已確認送出 1/6 人" in report
    assert "1 號 李小明：課程 1/1、多元 0/0" in report
    assert "2 號 陳怡君：課程 0/1、多元 0/0" in report
    assert "張家豪" not in report  # confirmed
    assert "吳承恩" not in report  # another class
    assert "102 班" in Chat.texts(chat.say("Utlin", "勾選進度"))
    assert "不適用" in Chat.texts(chat.say("Us10101", "勾選進度"))
    assert "不適用" in Chat.texts(chat.say("Utchen", "勾選進度"))  # teaches, no class of own


def test_staff_see_totals_and_the_export_commands(
    chat: Chat, school: Any, db: Any, clock: Any
) -> None:
    add_outcome(db, school, "Us10101", "101-數學", picked=True)
    add_performance(db, school, "Us10101", picked=True)
    clock.set(AFTER_WINDOW)
    said = Chat.texts(chat.say("Ureg", "勾選統計"))
    assert "0/9 位學生已確認送出；已勾選課程學習成果 1 件、多元表現 1 件" in said
    assert "portfolio export course-outcomes --year 115" in said


# --- the storage rules under racing taps --------------------------------------------------------


def _race(db: Any, student_id: int, item_ids: list[int], now: datetime) -> list[str]:
    rules = load_rules()
    barrier = threading.Barrier(len(item_ids))
    codes: list[str] = []
    lock = threading.Lock()

    def tap(item_id: int) -> None:
        with db.transaction() as s:
            barrier.wait(timeout=10)
            outcome = picking.pick(s, rules, student_id, COURSE_OUTCOME, item_id, now)
        with lock:
            codes.append(outcome.code)

    threads = [threading.Thread(target=tap, args=(i,)) for i in item_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return codes


def test_racing_taps_never_pass_the_cap(db: Any, school: Any) -> None:
    sid = school.students[STUDENT]
    for n in range(4):
        add_outcome(db, school, STUDENT, "101-數學", summary=f"已選 {n}", picked=True)
    free = [add_outcome(db, school, STUDENT, "101-數學", summary=f"搶 {n}") for n in range(6)]
    codes = _race(db, sid, free, IN_WINDOW)
    assert sorted(codes) == ["limit"] * 4 + ["picked"] * 2
    with db.session() as s:
        assert pick_candidates.picked_count(s, sid, 115, COURSE_OUTCOME) == 6


def test_two_taps_for_the_last_slot(db: Any, school: Any) -> None:
    sid = school.students[STUDENT]
    for n in range(5):
        add_outcome(db, school, STUDENT, "101-數學", summary=f"已選 {n}", picked=True)
    free = [add_outcome(db, school, STUDENT, "101-數學", summary=f"搶 {n}") for n in range(2)]
    for _ in range(3):  # several rounds: the outcome must not depend on luck
        codes = _race(db, sid, free, IN_WINDOW)
        assert sorted(codes) == ["limit", "picked"]
        with db.session() as s:
            assert pick_candidates.picked_count(s, sid, 115, COURSE_OUTCOME) == 6
        with db.transaction() as s:
            for item_id in free:
                s.get(CourseOutcome, item_id).picked_at = None  # type: ignore[union-attr]


def test_a_confirm_racing_a_pick_is_serialised(db: Any, school: Any) -> None:
    sid = school.students[STUDENT]
    item = add_outcome(db, school, STUDENT, "101-數學")
    rules = load_rules()
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def run(name: str) -> None:
        with db.transaction() as s:
            barrier.wait(timeout=10)
            if name == "pick":
                results[name] = picking.pick(s, rules, sid, COURSE_OUTCOME, item, IN_WINDOW).code
            else:
                results[name] = picking.confirm(s, rules, sid, 115, IN_WINDOW).code

    threads = [threading.Thread(target=run, args=(n,)) for n in ("pick", "confirm")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    conf = confirmation(db, school, STUDENT)
    assert conf is not None
    # Either the pick came first and was confirmed with the rest, or it was refused as locked.
    if results["pick"] == "picked":
        assert conf.confirmed_refs == [f"C{item}"]
    else:
        assert results["pick"] == "locked" and conf.confirmed_refs == []


def test_picking_rules_in_storage(db: Any, school: Any) -> None:
    rules = load_rules()
    sid = school.students[STUDENT]
    perfs = [add_performance(db, school, STUDENT, name=f"競賽 {n}") for n in range(11)]
    with db.transaction() as s:
        for item_id in perfs[:10]:
            assert picking.pick(s, rules, sid, PERFORMANCE, item_id, IN_WINDOW).ok
        assert picking.pick(s, rules, sid, PERFORMANCE, perfs[10], IN_WINDOW).code == "limit"
        assert (
            picking.pick(s, rules, sid, PERFORMANCE, perfs[0], IN_WINDOW).code == "already_picked"
        )
        before = picking.pick(
            s, rules, sid, PERFORMANCE, perfs[10], at_taipei(date(2027, 7, 21), 23, 59)
        )
        assert before.code == "window_before"
        st = picking.state(s, rules, sid, 115, IN_WINDOW)
        assert st.counts == {COURSE_OUTCOME: 0, PERFORMANCE: 10}
        assert st.limits == {COURSE_OUTCOME: 6, PERFORMANCE: 10}
    # The window's last instant still counts; the next one does not.
    last = at_taipei(date(2027, 7, 29)) - timedelta(microseconds=1)
    with db.transaction() as s:
        assert picking.unpick(s, rules, sid, PERFORMANCE, perfs[0], last).code == "unpicked"
        assert (
            picking.unpick(
                s, rules, sid, PERFORMANCE, perfs[1], last + timedelta(microseconds=1)
            ).code
            == "window_closed"
        )
    assert pick_candidates.parse_ref("c12") == (COURSE_OUTCOME, 12)
    assert pick_candidates.parse_ref("P7") == (PERFORMANCE, 7)
    assert pick_candidates.parse_ref("X1") is None and pick_candidates.parse_ref("C") is None
