"""What the rules are when the school's file says nothing: window lengths, counted states,
escalation, sending times, quiet hours, retention, the message quota and event months.
"""

from __future__ import annotations

from datetime import time
from typing import Final

DEFAULT_UPLOAD_DAYS_AFTER_CLOSING: Final = 14
DEFAULT_CERTIFICATION_DAYS_AFTER_UPLOAD: Final = 7
DEFAULT_PICKING_DAYS: Final = 7
DEFAULT_RECEIPT_DAYS: Final = 3
DEFAULT_COUNTED_STATES: Final = frozenset({"pending", "certified"})
DEFAULT_ESCALATION_DAYS: Final = 3
# A certifier hears of new items at most once in this many days (the rules can say otherwise).
DEFAULT_PUSH_EVERY_DAYS: Final = 1
DEFAULT_CERT_PUSH_AT: Final = time(16, 0)
DEFAULT_SEND_TIME: Final = time(9, 0)
DEFAULT_QUIET_START: Final = time(22, 0)
DEFAULT_QUIET_END: Final = time(7, 0)
DEFAULT_APPROVAL_NOTICE: Final = "next_reply"
DEFAULT_RETENTION_YEARS: Final = 2
# Rule 九: graduates are sealed at the latest this many days after their submission date,
# whether or not the 收訖明細 came back.
DEFAULT_SEAL_WITHOUT_RECEIPT_DAYS: Final = 60
# The free plan: a school that has not said what it pays for must not overspend.
DEFAULT_MONTHLY_QUOTA: Final = 200
DEFAULT_EVENT_MONTHS: Final = {
    "student_training": 10,
    "teacher_workshop": 11,
    "parent_briefing": 12,
}
# Each semester, this many days after its first day the event must be on the calendar (seed
# 三: the working group meets every semester; 附表一: 教學組's workshop and 輔導室's training).
DEFAULT_SEMESTER_EVENT_DAYS: Final = {
    "working_group_meeting": 30,
    "teaching_workshop": 90,
    "counselling_training": 90,
}
