"""Every table of the product; importing this package registers them all on Base.metadata."""

from storage.models import certification as _certification  # noqa: F401
from storage.models import console as _console  # noqa: F401
from storage.models import console_office as _console_office  # noqa: F401
from storage.models import lifecycle as _lifecycle  # noqa: F401
from storage.models import picking as _picking  # noqa: F401
from storage.models import records as _records  # noqa: F401
from storage.models import schedule as _schedule  # noqa: F401
from storage.models import security as _security  # noqa: F401
from storage.models.binding import BindAttempt, BindingCode
from storage.models.conversation import ConversationRow
from storage.models.line import InboxEvent, LineAccount, OutboxMessage
from storage.models.portfolio import (
    AuditEntry,
    CourseOutcome,
    DraftPage,
    FileRecord,
    Performance,
    PerformanceFile,
)
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
    "AuditEntry",
    "CourseOutcome",
    "DraftPage",
    "FileRecord",
    "Performance",
    "PerformanceFile",
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
