"""Every flow wired into one front desk, once per process: what the event handlers talk to."""

from __future__ import annotations

from flows import (
    account,
    certify,
    class_progress,
    console,
    consultation_menu,
    events,
    grade12,
    guardian,
    my_portfolio,
    performance,
    picking,
    receipts,
    upload,
)
from flows.frontdesk import FrontDesk

# Every flow module, each with register(desk). Order matters only for quick-reply menus.
DESK_MODULES = (
    account,
    guardian,
    upload,
    performance,
    my_portfolio,
    certify,
    class_progress,
    picking,
    receipts,
    events,
    consultation_menu,
    grade12,
    console,
)

_desk: FrontDesk | None = None


def build_desk() -> FrontDesk:
    """Wire every flow module into one desk."""
    desk = FrontDesk()
    for module in DESK_MODULES:
        module.register(desk)
    return desk


def desk() -> FrontDesk:
    global _desk
    if _desk is None:
        _desk = build_desk()
    return _desk
