"""Every table of the product; importing this package registers them all on Base.metadata."""

from storage.models.binding import BindAttempt, BindingCode
from storage.models.conversation import ConversationRow
from storage.models.line import InboxEvent, LineAccount, OutboxMessage
from storage.models.school import (
    Course,
    Enrolment,
    Guardian,
    GuardianLink,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    StudentClassHistory,
    Term,
)

__all__ = [
    "BindAttempt",
    "BindingCode",
    "ConversationRow",
    "Course",
    "Enrolment",
    "Guardian",
    "GuardianLink",
    "InboxEvent",
    "LineAccount",
    "OutboxMessage",
    "SchoolClass",
    "Staff",
    "StaffRole",
    "Student",
    "StudentClassHistory",
    "Term",
]
