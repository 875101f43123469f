"""The reminders' delivery log: who was handed which (rule, period), and when it goes stale."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models.schedule import ReminderDelivery


def delivered(session: Session, rule: str, period: str) -> set[str]:
    """Recipient keys already handed this (rule, period)."""
    return set(
        session.scalars(
            select(ReminderDelivery.recipient).where(
                ReminderDelivery.rule == rule, ReminderDelivery.period == period
            )
        )
    )


def record_delivery(
    session: Session,
    rule: str,
    period: str,
    recipient: str,
    due_at: datetime,
    now: datetime,
    outbox_id: int | None,
    stale_after: datetime | None = None,
) -> ReminderDelivery:
    row = ReminderDelivery(
        rule=rule,
        period=period,
        recipient=recipient,
        due_at=due_at,
        created_at=now,
        outbox_id=outbox_id,
        stale_after=stale_after,
    )
    session.add(row)
    return row


def stale_after_for_outbox(session: Session, outbox_ids: Collection[int]) -> dict[int, datetime]:
    """For held rows: when the last notice each carries stops being of use (none: never)."""
    if not outbox_ids:
        return {}
    rows = session.execute(
        select(
            ReminderDelivery.outbox_id,
            func.max(ReminderDelivery.stale_after),
            func.count() - func.count(ReminderDelivery.stale_after),
        )
        .where(ReminderDelivery.outbox_id.in_(list(outbox_ids)))
        .group_by(ReminderDelivery.outbox_id)
    )
    return {
        oid: when
        for oid, when, timeless in rows
        if oid is not None and when is not None and not timeless
    }
