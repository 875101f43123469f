"""The monthly message budget: low-priority notices wait, staff hear once, urgent ones always go."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from jobs import budget, delivery, notice_audiences, reminders
from storage.clock import FrozenClock
from storage.models.line import HELD, PENDING, SENT, OutboxMessage
from storage.models.schedule import EXPIRED
from storage.outbox import Outbox
from tests.conftest import make_settings
from tests.school import REGISTRAR, School
from tests.test_reminders import STUDENTS_BELOW_LIMIT_1, seed_year, taipei, tick

LIMIT = 40


SUPERVISION_ROWS = ("convener_supervision", "teacher_supervision")


@pytest.fixture
def small_app(
    db: Any, line: Any, _emulator: Any, clock: FrozenClock, tmp_path: Path
) -> Iterator[Any]:
    """The bot with LINE_MONTHLY_QUOTA=40."""
    from bot import create_app

    settings = make_settings(
        db.url,
        _emulator.base_url,
        tmp_path,
        _emulator.channel_access_token,
        line_monthly_quota=LIMIT,
    )
    application = create_app(settings, db=db, queue="manual", clock=clock, sleep=lambda s: None)
    # The budget's arithmetic below is about the homeroom notices and the last call; the
    # supervision rows of the same day (附表二 五) would only add to it.
    svc = application.extensions["portfolio"]
    svc.rules = dataclasses.replace(
        svc.rules, schedule=[r for r in svc.rules.schedule if r.id not in SUPERVISION_ROWS]
    )
    yield application
    application.extensions["portfolio"].line.close()


def spend(db: Any, when: datetime, messages: int) -> None:
    """Messages already sent this month (by anyone through the bot)."""
    with db.transaction() as session:
        session.add(
            OutboxMessage(
                created_at=when,
                kind="multicast",
                recipients=["Ux"] * messages,
                purpose="earlier",
                messages=[{"type": "text", "text": "x"}],
                status=SENT,
                sent_at=when,
                sent_as="multicast",
                cost=messages,
            )
        )


def rows(db: Any, purpose: str) -> list[OutboxMessage]:
    with db.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.purpose == purpose)
                .order_by(OutboxMessage.id)
            )
        )


def without_line_usage(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The local platform never starts a new month, so its running total would outlast ours.
    monkeypatch.setattr(app.extensions["portfolio"].line, "quota", lambda: (None, None))


def without_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    """The arithmetic of a test about the schedule's rows, without the digests' share."""
    from jobs import certification

    monkeypatch.setattr(certification, "forecast_digests", lambda *args: 0)


def test_month_bounds_follow_taipei() -> None:
    start, end = budget.month_bounds(taipei(2027, 1, 31, 23, 30))
    assert (start, end) == (taipei(2027, 1, 1), taipei(2027, 2, 1))
    start, end = budget.month_bounds(taipei(2026, 12, 1, 0, 10))
    assert (start, end) == (taipei(2026, 12, 1), taipei(2027, 1, 1))
    assert budget.month_label(taipei(2027, 2, 1, 0, 0)) == "2027-02"


def test_the_limit_is_the_tightest_known(small_app: Any, db: Any, line: Any) -> None:
    svc = small_app.extensions["portfolio"]
    assert budget.quota_limit(svc, svc.rules)[:2] == (LIMIT, "LINE_MONTHLY_QUOTA")
    line.quota = 25
    limit, source, used = budget.quota_limit(svc, svc.rules)
    assert (limit, source, used) == (25, "LINE quota endpoint", 0)


def test_low_priority_notices_wait_and_staff_hear_once(
    small_app: Any,
    db: Any,
    line: Any,
    school: School,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_year(db, school)
    without_line_usage(small_app, monkeypatch)
    without_digests(monkeypatch)
    spend(db, taipei(2027, 1, 2, 10), 25)

    # 1/24: the homeroom progress notices (low; one per teacher, each names their class) would
    # leave too little for the urgent last call to 9 students on 1/31: 25 + 3 + (9 + 5) > 40.
    # The newest are held until the forecast fits: two of the three.
    clock.set(taipei(2027, 1, 24, 9, 0))
    counts = tick(small_app)
    assert counts["held"] == 2 and counts["budget_told"] == 1
    progress = rows(db, "schedule:row:homeroom_upload_progress")
    assert [r.status for r in progress] == [SENT, HELD, HELD]
    assert "101 班還有 4 位同學" in line.messages_for("Utwang")[0]["altText"]
    assert not any("班還有" in m["altText"] for m in line.messages_for("Utlin"))
    assert line.messages_for("Ut301") == []
    [told] = line.messages_for(REGISTRAR)
    assert "已暫緩 2 則非緊急通知" in told["text"] and "額度 40 則" in told["text"]

    # Staff hear once a month, however many ticks keep holding.
    clock.advance(hours=1)
    assert "budget_told" not in tick(small_app)
    assert len(line.messages_for(REGISTRAR)) == 1

    # 1/31: the urgent last call goes out in full, even with the budget tight.
    clock.set(taipei(2027, 1, 31, 9, 0))
    tick(small_app)
    urgent = rows(db, "schedule:row:remind_upload_course_outcomes")
    assert {r.status for r in urgent} == {SENT}
    assert sum(len(r.recipients) for r in urgent) == len(STUDENTS_BELOW_LIMIT_1)
    assert [r.status for r in rows(db, "schedule:row:homeroom_upload_progress")][1:] == [HELD] * 2

    # 2/1: a new month; the held notices are still useful (uploads close 2/3) and go out.
    clock.set(taipei(2027, 2, 1, 9, 0))
    counts = tick(small_app)
    assert counts["released"] == 2
    assert {r.status for r in rows(db, "schedule:row:homeroom_upload_progress")} == {SENT}
    assert "102 班還有 3 位同學" in line.messages_for("Utlin")[0]["altText"]
    assert len(line.messages_for("Ut301")) == 1


def test_a_held_notice_past_its_use_is_dropped_not_sent_late(
    small_app: Any,
    db: Any,
    line: Any,
    school: School,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_year(db, school)
    without_line_usage(small_app, monkeypatch)
    without_digests(monkeypatch)
    spend(db, taipei(2027, 1, 2, 10), 25)
    clock.set(taipei(2027, 1, 24, 9, 0))
    tick(small_app)
    # No tick runs until after uploads closed on 2/3; on 2/4 the notice is no use to anyone.
    clock.set(taipei(2027, 2, 4, 9, 0))
    counts = tick(small_app)
    assert counts.get("expired") == 2
    statuses = [r.status for r in rows(db, "schedule:row:homeroom_upload_progress")]
    assert statuses == [SENT, EXPIRED, EXPIRED]
    assert not any("班還有" in m["altText"] for m in line.messages_for("Utlin"))
    assert line.messages_for("Ut301") == []


def test_hold_order_low_then_normal_never_urgent(
    small_app: Any, db: Any, line: Any, clock: FrozenClock
) -> None:
    svc = small_app.extensions["portfolio"]
    now = clock.now()
    with db.transaction() as session:
        outbox = Outbox(session, now)
        outbox.multicast(
            [f"U{i}" for i in range(10)],
            [{"type": "text", "text": "u"}],
            "urgent",
            priority="urgent",
        )
        outbox.multicast(
            [f"U{i}" for i in range(20)],
            [{"type": "text", "text": "n"}],
            "normal-old",
            priority="normal",
        )
        outbox.multicast(
            [f"U{i}" for i in range(8)], [{"type": "text", "text": "l"}], "low", priority="low"
        )
        outbox.multicast(
            [f"U{i}" for i in range(6)],
            [{"type": "text", "text": "n"}],
            "normal-new",
            priority="normal",
        )
    with db.transaction() as session:
        result = budget.enforce(svc, session, svc.rules, Outbox(session, now), now)
    # 44 queued + 5 reserve against 40: the low row (8) is not enough; the newest normal row
    # (6) goes too; the older normal one and the urgent one stay queued.
    assert result.held == 2
    status = {
        r.purpose: r.status
        for p in ("urgent", "normal-old", "low", "normal-new")
        for r in rows(db, p)
    }
    assert status == {"urgent": PENDING, "normal-old": PENDING, "low": HELD, "normal-new": HELD}

    # More urgent work than the whole budget: still never held.
    with db.transaction() as session:
        Outbox(session, now).multicast(
            [f"V{i}" for i in range(60)],
            [{"type": "text", "text": "r"}],
            "reject",
            priority="urgent",
        )
    with db.transaction() as session:
        budget.enforce(svc, session, svc.rules, Outbox(session, now), now)
    assert rows(db, "reject")[0].status == PENDING


def test_the_forecast_reserves_room_for_this_months_urgent_reminders(
    small_app: Any, db: Any, school: School, clock: FrozenClock
) -> None:
    seed_year(db, school)
    svc = small_app.extensions["portfolio"]
    clock.set(taipei(2027, 1, 20, 9, 0))
    now = clock.now()
    with db.session() as session:
        reserve = notice_audiences.forecast_urgent(
            session, svc.rules, now, budget.month_bounds(now)[1]
        )
        measured = budget.measure(svc, session, svc.rules, now, reserve)
    # The 1/31 last call will reach the 9 students below the limit.
    assert reserve == len(STUDENTS_BELOW_LIMIT_1)
    assert measured.reserve == reserve + budget.URGENT_MARGIN_MIN


def test_the_forecast_keeps_room_for_the_months_certification_digests(
    small_app: Any, db: Any, school: School, clock: FrozenClock
) -> None:
    from jobs import certification
    from tests.test_certify import submit_item

    svc = small_app.extensions["portfolio"]
    clock.set(taipei(2026, 10, 15, 10, 0))
    submit_item(db, school, clock, "Us10101", "101-數學")  # 陳建宏
    submit_item(db, school, clock, "Us10102", "101-國語文")  # 王美玲
    now = clock.now()
    with db.session() as session:
        # Two certifiers with items waiting; 16 days left in October: 3 weekly digests each.
        assert (
            certification.forecast_digests(session, svc.rules, now, budget.month_bounds(now)[1])
            == 6
        )
        assert reminders.forecast_required(session, svc.rules, now) >= 6
    clock.set(taipei(2026, 10, 31, 10, 0))
    with db.session() as session:
        now = clock.now()
        assert (
            certification.forecast_digests(session, svc.rules, now, budget.month_bounds(now)[1])
            == 2
        )


def test_budget_part_runs_on_its_own(
    small_app: Any, db: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jobs.reminders.enforce_budget is a tick part too: it holds what other parts queued."""
    without_line_usage(small_app, monkeypatch)
    svc = small_app.extensions["portfolio"]
    with db.transaction() as session:
        Outbox(session, clock.now()).multicast(
            [f"U{i}" for i in range(50)], [{"type": "text", "text": "l"}], "digest", priority="low"
        )
    assert reminders.enforce_budget(svc) == {"held": 1}
    assert delivery.deliver_due(svc) == 0
    clock.advance(timedelta(days=20))  # 2026-11-04: a new month, but 50 still does not fit 40
    assert reminders.enforce_budget(svc) == {}
    assert rows(db, "digest")[0].status == HELD
